"""The data-science account's training pipelines: one `AWS::SageMaker::Pipeline` per model that configures
`training`, the role SageMaker Pipelines runs them as, and the notice of failed executions to data science.

The role and the notice are constant pieces of `ModelOps-DataScience` (`TrainingPipelines`); each pipeline sits
in a stack of its own, `ModelOps-Training-<model>` (`TrainingStack`), so no stack grows with the number of
models (a pipeline definition is about 10 KB of template: 100 of them would pass CloudFormation's 1 MB).

The pipeline's execution role only creates and watches the pipeline's jobs, which run as the data-science
role (passed to SageMaker, nowhere else), and reads the evaluation report the ConditionStep tests. A
failed execution (the ConditionStep's else branch ends in a FailStep) reaches data science through an
EventBridge rule on SageMaker's "Model Building Pipeline Execution Status Change" event and an SNS topic
they subscribe to: the refusal is an event, not a silent stop.
"""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from constructs import Construct

from accounts import naming
from accounts.config import OrgConfig
from data_science.pipeline import artifact_key_alias_arn, definition, pipeline_arn_pattern, pipeline_name
from policies.actions import KEY_ADMIN_ACTIONS
from shared_services.trust import define_role

FAILURES_TOPIC = f"{naming.PREFIX}-training-failures"
JOB_ACTIONS = [
    "sagemaker:AddTags",
    "sagemaker:CreateProcessingJob",
    "sagemaker:CreateTrainingJob",
    "sagemaker:DescribeProcessingJob",
    "sagemaker:DescribeTrainingJob",
    "sagemaker:StopProcessingJob",
    "sagemaker:StopTrainingJob",
]


def pipeline_trust(config: OrgConfig) -> list[iam.PolicyStatement]:
    """SageMaker, for the modelops pipelines of the data-science account only (confused-deputy guard)."""
    return [
        iam.PolicyStatement(
            sid="SageMakerPipelinesOfThisAccount",
            principals=[iam.ServicePrincipal("sagemaker.amazonaws.com")],
            actions=["sts:AssumeRole"],
            conditions={
                "StringEquals": {"aws:SourceAccount": config.accounts.data_science},
                "ArnLike": {"aws:SourceArn": pipeline_arn_pattern(config)},
            },
        )
    ]


def pipeline_permissions(config: OrgConfig) -> list[iam.PolicyStatement]:
    """Create and watch the pipeline's jobs, pass them the data-science role, and read the evaluation report."""
    account, region = config.accounts.data_science, config.region
    jobs = [
        f"arn:aws:sagemaker:{region}:{account}:processing-job/*",
        f"arn:aws:sagemaker:{region}:{account}:training-job/*",
    ]
    return [
        iam.PolicyStatement(
            sid="RunPipelineJobs",
            actions=JOB_ACTIONS,
            resources=jobs,
            # A job that writes output writes it with the shared artifact key, never another.
            conditions={"StringEqualsIfExists": {"sagemaker:OutputKmsKey": artifact_key_alias_arn(config)}},
        ),
        iam.PolicyStatement(
            sid="PassTheDataScienceRoleToJobs",
            actions=["iam:PassRole"],
            resources=[naming.data_science_role_arn(config)],
            conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        ),
        # The ConditionStep's JsonGet reads the evaluation report from the Evaluate step's output.
        iam.PolicyStatement(
            sid="ReadStepOutputs", actions=["s3:GetObject"], resources=[naming.training_objects_arn(config)]
        ),
        iam.PolicyStatement(
            sid="DecryptStepOutputsThroughS3",
            actions=["kms:Decrypt"],
            resources=[naming.shared_kms_keys_arn_pattern(config)],
            conditions={
                "StringEquals": {"kms:ViaService": naming.s3_via_service(config)},
                "ForAnyValue:StringEquals": {"kms:ResourceAliases": naming.ARTIFACT_KEY_ALIAS},
            },
        ),
    ]


def failures_key_statements(config: OrgConfig) -> list[iam.PolicyStatement]:
    """The topic key: the data-science account administers it; EventBridge encrypts for SNS with it."""
    account = config.accounts.data_science
    return [
        iam.PolicyStatement(
            sid="DataScienceAdministersKey",
            principals=[iam.ArnPrincipal(naming.account_root_arn(account))],
            actions=KEY_ADMIN_ACTIONS,
            resources=["*"],
        ),
        iam.PolicyStatement(
            sid="EventBridgePublishesThroughSns",
            principals=[iam.ServicePrincipal("events.amazonaws.com")],
            actions=["kms:Decrypt", "kms:GenerateDataKey*"],
            resources=["*"],
            conditions={
                "StringEquals": {"aws:SourceAccount": account, "kms:ViaService": f"sns.{config.region}.amazonaws.com"}
            },
        ),
        # Subscribers read the topic through SNS, which decrypts with the account's own grants.
        iam.PolicyStatement(
            sid="DataScienceReadsThroughSns",
            principals=[iam.ArnPrincipal(naming.account_root_arn(account))],
            actions=["kms:Decrypt", "kms:GenerateDataKey*"],
            resources=["*"],
            conditions={"StringEquals": {"kms:ViaService": f"sns.{config.region}.amazonaws.com"}},
        ),
    ]


class TrainingPipelines(Construct):
    """What every model's training pipeline shares: their role, and the failure notice (none when no model
    trains)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: OrgConfig) -> None:
        super().__init__(scope, construct_id)
        if not any(model.training is not None for model in config.models):
            return
        self.role = define_role(
            self,
            "PipelineRole",
            role_name=naming.TRAINING_PIPELINE_ROLE,
            description="Runs the modelops training pipelines: creates their jobs, which run as modelops-data-science.",
            trust=pipeline_trust(config),
            permissions=pipeline_permissions(config),
        )
        # EventBridge cannot publish to a topic under the AWS managed SNS key: the topic's key is its own.
        self.key = kms.CfnKey(
            self,
            "FailuresKey",
            description="Encrypts the modelops training failures topic.",
            enable_key_rotation=True,
            key_policy=iam.PolicyDocument(statements=failures_key_statements(config)),
        )
        self.topic = sns.CfnTopic(
            self,
            "FailuresTopic",
            topic_name=FAILURES_TOPIC,
            kms_master_key_id=self.key.attr_arn,
            display_name="modelops training pipeline failures",
        )
        self.rule = events.CfnRule(
            self,
            "FailedExecutions",
            description="A modelops training pipeline execution failed (e.g. its evaluation missed the condition).",
            event_pattern={
                "source": ["aws.sagemaker"],
                "detail-type": ["SageMaker Model Building Pipeline Execution Status Change"],
                "detail": {
                    "currentPipelineExecutionStatus": ["Failed"],
                    "pipelineArn": [{"prefix": pipeline_arn_pattern(config).removesuffix("*")}],
                },
            },
            targets=[events.CfnRule.TargetProperty(id="DataScience", arn=self.topic.ref)],
        )
        sns.CfnTopicPolicy(
            self,
            "FailuresTopicPolicy",
            topics=[self.topic.ref],
            policy_document=iam.PolicyDocument(
                statements=[
                    iam.PolicyStatement(
                        sid="FailedExecutionsRule",
                        principals=[iam.ServicePrincipal("events.amazonaws.com")],
                        actions=["sns:Publish"],
                        resources=[self.topic.ref],
                        conditions={"ArnEquals": {"aws:SourceArn": self.rule.attr_arn}},
                    )
                ]
            ),
        )


class TrainingStack(cdk.Stack):
    """`ModelOps-Training-<model>`: one model's training pipeline, run as the pipeline role of
    `ModelOps-DataScience` (named, not imported: the stacks share no exports)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: OrgConfig, model: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        spec = config.model(model)
        self.pipeline = sagemaker.CfnPipeline(
            self,
            "Pipeline",
            pipeline_name=pipeline_name(model),
            pipeline_description=f"Trains, evaluates and registers {model} when its training condition holds.",
            pipeline_definition={"PipelineDefinitionBody": json.dumps(definition(config, spec), sort_keys=True)},
            role_arn=naming.role_arn(config.accounts.data_science, naming.TRAINING_PIPELINE_ROLE),
        )
