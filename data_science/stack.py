"""PLACEHOLDER (being built): the data-science account's role."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from constructs import Construct

from accounts.config import OrgConfig


class DataScienceStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: OrgConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        cdk.CfnOutput(self, "Placeholder", value="x")
