"""Each endpoint execution role reads only its own model's artifacts, through one bucket statement and one key
statement per environment: the role's `modelops:model` tag names the model, and the role's own name must be
`modelops-exec-<env>-<tag>` (shared_services/bucket_policy.py).

Decided by the IAM evaluator over the synthesized templates of the two_env organisation (the proof's universe),
with the role's tags read from the template as the proof reads them.
"""

from __future__ import annotations

import pytest

from accounts import naming
from accounts.config import OrgConfig
from policies.iam.cloudformation.reader import load_deployment
from policies.iam.evaluate import evaluate
from policies.iam.model import Context, Effect, Principal, Request, Resource
from policies.proof.principals import administrator
from policies.proof.universe import Universe, build_universe
from tests.conftest import Synth
from tests.untraced import untraced

BUCKET = "arn:aws:s3:::modelops-artifacts-111111111111-eu-west-1"
OWN = f"{BUCKET}/artifacts/churn-model/model.tar.gz"
OTHER = f"{BUCKET}/artifacts/zz-other/model.tar.gz"
QA_EXEC = "arn:aws:iam::444444444444:role/modelops-exec-qa-churn-model"
QA_EXEC_ID = "modelops-exec-qa-churn-model@qa"
S3_VIA = "s3.eu-west-1.amazonaws.com"


@pytest.fixture(scope="module")
def universe(config: OrgConfig, synth: Synth) -> Universe:
    with untraced():
        return build_universe(config, load_deployment(synth.outdir))


def resource(universe: Universe, arn: str) -> Resource:
    """A swept resource by ARN, or the object as its bucket's policy governs it."""
    found = next((r.resource for r in universe.resources if r.resource.arn == arn), None)
    if found is not None:
        return found
    bucket = next(r.resource for r in universe.resources if r.resource.arn == BUCKET)
    return Resource(arn, bucket.account, bucket.policy)


def artifact_key(universe: Universe) -> Resource:
    return next(r.resource for r in universe.resources if naming.ARTIFACT_KEY_ALIAS in r.aliases)


def deployed(universe: Universe, principal_id: str) -> Principal:
    return next(p.principal for p in universe.principals if p.id == principal_id)


def reads(who: Principal, target: Resource) -> Effect:
    context = Context({"aws:SecureTransport": True})
    return evaluate(Request(who, "s3:GetObject", target, context)).effect


def decrypts(who: Principal, key: Resource) -> Effect:
    context = Context(
        {"kms:ViaService": S3_VIA, "kms:ResourceAliases": [naming.ARTIFACT_KEY_ALIAS], "aws:SecureTransport": True}
    )
    return evaluate(Request(who, "kms:Decrypt", key, context)).effect


def impostor(tags: dict[str, str] | None, name: str = QA_EXEC) -> Principal:
    """A role a qa administrator could create: allowed everything by its own policies, so only the bucket and
    key policies decide."""
    return Principal.role(
        name, session="SageMaker", role_tags=tags, identity_policies=[administrator("qa administrator's role")]
    )


def test_each_execution_role_carries_its_model_as_a_tag_in_the_template(universe: Universe) -> None:
    tags = {p.id: dict(p.principal.role_tags) for p in universe.principals if p.id.startswith(naming.PREFIX + "-exec-")}

    assert tags == {
        "modelops-exec-prod-churn-model@prod": {"modelops:model": "churn-model"},
        "modelops-exec-qa-churn-model@qa": {"modelops:model": "churn-model"},
        # A stand-in for a later model's role, named by the ECR repository's pattern: not ours, untagged.
        "modelops-exec-prod-sample@prod": {},
        "modelops-exec-qa-sample@qa": {},
    }


def test_an_execution_role_reads_its_own_models_artifacts_and_decrypts_them_through_s3(universe: Universe) -> None:
    role = deployed(universe, QA_EXEC_ID)

    assert (reads(role, resource(universe, OWN)), decrypts(role, artifact_key(universe))) == (
        Effect.ALLOW,
        Effect.ALLOW,
    )


def test_an_execution_role_reads_no_other_models_artifacts(universe: Universe) -> None:
    assert reads(deployed(universe, QA_EXEC_ID), resource(universe, OTHER)) is Effect.IMPLICIT_DENY


def test_a_role_named_for_one_model_but_tagged_for_another_reads_neither(universe: Universe) -> None:
    """Retagging gains nothing: the tag no longer matches the role's own name."""
    role = impostor({naming.MODEL_TAG_KEY: "zz-other"})

    assert [reads(role, resource(universe, arn)) for arn in (OWN, OTHER)] == [Effect.IMPLICIT_DENY] * 2
    assert decrypts(role, artifact_key(universe)) is Effect.IMPLICIT_DENY


def test_an_untagged_execution_role_reads_nothing(universe: Universe) -> None:
    """A policy variable with no value matches nothing."""
    role = impostor(None)

    assert [reads(role, resource(universe, arn)) for arn in (OWN, OTHER)] == [Effect.IMPLICIT_DENY] * 2
    assert decrypts(role, artifact_key(universe)) is Effect.IMPLICIT_DENY


def test_a_role_of_another_name_tagged_with_a_configured_model_reads_nothing(universe: Universe) -> None:
    role = impostor({naming.MODEL_TAG_KEY: "churn-model"}, name="arn:aws:iam::444444444444:role/payments-reader")

    assert reads(role, resource(universe, OWN)) is Effect.IMPLICIT_DENY
    assert decrypts(role, artifact_key(universe)) is Effect.IMPLICIT_DENY


def test_an_execution_role_of_another_environment_account_reads_nothing_as_qa(universe: Universe) -> None:
    """The name binds the environment too: a prod-named role in qa's account matches neither statement."""
    role = impostor(
        {naming.MODEL_TAG_KEY: "churn-model"}, name="arn:aws:iam::444444444444:role/modelops-exec-prod-churn-model"
    )

    assert reads(role, resource(universe, OWN)) is Effect.IMPLICIT_DENY
