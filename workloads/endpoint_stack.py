"""One environment's workload account: the operator role, and an endpoint per manifest in `workloads/<env>/`.

An environment without manifests still deploys the operator role and nothing else: it is what the
pipeline assumes after every deploy, and CloudFormation refuses a template without resources. The
endpoint key and the capture bucket appear with the first endpoint, and with the first data capture.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from accounts import naming
from accounts.config import OrgConfig
from policies.actions import KEY_ADMIN_ACTIONS  # the same administrator set as the artifact key
from workloads.capture import CaptureBucket
from workloads.endpoint import ModelEndpoint
from workloads.manifest import EnvironmentManifest, Manifest
from workloads.roles import operator_role

KEY_USE_ACTIONS = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]


def endpoint_key_policy(config: OrgConfig, env_name: str, models: list[Manifest]) -> iam.PolicyDocument:
    """The endpoint key's policy, replacing CDK's default `kms:*` for the account root.

    The account administers the key through IAM; only this environment's execution roles may use it, and
    only through SageMaker (volumes) and S3 (data capture), except the kms:Encrypt that SageMaker documents
    the execution role itself must hold for data capture.
    """
    account = config.environment(env_name).account
    root = iam.ArnPrincipal(naming.account_root_arn(account))
    execution_roles = [naming.execution_role_arn(config, env_name, m.model) for m in models]
    capturing = [naming.execution_role_arn(config, env_name, m.model) for m in models if m.data_capture]
    statements = [
        iam.PolicyStatement(sid="AccountAdministersKey", principals=[root], actions=KEY_ADMIN_ACTIONS, resources=["*"]),
        iam.PolicyStatement(
            sid="ExecutionRolesUseKeyThroughSageMakerAndS3",
            principals=[root],
            actions=KEY_USE_ACTIONS,
            resources=["*"],
            conditions={
                "ArnEquals": {"aws:PrincipalArn": execution_roles},
                "StringEquals": {
                    "kms:ViaService": [f"sagemaker.{config.region}.amazonaws.com", naming.s3_via_service(config)]
                },
            },
        ),
    ]
    if capturing:
        statements.append(
            iam.PolicyStatement(
                sid="ExecutionRolesEncryptDataCapture",
                principals=[root],
                actions=["kms:Encrypt", "kms:GenerateDataKey"],
                resources=["*"],
                conditions={"ArnEquals": {"aws:PrincipalArn": capturing}},
            )
        )
    return iam.PolicyDocument(statements=statements)


class EndpointsStack(cdk.Stack):
    """Everything modelops runs in one environment's account."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: OrgConfig,
        env_name: str,
        manifests: list[EnvironmentManifest],
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        strays = [str(item.path) for item in manifests if item.env != env_name]
        if strays:
            raise ValueError(f"manifests of another environment passed to {env_name}: {strays}")
        models = [item.manifest for item in manifests]

        self.operator = operator_role(
            self, "Operator", config=config, env_name=env_name, models=[m.model for m in models]
        )
        self.endpoints: dict[str, ModelEndpoint] = {}
        self.key: kms.Key | None = None
        self.capture: CaptureBucket | None = None
        if not models:
            return

        self.key = kms.Key(
            self,
            "EndpointKey",
            description=f"modelops {env_name}: endpoint storage volumes and data capture",
            enable_key_rotation=True,
            policy=endpoint_key_policy(config, env_name, models),
        )
        # The CloudFormation execution policy creates, changes and deletes only keys that carry this tag.
        cdk.Tags.of(self.key).add(naming.MANAGED_TAG_KEY, naming.MANAGED_TAG_VALUE)
        if any(m.data_capture is not None for m in models):
            self.capture = CaptureBucket(self, "DataCapture", key=self.key)

        # Each model lives under its own construct id, so its logical ids derive from its name alone and
        # adding or removing another model never renames (and so never replaces) its resources.
        container = Construct(self, "Models")
        for manifest in models:
            self.endpoints[manifest.model] = ModelEndpoint(
                container,
                manifest.model,
                config=config,
                env_name=env_name,
                manifest=manifest,
                key=self.key,
                capture=self.capture if manifest.data_capture is not None else None,
            )
