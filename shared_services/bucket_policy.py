"""Bucket policy statements of the artifact bucket, beyond the TLS-only deny that CDK's `enforce_ssl` adds.

Data science writes under `artifacts/`; each endpoint execution role reads only its own model's prefix.
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam

from accounts import naming
from accounts.config import OrgConfig
from shared_services.principals import WorkloadRoles, pascal

DATA_SCIENCE_OBJECT_ACTIONS = [
    "s3:AbortMultipartUpload",
    "s3:GetObject",
    "s3:ListMultipartUploadParts",
    "s3:PutObject",
]


def artifact_objects_arn(config: OrgConfig, prefix: str = naming.ARTIFACT_ROOT + "/") -> str:
    return f"{naming.artifact_bucket_arn(config)}/{prefix}*"


def encryption_statements(config: OrgConfig, key_arn: str) -> list[iam.PolicyStatement]:
    """Refuse uploads that ask for anything but SSE-KMS with the artifact key.

    `IfExists`: an upload without the headers gets the bucket's default encryption, which is this key;
    requiring the headers would add nothing but break clients that rely on the default.
    """
    objects = f"{naming.artifact_bucket_arn(config)}/*"
    return [
        iam.PolicyStatement(
            sid="DenyUploadsNotEncryptedWithKms",
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=["s3:PutObject"],
            resources=[objects],
            conditions={"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}},
        ),
        iam.PolicyStatement(
            sid="DenyUploadsWithAnotherKey",
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=["s3:PutObject"],
            resources=[objects],
            conditions={"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn}},
        ),
    ]


def data_science_statements(config: OrgConfig) -> list[iam.PolicyStatement]:
    """The data-science role reads and writes objects under `artifacts/`, and lists only that prefix."""
    role = iam.ArnPrincipal(naming.data_science_role_arn(config))
    return [
        iam.PolicyStatement(
            sid="DataScienceWritesArtifacts",
            principals=[role],
            actions=DATA_SCIENCE_OBJECT_ACTIONS,
            resources=[artifact_objects_arn(config)],
        ),
        iam.PolicyStatement(
            sid="DataScienceListsArtifacts",
            principals=[role],
            actions=["s3:ListBucket"],
            resources=[naming.artifact_bucket_arn(config)],
            conditions={"StringLike": {"s3:prefix": f"{naming.ARTIFACT_ROOT}/*"}},
        ),
    ]


def endpoint_statement(config: OrgConfig, model: str, roles: list[WorkloadRoles]) -> iam.PolicyStatement:
    """The execution roles serving `model`, in any environment, read that model's artifacts only."""
    return iam.PolicyStatement(
        sid=f"EndpointsRead{pascal(model)}",
        principals=[iam.ArnPrincipal(account.root_arn) for account in roles],
        actions=["s3:GetObject"],
        resources=[artifact_objects_arn(config, naming.artifact_prefix(model))],
        conditions={"ArnEquals": {"aws:PrincipalArn": [arn for account in roles for arn in account.role_arns]}},
    )


def bucket_statements(
    config: OrgConfig, key_arn: str, execution_roles: dict[str, list[WorkloadRoles]]
) -> list[iam.PolicyStatement]:
    """Statements added to the artifact bucket's policy, denies first."""
    return (
        encryption_statements(config, key_arn)
        + data_science_statements(config)
        + [endpoint_statement(config, model, roles) for model, roles in execution_roles.items()]
    )
