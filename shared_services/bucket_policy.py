"""Bucket policy statements of the artifact bucket, beyond the TLS-only deny that CDK's `enforce_ssl` adds.

Data science writes under `artifacts/` (create-only); each endpoint execution role reads only its own
model's prefix; the verifier and the promoter may HeadObject (the gates read the current version id).

The policy has a constant size, whatever the number of models (S3 caps a bucket policy at 20 KB): one
statement per environment, not per model, lets that environment's execution roles read
`artifacts/${aws:PrincipalTag/modelops:model}/*`, on the condition that the caller's ARN is
`modelops-exec-<env>-${aws:PrincipalTag/modelops:model}`. IAM cannot take a substring of an ARN, so the
role's tag carries the model, and the ArnEquals condition binds the tag to the role's own name: a role
retagged to another model no longer matches its own name and reads nothing; a role without the tag
matches nothing either ("Policy variables with no value",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html). A session tag could
override the role's tag, but nothing can pass one: an execution role trusts sagemaker.amazonaws.com alone
(workloads/roles.py), and only `sts:TagSession` in a trust policy lets a caller tag a session. Writing
`artifacts/*` rather than each configured model's prefix is safe for data science because the bucket is
modelops's own: only configured models' artifacts are ever uploaded, and every object is create-only.

What was approved is what runs, so an artifact, once written, is never replaced nor removed:
- S3 Object Lock, COMPLIANCE mode, default retention `artifacts.retention_days` (artifacts.py): no version
  can be deleted or its retention shortened by anyone, the root user included, until it expires;
- for every principal, PutObject under `artifacts/` is denied without `If-None-Match` (S3 then refuses
  to create a key that exists: a new current version would change what SageMaker loads), with the
  multipart parts exempt as AWS's example does (`s3:ObjectCreationOperation`), see
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes-enforce.html. That page's note
  applies: CopyObject into `artifacts/` is then impossible (403 without the header, 501 with it), so
  artifacts are uploaded with PutObject (IfNoneMatch='*', ChecksumAlgorithm='SHA256'), never copied;
- for every principal, deleting objects or versions, changing retention or legal holds and bypassing
  governance retention are denied, and so is an upload that picks its own lock mode or date (a short
  COMPLIANCE date of its own would end the protection early): the bucket's default applies.
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


# Everything that could remove a version or shorten its protection.
ARTIFACT_REMOVAL_ACTIONS = [
    "s3:BypassGovernanceRetention",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:PutObjectLegalHold",
    "s3:PutObjectRetention",
]


def artifact_objects_arn(config: OrgConfig, prefix: str = naming.ARTIFACT_ROOT + "/") -> str:
    return f"{naming.artifact_bucket_arn(config)}/{prefix}*"


def model_artifact_arns(config: OrgConfig) -> list[str]:
    """`artifacts/*/*`, the models' prefixes (one pattern whatever their number): the upload area data science
    writes, and the only objects a gate ever reads. Empty when no model is configured."""
    return [artifact_objects_arn(config, naming.artifact_prefix(naming.ANY_MODEL))] if config.models else []


def immutability_statements(config: OrgConfig) -> list[iam.PolicyStatement]:
    """Nobody overwrites, deletes or unlocks an artifact (see the module docstring)."""
    objects = f"{naming.artifact_bucket_arn(config)}/*"
    return [
        iam.PolicyStatement(
            sid="DenyOverwritingArtifacts",
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=["s3:PutObject"],
            resources=[artifact_objects_arn(config)],
            # CreateMultipartUpload, UploadPart and UploadPartCopy carry no conditional header; they are the
            # requests for which ObjectCreationOperation is false. CompleteMultipartUpload must carry it.
            conditions={"Null": {"s3:if-none-match": "true"}, "Bool": {"s3:ObjectCreationOperation": "true"}},
        ),
        iam.PolicyStatement(
            sid="DenyChoosingArtifactRetention",
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=["s3:PutObject"],
            resources=[objects],
            conditions={"Null": {"s3:object-lock-mode": "false"}},
        ),
        iam.PolicyStatement(
            sid="DenyRemovingArtifacts",
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=ARTIFACT_REMOVAL_ACTIONS,
            resources=[objects],
        ),
    ]


def encryption_statements(config: OrgConfig, key_arn: str) -> list[iam.PolicyStatement]:
    """Refuse uploads that ask for anything but SSE-KMS with the artifact key.

    Each deny applies only when the request carries the header (`Null` false): an upload without the
    headers gets the bucket's default encryption, which is this key. Not `StringNotEqualsIfExists`: with
    the key absent, an IfExists condition evaluates to true ("IfExists condition operators", IAM user
    guide), so that deny refused every upload without the header (the sandbox's IAM caught it).
    """
    objects = f"{naming.artifact_bucket_arn(config)}/*"
    return [
        iam.PolicyStatement(
            sid="DenyUploadsNotEncryptedWithKms",
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=["s3:PutObject"],
            resources=[objects],
            conditions={
                "StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"},
                "Null": {"s3:x-amz-server-side-encryption": "false"},
            },
        ),
        iam.PolicyStatement(
            sid="DenyUploadsWithAnotherKey",
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=["s3:PutObject"],
            resources=[objects],
            conditions={
                "StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn},
                "Null": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "false"},
            },
        ),
    ]


def data_science_statements(config: OrgConfig) -> list[iam.PolicyStatement]:
    """The data-science role reads and writes (create-only) its upload area, `artifacts/<model>/*` of each
    configured model, and lists only `artifacts/`."""
    role = iam.ArnPrincipal(naming.data_science_role_arn(config))
    uploads = model_artifact_arns(config)
    # The training pipelines' jobs run as the data-science role; their step outputs pass through `training/`.
    if naming.trains_models(config):
        uploads = [*uploads, naming.training_objects_arn(config)]
    return [
        *(
            [
                iam.PolicyStatement(
                    sid="DataScienceWritesArtifacts",
                    principals=[role],
                    actions=DATA_SCIENCE_OBJECT_ACTIONS,
                    resources=uploads,
                )
            ]
            if uploads
            else []
        ),
        iam.PolicyStatement(
            sid="DataScienceListsArtifacts",
            principals=[role],
            actions=["s3:ListBucket"],
            resources=[naming.artifact_bucket_arn(config)],
            conditions={"StringLike": {"s3:prefix": f"{naming.ARTIFACT_ROOT}/*"}},
        ),
    ]


def training_pipeline_statements(config: OrgConfig) -> list[iam.PolicyStatement]:
    """The training pipelines' role reads its step outputs (the ConditionStep's evaluation report), nothing else."""
    if not naming.trains_models(config):
        return []
    return [
        iam.PolicyStatement(
            sid="TrainingPipelinesReadStepOutputs",
            principals=[iam.ArnPrincipal(naming.training_pipeline_role_arn(config))],
            actions=["s3:GetObject"],
            resources=[naming.training_objects_arn(config)],
        )
    ]


def endpoint_statement(config: OrgConfig, env: str, roles: WorkloadRoles) -> iam.PolicyStatement:
    """`env`'s execution roles each read their own model's artifacts only: the model is the role's
    `modelops:model` tag, bound to the role's name (see the module docstring)."""
    return iam.PolicyStatement(
        sid=f"EndpointsReadOwnModel{pascal(env)}",
        principals=[iam.ArnPrincipal(roles.root_arn)],
        actions=["s3:GetObject"],
        resources=[artifact_objects_arn(config, naming.artifact_prefix(naming.MODEL_TAG_VARIABLE))],
        conditions={"ArnEquals": {"aws:PrincipalArn": naming.execution_role_arn_bound_to_tag(config, env)}},
    )


def bucket_statements(
    config: OrgConfig, key_arn: str, execution_roles: dict[str, WorkloadRoles]
) -> list[iam.PolicyStatement]:
    """Statements added to the artifact bucket's policy, denies first; one endpoint statement per environment
    that runs endpoints."""
    return (
        encryption_statements(config, key_arn)
        + immutability_statements(config)
        + data_science_statements(config)
        + training_pipeline_statements(config)
        + [endpoint_statement(config, env, roles) for env, roles in execution_roles.items()]
    )
