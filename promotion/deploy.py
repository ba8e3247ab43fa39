"""`deploy ENV`: what the pipeline runs for one environment, start to finish.

1. the gates, for every manifest of the environment (as `verify`);
2. synth the CDK app from the given workloads folder into a temporary cloud assembly (the caller passes
   the synthesizer: the engine sits below the CDK app in the layers);
3. deploy the environment's stage through CloudFormation: the environment's deploy role, then the target
   account's CDK deploy role, with the CDK cfn-exec role as CloudFormation's execution role. The stage's
   `Environment` stack deploys first; then each `Endpoint-<model>` stack whose template differs from the
   deployed one (GetTemplate: an unchanged model costs one read, no change set and no update); then the
   `Endpoint-<model>` stacks of models whose manifest is gone are deleted (their endpoint with them);
4. the post-deploy step (promotion/post_deploy.py), which the GitHub workflow runs alone as
   `record-deploy ENV` after its own CloudFormation step.

A CloudFormation failure is reported with its resource and reason, and with what each endpoint now runs:
"rolled back" only when every endpoint is back on the version live before (promotion/rollback.py). A model's
stack that fails reports that model's endpoint alone; the other models' stacks still deploy, and those are
verified and recorded before the deploy fails. The wait
for CloudFormation is derived from the stack's rollout settings (promotion/deploy_wait.py); when it runs out,
the deploy says so, and that the stack may still complete or roll back. No live record is written either way.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from accounts import naming
from accounts.config import OrgConfig
from accounts.validation import InputError
from policies.quota_limits import TEMPLATE_BODY_LIMIT
from promotion.aws import AwsContext, calling
from promotion.cfn_deploy import (
    DeployFailed,
    DeployTimedOut,
    StackArtifact,
    delete_stack,
    deploy_stack,
    deployed_template_matches,
    publish_assets,
    stack_artifacts,
    stacks_starting_with,
)
from promotion.deploy_record import AlreadyRecorded
from promotion.deploy_roles import EnvironmentRoles, Progress
from promotion.deploy_wait import stack_wait_seconds
from promotion.endpoints import read_endpoint
from promotion.errors import CheckFailed, ModelOpsError
from promotion.post_deploy import (
    DEFAULT_SMOKE_BODY,
    DEFAULT_SMOKE_CONTENT_TYPE,
    DeployedModel,
    read_manifests,
    verify_and_record,
)
from promotion.rollback import endpoint_state, previous_live_arn
from promotion.verify import require_gates
from workloads.manifest import EnvironmentManifest

# CloudFormation's statuses after it has rolled a failed update (or creation) back.
ROLLED_BACK = {"UPDATE_ROLLBACK_COMPLETE", "ROLLBACK_COMPLETE"}

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
    already: list[AlreadyRecorded] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)


@dataclass
class StageOutcome:
    """What deploying a stage's stacks did: the stacks updated, those already as synthesized, and each
    model whose stack failed with the message that reports it."""

    deployed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.deployed or self.deleted)


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


def endpoint_states(roles: EnvironmentRoles, manifests: list[EnvironmentManifest]) -> tuple[bool, str]:
    """Whether every endpoint of the environment is as it was before the deploy, and what each runs."""
    env, account = roles.env.name, roles.account
    operator = naming.operator_role_arn(roles.config, env)
    states: list[tuple[bool, str]] = []
    try:
        with calling(f"the SageMaker endpoints of {env} (account {account})", role=operator):
            session = roles.operator()
            sagemaker = session.client("sagemaker", region_name=roles.region)
            ssm = session.client("ssm", region_name=roles.region)
            for entry in manifests:
                endpoint = naming.endpoint_name(entry.manifest.model)
                previous = previous_live_arn(ssm, entry.manifest.model)
                states.append(endpoint_state(endpoint, read_endpoint(sagemaker, endpoint), previous))
    except ModelOpsError as exc:
        return False, f"the endpoints could not be read back ({exc})"
    return all(same for same, _ in states), "; ".join(text for _, text in states)


def failed_deploy_message(exc: DeployFailed, subject: str, endpoints: tuple[bool, str], *, record_command: str) -> str:
    """What a failed or unfinished stack deploy reports: never "rolled back" unless the endpoints are.
    `subject` is whose live record was not updated: the environment, or one model in it."""
    unrecorded = f"the live record of {subject} was not updated"
    if isinstance(exc, DeployTimedOut):
        return (
            f"{exc}; the endpoints were not read back and {unrecorded}: once the stack has finished, "
            f"`{record_command}` verifies and records it"
        )
    same, states = endpoints
    if same and exc.status in ROLLED_BACK:
        return f"{exc}; CloudFormation rolled the stack back: {states}; {unrecorded}"
    return f"{exc}; the endpoints are not as before the deploy: {states}; {unrecorded}"


def endpoint_model(artifact: StackArtifact) -> str | None:
    """The model of an `Endpoint-<model>` stack; None for the environment's own stack."""
    stack_id = artifact.display_name.rpartition("/")[2]
    return (
        stack_id.removeprefix(naming.ENDPOINT_STACK_PREFIX)
        if stack_id.startswith(naming.ENDPOINT_STACK_PREFIX)
        else None
    )


def deploy_stacks(
    roles: EnvironmentRoles, stacks: list[StackArtifact], manifests: list[EnvironmentManifest]
) -> StageOutcome:
    """Deploy `stacks` into the environment's account: its own stacks first, then every model's stack that
    differs from the deployed one.

    Each stack is waited for as long as its endpoints' rollout settings allow (promotion/deploy_wait.py). A
    failure of the environment's stack stops the deploy (CheckFailed); a model's failure is kept in the
    outcome with that model's endpoint state, and the other models' stacks still deploy.
    """
    env, account = roles.env.name, roles.account
    deploy_role = naming.cdk_role_arn("deploy", account, roles.region)
    outcome = StageOutcome()
    by_model = {entry.manifest.model: entry for entry in manifests}
    shared = [artifact for artifact in stacks if endpoint_model(artifact) is None]
    models = [artifact for artifact in stacks if endpoint_model(artifact) is not None]
    for artifact in shared:
        try:
            with calling(f"CloudFormation in {env} (account {account})", role=deploy_role):
                _record(outcome, artifact, _deploy_one(roles, artifact))
        except DeployFailed as exc:
            endpoints = (False, "") if isinstance(exc, DeployTimedOut) else endpoint_states(roles, manifests)
            message = failed_deploy_message(exc, env, endpoints, record_command=f"modelops record-deploy {env}")
            raise CheckFailed(message) from None
    for artifact in models:
        model = endpoint_model(artifact) or ""
        try:
            with calling(f"CloudFormation in {env} (account {account})", role=deploy_role):
                if deployed_template_matches(roles.cdk_role("deploy"), artifact.stack_name, artifact.template_path):
                    outcome.unchanged.append(artifact.stack_name)
                    continue
                _record(outcome, artifact, _deploy_one(roles, artifact))
        except DeployFailed as exc:
            entries = [by_model[model]] if model in by_model else []
            endpoints = (False, "") if isinstance(exc, DeployTimedOut) else endpoint_states(roles, entries)
            outcome.failed[model] = failed_deploy_message(
                exc, f"{model} in {env}", endpoints, record_command=f"modelops record-deploy {env}"
            )
    unchanged = sum(artifact.stack_name in outcome.unchanged for artifact in models)
    roles.progress(f"{unchanged} of {len(models)} endpoint stacks unchanged")
    _delete_removed(roles, models, outcome)
    return outcome


def _delete_removed(roles: EnvironmentRoles, models: list[StackArtifact], outcome: StageOutcome) -> None:
    """Delete the endpoint stacks of models the environment no longer has a manifest for: CDK leaves a
    stack it no longer synthesizes in place, so without this its endpoint would keep serving."""
    env, account = roles.env.name, roles.account
    prefix = naming.stack_name(naming.stage_id(env), naming.ENDPOINT_STACK_PREFIX)
    kept = {artifact.stack_name for artifact in models}
    with calling(
        f"CloudFormation in {env} (account {account})", role=naming.cdk_role_arn("deploy", account, roles.region)
    ):
        session = roles.cdk_role("deploy")
        for name in stacks_starting_with(session, prefix):
            if name in kept:
                continue
            roles.progress(f"deleting {name}: its model has no manifest in {env}")
            try:
                delete_stack(session, name, progress=roles.progress)
            except DeployFailed as exc:
                outcome.failed[name.removeprefix(prefix)] = f"{exc}; the stack of a removed model was not deleted"
                continue
            outcome.deleted.append(name)


def _record(outcome: StageOutcome, artifact: StackArtifact, changed: bool) -> None:
    (outcome.deployed if changed else outcome.unchanged).append(artifact.stack_name)


def _record_the_others(
    roles: EnvironmentRoles,
    manifests: list[EnvironmentManifest],
    outcome: StageOutcome,
    smoke_body: bytes,
    smoke_content_type: str,
    started: datetime,
) -> None:
    """After a model's stack failed: verify and record the models whose stacks deployed, then fail with
    every failed model's report (and the post-deploy step's, if that failed too)."""
    failures = [outcome.failed[model] for model in sorted(outcome.failed)]
    deployed = [entry for entry in manifests if entry.manifest.model not in outcome.failed]
    if deployed:
        try:
            verify_and_record(roles, deployed, smoke_body, smoke_content_type, started)
        except ModelOpsError as exc:
            failures.append(str(exc))
    raise CheckFailed("; ".join(failures))


def _deploy_one(roles: EnvironmentRoles, artifact: StackArtifact) -> bool:
    account = roles.account
    template_url = None
    if _needs_publishing(artifact) and artifact.assets_path is not None:
        roles.progress(f"publishing the assets of {artifact.display_name}")
        publish_assets(roles.cdk_role("file-publishing"), artifact.assets_path)
        template_url = artifact.template_url
    roles.progress(f"deploying {artifact.stack_name}")
    result = deploy_stack(
        roles.cdk_role("deploy"),
        stack_name=artifact.stack_name,
        template_path=artifact.template_path,
        cfn_exec_role_arn=naming.cdk_role_arn("cfn-exec", account, roles.region),
        progress=roles.progress,
        template_url=template_url,
        timeout_seconds=stack_wait_seconds(json.loads(artifact.template_path.read_text())),
    )
    return result.changed


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
        outcome = deploy_stacks(roles, stacks, manifests)
    if outcome.failed:
        _record_the_others(roles, manifests, outcome, smoke_body, smoke_content_type, started)
    recorded = verify_and_record(roles, manifests, smoke_body, smoke_content_type, started)
    return Release(
        env=env,
        account=roles.account,
        stacks=[artifact.stack_name for artifact in stacks],
        changed=outcome.changed,
        next_env=recorded.next_env,
        models=recorded.models,
        already=recorded.already,
        unchanged=outcome.unchanged,
        deleted=outcome.deleted,
    )
