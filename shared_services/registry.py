"""The model registry: one SageMaker model package group per configured model, with its resource policy."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from accounts import naming
from accounts.config import ModelSpec, OrgConfig
from policies.statements import Statement, document
from promotion.metadata import CARD_APPROVAL_KEY, CONTENT_KEYS, StageStatus, decision_reserved_keys
from promotion.registry import ApprovalStatus
from shared_services.principals import github_deploy_role_arns, model_creator_arns, operator_roles, pascal

REGISTRY_READ_ACTIONS = [
    "sagemaker:DescribeModelPackage",
    "sagemaker:DescribeModelPackageGroup",
    "sagemaker:ListModelPackages",
]
# The tag SageMaker Unified Studio (DataZone) puts on the resources of a project, naming the project's id; the
# group carries the model's `datazone_project` with it, so the model is found from its data's project.
DATAZONE_PROJECT_TAG = "AmazonDataZoneProject"
# CloudFormation also creates the SageMaker Model from a version. UpdateModelPackage, the action that
# changes an approval, is granted to no principal outside shared services.
MODEL_CREATOR_ACTIONS = ["sagemaker:CreateModel", *REGISTRY_READ_ACTIONS]


def registration_conditions(config: OrgConfig) -> dict[str, dict[str, object]]:
    """What CreateModelPackage may carry, checked by IAM on both sides of the cross-account call.

    A version registered as Approved, or at any stage but the first environment's PendingApproval, would
    skip the approvers; one carrying a decision key would forge a decision. Omitting the status or the
    stage is fine: SageMaker then registers the version PendingManualApproval with no stage; one carrying the
    card approval would approve its own card (ModelCardStatus itself has no condition key). The content
    keys (what was registered: artifact version, SHA-256, image digest) must be present: a version without
    them could never pass the gates, and nothing may add them later (see `promotion.metadata`).
    """
    null: dict[str, object] = {
        f"sagemaker:CustomerMetadataProperties/{key}": "true" for key in decision_reserved_keys(config)
    }
    null.update({f"sagemaker:CustomerMetadataProperties/{key}": "false" for key in CONTENT_KEYS})
    null[f"sagemaker:CustomerMetadataProperties/{CARD_APPROVAL_KEY}"] = "true"  # only the card decision writes it
    return {
        "StringEqualsIfExists": {
            "sagemaker:ModelApprovalStatus": str(ApprovalStatus.PENDING),
            "sagemaker:ModelLifeCycle:stage": config.chain[0],
            "sagemaker:ModelLifeCycle:stageStatus": str(StageStatus.PENDING),
        },
        "Null": null,
    }


def group_resources(config: OrgConfig, model: str) -> list[str]:
    """The group itself (group actions) and every version in it (package actions)."""
    return [naming.model_package_group_arn(config, model), naming.model_packages_arn_pattern(config, model)]


def group_statements(config: OrgConfig, model: str) -> list[Statement]:
    """The group's resource policy: data science registers and reads; the deploy path reads, and each
    environment's CloudFormation execution role creates models from versions."""
    resources = group_resources(config, model)
    data_science = {"AWS": [naming.data_science_role_arn(config)]}
    statements = [
        Statement(
            sid="DataScienceRegistersPendingVersions",
            principals=data_science,
            actions=["sagemaker:CreateModelPackage"],
            resources=resources,
            conditions=registration_conditions(config),
        ),
        Statement(
            sid="DataScienceReadsRegistry",
            principals=data_science,
            actions=REGISTRY_READ_ACTIONS,
            resources=resources,
        ),
    ]
    deploy_roles = github_deploy_role_arns(config)
    if deploy_roles:
        statements.append(
            Statement(
                sid="DeployRolesReadRegistry",
                principals={"AWS": deploy_roles},
                actions=REGISTRY_READ_ACTIONS,
                resources=resources,
            )
        )
    operators = operator_roles(config)
    statements += [
        Statement(
            sid="CloudFormationCreatesModels",
            principals={"AWS": model_creator_arns(config)},
            actions=MODEL_CREATOR_ACTIONS,
            resources=resources,
        ),
        Statement(
            sid="OperatorsReadRegistry",
            principals={"AWS": [account.root_arn for account in operators]},
            actions=REGISTRY_READ_ACTIONS,
            resources=resources,
            conditions={"ArnEquals": {"aws:PrincipalArn": [arn for a in operators for arn in a.role_arns]}},
        ),
    ]
    return statements


class ModelRegistry(Construct):
    """One model's package group, named after the model, kept when removed from config (it holds the record).

    Each model's group sits in a stack of its own (shared_services/model_stack.py), so the shared-services
    stack does not grow with the number of models.
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: OrgConfig, model: ModelSpec) -> None:
        super().__init__(scope, construct_id)
        self.group = sagemaker.CfnModelPackageGroup(
            self,
            pascal(model.name),
            model_package_group_name=model.name,
            # No ModelPackageGroupDescription: changing it requires replacing the group ("Update requires:
            # Replacement"), which fails for a custom-named group, so a description edited in accounts.yaml
            # would fail the model's deploy. The description stays in accounts.yaml.
            model_package_group_policy=document(group_statements(config, model.name)),
            # Tags update in place ("Update requires: No interruption"), unlike the description.
            tags=[cdk.CfnTag(key=DATAZONE_PROJECT_TAG, value=model.datazone_project)]
            if model.datazone_project
            else None,
        )
        self.group.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
