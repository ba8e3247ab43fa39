"""One model's endpoint in one environment, as a stack of its own (`ModelOps-<env>/Endpoint-<model>`).

A stack per model and environment bounds each stack's size (an endpoint is at most a dozen resources,
where one stack of every endpoint reached CloudFormation's 500 at about 83 models), and a model's failed
deploy rolls back that model's stack alone: every other model's change stays deployed. The stack depends on
the environment's stack (workloads/environment_stack.py) for ordering only; it reaches the endpoint key and
the capture bucket by their derived names, never by a cross-stack export.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from constructs import Construct

from accounts.config import OrgConfig
from workloads.endpoint import ModelEndpoint
from workloads.manifest import EnvironmentManifest


class EndpointStack(cdk.Stack):
    """The execution role, Model, EndpointConfig, Endpoint, rollback alarms and autoscaling of one manifest."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: OrgConfig,
        env_name: str,
        manifest: EnvironmentManifest,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        if manifest.env != env_name:
            raise ValueError(f"{manifest.path}: a manifest of {manifest.env} passed to {env_name}")
        # The model's resources keep the construct path they had in the single Endpoints stack
        # (Models/<model>/...), so their logical ids derive from the model's name alone.
        self.endpoint = ModelEndpoint(
            Construct(self, "Models"),
            manifest.manifest.model,
            config=config,
            env_name=env_name,
            manifest=manifest.manifest,
        )
