"""PLACEHOLDER (being built): one environment's endpoints."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from constructs import Construct

from accounts.config import OrgConfig
from workloads.manifest import EnvironmentManifest


class EndpointsStack(cdk.Stack):
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
        cdk.CfnOutput(self, "Placeholder", value="x")
