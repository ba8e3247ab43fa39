"""The artifact key's policy: shared services administers the key; other accounts use it through S3.

Every use grant is limited to KMS calls S3 makes on the caller's behalf (`kms:ViaService`), so the key
can only protect objects of the artifact bucket and is never usable directly. One statement per
environment names its execution roles with the same name-bound tag as the bucket policy
(`modelops-exec-<env>-${aws:PrincipalTag/modelops:model}`, see bucket_policy.py), so the policy does not
grow with the number of models (KMS caps a key policy at 32 KB).
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam

from accounts import naming
from accounts.config import OrgConfig
from policies.actions import KEY_ADMIN_ACTIONS
from shared_services.principals import WorkloadRoles, pascal

# S3 calls GenerateDataKey to write and Decrypt to read (and to complete multipart uploads). ReEncrypt is
# left out: S3 never calls it, and the data-science identity policy does not grant it either.
DATA_SCIENCE_KEY_ACTIONS = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*"]
ENDPOINT_KEY_ACTIONS = ["kms:Decrypt"]


def administration_statement(config: OrgConfig) -> iam.PolicyStatement:
    """The shared-services account administers the key through its own IAM policies."""
    return iam.PolicyStatement(
        sid="SharedServicesAdministersKey",
        principals=[iam.ArnPrincipal(naming.account_root_arn(config.accounts.shared_services))],
        actions=KEY_ADMIN_ACTIONS,
        resources=["*"],
    )


def data_science_statement(config: OrgConfig) -> iam.PolicyStatement:
    """The data-science role encrypts and decrypts artifacts, through S3 only."""
    return iam.PolicyStatement(
        sid="DataScienceUsesKeyThroughS3",
        principals=[iam.ArnPrincipal(naming.data_science_role_arn(config))],
        actions=DATA_SCIENCE_KEY_ACTIONS,
        resources=["*"],
        conditions={
            "StringEquals": {
                "kms:CallerAccount": config.accounts.data_science,
                "kms:ViaService": naming.s3_via_service(config),
            }
        },
    )


def training_pipeline_statements(config: OrgConfig) -> list[iam.PolicyStatement]:
    """The training pipelines' role decrypts its step outputs through S3 (the ConditionStep reads the report)."""
    if not naming.trains_models(config):
        return []
    return [
        iam.PolicyStatement(
            sid="TrainingPipelinesDecryptThroughS3",
            principals=[iam.ArnPrincipal(naming.training_pipeline_role_arn(config))],
            actions=ENDPOINT_KEY_ACTIONS,
            resources=["*"],
            conditions={
                "StringEquals": {
                    "kms:CallerAccount": config.accounts.data_science,
                    "kms:ViaService": naming.s3_via_service(config),
                }
            },
        )
    ]


def evaluation_report_conditions(config: OrgConfig) -> dict[str, dict[str, object]]:
    """Through S3, and only for objects encrypted under an evaluation report's own context: the model
    artifacts' context is the bucket's (S3 Bucket Key), so their bytes stay unreadable to the gates."""
    return {
        "StringEquals": {"kms:ViaService": naming.s3_via_service(config)},
        "StringLike": {"kms:EncryptionContext:aws:s3:arn": naming.evaluation_reports_context(config)},
    }


def gate_readers_statement(config: OrgConfig) -> list[iam.PolicyStatement]:
    """The promoter and the verifier decrypt evaluation reports (the metric gates read them), nothing else.
    By the account and the roles' ARNs, so the policy is valid before the roles exist."""
    if not config.models:
        return []
    conditions = evaluation_report_conditions(config)
    conditions["ArnEquals"] = {"aws:PrincipalArn": [naming.promoter_role_arn(config), naming.verifier_role_arn(config)]}
    return [
        iam.PolicyStatement(
            sid="GateReadersDecryptEvaluationReports",
            principals=[iam.ArnPrincipal(naming.account_root_arn(config.accounts.shared_services))],
            actions=ENDPOINT_KEY_ACTIONS,
            resources=["*"],
            conditions=conditions,
        )
    ]


def endpoint_statement(config: OrgConfig, env: str, roles: WorkloadRoles) -> iam.PolicyStatement:
    """One environment's endpoint execution roles decrypt artifacts, through S3 only: a role whose name
    matches its `modelops:model` tag (which objects it may read, the bucket policy decides)."""
    return iam.PolicyStatement(
        sid=f"EndpointsDecryptThroughS3{pascal(env)}",
        principals=[iam.ArnPrincipal(roles.root_arn)],
        actions=ENDPOINT_KEY_ACTIONS,
        resources=["*"],
        conditions={
            "ArnEquals": {"aws:PrincipalArn": naming.execution_role_arn_bound_to_tag(config, env)},
            "StringEquals": {"kms:ViaService": naming.s3_via_service(config)},
        },
    )


def key_statements(config: OrgConfig, execution_roles: dict[str, WorkloadRoles]) -> list[iam.PolicyStatement]:
    """The whole key policy: administration, data science, then each environment that runs endpoints."""
    return [
        administration_statement(config),
        data_science_statement(config),
        *training_pipeline_statements(config),
        *gate_readers_statement(config),
    ] + [endpoint_statement(config, env, roles) for env, roles in execution_roles.items()]
