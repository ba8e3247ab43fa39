"""The units the pipeline deploys, in order: shared services first, then each environment of the chain.

Each stage holds one constant-size stack and one stack per model, so that no stack grows with the number of
models (CloudFormation allows 500 resources and a 1 MB template per stack) and a model's failed deploy rolls
back that model alone. The per-model stacks depend on their stage's constant stack for ordering only:
they reach what it holds by derived names (accounts/naming.py), never by cross-stack exports, which would
pin the producer for as long as any consumer reads them.
"""

from __future__ import annotations

from collections.abc import Collection

import aws_cdk as cdk
from constructs import Construct

from accounts import naming
from accounts.config import OrgConfig
from accounts.naming import stage_id
from shared_services.model_stack import ModelStack
from shared_services.stack import SharedServicesStack
from workloads.endpoint_stack import EndpointStack
from workloads.environment_stack import EnvironmentStack
from workloads.manifest import EnvironmentManifest

SHARED_SERVICES_STAGE = naming.SHARED_SERVICES_STAGE
SHARED_SERVICES_TARGET = naming.SHARED_SERVICES_TARGET


class SharedServicesStage(cdk.Stage):
    """The shared-services account: `SharedServices` (key, artifact bucket, approval workflow, ledger, images)
    and `Model-<model>` per configured model (its registry group and parameter)."""

    def __init__(
        self,
        scope: Construct,
        *,
        config: OrgConfig,
        manifests: dict[str, list[EnvironmentManifest]],
        models: Collection[str] | None = None,
    ) -> None:
        """`models`: build only these models' stacks (None: every configured model's); see cdk_app.build_app."""
        super().__init__(
            scope,
            SHARED_SERVICES_STAGE,
            env=cdk.Environment(account=config.accounts.shared_services, region=config.region),
        )
        self.stack = SharedServicesStack(self, naming.SHARED_SERVICES_STACK_ID, config=config, manifests=manifests)
        self.models: dict[str, ModelStack] = {}
        for model in config.models:
            if models is not None and model.name not in models:
                continue
            stack = ModelStack(self, naming.model_stack_id(model.name), config=config, model=model)
            stack.add_stack_dependency(self.stack, "the shared services' roles and key come first")
            self.models[model.name] = stack


class WorkloadStage(cdk.Stage):
    """One environment's workload account: `Environment` (operator role, endpoint key, capture bucket) and
    `Endpoint-<model>` per manifest."""

    def __init__(
        self,
        scope: Construct,
        *,
        config: OrgConfig,
        env_name: str,
        manifests: list[EnvironmentManifest],
        models: Collection[str] | None = None,
    ) -> None:
        """`models`: build only these models' endpoint stacks (None: every manifest's). The environment's own
        stack is always built from every manifest, since what it holds depends on all of them."""
        environment = config.environment(env_name)
        super().__init__(
            scope,
            stage_id(env_name),
            env=cdk.Environment(account=environment.account, region=config.region),
        )
        self.env_name = env_name
        self.stack = EnvironmentStack(
            self, naming.ENVIRONMENT_STACK_ID, config=config, env_name=env_name, manifests=manifests
        )
        self.endpoints: dict[str, EndpointStack] = {}
        for manifest in manifests:
            model = manifest.manifest.model
            if models is not None and model not in models:
                continue
            stack = EndpointStack(
                self, naming.endpoint_stack_id(model), config=config, env_name=env_name, manifest=manifest
            )
            stack.add_stack_dependency(self.stack, "the endpoint key and capture bucket come first")
            self.endpoints[model] = stack
