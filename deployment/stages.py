"""The units the pipeline deploys, in order: shared services first, then each environment of the chain."""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct

from accounts import naming
from accounts.config import OrgConfig
from accounts.naming import stage_id
from shared_services.stack import SharedServicesStack
from workloads.endpoint_stack import EndpointsStack
from workloads.manifest import EnvironmentManifest

SHARED_SERVICES_STAGE = "ModelOps-SharedServices"
SHARED_SERVICES_TARGET = naming.SHARED_SERVICES_TARGET


class SharedServicesStage(cdk.Stage):
    """The shared-services account: registry groups, key, artifact bucket, approval workflow."""

    def __init__(
        self,
        scope: Construct,
        *,
        config: OrgConfig,
        manifests: dict[str, list[EnvironmentManifest]],
    ) -> None:
        super().__init__(
            scope,
            SHARED_SERVICES_STAGE,
            env=cdk.Environment(account=config.accounts.shared_services, region=config.region),
        )
        self.stack = SharedServicesStack(self, "SharedServices", config=config, manifests=manifests)


class WorkloadStage(cdk.Stage):
    """One environment's workload account: an endpoint per manifest."""

    def __init__(
        self,
        scope: Construct,
        *,
        config: OrgConfig,
        env_name: str,
        manifests: list[EnvironmentManifest],
    ) -> None:
        environment = config.environment(env_name)
        super().__init__(
            scope,
            stage_id(env_name),
            env=cdk.Environment(account=environment.account, region=config.region),
        )
        self.env_name = env_name
        self.stack = EndpointsStack(self, "Endpoints", config=config, env_name=env_name, manifests=manifests)
