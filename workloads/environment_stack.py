"""One environment's constant-size stack (`ModelOps-<env>/Environment`): the operator role, the soak reader
(in an environment that has a next one, whose soak gate reads this one's alarms), and, once the
environment has an endpoint, the endpoint key (alias `alias/modelops-endpoints-<env>`), the batch bucket
(`modelops-batch-<account>-<region>`) and role (`modelops-batch-<env>`), and, once one captures data, the
capture bucket (`modelops-data-capture-<account>-<region>`).

An environment without manifests still deploys the operator role and nothing else: it is what the
pipeline assumes after every deploy, and CloudFormation refuses a template without resources. Each model's
endpoint has a stack of its own (workloads/endpoint_stack.py) that reaches the key and the bucket by those
names, never by a cross-stack export, so this stack neither grows with the models nor pins them.
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
from workloads.batch import batch_key_statement
from workloads.capture import CaptureBucket
from workloads.manifest import EnvironmentManifest, Manifest
from workloads.roles import batch_role, operator_role, soak_reader_role

KEY_USE_ACTIONS = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]


def endpoint_key_policy(config: OrgConfig, env_name: str, models: list[Manifest]) -> iam.PolicyDocument:
    """The endpoint key's policy, replacing CDK's default `kms:*` for the account root.

    The account administers the key through IAM; only this environment's execution roles may use it, and
    only through SageMaker (volumes) and S3 (data capture, batch input and output), and its batch role, only
    through S3 (workloads/batch.py), except the kms:Encrypt that SageMaker documents
    the execution role itself must hold for data capture. The roles are matched by their name pattern
    (`modelops-exec-<env>-*`), not listed, so the policy stays the same size whatever the number of models;
    the key policy only delegates to IAM (the account root is the principal), so a role still needs its own
    identity policy, which each model's execution role grants itself alone (workloads/roles.py).
    """
    account = config.environment(env_name).account
    root = iam.ArnPrincipal(naming.account_root_arn(account))
    execution_roles = {"ArnLike": {"aws:PrincipalArn": naming.execution_role_arn_pattern(config, env_name)}}
    statements = [
        iam.PolicyStatement(sid="AccountAdministersKey", principals=[root], actions=KEY_ADMIN_ACTIONS, resources=["*"]),
        iam.PolicyStatement(
            sid="ExecutionRolesUseKeyThroughSageMakerAndS3",
            principals=[root],
            actions=KEY_USE_ACTIONS,
            resources=["*"],
            conditions={
                **execution_roles,
                "StringEquals": {
                    "kms:ViaService": [f"sagemaker.{config.region}.amazonaws.com", naming.s3_via_service(config)]
                },
            },
        ),
    ]
    if any(m.data_capture is not None for m in models):
        statements.append(
            iam.PolicyStatement(
                sid="ExecutionRolesEncryptDataCapture",
                principals=[root],
                actions=["kms:Encrypt", "kms:GenerateDataKey"],
                resources=["*"],
                conditions=execution_roles,
            )
        )
    statements.append(batch_key_statement(config, env_name))
    return iam.PolicyDocument(statements=statements)


class EnvironmentStack(cdk.Stack):
    """What every endpoint of one environment's account shares."""

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
        account = config.environment(env_name).account

        self.operator = operator_role(
            self, "Operator", config=config, env_name=env_name, models=[m.model for m in models]
        )
        # Only an environment with a next one is soaked in; its soak reader exists whatever its manifests.
        self.soak_reader = (
            soak_reader_role(self, "SoakReader", config=config, env_name=env_name)
            if config.next_environment(env_name) is not None
            else None
        )
        self.key: kms.Key | None = None
        self.capture: CaptureBucket | None = None
        self.batch: CaptureBucket | None = None
        self.batch_role: iam.CfnRole | None = None
        if not models:
            return

        self.key = kms.Key(
            self,
            "EndpointKey",
            description=f"modelops {env_name}: endpoint storage volumes and data capture",
            enable_key_rotation=True,
            policy=endpoint_key_policy(config, env_name, models),
        )
        # The endpoint stacks name the key by this alias (EndpointConfig KmsKeyId, kms:ResourceAliases).
        self.alias = self.key.add_alias(naming.endpoint_key_alias(env_name))
        # The CloudFormation execution policy creates, changes and deletes only keys that carry this tag.
        cdk.Tags.of(self.key).add(naming.MANAGED_TAG_KEY, naming.MANAGED_TAG_VALUE)
        if any(m.data_capture is not None for m in models):
            self.capture = CaptureBucket(
                self, "DataCapture", key=self.key, bucket_name=naming.data_capture_bucket(account, config.region)
            )
        # Batch inference (workloads/batch.py): its bucket, under the same key, and the role its job runs as.
        self.batch = CaptureBucket(
            self, "Batch", key=self.key, bucket_name=naming.batch_bucket(account, config.region), log_prefix="batch/"
        )
        self.batch_role = batch_role(self, "BatchInference", config=config, env_name=env_name)
