"""`drift`: every live endpoint that differs from git, read from the endpoints themselves.

Per environment, through that environment's deploy role and its operator role (the only principal the
operator trusts): DescribeEndpoint → DescribeEndpointConfig → DescribeModel for each configured model
(a model the environment's stack never deployed is passed over: see `_read`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from accounts import naming
from accounts.config import OrgConfig
from promotion.aws import ACCESS_DENIED_CODES, AwsContext, calling
from promotion.deploy_roles import is_session_of
from promotion.endpoints import LiveEndpoint, read_endpoint
from promotion.gates import version_label
from workloads.manifest import load_all

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient

Progress = Callable[[str], None]


@dataclass(frozen=True)
class EndpointCheck:
    """One model in one environment: what git pins, what the endpoint runs, and whether they differ."""

    env: str
    model: str
    pinned: str | None
    live: str | None
    endpoint_status: str | None

    @property
    def drift(self) -> bool:
        return self.pinned != self.live

    @property
    def detail(self) -> str:
        if not self.drift:
            return f"runs {version_label(self.live)}, as pinned"
        if self.live is None and self.endpoint_status is None:
            return f"git pins {version_label(self.pinned)} but no endpoint is live"
        if self.live is None:
            return f"the endpoint's variants run different versions (git pins {version_label(self.pinned)})"
        if self.pinned is None:
            return f"the endpoint runs {version_label(self.live)} but git pins nothing"
        return f"the endpoint runs {version_label(self.live)} but git pins {version_label(self.pinned)}"


def check_drift(
    aws: AwsContext,
    config: OrgConfig,
    workloads_root: Path,
    *,
    progress: Progress | None = None,
    envs: list[str] | None = None,
) -> list[EndpointCheck]:
    """Every (environment, model) pair that is pinned or live, in chain order (of `envs` only, when given:
    a deploy job holds one environment's deploy role, through which alone that environment's endpoints
    are read)."""
    manifests = load_all(config, workloads_root)
    checks: list[EndpointCheck] = []
    for env in envs if envs is not None else config.chain:
        pinned = {entry.manifest.model: entry.manifest.model_package_arn for entry in manifests[env]}
        role = naming.operator_role_arn(config, env)
        account = config.environment(env).account
        with calling(f"the SageMaker endpoints of {env} (account {account})", role=role):
            deploy_role = naming.github_deploy_role_arn(config, env)
            # In the environment's deploy job the ambient session is the deploy role already.
            via = None if is_session_of(aws.caller_arn(), deploy_role) else deploy_role
            session = aws.operator(env, via=via)
            client = session.client("sagemaker", region_name=config.region)
            for spec in config.models:
                if progress is not None:
                    progress(f"reading {spec.name} in {env}")
                endpoint = _read(client, spec.name, pinned=spec.name in pinned)
                if endpoint is None and spec.name not in pinned:
                    continue
                checks.append(
                    EndpointCheck(
                        env=env,
                        model=spec.name,
                        pinned=pinned.get(spec.name),
                        live=endpoint.package if endpoint is not None else None,
                        endpoint_status=endpoint.status if endpoint is not None else None,
                    )
                )
    return checks


def _read(client: SageMakerClient, model: str, *, pinned: bool) -> LiveEndpoint | None:
    """`model`'s endpoint in the client's account, or None when there is none.

    The operator may describe every modelops endpoint of its account (`endpoint/modelops-*`, workloads/roles.py),
    so for a model git pins nowhere in the environment the endpoint does not exist: nothing to compare. An
    operator policy that names only the deployed models' endpoints (as before issue 13) refuses it instead, and
    that AccessDenied means the same. For a pinned model a refusal is real, and is reported."""
    try:
        return read_endpoint(client, naming.endpoint_name(model))
    except ClientError as exc:
        if not pinned and exc.response.get("Error", {}).get("Code") in ACCESS_DENIED_CODES:
            return None
        raise
