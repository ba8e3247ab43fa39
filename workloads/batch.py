"""Batch inference in a workload account: the batch bucket, and `modelops-batch-<env>`, the role the example
job (promotion/batch_inference.py) runs as.

The job reads the live record (`/modelops/models/<model>/live-model-package-arn`, which the post-deploy step
wrote after the endpoint passed every gate of the environment and its smoke test), finds the model the
endpoint serves, and runs a transform job of that model: input CSV from `<model>/input/` of the batch bucket,
output to `<model>/output/<job>/`, encrypted with the environment's endpoint key.

Why the live record and not the approved one: an approved version may not be deployed yet, or may have been
refused by a later gate (chain order, content, requirements); the live one passed them all here and answers.

Who assumes the role: the environment's GitHub deploy role (deploy.yml's job, after the deploy), which also
assumes the operator; a scheduler in the account would be a second trusted principal (not built).

No iam:PassRole: the job runs the SageMaker Model the endpoint stack created, which already names its
execution role, and CreateTransformJob takes no role. The execution role reads the input and writes the
output (`execution_batch_statements`, granted in workloads/roles.py), within its own model's prefixes.
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam

from accounts import naming
from accounts.config import OrgConfig
from policies.statements import Statement

KEY_VIA_S3 = ["kms:Decrypt", "kms:GenerateDataKey"]


def bucket_arn(config: OrgConfig, env_name: str) -> str:
    """The environment's batch bucket."""
    return f"arn:aws:s3:::{naming.batch_bucket(config.environment(env_name).account, config.region)}"


def batch_statements(config: OrgConfig, env_name: str) -> list[Statement]:
    """What the batch-inference job may do in its own account, for any modelops model deployed there."""
    region, account = config.region, config.environment(env_name).account
    bucket = bucket_arn(config, env_name)
    return [
        Statement(
            sid="ReadLiveRecords",
            actions=["ssm:GetParameter"],
            resources=[naming.ssm_parameter_arn(region, account, naming.live_arn_parameter(naming.ANY_MODEL))],
        ),
        # The endpoint's Model has a CloudFormation-generated name: the job finds it through the endpoint
        # (endpoint -> config -> model) and checks it serves the live ARN before it runs it.
        Statement(
            sid="FindTheEndpointsModel",
            actions=["sagemaker:DescribeEndpoint"],
            resources=[naming.endpoint_arn_pattern(region, account)],
        ),
        Statement(
            sid="ReadEndpointConfigsAndModels",
            actions=["sagemaker:DescribeEndpointConfig", "sagemaker:DescribeModel"],
            resources=[
                f"arn:aws:sagemaker:{region}:{account}:endpoint-config/*",
                f"arn:aws:sagemaker:{region}:{account}:model/*",
            ],
        ),
        # Only a model of this account, and only with the output encrypted by this environment's endpoint key
        # (SageMaker's sagemaker:ModelArn and sagemaker:OutputKmsKey keys; an absent key fails ArnLike). The
        # job passes the key's alias ARN; whether SageMaker compares the alias or the key it names is
        # unverified, so both forms of this account's key pass, and a job without an output key is refused.
        Statement(
            sid="RunTransformJobs",
            actions=["sagemaker:CreateTransformJob"],
            resources=[naming.transform_job_arn_pattern(region, account)],
            conditions={
                "ArnLike": {
                    "sagemaker:ModelArn": f"arn:aws:sagemaker:{region}:{account}:model/*",
                    "sagemaker:OutputKmsKey": [
                        naming.endpoint_key_alias_arn(region, account, env_name),
                        naming.kms_keys_arn_pattern(region, account),
                    ],
                }
            },
        ),
        Statement(
            sid="FollowTransformJobs",
            actions=["sagemaker:DescribeTransformJob"],
            resources=[naming.transform_job_arn_pattern(region, account)],
        ),
        # The job stages its input and counts what went in and came out.
        Statement(sid="ListBatchBucket", actions=["s3:ListBucket"], resources=[bucket]),
        Statement(sid="StageInput", actions=["s3:PutObject"], resources=[f"{bucket}/*/input/*"]),
        Statement(sid="ReadInputAndOutput", actions=["s3:GetObject"], resources=[f"{bucket}/*"]),
        Statement(
            sid="UseEndpointKeyThroughS3",
            actions=KEY_VIA_S3,
            resources=[naming.kms_keys_arn_pattern(region, account)],
            conditions={
                "StringEquals": {"kms:ViaService": naming.s3_via_service(config)},
                "ForAnyValue:StringEquals": {"kms:ResourceAliases": naming.endpoint_key_alias(env_name)},
            },
        ),
    ]


def execution_batch_statements(config: OrgConfig, env_name: str, model: str) -> list[Statement]:
    """What one endpoint's execution role needs for a transform job of its model: SageMaker reads the input
    and writes the output as the model's execution role, within that model's prefixes of the batch bucket."""
    region, account = config.region, config.environment(env_name).account
    bucket = bucket_arn(config, env_name)
    return [
        Statement(
            sid="ListOwnBatchInput",
            actions=["s3:ListBucket"],
            resources=[bucket],
            conditions={"StringLike": {"s3:prefix": f"{naming.batch_input_prefix(model)}*"}},
        ),
        Statement(
            sid="ReadOwnBatchInput",
            actions=["s3:GetObject"],
            resources=[f"{bucket}/{naming.batch_input_prefix(model)}*"],
        ),
        Statement(
            sid="WriteOwnBatchOutput",
            actions=["s3:PutObject"],
            resources=[f"{bucket}/{naming.batch_output_prefix(model)}*"],
        ),
        Statement(
            sid="UseEndpointKeyForBatchThroughS3",
            actions=KEY_VIA_S3,
            resources=[naming.kms_keys_arn_pattern(region, account)],
            conditions={
                "StringEquals": {"kms:ViaService": naming.s3_via_service(config)},
                "ForAnyValue:StringEquals": {"kms:ResourceAliases": naming.endpoint_key_alias(env_name)},
            },
        ),
    ]


def batch_key_statement(config: OrgConfig, env_name: str) -> iam.PolicyStatement:
    """The endpoint key's grant to the batch role: through S3 only, to stage input and read results."""
    account = config.environment(env_name).account
    return iam.PolicyStatement(
        sid="BatchRoleUsesKeyThroughS3",
        principals=[iam.ArnPrincipal(naming.account_root_arn(account))],
        actions=KEY_VIA_S3,
        resources=["*"],
        conditions={
            "ArnEquals": {"aws:PrincipalArn": naming.batch_role_arn(config, env_name)},
            "StringEquals": {"kms:ViaService": naming.s3_via_service(config)},
        },
    )


def batch_trust(config: OrgConfig, env_name: str) -> list[Statement]:
    """Only this environment's GitHub deploy role in the deployment account, named exactly, as the operator's
    trust (workloads/roles.py): SetSourceIdentity lets the job's session carry the CI actor."""
    return [
        Statement(
            sid="GitHubDeployRole",
            principals={"AWS": [naming.github_deploy_role_arn(config, env_name)]},
            actions=["sts:AssumeRole", "sts:SetSourceIdentity"],
        )
    ]
