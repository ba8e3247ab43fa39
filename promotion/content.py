"""What a version's bytes are, fixed at registration and checked before every deploy and after it.

A ModelPackage ARN does not fix content: the package points at an S3 URI and an image, the object under
the URI can get a new current version, a tag can move, and since 2024 UpdateModelPackage can change the
InferenceSpecification itself. So registration records what it registered (`promotion.metadata`'s
`content:*` keys): the artifact's S3 version id and SHA-256, and the image by digest (a tag is resolved
through ECR and the package's container is `<repository>@sha256:<digest>`). The manifest carries the same
values beside the ARN, and `content_failures` refuses any difference between the three: manifest, the
package's record and current InferenceSpecification, and the artifact's current S3 version.

An S3 version's bytes never change, and Object Lock keeps every version (see the README), so "the current
version is the registered one" means "the bytes are the registered ones"; the SHA-256 is S3's own for that
version, recorded at registration.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from accounts.validation import InputError
from promotion.metadata import ARTIFACT_SHA256_KEY, ARTIFACT_VERSION_KEY, IMAGE_KEY

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mypy_boto3_s3 import S3Client

ECR_IMAGE = re.compile(
    r"^(?P<registry>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/"
    r"(?P<repository>[a-z0-9][a-z0-9._/-]*)(:(?P<tag>[\w][\w.-]{0,127})|@(?P<digest>sha256:[0-9a-f]{64}))$"
)
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
S3_URI = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(?P<key>.+)$")
READ_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Content:
    """The bytes a version pins: the artifact (URI, S3 version id, SHA-256 in hex) and the image by digest."""

    artifact: str
    artifact_version: str
    artifact_sha256: str
    image: str

    def manifest_fields(self) -> dict[str, str]:
        """The manifest's `content` block (workloads.manifest.ContentPin), in its field order."""
        return {
            "artifact": self.artifact,
            "artifact_version": self.artifact_version,
            "artifact_sha256": self.artifact_sha256,
            "image": self.image,
        }

    def metadata(self) -> dict[str, str]:
        """The `content:*` metadata entries registration writes."""
        return {
            ARTIFACT_VERSION_KEY: self.artifact_version,
            ARTIFACT_SHA256_KEY: self.artifact_sha256,
            IMAGE_KEY: self.image,
        }


@dataclass(frozen=True)
class ArtifactState:
    """The artifact's current S3 version, as HeadObject reports it now (None: no object under the key)."""

    uri: str
    version: str | None
    etag: str | None = None


def split_s3_uri(uri: str) -> tuple[str, str]:
    """`s3://bucket/key` as (bucket, key); ValueError otherwise."""
    match = S3_URI.fullmatch(uri)
    if match is None:
        raise ValueError(f"{uri} is not an s3://<bucket>/<key> URI")
    return match["bucket"], match["key"]


def recorded_content(artifact: str | None, metadata: Mapping[str, str]) -> Content | None:
    """What registration recorded on a version, or None when any part of the record is missing."""
    version, sha256, image = (metadata.get(key) for key in (ARTIFACT_VERSION_KEY, ARTIFACT_SHA256_KEY, IMAGE_KEY))
    if not (artifact and version and sha256 and image):
        return None
    return Content(artifact=artifact, artifact_version=version, artifact_sha256=sha256, image=image)


def _client_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def upload_artifact(s3: S3Client, uri: str, body: bytes, *, own_context_key: str | None = None) -> str:
    """PutObject the artifact create-only: IfNoneMatch='*' (the bucket policy refuses any PutObject under
    `artifacts/` without it, so a key is never overwritten) and a SHA-256 that S3 checks and keeps. Returns
    the new object's version id; InputError when the key exists already.

    `own_context_key` (the artifact key's ARN): encrypt with it without the bucket's S3 Bucket Key, so that
    the object's KMS encryption context is its own ARN rather than the bucket's ("Reducing the cost of SSE-KMS
    with Amazon S3 Bucket Keys", S3 user guide): a key policy can then let a reader decrypt this object alone
    (promotion/report_metrics.py)."""
    bucket, key = split_s3_uri(uri)
    encryption: dict[str, Any] = (
        {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": own_context_key, "BucketKeyEnabled": False}
        if own_context_key
        else {}
    )
    try:
        response = s3.put_object(
            Bucket=bucket, Key=key, Body=body, IfNoneMatch="*", ChecksumAlgorithm="SHA256", **encryption
        )
    except ClientError as exc:
        if _client_code(exc) in {"PreconditionFailed", "412"}:
            raise InputError(
                f"--upload: {uri} exists already; artifacts are write-once, upload under a new key"
            ) from None
        raise
    return str(response.get("VersionId") or "")


def record_artifact(s3: S3Client, uri: str) -> tuple[str, str, str]:
    """The artifact's current (version id, SHA-256 in hex, ETag), read at registration."""
    bucket, key = split_s3_uri(uri)
    try:
        head = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    except ClientError as exc:
        if _client_code(exc) in {"404", "NoSuchKey", "NotFound"}:
            raise InputError(
                f"--artifact: {uri} does not exist; upload it first (`modelops register --upload FILE`)"
            ) from None
        raise
    version = str(head.get("VersionId") or "")
    if not version or version == "null":
        raise InputError(f"--artifact: {uri} has no S3 version id; the artifact bucket must be versioned")
    etag = str(head.get("ETag") or "").strip('"')
    checksum = head.get("ChecksumSHA256")
    if checksum and head.get("ChecksumType", "FULL_OBJECT") == "FULL_OBJECT" and "-" not in checksum:
        # S3's own SHA-256 of the whole object, which it computed and checked when the upload sent
        # ChecksumAlgorithm=SHA256 (as `upload_artifact` does).
        return version, base64.b64decode(checksum).hex(), etag
    # No full-object SHA-256 in S3 (uploaded without one, or a multipart upload's composite checksum): we
    # compute it ourselves from the bytes of exactly the version just read (IfMatch on its ETag).
    digest = hashlib.sha256()
    response = s3.get_object(Bucket=bucket, Key=key, IfMatch=head["ETag"])
    if str(response.get("VersionId") or "") != version:
        raise InputError(f"--artifact: {uri} changed while it was being registered; register again")
    for chunk in iter(lambda: response["Body"].read(READ_CHUNK), b""):
        digest.update(chunk)
    return version, digest.hexdigest(), etag


def pin_image(ecr: Any, image: str) -> str:
    """`image` by digest, `<repository>@sha256:<digest>`: a tag is resolved through ECR DescribeImages, a
    digest is checked to exist there. InputError naming the image when ECR has no such image."""
    match = ECR_IMAGE.fullmatch(image)
    if match is None:
        raise InputError(
            f"--image: {image!r} is not an ECR image; expected "
            "<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag> or @sha256:<digest>"
        )
    repository = image.split("@", 1)[0] if match["digest"] else image.rsplit(":", 1)[0]
    wanted: dict[str, Any] = {"imageDigest": match["digest"]} if match["digest"] else {"imageTag": match["tag"]}
    try:
        details = ecr.describe_images(
            registryId=match["registry"], repositoryName=match["repository"], imageIds=[wanted]
        )["imageDetails"]
    except ClientError as exc:
        if _client_code(exc) in {"ImageNotFoundException", "RepositoryNotFoundException"}:
            raise InputError(f"--image: {image} is not in ECR ({_client_code(exc)})") from None
        raise
    if not details:
        raise InputError(f"--image: {image} is not in ECR")
    return f"{repository}@{details[0]['imageDigest']}"


def artifact_state(s3: S3Client, uri: str) -> ArtifactState:
    """The artifact's current version (HeadObject: s3:GetObject, and no KMS key, is all it needs)."""
    bucket, key = split_s3_uri(uri)
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if _client_code(exc) in {"404", "NoSuchKey", "NotFound"}:
            return ArtifactState(uri=uri, version=None)
        raise
    return ArtifactState(uri=uri, version=str(head.get("VersionId") or ""), etag=str(head.get("ETag") or "").strip('"'))


@dataclass(frozen=True)
class Serving:
    """What a version's package points at now: its container's ModelDataUrl, Image and ModelDataETag."""

    artifact: str | None
    image: str | None
    etag: str | None = None


def served_failures(endpoint: str, served: tuple[tuple[str | None, str | None], ...], pinned: Content) -> list[str]:
    """What an endpoint's models load (their containers' Image and ModelDataUrl, where SageMaker reports
    them) against the manifest's content: one line per difference ([] when they agree or say nothing)."""
    failures: list[str] = []
    for image, artifact in served:
        if image is not None and image != pinned.image:
            failures.append(f"endpoint {endpoint} serves image {image}; the manifest pins {pinned.image}")
        if artifact is not None and artifact != pinned.artifact:
            failures.append(f"endpoint {endpoint} loads {artifact}; the manifest pins {pinned.artifact}")
    return failures


def content_failures(
    label: str,
    *,
    pinned: Content | None,
    recorded: Content | None,
    serving: Serving,
    current: ArtifactState | None,
) -> list[str]:
    """Every difference between what git pins, what registration recorded, what the package points at now
    and the artifact's current S3 version, one line each naming what changed ([] when they all agree)."""
    if recorded is None:
        return [
            f"{label} records no registered content ({ARTIFACT_VERSION_KEY}, {ARTIFACT_SHA256_KEY}, {IMAGE_KEY}); "
            "only versions registered with `modelops register` can be promoted"
        ]
    return (
        _serving_failures(label, recorded, serving)
        + _manifest_failures(label, pinned, recorded)
        + _artifact_failures(label, recorded, serving, current)
    )


def _serving_failures(label: str, recorded: Content, serving: Serving) -> list[str]:
    """UpdateModelPackage can change the InferenceSpecification after approval: the package must still
    point at what was registered."""
    failures: list[str] = []
    if serving.image != recorded.image:
        failures.append(f"{label}: image is now {serving.image or 'none'}, approved {recorded.image}")
    if serving.artifact != recorded.artifact:
        failures.append(f"{label}: artifact is now {serving.artifact or 'none'}, approved {recorded.artifact}")
    return failures


def _manifest_failures(label: str, pinned: Content | None, recorded: Content) -> list[str]:
    """Git's content block must be the version's record, field by field."""
    failures: list[str] = []
    if pinned is None:
        failures.append(
            f"{label}: the manifest pins no content (artifact, version, SHA-256, image digest); "
            "`modelops promote` writes it"
        )
    else:
        for field, shown in (
            ("artifact", "artifact"),
            ("artifact_version", "artifact version"),
            ("artifact_sha256", "artifact SHA-256"),
            ("image", "image"),
        ):
            if getattr(pinned, field) != getattr(recorded, field):
                failures.append(
                    f"{label}: the manifest's {shown} {getattr(pinned, field)} is not the registered "
                    f"{getattr(recorded, field)}"
                )
    return failures


def _artifact_failures(label: str, recorded: Content, serving: Serving, current: ArtifactState | None) -> list[str]:
    """The artifact's current S3 version must be the registered one (a replaced object is a new version)."""
    failures: list[str] = []
    if current is not None:
        if current.version is None:
            failures.append(
                f"{label}: artifact {current.uri} is gone since registration: registered version "
                f"{recorded.artifact_version}"
            )
        elif current.version != recorded.artifact_version:
            failures.append(
                f"{label}: artifact {current.uri} was replaced after registration: current version "
                f"{current.version}, registered {recorded.artifact_version}"
            )
        elif serving.etag and current.etag and serving.etag != current.etag:
            failures.append(f"{label}: artifact {current.uri} has ETag {current.etag}, registered {serving.etag}")
    return failures
