"""What was approved is what runs: the bytes a version was registered with are pinned in git beside its ARN,
and `promote`, `verify` and the post-deploy read-back refuse any change to them, naming what changed.

Each attack of issue 10 on the content is one test here; moto evaluates no bucket policy, so the replaced
object is a plain PutObject (the bucket policy that refuses it in AWS is proven in
tests/test_artifact_immutability.py).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from accounts.validation import InputError
from promotion import post_deploy
from promotion.aws import AwsContext
from promotion.content import (
    ArtifactState,
    Content,
    Serving,
    content_failures,
    pin_image,
    record_artifact,
    served_failures,
)
from promotion.deploy_roles import EnvironmentRoles
from promotion.errors import CheckFailed, GateFailed
from promotion.metadata import check_registration_keys
from promotion.promote import promote
from promotion.verify import verify
from tests.promotion_support import ARTIFACT, ARTIFACT_BUCKET, IMAGE, IMAGE_REPOSITORY, LocalAws
from workloads.manifest import load_environment, load_manifest

ARN = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-model/{}"
V1_ARTIFACT = ARTIFACT.format(model="churn-model", n=1)
OTHER_DIGEST = "sha256:" + "f" * 64


def registered(local_aws: LocalAws, arn: str) -> dict[str, str]:
    return dict(local_aws.sagemaker().describe_model_package(ModelPackageName=arn)["CustomerMetadataProperties"])


def run_promote(local_aws: LocalAws, workloads: Path, tmp_path: Path, env: str = "qa") -> None:
    promote(
        AwsContext(local_aws.config),
        local_aws.config,
        workloads,
        model="churn-model",
        env=env,
        version=1,
        pr_body_file=tmp_path / "pr.md",
    )


def refused(raised: pytest.ExceptionInfo[GateFailed]) -> list[str]:
    return list(raised.value.failures)


# -- registration fixes the bytes ---------------------------------------------------------------------


def test_registration_records_the_artifact_version_its_sha256_and_the_image_by_digest(local_aws: LocalAws) -> None:
    arn = local_aws.register(n=1)
    described = local_aws.sagemaker().describe_model_package(ModelPackageName=arn)
    s3 = local_aws.admin("111111111111").client("s3", region_name="eu-west-1")
    head = s3.head_object(
        Bucket="modelops-artifacts-111111111111-eu-west-1", Key="artifacts/churn-model/v1/model.tar.gz"
    )
    digest = pin_image(local_aws.admin("111111111111").client("ecr", region_name="eu-west-1"), IMAGE)

    assert digest.startswith(f"{IMAGE_REPOSITORY}@sha256:")
    assert {k: v for k, v in described["CustomerMetadataProperties"].items() if k.startswith("content:")} == {
        "content:artifact-version": head["VersionId"],
        "content:artifact-sha256": hashlib.sha256(b"churn-model v1 weights").hexdigest(),
        "content:image": digest,
    }
    # The tag (churn-model-1.0) is gone from the package: it names the image by digest.
    assert described["InferenceSpecification"]["Containers"][0]["Image"] == digest


def test_a_digest_image_stays_as_given_and_an_unknown_tag_is_refused(local_aws: LocalAws) -> None:
    ecr = local_aws.data_scientist().client("ecr", region_name="eu-west-1")
    digest = pin_image(ecr, IMAGE)

    assert pin_image(ecr, digest) == digest
    with pytest.raises(InputError) as raised:
        pin_image(ecr, f"{IMAGE_REPOSITORY}:no-such-tag")
    assert str(raised.value) == f"--image: {IMAGE_REPOSITORY}:no-such-tag is not in ECR (ImageNotFoundException)"


def test_an_existing_artifact_key_is_never_overwritten_by_an_upload(local_aws: LocalAws) -> None:
    local_aws.register(n=1)
    with pytest.raises(InputError) as raised:
        local_aws.upload(V1_ARTIFACT, b"other weights")
    assert str(raised.value) == (
        f"--upload: {V1_ARTIFACT} exists already; artifacts are write-once, upload under a new key"
    )


# -- promote: the manifest carries the digests, the PR shows them ---------------------------------------


def test_promote_pins_the_registered_content_beside_the_arn_and_the_pr_shows_it(
    local_aws: LocalAws, workloads: Path, tmp_path: Path
) -> None:
    arn = local_aws.approved(n=1)
    metadata = registered(local_aws, arn)
    run_promote(local_aws, workloads, tmp_path)
    manifest = load_manifest(workloads / "qa" / "churn-model.yaml", local_aws.config)
    body = (tmp_path / "pr.md").read_text().splitlines()

    assert manifest.content is not None
    assert manifest.content.model_dump() == {
        "artifact": V1_ARTIFACT,
        "artifact_version": metadata["content:artifact-version"],
        "artifact_sha256": metadata["content:artifact-sha256"],
        "image": metadata["content:image"],
    }
    start = body.index("### Content")
    assert body[start + 1 : start + 7] == [
        "| pinned | value |",
        "| --- | --- |",
        f"| artifact | `{V1_ARTIFACT}` |",
        f"| artifact S3 version | `{metadata['content:artifact-version']}` |",
        f"| artifact SHA-256 | `{metadata['content:artifact-sha256']}` |",
        f"| image | `{metadata['content:image']}` |",
    ]


# -- the attacks -----------------------------------------------------------------------------------------


def test_an_artifact_replaced_after_approval_is_refused_by_promote(
    local_aws: LocalAws, workloads: Path, tmp_path: Path
) -> None:
    arn = local_aws.approved(n=1)
    registered_version = registered(local_aws, arn)["content:artifact-version"]
    current = local_aws.replace_artifact(V1_ARTIFACT)
    before = (workloads / "qa" / "churn-model.yaml").read_text()

    with pytest.raises(GateFailed) as raised:
        run_promote(local_aws, workloads, tmp_path)

    assert refused(raised) == [
        f"content: churn-model v1: artifact {V1_ARTIFACT} was replaced after registration: current version "
        f"{current}, registered {registered_version}"
    ]
    assert (workloads / "qa" / "churn-model.yaml").read_text() == before


def test_an_artifact_replaced_after_promotion_is_refused_by_verify(
    local_aws: LocalAws, workloads: Path, tmp_path: Path
) -> None:
    arn = local_aws.approved(n=1)
    local_aws.pin(workloads, "qa", arn)
    registered_version = registered(local_aws, arn)["content:artifact-version"]
    assert verify(AwsContext(local_aws.config), local_aws.config, workloads, envs=["qa"])[1] == []

    current = local_aws.replace_artifact(V1_ARTIFACT)
    _, failures = verify(AwsContext(local_aws.config), local_aws.config, workloads, envs=["qa"])

    assert [(f.rule, f.message) for f in failures] == [
        (
            "content",
            f"churn-model v1: artifact {V1_ARTIFACT} was replaced after registration: current version {current}, "
            f"registered {registered_version}",
        )
    ]


def test_an_inference_specification_changed_after_approval_is_refused(
    local_aws: LocalAws, workloads: Path, tmp_path: Path
) -> None:
    """Since 2024 UpdateModelPackage can change InferenceSpecification: the ARN no longer fixes the content."""
    arn = local_aws.approved(n=1)
    local_aws.pin(workloads, "qa", arn)
    approved_image = registered(local_aws, arn)["content:image"]
    swapped = f"{IMAGE_REPOSITORY}@{OTHER_DIGEST}"
    local_aws.sagemaker().update_model_package(
        ModelPackageArn=arn,
        InferenceSpecification={
            "Containers": [{"Image": swapped, "ModelDataUrl": V1_ARTIFACT}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )

    _, failures = verify(AwsContext(local_aws.config), local_aws.config, workloads, envs=["qa"])
    with pytest.raises(GateFailed) as raised:
        run_promote(local_aws, workloads, tmp_path, env="qa")

    message = f"churn-model v1: image is now {swapped}, approved {approved_image}"
    assert [(f.rule, f.message) for f in failures] == [("content", message)]
    assert refused(raised) == [f"content: {message}"]


def test_a_manifest_whose_digest_differs_from_the_registered_one_is_refused(
    local_aws: LocalAws, workloads: Path
) -> None:
    arn = local_aws.approved(n=1)
    local_aws.pin(workloads, "qa", arn)
    path = workloads / "qa" / "churn-model.yaml"
    sha = registered(local_aws, arn)["content:artifact-sha256"]
    path.write_text(path.read_text().replace(sha, "e" * 64))

    _, failures = verify(AwsContext(local_aws.config), local_aws.config, workloads, envs=["qa"])

    assert [(f.rule, f.message) for f in failures] == [
        ("content", f"churn-model v1: the manifest's artifact SHA-256 {'e' * 64} is not the registered {sha}")
    ]


def test_a_version_registered_without_a_content_record_is_refused(
    local_aws: LocalAws, workloads: Path, tmp_path: Path
) -> None:
    arn = local_aws.approved(n=1)
    local_aws.sagemaker().update_model_package(
        ModelPackageArn=arn,
        CustomerMetadataPropertiesToRemove=["content:artifact-version", "content:artifact-sha256", "content:image"],
    )
    with pytest.raises(GateFailed) as raised:
        run_promote(local_aws, workloads, tmp_path)
    assert refused(raised) == [
        "content: churn-model v1 records no registered content (content:artifact-version, content:artifact-sha256, "
        "content:image); only versions registered with `modelops register` can be promoted"
    ]


def test_the_post_deploy_read_back_refuses_a_replaced_artifact(local_aws: LocalAws, workloads: Path) -> None:
    """After the deploy, before the live record: SageMaker reloads the artifact on every scale-out."""
    arn = local_aws.approved(n=1)
    local_aws.pin(workloads, "qa", arn)
    registered_version = registered(local_aws, arn)["content:artifact-version"]
    roles = EnvironmentRoles(AwsContext(local_aws.config), local_aws.config, "qa", lambda _message: None)
    manifests = load_environment(local_aws.config, "qa", workloads)
    post_deploy.read_back_content(roles, manifests)  # untouched: nothing to say

    current = local_aws.replace_artifact(V1_ARTIFACT)
    with pytest.raises(CheckFailed) as raised:
        post_deploy.read_back_content(roles, manifests)

    assert str(raised.value) == (
        f"read-back: churn-model v1: artifact {V1_ARTIFACT} was replaced after registration: current version "
        f"{current}, registered {registered_version}; the live record was not updated"
    )


# -- the comparison, one rule at a time -------------------------------------------------------------------


RECORDED = Content(
    artifact=V1_ARTIFACT,
    artifact_version="v-1",
    artifact_sha256="a" * 64,
    image=f"{IMAGE_REPOSITORY}@sha256:" + "b" * 64,
)


@pytest.mark.parametrize(
    ("serving", "current", "message"),
    [
        (
            Serving(artifact=V1_ARTIFACT.replace("v1", "v9"), image=RECORDED.image),
            None,
            f"churn-model v1: artifact is now {V1_ARTIFACT.replace('v1', 'v9')}, approved {V1_ARTIFACT}",
        ),
        (
            Serving(artifact=V1_ARTIFACT, image=None),
            None,
            f"churn-model v1: image is now none, approved {RECORDED.image}",
        ),
        (
            Serving(artifact=V1_ARTIFACT, image=RECORDED.image),
            {"version": None},
            f"churn-model v1: artifact {V1_ARTIFACT} is gone since registration: registered version v-1",
        ),
        (
            Serving(artifact=V1_ARTIFACT, image=RECORDED.image, etag="e1"),
            {"version": "v-1", "etag": "e2"},
            f"churn-model v1: artifact {V1_ARTIFACT} has ETag e2, registered e1",
        ),
    ],
    ids=["artifact-moved", "image-dropped", "artifact-deleted", "etag-changed"],
)
def test_each_difference_is_named_in_one_line(serving: Serving, current: dict[str, Any] | None, message: str) -> None:
    state = ArtifactState(uri=V1_ARTIFACT, **current) if current is not None else None
    assert content_failures("churn-model v1", pinned=RECORDED, recorded=RECORDED, serving=serving, current=state) == [
        message
    ]


def test_what_an_endpoints_model_loads_is_checked_where_sagemaker_reports_it() -> None:
    """DescribeModel's container Image and ModelDataUrl, when present, must be the manifest's; absent (a
    model that names only its package), the package's record and S3 are checked instead."""
    moved = V1_ARTIFACT.replace("v1", "v9")
    swapped = f"{IMAGE_REPOSITORY}@{OTHER_DIGEST}"

    assert served_failures("churn-model", ((None, None), (RECORDED.image, RECORDED.artifact)), RECORDED) == []
    assert served_failures("churn-model", ((swapped, moved),), RECORDED) == [
        f"endpoint churn-model serves image {swapped}; the manifest pins {RECORDED.image}",
        f"endpoint churn-model loads {moved}; the manifest pins {V1_ARTIFACT}",
    ]


def test_identical_content_has_nothing_to_say() -> None:
    serving = Serving(artifact=RECORDED.artifact, image=RECORDED.image)
    state = ArtifactState(uri=V1_ARTIFACT, version="v-1")
    assert content_failures("churn-model v1", pinned=RECORDED, recorded=RECORDED, serving=serving, current=state) == []


# -- registration's own refusals ----------------------------------------------------------------------------


def test_registration_keys_are_metrics_and_exactly_the_content_record() -> None:
    content = dict.fromkeys(("content:artifact-version", "content:artifact-sha256", "content:image"), "x")
    check_registration_keys({"metric:auc": "0.9", **content})
    with pytest.raises(ValueError, match="registration writes only") as other:
        check_registration_keys({**content, "approval:qa:decision": "Approved"})
    with pytest.raises(ValueError, match="registration must record it") as missing:
        check_registration_keys({"metric:auc": "0.9", "content:artifact-version": "x", "content:image": "x"})

    assert str(other.value) == (
        "metadata key 'approval:qa:decision': registration writes only metric:<name> keys and "
        "content:artifact-version, content:artifact-sha256, content:image, lineage:data, lineage:data-version, "
        "lineage:evaluation-version, lineage:evaluation-sha256"
    )
    assert str(missing.value) == (
        "metadata key 'content:artifact-sha256': registration must record it (what was registered)"
    )


def test_an_artifact_that_is_not_there_or_not_versioned_is_refused(local_aws: LocalAws) -> None:
    s3 = local_aws.admin("111111111111").client("s3", region_name="eu-west-1")
    missing = ARTIFACT.format(model="churn-model", n=404)
    s3.create_bucket(Bucket="unversioned-artifacts", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_object(Bucket="unversioned-artifacts", Key="model.tar.gz", Body=b"x")

    with pytest.raises(InputError) as absent:
        record_artifact(s3, missing)
    with pytest.raises(InputError) as unversioned:
        record_artifact(s3, "s3://unversioned-artifacts/model.tar.gz")

    assert str(absent.value) == (
        f"--artifact: {missing} does not exist; upload it first (`modelops register --upload FILE`)"
    )
    assert str(unversioned.value) == (
        "--artifact: s3://unversioned-artifacts/model.tar.gz has no S3 version id; the artifact bucket must be "
        "versioned"
    )


def test_an_artifact_uploaded_without_a_checksum_is_hashed_from_its_bytes(local_aws: LocalAws) -> None:
    """S3 keeps no SHA-256 for an object uploaded without ChecksumAlgorithm: registration computes it."""
    s3 = local_aws.admin("111111111111").client("s3", region_name="eu-west-1")
    uri = ARTIFACT.format(model="churn-model", n=77)
    version = s3.put_object(Bucket=ARTIFACT_BUCKET, Key="artifacts/churn-model/v77/model.tar.gz", Body=b"bytes")[
        "VersionId"
    ]

    assert record_artifact(s3, uri)[:2] == (version, hashlib.sha256(b"bytes").hexdigest())
