"""IAM roles of a workload account: the operator the pipeline assumes, the soak reader the promotion gates
assume, and each endpoint's execution role.

The statements are built by plain functions so the security review reads them in one place; the
role builders only wrap them. Every resource is named exactly unless a comment says why it cannot be.
"""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from accounts import naming
from accounts.config import OrgConfig
from policies.actions import IMAGE_PULL_ACTIONS
from policies.statements import Statement, document
from workloads.batch import batch_statements, batch_trust, execution_batch_statements

SAGEMAKER_SERVICE = "sagemaker.amazonaws.com"


@dataclass(frozen=True)
class CaptureGrant:
    """Where one endpoint's data capture writes, and the key that encrypts it: any key of the account
    (`keys_arn`) narrowed by kms:ResourceAliases to the environment's endpoint key alias, since the key lives
    in the environment's stack and the endpoint's stack reaches it by alias, not by an export."""

    objects_arn: str
    keys_arn: str
    key_alias: str


def _account(config: OrgConfig, env_name: str) -> str:
    return config.environment(env_name).account


def _log_group_arn(config: OrgConfig, env_name: str, model: str) -> str:
    account = _account(config, env_name)
    return f"arn:aws:logs:{config.region}:{account}:log-group:{naming.endpoint_log_group(model)}"


def execution_statements(config: OrgConfig, env_name: str, model: str, capture: CaptureGrant | None) -> list[Statement]:
    """What one endpoint's SageMaker execution role may do: its artifacts, its image, its logs."""
    region = config.region
    log_group = _log_group_arn(config, env_name, model)
    statements = [
        Statement(
            sid="ReadOwnArtifacts",
            actions=["s3:GetObject"],
            resources=[f"{naming.artifact_bucket_arn(config)}/{naming.artifact_prefix(model)}*"],
        ),
        # The artifact key lives in shared services and is reached by alias, so this stack needs no key ARN;
        # the alias condition pins it to that one key, ViaService to decryption done by S3 for GetObject.
        Statement(
            sid="DecryptArtifactsThroughS3",
            actions=["kms:Decrypt"],
            resources=[naming.shared_kms_keys_arn_pattern(config)],
            conditions={
                "StringEquals": {"kms:ViaService": naming.s3_via_service(config)},
                "ForAnyValue:StringEquals": {"kms:ResourceAliases": naming.ARTIFACT_KEY_ALIAS},
            },
        ),
        # Every model's images live in the one shared-services repository (shared_services/images.py), whose
        # policy lets this environment's execution roles pull; the package pins the digest.
        Statement(
            sid="PullImagesFromSharedServices",
            actions=IMAGE_PULL_ACTIONS,
            resources=[naming.model_image_repository_arn(config)],
        ),
        # GetAuthorizationToken has no resource type and no condition key; the token alone reads nothing,
        # the repository statement above decides which images can be pulled with it.
        Statement(
            sid="AuthenticateToEcr",
            actions=["ecr:GetAuthorizationToken"],
            resources=["*"],
        ),
        Statement(
            sid="WriteOwnLogs",
            actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[log_group, f"{log_group}:*"],
        ),
        # PutMetricData has no resource type; the namespace condition keeps the role to instance metrics.
        Statement(
            sid="PublishInstanceMetrics",
            actions=["cloudwatch:PutMetricData"],
            resources=["*"],
            conditions={"StringEquals": {"cloudwatch:namespace": naming.ENDPOINT_INSTANCE_NAMESPACE}},
        ),
        # SageMaker reads the auto-rollback alarms as the execution role: "Ensure that your IAM execution role
        # has permission to perform the cloudwatch:DescribeAlarms action on the auto-rollback alarms you
        # specify" (https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html).
        Statement(
            sid="ReadOwnRollbackAlarms",
            actions=["cloudwatch:DescribeAlarms"],
            resources=naming.rollback_alarm_arns(region, _account(config, env_name), model),
        ),
    ]
    # Transform jobs of the model (promotion/batch_inference.py) read and write the batch bucket as this role.
    statements += execution_batch_statements(config, env_name, model)
    if capture is not None:
        statements += [
            Statement(
                sid="WriteOwnDataCapture",
                actions=["s3:PutObject"],
                resources=[capture.objects_arn],
            ),
            # SageMaker documents that the execution role itself must be allowed kms:Encrypt with the
            # capture key, so this is not narrowed to S3; the alias pins it to this account's endpoint key.
            Statement(
                sid="EncryptDataCapture",
                actions=["kms:Encrypt", "kms:GenerateDataKey"],
                resources=[capture.keys_arn],
                conditions={"ForAnyValue:StringEquals": {"kms:ResourceAliases": capture.key_alias}},
            ),
        ]
    return statements


def execution_trust(config: OrgConfig, env_name: str) -> list[Statement]:
    """SageMaker, acting for this account only (confused-deputy protection)."""
    return [
        Statement(
            sid="SageMakerForThisAccount",
            principals={"Service": [SAGEMAKER_SERVICE]},
            actions=["sts:AssumeRole"],
            conditions={"StringEquals": {"aws:SourceAccount": _account(config, env_name)}},
        )
    ]


def operator_statements(config: OrgConfig, env_name: str, models: list[str]) -> list[Statement]:
    """What the pipeline's operator may do in one workload account, for the models deployed there."""
    region, account = config.region, _account(config, env_name)
    statements: list[Statement] = []
    if models:
        # One pattern per kind, whatever the number of models (a role's inline policies are capped at 10,240
        # characters): modelops's endpoints are `modelops-<model>` (naming.endpoint_name), so the pattern
        # reaches no other team's endpoint in a shared account, and the live records live under
        # `/modelops/models/`, a namespace only modelops writes.
        statements += [
            Statement(
                sid="DescribeAndSmokeTestEndpoints",
                actions=["sagemaker:DescribeEndpoint", "sagemaker:InvokeEndpoint"],
                resources=[naming.endpoint_arn_pattern(region, account)],
            ),
            # Models and endpoint configs get CloudFormation-generated names: each pin of a new version
            # replaces them under a new name, which is what makes the endpoint update blue/green. Their
            # names cannot be known here, so the grant covers this account and region, read-only. The
            # account runs nothing but modelops endpoints, so nothing else is described through it.
            Statement(
                sid="DescribeEndpointConfigsAndModels",
                actions=["sagemaker:DescribeEndpointConfig", "sagemaker:DescribeModel"],
                resources=[
                    f"arn:aws:sagemaker:{region}:{account}:endpoint-config/*",
                    f"arn:aws:sagemaker:{region}:{account}:model/*",
                ],
            ),
            Statement(
                sid="RecordLiveModelPackage",
                actions=["ssm:GetParameter", "ssm:GetParameterHistory", "ssm:PutParameter"],
                resources=[naming.ssm_parameter_arn(region, account, naming.live_arn_parameter(naming.ANY_MODEL))],
            ),
        ]
    # GetMetricData has neither a resource type nor a condition key, so `*` is the only form IAM accepts.
    # It reads metric values only; the post-deploy report needs the endpoints' invocations, latency, 4XX/5XX.
    statements.append(
        Statement(
            sid="ReadEndpointMetrics",
            actions=["cloudwatch:GetMetricData"],
            resources=["*"],
        )
    )
    return statements


def operator_trust(config: OrgConfig, env_name: str) -> list[Statement]:
    """Only this environment's GitHub deploy role in the deployment account, named exactly.

    SetSourceIdentity: the deploy role's session may carry the CI actor as source identity, and a session
    that does can only chain into roles that allow it; it then shows in CloudTrail for every operator call.
    """
    return [
        Statement(
            sid="GitHubDeployRole",
            principals={"AWS": [naming.github_deploy_role_arn(config, env_name)]},
            actions=["sts:AssumeRole", "sts:SetSourceIdentity"],
        )
    ]


def _role(
    scope: Construct,
    construct_id: str,
    *,
    role_name: str,
    description: str,
    trust: list[Statement],
    permissions: list[Statement],
    account: str,
    tags: dict[str, str] | None = None,
) -> iam.CfnRole:
    """A role whose trust and one inline policy are exactly the statements given, bounded by the account's
    `modelops-workload-boundary` (the CloudFormation execution policy creates no role without it).

    L1 on purpose: the L2 Role writes its own trust statement and may merge grants into a separate policy;
    here the reviewed statements are the deployed ones, and the policy lives and dies with the role.
    """
    return iam.CfnRole(
        scope,
        construct_id,
        role_name=role_name,
        description=description,
        assume_role_policy_document=document(trust),
        permissions_boundary=naming.workload_boundary_arn(account),
        policies=[iam.CfnRole.PolicyProperty(policy_name=role_name, policy_document=document(permissions))],
        tags=[cdk.CfnTag(key=key, value=value) for key, value in (tags or {}).items()] or None,
    )


def execution_role(
    scope: Construct,
    construct_id: str,
    *,
    config: OrgConfig,
    env_name: str,
    model: str,
    capture: CaptureGrant | None,
) -> iam.CfnRole:
    """The SageMaker execution role of one model's endpoint, tagged `modelops:model = <model>`: the artifact
    bucket and key policies read the tag and bind it to this role's name (shared_services/bucket_policy.py).
    Its trust is SageMaker alone, without sts:TagSession, so no session tag can override the tag."""
    return _role(
        scope,
        construct_id,
        role_name=naming.execution_role_name(env_name, model),
        description=f"SageMaker execution role of the {model} endpoint in {env_name}",
        trust=execution_trust(config, env_name),
        permissions=execution_statements(config, env_name, model, capture),
        account=_account(config, env_name),
        tags={naming.MODEL_TAG_KEY: model},
    )


def operator_role(
    scope: Construct, construct_id: str, *, config: OrgConfig, env_name: str, models: list[str]
) -> iam.CfnRole:
    """The role the pipeline assumes after a deploy: smoke test, live-ARN record, metrics."""
    return _role(
        scope,
        construct_id,
        role_name=naming.OPERATOR_ROLE,
        description=f"modelops operator in {env_name}: describes, smoke-tests and records endpoints",
        trust=operator_trust(config, env_name),
        permissions=operator_statements(config, env_name, models),
        account=_account(config, env_name),
    )


def batch_role(scope: Construct, construct_id: str, *, config: OrgConfig, env_name: str) -> iam.CfnRole:
    """`modelops-batch-<env>`: runs the example batch-inference job (workloads/batch.py says what and why)."""
    return _role(
        scope,
        construct_id,
        role_name=naming.batch_role_name(env_name),
        description=f"modelops batch inference in {env_name}: reads the live record, runs transform jobs",
        trust=batch_trust(config, env_name),
        permissions=batch_statements(config, env_name),
        account=_account(config, env_name),
    )


# What the soak gate reads of an environment: its endpoints' alarms, now and since a version went live.
SOAK_READ_ACTIONS = ["cloudwatch:DescribeAlarmHistory", "cloudwatch:DescribeAlarms"]


def soak_reader_statements(config: OrgConfig, env_name: str) -> list[Statement]:
    """Read the modelops endpoints' rollback alarms and their history, and nothing else. Both actions take the
    alarm resource type (Service Authorization Reference, Amazon CloudWatch), so the grant names modelops's
    alarms, `modelops-<model>-<signal>` (naming.rollback_alarm_name), one pattern whatever the number of models."""
    region, account = config.region, _account(config, env_name)
    alarms = f"arn:aws:cloudwatch:{region}:{account}:alarm:{naming.rollback_alarm_name(naming.ANY_MODEL, '*')}"
    return [Statement(sid="ReadEndpointAlarms", actions=SOAK_READ_ACTIONS, resources=[alarms])]


def soak_reader_trust(config: OrgConfig) -> list[Statement]:
    """The shared-services promoter (`promote`) and verifier (`verify`), named by aws:PrincipalArn: naming the
    roles as principals would make IAM reject the trust while they do not exist yet ("Invalid principal").

    SetSourceIdentity: a session that carries a source identity (a person's, or the CI actor's) keeps it through
    a role chain, and can only chain into roles whose trust allows it."""
    shared = config.accounts.shared_services
    return [
        Statement(
            sid="PromotionGates",
            principals={"AWS": [naming.account_root_arn(shared)]},
            actions=["sts:AssumeRole", "sts:SetSourceIdentity"],
            conditions={
                "ArnEquals": {"aws:PrincipalArn": [naming.promoter_role_arn(config), naming.verifier_role_arn(config)]}
            },
        )
    ]


def soak_reader_role(scope: Construct, construct_id: str, *, config: OrgConfig, env_name: str) -> iam.CfnRole:
    """The role the soak gate of the next environment reads this environment's alarms with; read-only."""
    return _role(
        scope,
        construct_id,
        role_name=naming.SOAK_READER_ROLE,
        description=f"modelops soak reader in {env_name}: reads the endpoints' alarms and their history",
        trust=soak_reader_trust(config),
        permissions=soak_reader_statements(config, env_name),
        account=_account(config, env_name),
    )
