"""The shared-services account's stack: the artifact key and bucket, the image repository, and the roles
that decide and record approvals. Each model's package group has a stack of its own
(shared_services/model_stack.py), so this one does not grow with the number of models."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from accounts import naming
from accounts.config import OrgConfig
from shared_services.api_gateway_logging import ApiGatewayLogging
from shared_services.approval_workflow import ApprovalWorkflow
from shared_services.artifacts import ArtifactStore
from shared_services.decision_roles import DecisionRoles
from shared_services.images import ImageRepository
from shared_services.ledger import AuditLedger
from shared_services.principals import execution_roles_by_env, unique_sids
from shared_services.roles import RegistryRoles
from workloads.manifest import EnvironmentManifest

# Server access logs are granted through the log bucket's policy (pinned to the artifact bucket and this
# account) instead of the LogDeliveryWrite ACL, which owner-enforced buckets cannot have.
S3_ACCESS_LOGS_USE_BUCKET_POLICY = "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"


class SharedServicesStack(cdk.Stack):
    """Everything the other accounts use from shared services, with resource policies naming them."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: OrgConfig,
        manifests: dict[str, list[EnvironmentManifest]],
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.node.set_context(S3_ACCESS_LOGS_USE_BUCKET_POLICY, True)
        unique_sids([model.name for model in config.models], "models")

        self.artifacts = ArtifactStore(
            self,
            "Artifacts",
            config=config,
            roles_by_env=execution_roles_by_env(config, manifests),
        )
        self.images = ImageRepository(self, "Images", config=config)
        self.roles = RegistryRoles(self, "Roles", config=config)
        self.decisions = DecisionRoles(self, "DecisionRoles", config=config)
        self.api_logging = ApiGatewayLogging(self, "ApiGatewayLogging", config=config)
        self.approval = ApprovalWorkflow(self, "ApprovalWorkflow", config=config)
        # The stage writes access logs, which API Gateway accepts only once the account names a logs role.
        self.approval.api.deployment_stage.node.add_dependency(self.api_logging.account)
        self.ledger = AuditLedger(self, "Ledger", config=config, key=self.approval.key)

        self._publish(
            "ArtifactBucket",
            naming.shared_parameter("artifact-bucket"),
            self.artifacts.bucket.bucket_name,
            "The bucket holding model artifacts under artifacts/<model>/.",
        )
        self._publish(
            "ArtifactKeyArn",
            naming.shared_parameter("artifact-key-arn"),
            self.artifacts.key.key_arn,
            f"The KMS key ({naming.ARTIFACT_KEY_ALIAS}) encrypting the artifact bucket.",
        )

    def _publish(self, construct_id: str, name: str, value: str, description: str) -> None:
        """Publish a value as an SSM parameter (for the CLI and other stacks) and a stack output."""
        ssm.StringParameter(
            self, f"{construct_id}Parameter", parameter_name=name, string_value=value, description=description
        )
        cdk.CfnOutput(self, construct_id, value=value, description=description)
