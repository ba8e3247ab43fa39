"""PLACEHOLDER (being built): the GitHub Actions engine."""

from __future__ import annotations

import aws_cdk as cdk

from accounts.config import OrgConfig
from deployment.stages import SharedServicesStage, WorkloadStage


def add_github_pipeline(
    app: cdk.App,
    *,
    config: OrgConfig,
    shared: SharedServicesStage,
    workloads: list[WorkloadStage],
    workflow_path: str,
) -> None:
    return None
