"""The artifact store: the KMS key, the artifact bucket and the bucket receiving its access logs."""

from __future__ import annotations

from typing import cast

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from accounts import naming
from accounts.config import OrgConfig
from shared_services.bucket_policy import bucket_statements
from shared_services.key_policy import key_statements
from shared_services.principals import WorkloadRoles

ACCESS_LOG_PREFIX = "artifact-bucket/"


class ArtifactStore(Construct):
    """Key, artifact bucket and access-log bucket; all three are kept when the stack goes."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: OrgConfig,
        roles_by_env: dict[str, WorkloadRoles],
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            alias=naming.ARTIFACT_KEY_ALIAS,
            description="Encrypts model artifacts in the modelops artifact bucket; usable only through S3.",
            enable_key_rotation=True,
            # Given a policy, CDK writes exactly it instead of its default `kms:*` account statement.
            policy=iam.PolicyDocument(statements=key_statements(config, roles_by_env)),
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )

        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            bucket_name=naming.access_log_bucket(config),
            # S3 delivers server access logs only to buckets encrypted with SSE-S3.
            encryption=s3.BucketEncryption.S3_MANAGED,
            versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        log_bucket = cast(s3.CfnBucket, self.access_logs.node.default_child)
        log_bucket.add_metadata(
            "checkov",
            {
                "skip": [
                    {
                        "id": "CKV_AWS_18",
                        "comment": "This is the access-log target; logging it to itself would loop.",
                    },
                ]
            },
        )

        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=naming.artifact_bucket(config),
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix=ACCESS_LOG_PREFIX,
            removal_policy=cdk.RemovalPolicy.RETAIN,
            # What was approved is what runs: no version of an artifact can be deleted, by anyone, root
            # included, before the retention ends (COMPLIANCE mode cannot be shortened or lifted).
            object_lock_enabled=True,
            object_lock_default_retention=s3.ObjectLockRetention.compliance(
                cdk.Duration.days(config.artifacts.retention_days)
            ),
        )
        for statement in bucket_statements(config, self.key.key_arn, roles_by_env):
            self.bucket.add_to_resource_policy(statement)
