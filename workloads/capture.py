"""The workload account's data-capture bucket: what endpoints saw and answered, kept for model monitoring."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from accounts import naming

_LOG_BUCKET_SKIPS = [
    {"id": "CKV_AWS_18", "comment": "This is the access-log target; logging it into itself would loop."},
]


class CaptureBucket(Construct):
    """A KMS-encrypted, versioned, TLS-only, private bucket for data capture (and, with `log_prefix` "batch/",
    for batch inference: workloads/batch.py), with server access logs.

    Both buckets are retained when the stack or the last capturing model goes away: captured inference
    traffic is evidence a bank keeps under its own retention rules, not something a deploy deletes.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, key: kms.IKey, bucket_name: str, log_prefix: str = "datacapture/"
    ) -> None:
        super().__init__(scope, construct_id)
        # Grant log delivery through a bucket policy scoped to the source bucket and account, not the legacy
        # LogDeliveryWrite ACL (which owner-enforced buckets disable). Set here, so it holds without cdk.json.
        self.node.set_context("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy", True)
        # Server access log delivery supports SSE-S3 targets only; a KMS-encrypted target gets no logs.
        self.log_bucket = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        _skip(self.log_bucket, _LOG_BUCKET_SKIPS)
        # Named (naming.data_capture_bucket), so each endpoint's stack writes to it without an export.
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=bucket_name,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=key,
            bucket_key_enabled=True,
            enforce_ssl=True,
            versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.log_bucket,
            server_access_logs_prefix=log_prefix,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )


def destination(bucket_name: str, model: str) -> str:
    """The DestinationS3Uri of one model's data capture."""
    return f"s3://{bucket_name}/{naming.data_capture_prefix(model)}"


def objects_arn(bucket_name: str, model: str) -> str:
    """Every object one model's data capture may write."""
    return f"arn:aws:s3:::{bucket_name}/{naming.data_capture_prefix(model)}/*"


def _skip(bucket: s3.Bucket, skips: list[dict[str, str]]) -> None:
    cfn = bucket.node.default_child
    assert isinstance(cfn, cdk.CfnResource)
    cfn.add_metadata("checkov", {"skip": skips})
