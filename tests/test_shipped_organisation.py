"""The shipped organisation: accounts/accounts.yaml, the manifests under workloads/, and the committed files
generated from them (.github/workflows/deploy.yml, .github/CODEOWNERS, policies/rendered/, ACCESS.md), with the
signed-off policies/access.yaml.

A platform team forks the project and rewrites all of these, so every test here holds for any valid
organisation: expectations are derived from the shipped accounts.yaml, never written out. Every other test runs
against the organisations of tests/orgs/ (tests/shipped_guard.py refuses them the shipped files). The shipped
organisation is synthesized once, here; with `--dist loadfile` one worker pays for it.
"""

from __future__ import annotations

import io
import tokenize
from pathlib import Path
from typing import Any

import pytest

from accounts import naming
from accounts.config import DEFAULT_CONFIG_PATH, OrgConfig, load_config
from deployment.codeowners import render_codeowners
from policies.access_matrix import ACCESS_MD, ACCESS_YAML, expand, load_matrix, render_markdown
from policies.iam.cloudformation import load_deployment
from policies.proof import ProofResult, build_universe, run_proof
from policies.render import render_assembly, write_rendered
from tests.conftest import REPO_ROOT, Synth, synthesize
from tests.orgs import load_org
from tests.test_least_privilege_proof import disagreements
from tests.test_verifier_role import load_workflow
from workloads.manifest import WORKLOADS_ROOT, load_all

DEPLOY_WORKFLOW = REPO_ROOT / ".github" / "workflows" / "deploy.yml"
CHECKS_WORKFLOW = REPO_ROOT / ".github" / "workflows" / "checks.yml"
CODEOWNERS = REPO_ROOT / ".github" / "CODEOWNERS"
RENDERED_POLICIES = REPO_ROOT / "policies" / "rendered"


@pytest.fixture(scope="module")
def shipped() -> OrgConfig:
    return load_config(DEFAULT_CONFIG_PATH)


@pytest.fixture(scope="module")
def shipped_synth(shipped: OrgConfig, tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synthesize(shipped, tmp_path_factory.mktemp("synth-shipped"), WORKLOADS_ROOT)


@pytest.fixture(scope="module")
def shipped_proof(shipped: OrgConfig, shipped_synth: Synth) -> ProofResult:
    return run_proof(build_universe(shipped, load_deployment(shipped_synth.outdir)))


def contents(path: Path) -> bytes | None:
    return path.read_bytes() if path.exists() else None


def tree(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


# -- the organisation and its manifests ------------------------------------------------------------------------


def test_the_shipped_accounts_yaml_is_a_valid_organisation() -> None:
    assert isinstance(load_config(DEFAULT_CONFIG_PATH), OrgConfig)


def test_every_shipped_manifest_pins_a_configured_model_of_a_chain_environment_in_the_shared_services_registry(
    shipped: OrgConfig,
) -> None:
    manifests = {item.path: item.manifest for items in load_all(shipped, WORKLOADS_ROOT).values() for item in items}
    # Every YAML file under workloads/ is a manifest the app deploys: none lies where load_all does not look.
    assert sorted(manifests) == sorted(WORKLOADS_ROOT.rglob("*.y*ml"))
    models = [model.name for model in shipped.models]
    pointing = {
        path.relative_to(WORKLOADS_ROOT).as_posix(): (
            path.parent.name in shipped.chain,
            (ref.group, ref.group in models),
            ref.account,
            ref.region,
        )
        for path, manifest in manifests.items()
        for ref in [naming.parse_model_package_arn(manifest.model_package_arn)]
    }
    assert pointing == {
        path: (True, (Path(path).stem, True), shipped.accounts.shared_services, shipped.region) for path in pointing
    }


# -- the committed files generated from it -----------------------------------------------------------------------


def test_committed_deploy_workflow_is_exactly_what_synth_generates(shipped_synth: Synth) -> None:
    assert contents(DEPLOY_WORKFLOW) == contents(shipped_synth.workflow_path), (
        f"{DEPLOY_WORKFLOW} is stale: run `make synth` and commit the result"
    )


def test_committed_codeowners_is_exactly_what_the_configuration_generates(
    shipped: OrgConfig, shipped_synth: Synth
) -> None:
    assert CODEOWNERS.exists(), f"{CODEOWNERS} is missing: run `make synth` and commit it"
    assert CODEOWNERS.read_text() == render_codeowners(shipped), f"{CODEOWNERS} is stale: run `make synth`"
    assert (shipped_synth.workdir / ".github" / "CODEOWNERS").read_text() == CODEOWNERS.read_text()


def test_committed_rendered_policies_match_a_fresh_synth(shipped_synth: Synth, tmp_path: Path) -> None:
    write_rendered(render_assembly(shipped_synth.outdir), tmp_path / "rendered")
    fresh, committed = tree(tmp_path / "rendered"), tree(RENDERED_POLICIES) if RENDERED_POLICIES.exists() else {}
    differing = [
        f"{difference(name, fresh, committed)} policies/rendered: {name}"
        for name in sorted(fresh.keys() | committed.keys())
        if fresh.get(name) != committed.get(name)
    ]
    if differing:
        pytest.fail("policies/rendered is stale: run `make policies`\n" + "\n".join(differing), pytrace=False)


def difference(name: str, fresh: dict[str, bytes], committed: dict[str, bytes]) -> str:
    if name not in committed:
        return "missing from"
    return "not produced by synth, yet in" if name not in fresh else "differs in"


def test_access_md_is_generated_from_access_yaml() -> None:
    assert ACCESS_MD.read_text() == render_markdown(load_matrix(ACCESS_YAML)), "run `make policies` to regenerate"


def test_pull_request_checks_verify_the_gates_as_the_shipped_organisations_verify_role(shipped: OrgConfig) -> None:
    gates: dict[str, Any] = load_workflow(CHECKS_WORKFLOW.read_text())["jobs"]["gates"]
    assert gates["steps"] == [
        {
            "name": "Checkout",
            "uses": "actions/checkout@df4cb1c069e1874edd31b4311f1884172cec0e10",
            "with": {"fetch-depth": 0, "persist-credentials": False},
        },
        {
            "name": "Set up Python",
            "uses": "actions/setup-python@a309ff8b426b58ec0e2a45f0f869d46889d02405",
            "with": {"python-version": "3.11"},
        },
        {
            "name": "Install modelops",
            "run": "pip install -r requirements.lock && pip install --no-deps -e .",
        },
        {
            "name": "Authenticate Via OIDC Role",
            "uses": "aws-actions/configure-aws-credentials@e6de054238d6b7531b4efff3b6587d9aade6a06c",
            "with": {
                "aws-region": shipped.region,
                "role-to-assume": naming.github_verify_role_arn(shipped),
                "role-session-name": "verify-${{ github.run_id }}",
                "role-duration-seconds": 900,
            },
        },
        {
            "name": "Check the gates of the changed manifests",
            "env": {"BASE_REF": "${{ github.base_ref }}"},
            "run": 'modelops verify --changed-from "origin/$BASE_REF"',
        },
    ]


# -- the least-privilege proof -----------------------------------------------------------------------------------


def test_deployed_policies_allow_exactly_the_signed_off_matrix(shipped_proof: ProofResult) -> None:
    assert disagreements(shipped_proof, expand(load_matrix(ACCESS_YAML))) == [], (
        "(regenerate with `python -m policies.access_matrix draft cdk.out` and review)"
    )


# -- this module -------------------------------------------------------------------------------------------------


def test_this_module_writes_out_no_value_of_the_sample_organisation() -> None:
    sample = load_org("two_env")
    values = {
        sample.organization.id,
        sample.region,
        *sample.chain,
        *(model.name for model in sample.models),
        *(env.account for env in sample.environments),
        *sample.accounts.model_dump().values(),
    }
    source = Path(__file__).read_text()
    literals = [
        token.string
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.STRING
    ]
    written_out = sorted({value for value in values for literal in literals if value in words(literal)})
    assert written_out == []


def words(literal: str) -> set[str]:
    """The words of a string literal, split where a name, an id or a region ends in an ARN, a path or a sentence;
    hyphenated words count whole and in parts (`fraud-model`, and `uat` of `ModelOps-uat`)."""
    text = literal
    for separator in ":/\"'`{}()[]<>,.;=@# \n":
        text = text.replace(separator, " ")
    whole = set(text.split())
    return whole | {part for word in whole for part in word.split("-")}
