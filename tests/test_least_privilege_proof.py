"""The least-privilege proof, run on the two_env test organisation: its synthesized policies allow exactly what
its access matrix, tests/orgs/two_env/access.yaml, lists (the shipped organisation's proof against
policies/access.yaml is in tests/test_shipped_organisation.py).

Every principal x every action of the services of policies/proof/actions.py SERVICES and of every other
service a policy names x every resource x every context variant (request parameters: policies/proof/parameters.py);
see policies/proof/__init__.py for the universe and the three views.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from accounts.config import OrgConfig
from policies.access_matrix import (
    VIEW_TITLES,
    MatrixError,
    entries,
    expand,
    governance_markdown,
    load_matrix,
    render_markdown,
)
from policies.cloud_assembly import StackTemplate
from policies.iam.cloudformation.reader import load_deployment
from policies.iam.cloudformation.resolver import StackResolver, TemplateError
from policies.proof.actions import SERVICES, uncovered_services
from policies.proof.results import Grant, ProofResult, run_proof
from policies.proof.universe import Universe, build_universe
from tests.conftest import Synth
from tests.orgs import access_matrix_path
from tests.untraced import untraced

NOBODY = ("outsider", "org-member", "anonymous")
PUBLIC_PAGES = ("GET/callback", "GET/review", "GET/signin", "POST/decision")
MATRIX = access_matrix_path("two_env")


@pytest.fixture(scope="module")
def universe(config: OrgConfig, synth: Synth) -> Universe:
    with untraced():  # the sweep's universe: hot loops too (tests/untraced.py)
        return build_universe(config, load_deployment(synth.outdir))


@pytest.fixture(scope="module")
def proof(universe: Universe) -> ProofResult:
    with untraced():  # the sweep is measured by its own tests; see tests/untraced.py
        return run_proof(universe)


@pytest.fixture(scope="module")
def matrix() -> dict[Grant, str]:
    return expand(load_matrix(MATRIX))


def _describe(grant: Grant) -> str:
    return (
        f"principal={grant.principal} view={grant.view} action={grant.action} "
        f"resource={grant.resource} context={grant.when}"
    )


def disagreements(proof: ProofResult, matrix: dict[Grant, str]) -> list[str]:
    """Each grant the proof found that the matrix does not list, and each listed grant the proof did not find."""
    unexpected = [
        f"ALLOWED, NOT IN access.yaml: {_describe(g)} by {'; '.join(proof.grants[g])}"
        for g in sorted(set(proof.grants) - set(matrix), key=_describe)
    ]
    missing = [
        f"IN access.yaml, NOT ALLOWED: {_describe(g)}" for g in sorted(set(matrix) - set(proof.grants), key=_describe)
    ]
    return unexpected + missing


def test_deployed_policies_allow_exactly_the_organisations_matrix(proof: ProofResult, matrix: dict[Grant, str]) -> None:
    differing = disagreements(proof, matrix)
    assert differing == [], "\n".join([*differing, f"(redraft {MATRIX} with `python -m tests.orgs draft-access`)"])


def test_outsider_org_member_and_anonymous_get_nothing_but_the_public_review_pages(proof: ProofResult) -> None:
    """The approval API's methods without authorization are public by design (its policy's
    ReviewPagesArePublic); nothing else is allowed to them."""
    data = load_matrix(MATRIX)
    listed = {
        who: sorted((a, r) for e in entries(data).get((who, "allowed"), []) for a in e.actions for r in e.resources)
        for who in NOBODY
    }
    computed = {who: sorted((g.action, g.resource) for g in proof.grants if g.principal == who) for who in NOBODY}
    api = "arn:aws:execute-api:<region>:<shared-services>:approval-workflow-api/v1"
    public = [("execute-api:Invoke", f"{api}/{page}") for page in PUBLIC_PAGES]
    assert (listed, computed) == (dict.fromkeys(NOBODY, public), dict.fromkeys(NOBODY, public))


def test_the_matrix_names_every_principal_of_the_sweep_and_no_other(universe: Universe) -> None:
    assert list(load_matrix(MATRIX)["principals"]) == [p.id for p in universe.principals]


def test_the_sweep_covers_every_action_of_the_services_and_200000_decisions(
    universe: Universe, proof: ProofResult
) -> None:
    services = {action.split(":", 1)[0] for action in universe.actions}
    assert (services >= set(SERVICES), len(universe.actions) > 1500, proof.decisions >= 200_000) == (True, True, True)


def test_every_service_a_policy_names_is_swept(universe: Universe) -> None:
    named = [
        "cloudwatch", "dynamodb", "ecr", "events", "execute-api", "iam", "kms", "lambda", "logs", "s3", "sagemaker",
        "secretsmanager", "sns", "sqs", "ssm", "sts",
    ]  # fmt: skip
    assert (
        uncovered_services(universe.policies.values(), universe.actions),
        sorted(universe.coverage.named),
        universe.coverage.note(),
    ) == ([], named, "")


def test_every_deployed_role_is_a_principal_with_its_policies(universe: Universe) -> None:
    deployed = {p.principal.name for p in universe.principals if p.modelled == "deployed"}
    assert deployed == set(universe.deployment.roles)


def test_the_markdown_view_has_a_table_per_view_with_a_row_per_resource_and_nothing_said_when_empty() -> None:
    data = {
        "principals": {
            "reader@shared-services": {
                "allowed": [
                    {
                        "actions": ["s3:GetObject", "s3:ListBucket"],
                        "resources": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
                        "when": {"tls": ["on"]},
                        "reason": "reads it",
                    }
                ],
                "identity_alone": [],
                "resource_policies_alone": [],
            },
            "outsider": {"allowed": []},
        }
    }
    assert render_markdown(data).splitlines()[5:] == [
        "## Effective access",
        "",
        "| principal | resource | actions | when | reason |",
        "|---|---|---|---|---|",
        "| `reader@shared-services` | `arn:aws:s3:::b` | `s3:GetObject`<br>`s3:ListBucket` | tls=on | reads it |",
        "| `reader@shared-services` | `arn:aws:s3:::b/*` | `s3:GetObject`<br>`s3:ListBucket` | tls=on | reads it |",
        "| `outsider` | (nothing) | | | |",
        "",
        f"## {VIEW_TITLES['identity_alone']}",
        "",
        "| principal | resource | actions | when | reason |",
        "|---|---|---|---|---|",
        "| `reader@shared-services` | (nothing) | | | |",
        "",
        f"## {VIEW_TITLES['resource_policies_alone']}",
        "",
        "| principal | resource | actions | when | reason |",
        "|---|---|---|---|---|",
        "| `reader@shared-services` | (nothing) | | | |",
        "",
        *governance_markdown()[:-1],  # the invariants and assumptions; splitlines drops the last empty line
    ]


def test_a_malformed_matrix_entry_names_principal_view_and_index(tmp_path: Path) -> None:
    path = tmp_path / "access.yaml"
    path.write_text("principals:\n  someone:\n    allowed:\n    - actions: [s3:GetObject]\n      reason: why\n")
    with pytest.raises(MatrixError) as raised:
        expand(load_matrix(path))
    assert str(raised.value) == "access.yaml: principals.someone.allowed[0]: actions, resources and reason are required"


def _resolver(resources: dict[str, object]) -> StackResolver:
    template = {"Resources": resources}
    return StackResolver(StackTemplate("App/Stack", "Stack", "111111111111", "eu-west-1", Path("t.json"), template))


def test_intrinsics_resolve_to_the_arns_of_known_resources() -> None:
    resolver = _resolver(
        {
            "ArtifactsKeyA4B22E2B": {"Type": "AWS::KMS::Key", "Properties": {}},
            "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "my-bucket"}},
        }
    )
    resolved = resolver.resolve(
        [
            {"Fn::GetAtt": ["ArtifactsKeyA4B22E2B", "Arn"]},
            {"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket", "Arn"]}, "/*"]]},
            {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/x-${AWS::Region}"},
        ],
        "where",
    )
    assert resolved == [
        "arn:aws:kms:eu-west-1:111111111111:key/artifacts-key",
        "arn:aws:s3:::my-bucket/*",
        "arn:aws:iam::111111111111:role/x-eu-west-1",
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            {"Fn::ImportValue": "SharedKeyArn"},
            "App/Stack/Policy.PolicyDocument: intrinsic Fn::ImportValue cannot be resolved to a literal",
        ),
        (
            {"Ref": "Missing"},
            "App/Stack/Policy.PolicyDocument: reference to 'Missing', which is not a resource of the stack",
        ),
        (
            {"Fn::GetAtt": ["Queue", "QueueUrl"]},
            "App/Stack/Policy.PolicyDocument: Fn::GetAtt Queue.QueueUrl (AWS::SQS::Queue) cannot be resolved",
        ),
    ],
)
def test_an_unresolvable_intrinsic_is_an_error_not_a_guess(value: object, message: str) -> None:
    resolver = _resolver({"Queue": {"Type": "AWS::SQS::Queue", "Properties": {}}})
    with pytest.raises(TemplateError) as raised:
        resolver.resolve(value, "App/Stack/Policy.PolicyDocument")
    assert str(raised.value) == message
