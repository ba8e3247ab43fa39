"""An approved artifact cannot be replaced or removed: the synthesized bucket policy, evaluated for every
principal of the proof's universe (the two_env organisation), with requests the matrix's additive sweep does
not combine (a Deny whose two keys must both hold). moto evaluates no bucket policy, so this is where the
rule is proven; the sandbox tests show the gates catching a replaced object when the policy is absent.

S3 conditional writes: https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes-enforce.html
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from accounts.config import OrgConfig
from policies.iam.cloudformation.reader import load_deployment
from policies.iam.evaluate import evaluate
from policies.iam.model import Context, Effect, Request
from policies.proof.principals import ProofPrincipal
from policies.proof.resources import ProofResource
from policies.proof.universe import Universe, build_universe
from shared_services.bucket_policy import ARTIFACT_REMOVAL_ACTIONS
from tests.conftest import Synth
from tests.untraced import untraced

BUCKET = "modelops-artifacts-111111111111-eu-west-1"
KEY_ARN = "arn:aws:kms:eu-west-1:111111111111:key/artifacts-key"
DATA_SCIENCE = "modelops-data-science@data-science"
# A PutObject as the SDK sends it, encrypted with the artifact key over TLS; a whole-object creation
# (PutObject or CompleteMultipartUpload: s3:ObjectCreationOperation true).
UPLOAD: dict[str, str | bool | Sequence[str]] = {
    "aws:SecureTransport": True,
    "s3:ObjectCreationOperation": True,
    "s3:x-amz-server-side-encryption": "aws:kms",
    "s3:x-amz-server-side-encryption-aws-kms-key-id": KEY_ARN,
}
CREATE_ONLY = {**UPLOAD, "s3:if-none-match": "*"}


@pytest.fixture(scope="module")
def universe(config: OrgConfig, synth: Synth) -> Universe:
    with untraced():
        return build_universe(config, load_deployment(synth.outdir))


def artifact(universe: Universe, key: str) -> ProofResource:
    arn = f"arn:aws:s3:::{BUCKET}/{key}"
    return next(r for r in universe.resources if r.resource.arn == arn)


def principal(universe: Universe, principal_id: str) -> ProofPrincipal:
    return next(p for p in universe.principals if p.id == principal_id)


def decide(
    who: ProofPrincipal, action: str, target: ProofResource, context: Mapping[str, str | bool | Sequence[str]]
) -> Effect:
    return evaluate(Request(who.principal, action, target.resource, Context(context))).effect


def test_data_science_uploads_a_new_artifact_only_create_only(universe: Universe) -> None:
    """The control: the one writer is allowed with If-None-Match (S3 then refuses an existing key), and the
    same request without it is denied by the bucket policy's overwrite rule."""
    target = artifact(universe, "artifacts/churn-model/sample")
    scientist = principal(universe, DATA_SCIENCE)
    without = evaluate(Request(scientist.principal, "s3:PutObject", target.resource, Context(UPLOAD)))

    assert decide(scientist, "s3:PutObject", target, CREATE_ONLY) is Effect.ALLOW
    assert without.effect is Effect.EXPLICIT_DENY
    assert [ref.sid for ref in without.statements] == ["DenyOverwritingArtifacts"]


def test_nobody_puts_an_artifact_without_if_none_match(universe: Universe) -> None:
    """Overwriting a key creates a new current version, which SageMaker would load: denied for every
    principal, administrators included."""
    target = artifact(universe, "artifacts/churn-model/sample")
    allowed = [p.id for p in universe.principals if decide(p, "s3:PutObject", target, UPLOAD) is Effect.ALLOW]

    assert allowed == []
    assert len(universe.principals) > 40


def test_the_multipart_parts_are_exempt_from_the_overwrite_rule(universe: Universe) -> None:
    """CreateMultipartUpload and UploadPart cannot carry If-None-Match (ObjectCreationOperation false); the
    CompleteMultipartUpload that creates the object must."""
    target = artifact(universe, "artifacts/churn-model/sample")
    part = {**UPLOAD, "s3:ObjectCreationOperation": False}

    assert decide(principal(universe, DATA_SCIENCE), "s3:PutObject", target, part) is Effect.ALLOW


@pytest.mark.parametrize("action", ARTIFACT_REMOVAL_ACTIONS)
def test_nobody_deletes_an_artifact_version_or_loosens_its_lock(universe: Universe, action: str) -> None:
    target = artifact(universe, "artifacts/churn-model/sample")
    context = {"aws:SecureTransport": True}
    allowed = [p.id for p in universe.principals if decide(p, action, target, context) is Effect.ALLOW]

    assert allowed == []


def test_an_upload_cannot_choose_its_own_retention(universe: Universe) -> None:
    """A COMPLIANCE date of the uploader's choosing could end the protection early: the default applies."""
    target = artifact(universe, "artifacts/churn-model/sample")
    own_lock = {**CREATE_ONLY, "s3:object-lock-mode": "COMPLIANCE"}

    assert decide(principal(universe, DATA_SCIENCE), "s3:PutObject", target, own_lock) is Effect.EXPLICIT_DENY


@pytest.mark.parametrize("key", ["artifacts/sample", "sample"])
def test_data_science_writes_only_the_models_upload_areas(universe: Universe, key: str) -> None:
    """`artifacts/<model>/*`, nowhere else in the bucket."""
    target = artifact(universe, key)

    assert decide(principal(universe, DATA_SCIENCE), "s3:PutObject", target, CREATE_ONLY) is not Effect.ALLOW


def test_data_science_may_upload_under_any_models_prefix_which_nothing_reads_unless_configured(
    universe: Universe,
) -> None:
    """`artifacts/*/*`, one pattern whatever the number of models (a role's inline policies are capped at
    10,240 characters). Create-only, like every upload; an unconfigured name's object is read by no one: no
    model package group (only the deploy path creates one) and no execution role carries its name."""
    target = artifact(universe, "artifacts/zz-other/sample")

    assert decide(principal(universe, DATA_SCIENCE), "s3:PutObject", target, CREATE_ONLY) is Effect.ALLOW
