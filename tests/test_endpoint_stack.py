"""The workload stacks: each environment's `Environment` stack (operator role, endpoint key and capture
bucket) and one `Endpoint-<model>` stack per manifest, deployed blue/green with alarm rollback.

Expected values are written out for the two_env test organisation (shared 111111111111, deployment
333333333333, qa 444444444444, prod 555555555555, eu-west-1) and its manifests: churn-model in qa
(linear, 50 %, no capture, no autoscaling) and in prod (canary 10 %, data capture, autoscaling).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from accounts.config import OrgConfig
from policies.iam import Context, Effect, Policy, PolicyKind, Principal, Request, Resource, evaluate
from tests.conftest import REPO_ROOT, Synth
from tests.orgs import load_org, workloads_root
from workloads.endpoint import deployment_timeout_seconds
from workloads.endpoint_stack import EndpointStack
from workloads.environment_stack import EnvironmentStack
from workloads.manifest import (
    Rollout,
    load_environment,
    load_manifest,
    manifest_path,
)

QA = "ModelOps-qa/Endpoint-churn-model"
PROD = "ModelOps-prod/Endpoint-churn-model"
QA_ENV = "ModelOps-qa/Environment"
PROD_ENV = "ModelOps-prod/Environment"
ACCOUNTS = {"qa": "444444444444", "prod": "555555555555"}
STACKS = {"qa": QA, "prod": PROD}
ENV_STACKS = {"qa": QA_ENV, "prod": PROD_ENV}
# The endpoint stacks reach the environment's key by its alias and the capture bucket by its derived name.
KEY_ALIAS = {
    env: f"arn:aws:kms:eu-west-1:{account}:alias/modelops-endpoints-{env}" for env, account in ACCOUNTS.items()
}
CAPTURE_BUCKET = "modelops-data-capture-555555555555-eu-west-1"
ARTIFACTS = "arn:aws:s3:::modelops-artifacts-111111111111-eu-west-1/artifacts/churn-model/*"
WORKLOADS = workloads_root("two_env")
# What marks a resource as modelops' own for the CloudFormation execution policy (naming.MANAGED_TAG_KEY).
MANAGED_TAGS = [{"Key": "modelops:managed", "Value": "true"}]


def only(template: Template, resource_type: str) -> tuple[str, Mapping[str, Any]]:
    """The logical id and body of the one resource of `resource_type`."""
    found = template.find_resources(resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
    return next(iter(found.items()))


def role_named(template: Template, name: str) -> tuple[str, Mapping[str, Any]]:
    found = template.find_resources("AWS::IAM::Role", {"Properties": {"RoleName": name}})
    assert len(found) == 1, f"expected one role named {name}, found {sorted(found)}"
    return next(iter(found.items()))


def getatt(logical_id: str, attribute: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [logical_id, attribute]}


def pinned_arn(config: OrgConfig, env: str) -> str:
    """The ARN the two_env manifest pins (read from the file, so editing the manifest does not break the test)."""
    return load_manifest(manifest_path(WORKLOADS, env, "churn-model"), config).model_package_arn


@pytest.fixture(scope="module")
def qa(synth: Synth) -> Template:
    return synth.template(QA)


@pytest.fixture(scope="module")
def prod(synth: Synth) -> Template:
    return synth.template(PROD)


@pytest.fixture(scope="module")
def qa_env(synth: Synth) -> Template:
    return synth.template(QA_ENV)


@pytest.fixture(scope="module")
def prod_env(synth: Synth) -> Template:
    return synth.template(PROD_ENV)


@pytest.fixture(params=["qa", "prod"])
def env(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


# -- the Model ---------------------------------------------------------------------------------------------


def test_model_runs_exactly_the_pinned_model_package_with_its_own_role_and_no_network(
    synth: Synth, config: OrgConfig, env: str
) -> None:
    template = synth.template(STACKS[env])
    role_id, _ = role_named(template, f"modelops-exec-{env}-churn-model")
    _, model = only(template, "AWS::SageMaker::Model")
    assert model["Properties"] == {
        "PrimaryContainer": {"ModelPackageName": pinned_arn(config, env)},
        "ExecutionRoleArn": getatt(role_id, "Arn"),
        "EnableNetworkIsolation": True,
        "Tags": MANAGED_TAGS,
    }


# -- the EndpointConfig ------------------------------------------------------------------------------------


def test_qa_endpoint_config_is_one_variant_encrypted_with_the_environments_key_by_alias(qa: Template) -> None:
    model_id, _ = only(qa, "AWS::SageMaker::Model")
    _, config = only(qa, "AWS::SageMaker::EndpointConfig")
    assert config["Properties"] == {
        "KmsKeyId": KEY_ALIAS["qa"],
        "ProductionVariants": [
            {
                "VariantName": "AllTraffic",
                "ModelName": getatt(model_id, "ModelName"),
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
                "InitialVariantWeight": 1,
            }
        ],
        "Tags": MANAGED_TAGS,
    }


def test_prod_endpoint_config_captures_requests_and_responses_encrypted_into_the_capture_bucket(
    prod: Template,
) -> None:
    model_id, _ = only(prod, "AWS::SageMaker::Model")
    _, config = only(prod, "AWS::SageMaker::EndpointConfig")
    assert config["Properties"] == {
        "KmsKeyId": KEY_ALIAS["prod"],
        "ProductionVariants": [
            {
                "VariantName": "AllTraffic",
                "ModelName": getatt(model_id, "ModelName"),
                "InstanceType": "ml.m5.xlarge",
                "InitialInstanceCount": 2,
                "InitialVariantWeight": 1,
            }
        ],
        "DataCaptureConfig": {
            "EnableCapture": True,
            "InitialSamplingPercentage": 20,
            "DestinationS3Uri": f"s3://{CAPTURE_BUCKET}/datacapture/churn-model",
            "KmsKeyId": KEY_ALIAS["prod"],
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        },
        "Tags": MANAGED_TAGS,
    }


# -- the Endpoint: blue/green with rollback --------------------------------------------------------------


def test_qa_endpoint_shifts_traffic_linearly_in_halves_and_rolls_back_on_its_alarms(qa: Template) -> None:
    config_id, _ = only(qa, "AWS::SageMaker::EndpointConfig")
    errors_id, latency_id = alarm_ids(qa)
    _, endpoint = only(qa, "AWS::SageMaker::Endpoint")
    assert endpoint["Properties"] == {
        "EndpointName": "modelops-churn-model",
        "EndpointConfigName": getatt(config_id, "EndpointConfigName"),
        "DeploymentConfig": {
            "BlueGreenUpdatePolicy": {
                "TrafficRoutingConfiguration": {
                    "Type": "LINEAR",
                    "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 50},
                    "WaitIntervalInSeconds": 300,
                },
                "TerminationWaitInSeconds": 300,
                # 2 steps x 5 min + 5 min termination wait + 30 min to provision the green fleet
                "MaximumExecutionTimeoutInSeconds": 2700,
            },
            "AutoRollbackConfiguration": {
                "Alarms": [
                    {"AlarmName": "modelops-churn-model-5xx-errors"},
                    {"AlarmName": "modelops-churn-model-model-latency"},
                ]
            },
        },
        "Tags": MANAGED_TAGS,
    }
    assert sorted(endpoint["DependsOn"]) == sorted([errors_id, latency_id])


def test_prod_endpoint_shifts_a_ten_percent_canary_first_and_rolls_back_on_its_alarms(prod: Template) -> None:
    config_id, _ = only(prod, "AWS::SageMaker::EndpointConfig")
    _, endpoint = only(prod, "AWS::SageMaker::Endpoint")
    assert endpoint["Properties"] == {
        "EndpointName": "modelops-churn-model",
        "EndpointConfigName": getatt(config_id, "EndpointConfigName"),
        "DeploymentConfig": {
            "BlueGreenUpdatePolicy": {
                "TrafficRoutingConfiguration": {
                    "Type": "CANARY",
                    "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10},
                    "WaitIntervalInSeconds": 600,
                },
                "TerminationWaitInSeconds": 900,
                # canary + rest, 10 min each + 15 min termination wait + 30 min to provision the green fleet
                "MaximumExecutionTimeoutInSeconds": 3900,
            },
            "AutoRollbackConfiguration": {
                "Alarms": [
                    {"AlarmName": "modelops-churn-model-5xx-errors"},
                    {"AlarmName": "modelops-churn-model-model-latency"},
                ]
            },
        },
        "Tags": MANAGED_TAGS,
    }


def test_a_deployment_timeout_never_exceeds_sagemakers_eight_hour_limit() -> None:
    slowest = Rollout(strategy="linear", step_percent=10, wait_minutes=60, termination_wait_minutes=60)
    assert deployment_timeout_seconds(slowest) == 28_800


def alarm_ids(template: Template) -> tuple[str, str]:
    """Logical ids of the 5XX and the latency alarm."""
    errors = template.find_resources("AWS::CloudWatch::Alarm", {"Properties": {"MetricName": "Invocation5XXErrors"}})
    latency = template.find_resources("AWS::CloudWatch::Alarm", {"Properties": {"MetricName": "ModelLatency"}})
    assert len(errors) == 1
    assert len(latency) == 1
    return next(iter(errors)), next(iter(latency))


DIMENSIONS = [
    {"Name": "EndpointName", "Value": "modelops-churn-model"},
    {"Name": "VariantName", "Value": "AllTraffic"},
]


@pytest.mark.parametrize(
    ("stack", "max_errors", "max_latency_ms"),
    [(QA, 5, 1500), (PROD, 0, 500)],
)
def test_rollback_alarms_watch_the_endpoints_5xx_errors_and_p99_latency_at_the_manifests_thresholds(
    synth: Synth, stack: str, max_errors: int, max_latency_ms: int
) -> None:
    template = synth.template(stack)
    resources = template.to_json()["Resources"]
    errors_id, latency_id = alarm_ids(template)
    assert resources[errors_id]["Properties"] == {
        "AlarmName": "modelops-churn-model-5xx-errors",
        "AlarmDescription": f"churn-model: more than {max_errors} 5XX responses in a minute; rolls a deployment back",
        "Namespace": "AWS/SageMaker",
        "MetricName": "Invocation5XXErrors",
        "Dimensions": DIMENSIONS,
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 1,
        "DatapointsToAlarm": 1,
        "Threshold": max_errors,
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching",
    }
    assert resources[latency_id]["Properties"] == {
        "AlarmName": "modelops-churn-model-model-latency",
        "AlarmDescription": f"churn-model: p99 model latency above {max_latency_ms} ms in 2 of 3 minutes; "
        "rolls a deployment back",
        "Namespace": "AWS/SageMaker",
        "MetricName": "ModelLatency",
        "Dimensions": DIMENSIONS,
        "ExtendedStatistic": "p99",
        "Period": 60,
        "EvaluationPeriods": 3,
        "DatapointsToAlarm": 2,
        "Threshold": max_latency_ms * 1000,  # ModelLatency is in microseconds
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching",
    }


# -- autoscaling -------------------------------------------------------------------------------------------


def test_prod_scales_between_two_and_six_instances_on_invocations_per_instance(prod: Template) -> None:
    endpoint_id, _ = only(prod, "AWS::SageMaker::Endpoint")
    target_id, target = only(prod, "AWS::ApplicationAutoScaling::ScalableTarget")
    _, policy = only(prod, "AWS::ApplicationAutoScaling::ScalingPolicy")
    assert target["Properties"] == {
        "ServiceNamespace": "sagemaker",
        "ResourceId": "endpoint/modelops-churn-model/variant/AllTraffic",
        "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
        "MinCapacity": 2,
        "MaxCapacity": 6,
    }
    assert target["DependsOn"] == [endpoint_id]
    assert policy["Properties"] == {
        "PolicyName": "modelops-churn-model-invocations-per-instance",
        "PolicyType": "TargetTrackingScaling",
        "ScalingTargetId": {"Ref": target_id},
        "TargetTrackingScalingPolicyConfiguration": {
            "TargetValue": 200,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
            "ScaleInCooldown": 300,
            "ScaleOutCooldown": 60,
        },
    }


def test_qa_has_no_autoscaling(qa: Template) -> None:
    assert qa.find_resources("AWS::ApplicationAutoScaling::ScalableTarget") == {}
    assert qa.find_resources("AWS::ApplicationAutoScaling::ScalingPolicy") == {}


# -- the execution role ----------------------------------------------------------------------------------


def execution_statements(env: str) -> list[dict[str, Any]]:
    """The statements every execution role has, for churn-model in `env`."""
    log_group = f"arn:aws:logs:eu-west-1:{ACCOUNTS[env]}:log-group:/aws/sagemaker/Endpoints/modelops-churn-model"
    return [
        {"Sid": "ReadOwnArtifacts", "Effect": "Allow", "Action": "s3:GetObject", "Resource": ARTIFACTS},
        {
            "Sid": "DecryptArtifactsThroughS3",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": "arn:aws:kms:eu-west-1:111111111111:key/*",
            "Condition": {
                "StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"},
                "ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/modelops-artifacts"},
            },
        },
        {
            "Sid": "PullImagesFromSharedServices",
            "Effect": "Allow",
            "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            "Resource": "arn:aws:ecr:eu-west-1:111111111111:repository/modelops-models",
        },
        {
            "Sid": "AuthenticateToEcr",
            "Effect": "Allow",
            "Action": "ecr:GetAuthorizationToken",
            "Resource": "*",
        },
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [log_group, f"{log_group}:*"],
        },
        {
            "Sid": "PublishInstanceMetrics",
            "Effect": "Allow",
            "Action": "cloudwatch:PutMetricData",
            "Resource": "*",
            "Condition": {"StringEquals": {"cloudwatch:namespace": "/aws/sagemaker/Endpoints"}},
        },
        # SageMaker reads the auto-rollback alarms as the execution role ("Ensure that your IAM execution role
        # has permission to perform the cloudwatch:DescribeAlarms action on the auto-rollback alarms you
        # specify": https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html).
        {
            "Sid": "ReadOwnRollbackAlarms",
            "Effect": "Allow",
            "Action": "cloudwatch:DescribeAlarms",
            "Resource": [
                f"arn:aws:cloudwatch:eu-west-1:{ACCOUNTS[env]}:alarm:modelops-churn-model-5xx-errors",
                f"arn:aws:cloudwatch:eu-west-1:{ACCOUNTS[env]}:alarm:modelops-churn-model-model-latency",
            ],
        },
        *batch_statements(env),
    ]


def batch_statements(env: str) -> list[dict[str, Any]]:
    """A transform job of churn-model reads and writes the batch bucket as its execution role, in its own
    prefixes, with the environment's endpoint key through S3 (workloads/batch.py)."""
    bucket = f"arn:aws:s3:::modelops-batch-{ACCOUNTS[env]}-eu-west-1"
    return [
        {
            "Sid": "ListOwnBatchInput",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": bucket,
            "Condition": {"StringLike": {"s3:prefix": "churn-model/input/*"}},
        },
        {
            "Sid": "ReadOwnBatchInput",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": f"{bucket}/churn-model/input/*",
        },
        {
            "Sid": "WriteOwnBatchOutput",
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": f"{bucket}/churn-model/output/*",
        },
        {
            "Sid": "UseEndpointKeyForBatchThroughS3",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": f"arn:aws:kms:eu-west-1:{ACCOUNTS[env]}:key/*",
            "Condition": {
                "StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"},
                "ForAnyValue:StringEquals": {"kms:ResourceAliases": f"alias/modelops-endpoints-{env}"},
            },
        },
    ]


def test_execution_role_carries_its_model_as_the_tag_the_artifact_policies_bind_to_its_name(
    synth: Synth, env: str
) -> None:
    """shared_services/bucket_policy.py: `modelops-exec-<env>-${aws:PrincipalTag/modelops:model}`."""
    _, role = role_named(synth.template(STACKS[env]), f"modelops-exec-{env}-churn-model")
    assert role["Properties"]["Tags"] == [{"Key": "modelops:model", "Value": "churn-model"}]


def test_execution_role_is_assumable_only_by_sagemaker_acting_for_its_own_account(synth: Synth, env: str) -> None:
    _, role = role_named(synth.template(STACKS[env]), f"modelops-exec-{env}-churn-model")
    assert role["Properties"]["AssumeRolePolicyDocument"] == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "SageMakerForThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNTS[env]}},
            }
        ],
    }


def test_qa_execution_role_reaches_only_its_artifacts_key_via_s3_images_logs_and_metrics(
    qa: Template,
) -> None:
    _, role = role_named(qa, "modelops-exec-qa-churn-model")
    assert role["Properties"]["Policies"] == [
        {
            "PolicyName": "modelops-exec-qa-churn-model",
            "PolicyDocument": {"Version": "2012-10-17", "Statement": execution_statements("qa")},
        }
    ]


@pytest.mark.parametrize(
    ("alarm", "effects"),
    [
        ("modelops-churn-model-5xx-errors", (Effect.ALLOW, Effect.ALLOW)),
        ("modelops-churn-model-model-latency", (Effect.ALLOW, Effect.ALLOW)),
        ("modelops-other-model-5xx-errors", (Effect.IMPLICIT_DENY, Effect.ALLOW)),
    ],
)
def test_the_execution_role_and_its_boundary_allow_describing_its_own_rollback_alarms_only(
    qa: Template, alarm: str, effects: tuple[Effect, Effect]
) -> None:
    """SageMaker's auto-rollback reads the alarms as the execution role: "Ensure that your IAM execution role has
    permission to perform the cloudwatch:DescribeAlarms action on the auto-rollback alarms you specify"
    (https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html). A request is
    allowed only when both the role's policy and its permissions boundary allow it
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html); the evaluator does not
    model boundaries, so each side is evaluated on its own."""
    _, role = role_named(qa, "modelops-exec-qa-churn-model")
    [inline] = role["Properties"]["Policies"]
    boundary = json.loads((REPO_ROOT / "policies" / "workload-boundary-policy.json").read_text())
    arn = f"arn:aws:cloudwatch:eu-west-1:444444444444:alarm:{alarm}"

    def effect_of(document: dict[str, Any]) -> Effect:
        principal = Principal.role(
            "arn:aws:iam::444444444444:role/modelops-exec-qa-churn-model",
            identity_policies=[Policy("policy", document, PolicyKind.IDENTITY)],
        )
        request = Request(principal, "cloudwatch:DescribeAlarms", Resource(arn, "444444444444"), Context({}))
        return evaluate(request).effect

    assert (effect_of(inline["PolicyDocument"]), effect_of(boundary)) == effects


def test_prod_execution_role_also_writes_its_own_data_capture_with_the_endpoint_key(prod: Template) -> None:
    _, role = role_named(prod, "modelops-exec-prod-churn-model")
    capture = [
        {
            "Sid": "WriteOwnDataCapture",
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{CAPTURE_BUCKET}/datacapture/churn-model/*",
        },
        {
            "Sid": "EncryptDataCapture",
            "Effect": "Allow",
            "Action": ["kms:Encrypt", "kms:GenerateDataKey"],
            "Resource": "arn:aws:kms:eu-west-1:555555555555:key/*",
            "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/modelops-endpoints-prod"}},
        },
    ]
    assert role["Properties"]["Policies"] == [
        {
            "PolicyName": "modelops-exec-prod-churn-model",
            "PolicyDocument": {"Version": "2012-10-17", "Statement": execution_statements("prod") + capture},
        }
    ]


# -- the operator role -------------------------------------------------------------------------------------


def test_operator_is_assumable_only_by_the_environments_github_deploy_role(synth: Synth, env: str) -> None:
    _, role = role_named(synth.template(ENV_STACKS[env]), "modelops-operator")
    assert role["Properties"]["AssumeRolePolicyDocument"] == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "GitHubDeployRole",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::333333333333:role/modelops-github-deploy-{env}"},
                "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
            }
        ],
    }


def test_operator_describes_and_smoke_tests_its_endpoints_records_live_arns_and_reads_metrics(
    synth: Synth, env: str
) -> None:
    account = ACCOUNTS[env]
    _, role = role_named(synth.template(ENV_STACKS[env]), "modelops-operator")
    assert role["Properties"]["Policies"] == [
        {
            "PolicyName": "modelops-operator",
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "DescribeAndSmokeTestEndpoints",
                        "Effect": "Allow",
                        "Action": ["sagemaker:DescribeEndpoint", "sagemaker:InvokeEndpoint"],
                        "Resource": f"arn:aws:sagemaker:eu-west-1:{account}:endpoint/modelops-*",
                    },
                    {
                        "Sid": "DescribeEndpointConfigsAndModels",
                        "Effect": "Allow",
                        "Action": ["sagemaker:DescribeEndpointConfig", "sagemaker:DescribeModel"],
                        "Resource": [
                            f"arn:aws:sagemaker:eu-west-1:{account}:endpoint-config/*",
                            f"arn:aws:sagemaker:eu-west-1:{account}:model/*",
                        ],
                    },
                    {
                        "Sid": "RecordLiveModelPackage",
                        "Effect": "Allow",
                        "Action": ["ssm:GetParameter", "ssm:GetParameterHistory", "ssm:PutParameter"],
                        "Resource": f"arn:aws:ssm:eu-west-1:{account}:parameter"
                        "/modelops/models/*/live-model-package-arn",
                    },
                    {
                        "Sid": "ReadEndpointMetrics",
                        "Effect": "Allow",
                        "Action": "cloudwatch:GetMetricData",
                        "Resource": "*",
                    },
                ],
            },
        }
    ]


# -- key and capture bucket --------------------------------------------------------------------------------


def test_endpoint_key_rotates(synth: Synth, env: str) -> None:
    _, key = only(synth.template(ENV_STACKS[env]), "AWS::KMS::Key")
    assert key["Properties"]["EnableKeyRotation"] is True


def test_endpoint_key_is_tagged_as_modelops_own(synth: Synth, env: str) -> None:
    _, key = only(synth.template(ENV_STACKS[env]), "AWS::KMS::Key")
    assert key["Properties"]["Tags"] == MANAGED_TAGS


def test_endpoint_key_has_the_alias_the_endpoint_stacks_name_it_by(synth: Synth, env: str) -> None:
    template = synth.template(ENV_STACKS[env])
    key_id, _ = only(template, "AWS::KMS::Key")
    _, alias = only(template, "AWS::KMS::Alias")
    assert alias["Properties"] == {"AliasName": f"alias/modelops-endpoints-{env}", "TargetKeyId": getatt(key_id, "Arn")}


def test_no_workload_stack_exports_or_imports_a_value(synth: Synth, env: str) -> None:
    """Fn::ImportValue would pin the environment's stack to every endpoint stack reading it."""
    for path in (STACKS[env], ENV_STACKS[env]):
        text = json.dumps(synth.template_json(path))
        assert ("Fn::ImportValue" in text, "Export" in text) == (False, False), path


def test_every_role_is_bounded_by_the_accounts_workload_boundary(synth: Synth, env: str) -> None:
    roles = {
        **synth.template(STACKS[env]).find_resources("AWS::IAM::Role"),
        **synth.template(ENV_STACKS[env]).find_resources("AWS::IAM::Role"),
    }
    boundaries = {body["Properties"]["RoleName"]: body["Properties"]["PermissionsBoundary"] for body in roles.values()}
    boundary = f"arn:aws:iam::{ACCOUNTS[env]}:policy/modelops-workload-boundary"
    # qa has a next environment (prod), whose soak gate reads qa's alarms through qa's soak reader.
    soak_reader = {"modelops-soak-reader": boundary} if env == "qa" else {}
    assert boundaries == {
        "modelops-operator": boundary,
        f"modelops-batch-{env}": boundary,
        f"modelops-exec-{env}-churn-model": boundary,
        **soak_reader,
    }


def test_the_soak_reader_reads_only_modelops_alarms_and_only_the_promoter_and_verifier_assume_it(synth: Synth) -> None:
    [role] = [
        body["Properties"]
        for body in synth.template(ENV_STACKS["qa"]).find_resources("AWS::IAM::Role").values()
        if body["Properties"]["RoleName"] == "modelops-soak-reader"
    ]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Sid": "PromotionGates",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
            "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
            "Condition": {
                "ArnEquals": {
                    "aws:PrincipalArn": [
                        "arn:aws:iam::111111111111:role/modelops-promoter",
                        "arn:aws:iam::111111111111:role/modelops-verifier",
                    ]
                }
            },
        }
    ]
    assert role["Policies"][0]["PolicyDocument"]["Statement"] == [
        {
            "Sid": "ReadEndpointAlarms",
            "Effect": "Allow",
            "Action": ["cloudwatch:DescribeAlarmHistory", "cloudwatch:DescribeAlarms"],
            "Resource": "arn:aws:cloudwatch:eu-west-1:444444444444:alarm:modelops-*-*",
        }
    ]


KEY_ADMIN = [
    "kms:CancelKeyDeletion",
    "kms:Create*",
    "kms:Delete*",
    "kms:Describe*",
    "kms:Disable*",
    "kms:Enable*",
    "kms:Get*",
    "kms:List*",
    "kms:Put*",
    "kms:Revoke*",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:Update*",
]


def key_statements(template: Template) -> list[dict[str, Any]]:
    _, key = only(template, "AWS::KMS::Key")
    return list(key["Properties"]["KeyPolicy"]["Statement"])


def test_qa_endpoint_key_is_administered_by_the_account_and_used_only_by_its_execution_roles_through_services(
    qa_env: Template,
) -> None:
    assert key_statements(qa_env) == [
        {
            "Sid": "AccountAdministersKey",
            "Action": KEY_ADMIN,
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::444444444444:root"},
            "Resource": "*",
        },
        {
            "Sid": "ExecutionRolesUseKeyThroughSageMakerAndS3",
            "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
            "Condition": {
                "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::444444444444:role/modelops-exec-qa-*"},
                "StringEquals": {"kms:ViaService": ["sagemaker.eu-west-1.amazonaws.com", "s3.eu-west-1.amazonaws.com"]},
            },
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::444444444444:root"},
            "Resource": "*",
        },
        {
            "Sid": "BatchRoleUsesKeyThroughS3",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Condition": {
                "ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::444444444444:role/modelops-batch-qa"},
                "StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"},
            },
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::444444444444:root"},
            "Resource": "*",
        },
    ]


def test_prod_endpoint_key_also_lets_capturing_execution_roles_encrypt_directly(prod_env: Template) -> None:
    statements = key_statements(prod_env)
    assert [statement["Sid"] for statement in statements] == [
        "AccountAdministersKey",
        "ExecutionRolesUseKeyThroughSageMakerAndS3",
        "ExecutionRolesEncryptDataCapture",
        "BatchRoleUsesKeyThroughS3",
    ]
    assert statements[2] == {
        "Sid": "ExecutionRolesEncryptDataCapture",
        "Action": ["kms:Encrypt", "kms:GenerateDataKey"],
        "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::555555555555:role/modelops-exec-prod-*"}},
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::555555555555:root"},
        "Resource": "*",
    }


def capture_bucket_id(template: Template) -> str:
    found = template.find_resources("AWS::S3::Bucket", {"Properties": {"BucketName": CAPTURE_BUCKET}})
    assert len(found) == 1, f"expected one KMS-encrypted capture bucket, found {sorted(found)}"
    return next(iter(found))


def test_prod_capture_bucket_is_named_kms_encrypted_versioned_private_tls_only_and_access_logged(
    prod_env: Template,
) -> None:
    prod = prod_env
    key_id, _ = only(prod, "AWS::KMS::Key")
    bucket_id = capture_bucket_id(prod)
    resources = prod.to_json()["Resources"]
    bucket = resources[bucket_id]
    logs_id = bucket["Properties"]["LoggingConfiguration"]["DestinationBucketName"]["Ref"]
    assert bucket["Properties"] == {
        "BucketName": CAPTURE_BUCKET,
        "BucketEncryption": {
            "ServerSideEncryptionConfiguration": [
                {
                    "BucketKeyEnabled": True,
                    "ServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": getatt(key_id, "Arn"),
                    },
                }
            ]
        },
        "LoggingConfiguration": {"DestinationBucketName": {"Ref": logs_id}, "LogFilePrefix": "datacapture/"},
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        "PublicAccessBlockConfiguration": {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        },
        "VersioningConfiguration": {"Status": "Enabled"},
    }
    assert bucket["DeletionPolicy"] == "Retain"
    assert bucket_policy(prod, bucket_id) == [deny_insecure_transport(bucket_id)]


def test_capture_access_logs_are_delivered_only_for_the_capture_bucket_over_tls(prod_env: Template) -> None:
    prod = prod_env
    bucket_id = capture_bucket_id(prod)
    logs_id = prod.to_json()["Resources"][bucket_id]["Properties"]["LoggingConfiguration"]["DestinationBucketName"][
        "Ref"
    ]
    assert bucket_policy(prod, logs_id) == [
        deny_insecure_transport(logs_id),
        {
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": {"Fn::Join": ["", [getatt(logs_id, "Arn"), "/datacapture/*"]]},
            "Condition": {
                "ArnLike": {"aws:SourceArn": getatt(bucket_id, "Arn")},
                "StringEquals": {"aws:SourceAccount": "555555555555"},
            },
        },
    ]


def test_qa_without_data_capture_has_no_capture_bucket_only_the_batch_bucket_and_its_logs(
    qa: Template, qa_env: Template
) -> None:
    buckets = qa_env.find_resources("AWS::S3::Bucket")
    assert (qa.find_resources("AWS::S3::Bucket"), sorted(buckets)) == (
        {},
        ["BatchAccessLogs773B9EFD", "BatchBucket7637E275"],
    )
    assert buckets["BatchBucket7637E275"]["Properties"]["BucketName"] == "modelops-batch-444444444444-eu-west-1"


def bucket_policy(template: Template, bucket_id: str) -> list[dict[str, Any]]:
    found = template.find_resources("AWS::S3::BucketPolicy", {"Properties": {"Bucket": {"Ref": bucket_id}}})
    assert len(found) == 1
    statements: list[dict[str, Any]] = next(iter(found.values()))["Properties"]["PolicyDocument"]["Statement"]
    return statements


def deny_insecure_transport(bucket_id: str) -> dict[str, Any]:
    return {
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "s3:*",
        "Resource": [getatt(bucket_id, "Arn"), {"Fn::Join": ["", [getatt(bucket_id, "Arn"), "/*"]]}],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


# -- environments with fewer or more models ----------------------------------------------------------------


@pytest.fixture(scope="module")
def variants(config: OrgConfig) -> dict[str, dict[str, Any]]:
    """qa's stacks alone: its Environment with no manifests, with two_env's one model and with several_models'
    two (two_env's churn-model manifest and fraud-model's), and churn-model's endpoint stack in the last two;
    one small synth."""
    several = load_org("several_models")
    app = cdk.App()
    qa_env = cdk.Environment(account=config.environment("qa").account, region=config.region)
    one = load_environment(config, "qa", WORKLOADS)
    two = load_environment(several, "qa", workloads_root("several_models"))
    churn = next(item for item in two if item.manifest.model == "churn-model")
    stacks = {
        "empty": EnvironmentStack(app, "Empty", config=config, env_name="qa", manifests=[], env=qa_env),
        "one-model": EnvironmentStack(app, "OneModel", config=config, env_name="qa", manifests=one, env=qa_env),
        "two-models": EnvironmentStack(app, "TwoModels", config=several, env_name="qa", manifests=two, env=qa_env),
        "churn-of-one": EndpointStack(app, "ChurnOfOne", config=config, env_name="qa", manifest=one[0], env=qa_env),
        "churn-of-two": EndpointStack(app, "ChurnOfTwo", config=several, env_name="qa", manifest=churn, env=qa_env),
    }
    assembly = app.synth()
    return {name: assembly.get_stack_by_name(stack.stack_name).template for name, stack in stacks.items()}


def test_an_environment_without_manifests_deploys_only_the_operator_role_and_its_soak_reader(
    variants: dict[str, dict[str, Any]],
) -> None:
    resources = variants["empty"]["Resources"]
    assert [body["Type"] for body in resources.values()] == ["AWS::IAM::Role", "AWS::IAM::Role"]
    role, reader = resources.values()
    assert reader["Properties"]["RoleName"] == "modelops-soak-reader"
    assert role["Properties"]["RoleName"] == "modelops-operator"
    assert role["Properties"]["PermissionsBoundary"] == "arn:aws:iam::444444444444:policy/modelops-workload-boundary"
    assert role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"] == [
        {
            "Sid": "ReadEndpointMetrics",
            "Effect": "Allow",
            "Action": "cloudwatch:GetMetricData",
            "Resource": "*",
        }
    ]


def test_adding_a_model_changes_no_byte_of_another_models_endpoint_stack(
    variants: dict[str, dict[str, Any]],
) -> None:
    before, after = variants["churn-of-one"], variants["churn-of-two"]
    churn = [logical_id for logical_id in before["Resources"] if logical_id.startswith("Modelschurnmodel")]
    assert len(churn) == 6  # execution role, model, config, two alarms, endpoint
    assert json.dumps(after, sort_keys=True) == json.dumps(before, sort_keys=True)


def test_adding_a_model_leaves_the_environments_key_and_its_policy_as_they_were(
    variants: dict[str, dict[str, Any]],
) -> None:
    def key_and_alias(template: dict[str, Any]) -> dict[str, Any]:
        kinds = ("AWS::KMS::Key", "AWS::KMS::Alias")
        return {logical_id: body for logical_id, body in template["Resources"].items() if body["Type"] in kinds}

    assert len(key_and_alias(variants["one-model"])) == 2
    assert key_and_alias(variants["two-models"]) == key_and_alias(variants["one-model"])


def test_manifests_of_another_environment_are_refused(config: OrgConfig) -> None:
    prod = load_environment(config, "prod", WORKLOADS)
    expected = rf"^manifests of another environment passed to qa: \['{WORKLOADS}/prod/churn-model\.yaml'\]$"
    with pytest.raises(ValueError, match=expected):
        EnvironmentStack(cdk.App(), "Environment", config=config, env_name="qa", manifests=prod)
    with pytest.raises(ValueError, match=rf"^{WORKLOADS}/prod/churn-model\.yaml: a manifest of prod passed to qa$"):
        EndpointStack(cdk.App(), "Endpoint-churn-model", config=config, env_name="qa", manifest=prod[0])
