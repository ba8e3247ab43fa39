"""`deploy ENV`: what the pipeline runs for one environment, start to finish.

1. the gates, for every manifest of the environment (as `verify`);
2. synth the CDK app from the given workloads folder into a temporary cloud assembly (the caller passes
   the synthesizer: the engine sits below the CDK app in the layers);
3. deploy the environment's stage through CloudFormation: the environment's deploy role, then the target
   account's CDK deploy role, with the CDK cfn-exec role as CloudFormation's execution role;
4. the post-deploy step (promotion/post_deploy.py), which the GitHub workflow runs alone as
   `record-deploy ENV` after its own CloudFormation step.

A CloudFormation failure is reported with its resource and reason. CloudFormation rolls the stack back,
so the previous endpoint keeps serving, and no live record is written.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from accounts import naming
from accounts.config import OrgConfig
from accounts.validation import InputError
from promotion.aws import AwsContext, calling
from promotion.cfn_deploy import (
    TEMPLATE_BODY_LIMIT,
    DeployFailed,
    StackArtifact,
    deploy_stack,
    publish_assets,
    stack_artifacts,
)
from promotion.deploy_roles import EnvironmentRoles, Progress
from promotion.errors import CheckFailed
from promotion.post_deploy import (
    DEFAULT_SMOKE_BODY,
    DEFAULT_SMOKE_CONTENT_TYPE,
    DeployedModel,
    read_manifests,
    verify_and_record,
)
from promotion.verify import require_gates

# Synthesizes the app for (config, workloads root) into an outdir and returns the cloud assembly's path.
Synthesize = Callable[[OrgConfig, Path, Path], Path]


@dataclass(frozen=True)
class Release:
    """One environment's deploy: its stacks, whether anything changed, and what now runs there."""

    env: str
    account: str
    stacks: list[str]
    changed: bool
    next_env: str | None
    models: list[DeployedModel]


def stage_stacks(assembly: Path, env: str) -> list[StackArtifact]:
    """The stacks of `env`'s stage in the cloud assembly at `assembly`, in assembly order."""
    prefix = f"{naming.stage_id(env)}/"
    stacks = [artifact for name, artifact in stack_artifacts(assembly).items() if name.startswith(prefix)]
    if not stacks:
        raise InputError(f"the synthesized app has no stack for {env} (expected {prefix}...)")
    return stacks


def _needs_publishing(artifact: StackArtifact) -> bool:
    """Assets other than the template itself, or a template too large to send inline."""
    if artifact.template_path.stat().st_size > TEMPLATE_BODY_LIMIT:
        return True
    if artifact.assets_path is None:
        return False
    files = json.loads(artifact.assets_path.read_text()).get("files", {})
    return any(Path(asset["source"]["path"]).name != artifact.template_path.name for asset in files.values())


def deploy_stacks(roles: EnvironmentRoles, stacks: list[StackArtifact]) -> bool:
    """Deploy `stacks` into the environment's account; True when any of them changed."""
    env, account = roles.env.name, roles.account
    deploy_role = naming.cdk_role_arn("deploy", account, roles.region)
    changed = False
    with calling(f"CloudFormation in {env} (account {account})", role=deploy_role):
        for artifact in stacks:
            template_url = None
            if _needs_publishing(artifact) and artifact.assets_path is not None:
                roles.progress(f"publishing the assets of {artifact.display_name}")
                publish_assets(roles.cdk_role("file-publishing"), artifact.assets_path)
                template_url = artifact.template_url
            roles.progress(f"deploying {artifact.stack_name}")
            try:
                result = deploy_stack(
                    roles.cdk_role("deploy"),
                    stack_name=artifact.stack_name,
                    template_path=artifact.template_path,
                    cfn_exec_role_arn=naming.cdk_role_arn("cfn-exec", account, roles.region),
                    progress=roles.progress,
                    template_url=template_url,
                )
            except DeployFailed as exc:
                raise CheckFailed(
                    f"{exc}; CloudFormation rolled the stack back, the previous endpoint keeps serving, "
                    f"and the live record of {env} was not updated"
                ) from None
            changed = changed or result.changed
    return changed


def deploy(
    aws: AwsContext,
    config: OrgConfig,
    workloads_root: Path,
    env: str,
    *,
    synthesize: Synthesize,
    smoke_body: bytes = DEFAULT_SMOKE_BODY,
    smoke_content_type: str = DEFAULT_SMOKE_CONTENT_TYPE,
    progress: Progress | None = None,
) -> Release:
    """Deploy `env` from `workloads_root` (see the module docstring for the steps)."""
    started = datetime.now(UTC)
    roles = EnvironmentRoles(aws, config, env, progress or (lambda _message: None))
    manifests = read_manifests(roles, workloads_root)
    require_gates(roles, workloads_root, manifests)
    with tempfile.TemporaryDirectory(prefix="modelops-synth-") as workdir:
        roles.progress("synthesizing the CDK app")
        stacks = stage_stacks(synthesize(config, workloads_root, Path(workdir) / "cdk.out"), env)
        changed = deploy_stacks(roles, stacks)
    recorded = verify_and_record(roles, manifests, smoke_body, smoke_content_type, started)
    return Release(
        env=env,
        account=roles.account,
        stacks=[artifact.stack_name for artifact in stacks],
        changed=changed,
        next_env=recorded.next_env,
        models=recorded.models,
    )
