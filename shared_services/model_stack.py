"""One model's stack in shared services (`ModelOps-SharedServices/Model-<model>`): its package group and the
SSM parameter publishing the group's ARN.

A stack per model keeps the shared-services stack constant-size (at 500 models one stack held 1,086
resources, against CloudFormation's 500), and a new model deploys only its own stack. It depends on the
`SharedServices` stack for ordering only: no cross-stack export, since Fn::ImportValue would pin the
producer's outputs for as long as any model stack reads them; the names are derived from accounts/naming.py.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from accounts import naming
from accounts.config import ModelSpec, OrgConfig
from shared_services.registry import ModelRegistry


class ModelStack(cdk.Stack):
    """A model's registry group (retained on removal) and `/modelops/shared/model-package-group/<model>`."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: OrgConfig, model: ModelSpec, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.registry = ModelRegistry(self, "Registry", config=config, model=model)
        description = f"The model package group of {model.name}."
        # The ARN is derived rather than read with GetAtt, so the parameter does not depend on attributes
        # the local sandbox cannot resolve; the dependency keeps the creation order.
        arn = naming.model_package_group_arn(config, model.name)
        self.parameter = ssm.StringParameter(
            self,
            "ModelPackageGroupParameter",
            parameter_name=naming.shared_parameter(f"model-package-group/{model.name}"),
            string_value=arn,
            description=description,
        )
        self.parameter.node.add_dependency(self.registry.group)
        cdk.CfnOutput(self, "ModelPackageGroup", value=arn, description=description)
