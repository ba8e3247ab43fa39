"""S3: the IAM action of each operation ("Amazon S3 API operations and their required permissions"),
on the bucket (`arn:aws:s3:::<bucket>`) or the object (`arn:aws:s3:::<bucket>/<key>`), owned by the
bucket's account, with the condition keys the bucket policy tests: s3:if-none-match (the If-None-Match
header), s3:ObjectCreationOperation (true for the operations that create an object: "Condition keys for
Amazon S3"), s3:x-amz-server-side-encryption*, s3:prefix on listings, and s3:VersionId where a version is
named.
"""

from __future__ import annotations

from typing import Any

from moto.s3.models import s3_backends

from sandbox.authorization.calls import Call
from sandbox.authorization.catalog.common import Check, Mapper, Scope, param
from sandbox.authorization.catalog.data import key_aliases, key_arn

# Operation -> (action, the action when a versionId is given).
OBJECT_ACTIONS: dict[str, tuple[str, str]] = {
    "PutObject": ("s3:PutObject", "s3:PutObject"),
    "CreateMultipartUpload": ("s3:PutObject", "s3:PutObject"),
    "UploadPart": ("s3:PutObject", "s3:PutObject"),
    "CompleteMultipartUpload": ("s3:PutObject", "s3:PutObject"),
    "AbortMultipartUpload": ("s3:AbortMultipartUpload", "s3:AbortMultipartUpload"),
    "GetObject": ("s3:GetObject", "s3:GetObjectVersion"),
    "HeadObject": ("s3:GetObject", "s3:GetObjectVersion"),
    "GetObjectAttributes": ("s3:GetObjectAttributes", "s3:GetObjectVersionAttributes"),
    "DeleteObject": ("s3:DeleteObject", "s3:DeleteObjectVersion"),
    "PutObjectRetention": ("s3:PutObjectRetention", "s3:PutObjectRetention"),
    "GetObjectRetention": ("s3:GetObjectRetention", "s3:GetObjectRetention"),
    "PutObjectLegalHold": ("s3:PutObjectLegalHold", "s3:PutObjectLegalHold"),
    "GetObjectLegalHold": ("s3:GetObjectLegalHold", "s3:GetObjectLegalHold"),
    "GetObjectTagging": ("s3:GetObjectTagging", "s3:GetObjectVersionTagging"),
    "PutObjectTagging": ("s3:PutObjectTagging", "s3:PutObjectVersionTagging"),
}
CREATES_OBJECT = frozenset(
    {"PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "CopyObject"}
)
BUCKET_ACTIONS: dict[str, str] = {
    "CreateBucket": "s3:CreateBucket",
    "DeleteBucket": "s3:DeleteBucket",
    "HeadBucket": "s3:ListBucket",
    "ListObjects": "s3:ListBucket",
    "ListObjectsV2": "s3:ListBucket",
    "ListObjectVersions": "s3:ListBucketVersions",
    "ListMultipartUploads": "s3:ListBucketMultipartUploads",
    "GetBucketLocation": "s3:GetBucketLocation",
    "GetBucketPolicy": "s3:GetBucketPolicy",
    "PutBucketPolicy": "s3:PutBucketPolicy",
    "DeleteBucketPolicy": "s3:DeleteBucketPolicy",
    "GetBucketVersioning": "s3:GetBucketVersioning",
    "PutBucketVersioning": "s3:PutBucketVersioning",
    "GetObjectLockConfiguration": "s3:GetBucketObjectLockConfiguration",
    "PutObjectLockConfiguration": "s3:PutBucketObjectLockConfiguration",
    "GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "PutBucketEncryption": "s3:PutEncryptionConfiguration",
    "GetBucketTagging": "s3:GetBucketTagging",
    "PutBucketTagging": "s3:PutBucketTagging",
    "GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
    "PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
}
HEADER_KEYS = (
    ("if-none-match", "s3:if-none-match"),
    ("x-amz-server-side-encryption", "s3:x-amz-server-side-encryption"),
    ("x-amz-server-side-encryption-aws-kms-key-id", "s3:x-amz-server-side-encryption-aws-kms-key-id"),
    ("x-amz-object-lock-mode", "s3:object-lock-mode"),
    ("x-amz-object-lock-retain-until-date", "s3:object-lock-retain-until-date"),
    ("x-amz-bypass-governance-retention", "s3:object-lock-remaining-retention-days"),
)


def bucket_account(bucket: str, scope: Scope) -> str:
    """The account that owns `bucket`; a bucket that does not exist yet is the caller's to create."""
    owner = s3_backends.bucket_accounts.get(bucket)
    return owner[1] if owner is not None else scope.account


def _headers_context(call: Call) -> dict[str, str]:
    return {key: call.headers[header] for header, key in HEADER_KEYS if header in call.headers}


def object_call(call: Call, scope: Scope) -> list[Check]:
    """S3 object operations on the object's ARN, with the header keys, and the KMS call S3 makes."""
    bucket, key = param(call, "Bucket"), param(call, "Key")
    account = bucket_account(bucket, scope)
    version = call.params.get("VersionId")
    plain, versioned = OBJECT_ACTIONS[call.operation]
    context: dict[str, str] = _headers_context(call)
    if call.operation in CREATES_OBJECT:
        context["s3:ObjectCreationOperation"] = "true"
    if version:
        context["s3:VersionId"] = version
    check = Check(versioned if version else plain, f"arn:{scope.partition}:s3:::{bucket}/{key}", account, context)
    return [check, *kms_checks(call, scope, bucket, key, account)]


# The KMS calls S3 makes with the caller's permissions for an SSE-KMS object ("Using server-side encryption
# with AWS KMS keys", S3 user guide: uploading needs kms:GenerateDataKey, reading kms:Decrypt), which a key
# policy or identity policy can scope with kms:ViaService and kms:ResourceAliases.
KMS_ON_UPLOAD = frozenset({"PutObject", "CreateMultipartUpload"})
KMS_ON_READ = frozenset({"GetObject"})


def kms_checks(call: Call, scope: Scope, bucket: str, key: str, account: str) -> list[Check]:
    """The KMS authorizations S3 makes on the caller's behalf for this object call, if it is SSE-KMS."""
    if call.operation in KMS_ON_UPLOAD:
        action, key_id = "kms:GenerateDataKey", _upload_key(call, bucket)
        own_context = call.headers.get("x-amz-server-side-encryption-bucket-key-enabled", "").lower() == "false"
    elif call.operation in KMS_ON_READ:
        action, key_id = "kms:Decrypt", _object_key(bucket, key, call.params.get("VersionId"))
        own_context = _without_bucket_key(bucket, key, call.params.get("VersionId"))
    else:
        return []
    if not key_id:
        return []
    key_scope = Scope(account, scope.region, scope.partition)
    arn, key_account = key_arn(key_scope, key_id)
    context = {
        "kms:ViaService": f"s3.{scope.region}.amazonaws.com",
        "kms:ResourceAliases": key_aliases(arn),
        # With an S3 Bucket Key the context is the bucket's ARN; an object stored without one has its own
        # ("Reducing the cost of SSE-KMS with Amazon S3 Bucket Keys", "Encryption context", S3 user guide).
        "kms:EncryptionContext:aws:s3:arn": f"arn:{scope.partition}:s3:::{bucket}" + (f"/{key}" if own_context else ""),
    }
    return [Check(action, arn, key_account, context)]


def _upload_key(call: Call, bucket: str) -> str | None:
    if call.headers.get("x-amz-server-side-encryption") == "aws:kms":
        return call.headers.get("x-amz-server-side-encryption-aws-kms-key-id") or _default_key(bucket)
    if "x-amz-server-side-encryption" in call.headers:
        return None  # SSE-S3 asked for explicitly
    return _default_key(bucket)


def _default_key(bucket: str) -> str | None:
    """The bucket's default SSE-KMS key, if its default encryption is aws:kms."""
    owner = s3_backends.bucket_accounts.get(bucket)
    if owner is None:
        return None
    found = s3_backends[owner[1]][owner[0]].buckets.get(bucket)
    return _kms_master_key(getattr(found, "encryption", None))


def _kms_master_key(node: Any) -> str | None:
    if isinstance(node, dict):
        if node.get("SSEAlgorithm") == "aws:kms":
            return str(node.get("KMSMasterKeyID") or "alias/aws/s3")
        for value in node.values():
            found = _kms_master_key(value)
            if found:
                return found
    if isinstance(node, list):
        for value in node:
            found = _kms_master_key(value)
            if found:
                return found
    return None


def _without_bucket_key(bucket: str, key: str, version: str | None) -> bool:
    """The object was stored with BucketKeyEnabled false (moto keeps the header's text, or the bucket's default)."""
    found = _stored(bucket, key, version)
    return found is not None and str(getattr(found, "bucket_key_enabled", "")).lower() == "false"


def _stored(bucket: str, key: str, version: str | None) -> Any:
    owner = s3_backends.bucket_accounts.get(bucket)
    if owner is None:
        return None
    try:
        return s3_backends[owner[1]][owner[0]].get_object(bucket, key, version_id=version)
    except Exception:  # no such object: S3 answers NoSuchKey before any KMS call
        return None


def _object_key(bucket: str, key: str, version: str | None) -> str | None:
    owner = s3_backends.bucket_accounts.get(bucket)
    if owner is None:
        return None
    try:
        found = s3_backends[owner[1]][owner[0]].get_object(bucket, key, version_id=version)
    except Exception:  # no such object: S3 answers NoSuchKey before any KMS call
        return None
    if found is None or getattr(found, "encryption", None) != "aws:kms":
        return None
    return str(found.kms_key_id) if found.kms_key_id else None


def copy_object(call: Call, scope: Scope) -> list[Check]:
    """CopyObject: PutObject on the target and GetObject on the source."""
    source = str(param(call, "CopySource")).lstrip("/").split("?", 1)[0]
    source_bucket = source.split("/", 1)[0]
    return [
        *object_call_as(call, scope, "s3:PutObject"),
        Check("s3:GetObject", f"arn:{scope.partition}:s3:::{source}", bucket_account(source_bucket, scope)),
    ]


def object_call_as(call: Call, scope: Scope, action: str) -> list[Check]:
    """An object operation authorized as `action` on the object (creation keys set)."""
    bucket, key = param(call, "Bucket"), param(call, "Key")
    context = {**_headers_context(call), "s3:ObjectCreationOperation": "true"}
    return [Check(action, f"arn:{scope.partition}:s3:::{bucket}/{key}", bucket_account(bucket, scope), context)]


def bucket_call(call: Call, scope: Scope) -> list[Check]:
    """S3 bucket operations on the bucket's ARN (s3:prefix on listings)."""
    bucket = param(call, "Bucket")
    context: dict[str, str] = {}
    if call.operation in ("ListObjects", "ListObjectsV2", "ListObjectVersions") and call.params.get("Prefix"):
        context["s3:prefix"] = call.params["Prefix"]
    return [
        Check(
            BUCKET_ACTIONS[call.operation],
            f"arn:{scope.partition}:s3:::{bucket}",
            bucket_account(bucket, scope),
            context,
        )
    ]


def list_buckets(_call: Call, scope: Scope) -> list[Check]:
    """ListBuckets, on *."""
    return [Check("s3:ListAllMyBuckets", "*", scope.account)]


S3: dict[str, Mapper] = {
    **dict.fromkeys(OBJECT_ACTIONS, object_call),
    **dict.fromkeys(BUCKET_ACTIONS, bucket_call),
    "CopyObject": copy_object,
    "ListBuckets": list_buckets,
}
