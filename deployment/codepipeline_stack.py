"""PLACEHOLDER (being built): the CodePipeline engine."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from constructs import Construct

from accounts.config import OrgConfig
from deployment.stages import SharedServicesStage, WorkloadStage


class CodePipelineStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: OrgConfig,
        shared: SharedServicesStage,
        workloads: list[WorkloadStage],
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
