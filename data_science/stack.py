"""The data-science account's stack: the one role that writes artifacts and registers model versions.

Every resource it reaches lives in shared services, whose resource policies must allow the same calls.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from accounts import naming
from accounts.config import OrgConfig
from data_science.training_stack import TrainingPipelines
from policies.actions import IMAGE_PUSH_ACTIONS
from shared_services.bucket_policy import DATA_SCIENCE_OBJECT_ACTIONS, model_artifact_arns
from shared_services.key_policy import DATA_SCIENCE_KEY_ACTIONS
from shared_services.registry import REGISTRY_READ_ACTIONS, group_resources, registration_conditions
from shared_services.trust import define_role, permission_set_trust


def data_science_trust(config: OrgConfig) -> list[iam.PolicyStatement]:
    """Data scientists through their Identity Center permission set, and SageMaker jobs of this account."""
    account = config.accounts.data_science
    return [
        # The registry records the session's source identity as who registered (CreatedBy), and the
        # decision service refuses that person's approval of the version.
        permission_set_trust(
            account, naming.DATA_SCIENTIST_PERMISSION_SET, sid="DataScientistsPermissionSet", source_identity=True
        ),
        iam.PolicyStatement(
            sid="SageMakerJobsOfThisAccount",
            principals=[iam.ServicePrincipal("sagemaker.amazonaws.com")],
            actions=["sts:AssumeRole"],
            # Confused-deputy guard: only SageMaker work started in the data-science account.
            conditions={"StringEquals": {"aws:SourceAccount": account}},
        ),
    ]


def data_science_permissions(config: OrgConfig) -> list[iam.PolicyStatement]:
    """Write artifacts, use the artifact key through S3, and register versions in the shared registry."""
    # Every group of the registry (one pattern whatever the number of models; shared_services/roles.py says
    # why that is exactly the configured models); each group's own policy must allow registration as well.
    registry = group_resources(config, naming.ANY_MODEL) if config.models else []
    uploads = model_artifact_arns(config)
    # The training pipelines' jobs run as this role and pass step outputs through `training/<model>/`.
    if naming.trains_models(config):
        uploads = [*uploads, naming.training_objects_arn(config)]
    statements = [
        *(
            [iam.PolicyStatement(sid="WriteArtifacts", actions=DATA_SCIENCE_OBJECT_ACTIONS, resources=uploads)]
            if uploads
            else []
        ),
        iam.PolicyStatement(
            sid="ListArtifacts",
            actions=["s3:ListBucket"],
            resources=[naming.artifact_bucket_arn(config)],
            conditions={"StringLike": {"s3:prefix": f"{naming.ARTIFACT_ROOT}/*"}},
        ),
        iam.PolicyStatement(
            sid="UseArtifactKeyThroughS3",
            actions=DATA_SCIENCE_KEY_ACTIONS,
            # The key's id is only known once shared services deploys; its alias names it here.
            resources=[naming.shared_kms_keys_arn_pattern(config)],
            conditions={
                "StringEquals": {"kms:ViaService": naming.s3_via_service(config)},
                "ForAnyValue:StringEquals": {"kms:ResourceAliases": naming.ARTIFACT_KEY_ALIAS},
            },
        ),
    ]
    if registry:
        statements += [
            iam.PolicyStatement(
                sid="RegisterPendingVersions",
                actions=["sagemaker:CreateModelPackage"],
                resources=registry,
                conditions=registration_conditions(config),
            ),
            iam.PolicyStatement(sid="ReadRegistry", actions=REGISTRY_READ_ACTIONS, resources=registry),
            # Registration pins the image by digest: it resolves the tag with DescribeImages in the one
            # repository the endpoints pull from (shared_services/images.py), where data science pushes.
            iam.PolicyStatement(
                sid="ResolveAndPushImages",
                actions=IMAGE_PUSH_ACTIONS,
                resources=[naming.model_image_repository_arn(config)],
            ),
            # GetAuthorizationToken has no resource type; the token alone reads nothing, the statement
            # above and the repository's policy decide what a push may reach.
            iam.PolicyStatement(sid="AuthenticateToEcr", actions=["ecr:GetAuthorizationToken"], resources=["*"]),
        ]
    return statements


class DataScienceStack(cdk.Stack):
    """The `modelops-data-science` role. Deployed by hand before shared services, whose policies name it."""

    def __init__(self, scope: Construct, construct_id: str, *, config: OrgConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.role = define_role(
            self,
            "DataScienceRole",
            role_name=naming.DATA_SCIENCE_ROLE,
            description="Writes model artifacts to the shared bucket; registers versions pending approval.",
            trust=data_science_trust(config),
            permissions=data_science_permissions(config),
        )
        cdk.CfnOutput(self, "DataScienceRoleArn", value=self.role.attr_arn, description="The data-science role.")
        self.training = TrainingPipelines(self, "Training", config=config)
