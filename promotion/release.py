"""`deploy ENV`: what the pipeline runs for one environment, start to finish.

1. the gates, for every manifest of the environment (as `verify`);
2. synth the CDK app from the given workloads folder into a temporary cloud assembly;
3. deploy the environment's stage through CloudFormation: the environment's GitHub deploy role, then
   the target account's CDK deploy role, with the CDK cfn-exec role as CloudFormation's execution role;
4. the post-deploy step (`after_deploy`, which the GitHub workflow runs alone as `record-deploy ENV`
   after its own CloudFormation step):
   a. smoke-test each endpoint (InvokeEndpoint, as the environment's operator);
   b. read each endpoint back (endpoint → config → model → container) and require the pinned ARN;
   c. record the live ARN: the workload account's parameter (for inference consumers), the
      shared-services live record (for the gates), and the history;
   d. ask the next environment's approvers to review each version, with the endpoint's CloudWatch
      metrics since the deploy began (none after the last environment).

A CloudFormation failure is reported with its resource and reason. CloudFormation rolls the stack back,
so the previous endpoint keeps serving, and no live record is written. A failed notification leaves the
live record written (the endpoint does run that version) and is reported as such.

The post-deploy step re-reads and validates the environment's manifests but does not ask the registry
again: the gates were checked before the stack was deployed, the read-back proves the endpoint runs
exactly the pinned ARN, and the record must say what is live. Refusing to record a version that serves
would leave inference consumers reading a stale ARN; the next environment's gates ask the registry anew.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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
from promotion.endpoints import read_endpoint
from promotion.errors import CheckFailed, GateFailed, ModelOpsError
from promotion.events import NotifyFailed, notify_next_environment
from promotion.gates import version_label
from promotion.history import DEPLOYED, History, HistoryRecord, LiveRecords, utc_now
from promotion.verify import verify
from workloads.manifest import EnvironmentManifest, load_environment

Progress = Callable[[str], None]
DEFAULT_SMOKE_BODY = b"0\n"
DEFAULT_SMOKE_CONTENT_TYPE = "text/csv"
# The metrics window when the caller does not say when the deploy began: a blue/green update with its
# baking time fits in the hour the pipeline's deploy credentials last.
DEFAULT_METRICS_WINDOW = timedelta(hours=1)


class NotificationFailed(ModelOpsError):
    """The deploy is live and recorded, but the next environment's approvers were not (all) asked."""


@dataclass(frozen=True)
class DeployedModel:
    model: str
    arn: str
    endpoint: str
    # The EventBridge event that asked the next environment's approvers; None after the last environment.
    review_event: str | None = None


@dataclass(frozen=True)
class Recorded:
    """What the post-deploy step verified and recorded, and whom it asked to review next."""

    env: str
    account: str
    next_env: str | None
    models: list[DeployedModel]


@dataclass(frozen=True)
class Release:
    env: str
    account: str
    stacks: list[str]
    changed: bool
    next_env: str | None
    models: list[DeployedModel]


@contextmanager
def _without_workflow_diff_check() -> Iterator[None]:
    # Inside the deploy workflow GitHub sets GITHUB_WORKFLOW, which makes synth compare the generated
    # workflow with the committed one. That check belongs to `make synth` and the PR checks; here the
    # workflow is written to the temporary assembly and never compared.
    saved = os.environ.pop("GITHUB_WORKFLOW", None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ["GITHUB_WORKFLOW"] = saved


def synthesize_stage(config: OrgConfig, workloads_root: Path, env: str, outdir: Path) -> list[StackArtifact]:
    """Synthesize the app into `outdir` and return the stacks of `env`'s stage, in assembly order."""
    from deployment.cdk_app import build_app  # CDK and jsii start only when a deploy needs them

    with _without_workflow_diff_check():
        app = build_app(
            config,
            workloads_root=workloads_root,
            outdir=str(outdir / "cdk.out"),
            workflow_path=str(outdir / ".github" / "workflows" / "deploy.yml"),
        )
        app.synth()
    prefix = f"{naming.stage_id(env)}/"
    stacks = [artifact for name, artifact in stack_artifacts(outdir / "cdk.out").items() if name.startswith(prefix)]
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


class _Calling:
    """A boto3 client whose every call fails as one line naming what it reaches, as which role."""

    def __init__(self, client: Any, what: str, role: str) -> None:
        self._client, self._what, self._role = client, what, role

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._client, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            with calling(self._what, role=self._role):
                return method(*args, **kwargs)

        return call


def is_session_of(caller_arn: str, role_arn: str) -> bool:
    """Whether the STS caller `caller_arn` is a session of the IAM role `role_arn`.

    An assumed-role ARN (`arn:aws:sts::<account>:assumed-role/<name>/<session>`) drops the role's path.
    """
    caller, role = caller_arn.split(":", 5), role_arn.split(":", 5)
    if len(caller) != 6 or len(role) != 6 or caller[2] != "sts" or role[2] != "iam":
        return False
    kind, _, rest = caller[5].partition("/")
    return (
        kind == "assumed-role"
        and (caller[1], caller[4]) == (role[1], role[4])
        and rest.split("/", 1)[0] == role[5].rsplit("/", 1)[-1]
    )


class Releaser:
    """One deploy of one environment, with every session chained from that environment's deploy role."""

    def __init__(self, aws: AwsContext, config: OrgConfig, workloads_root: Path, env: str, progress: Progress) -> None:
        self.aws = aws
        self.config = config
        self.root = workloads_root
        self.env = config.environment(env)
        self.progress = progress
        self.deploy_role = naming.github_deploy_role_arn(config, env)
        self.account = self.env.account
        self.region = config.region
        self._via: tuple[str | None] | None = None

    @property
    def via(self) -> str | None:
        """The role every session is assumed through: the deploy role, unless the caller already is it.

        In the pipeline's own job, GitHub OIDC gave the ambient credentials that role, and IAM lets a role
        assume itself only where its trust policy names it (the deploy roles trust GitHub alone).
        """
        if self._via is None:
            with calling("AWS STS"):
                caller = self.aws.caller_arn()
            self._via = (None if is_session_of(caller, self.deploy_role) else self.deploy_role,)
        return self._via[0]

    def read_manifests(self) -> list[EnvironmentManifest]:
        """The environment's manifests, validated (schema, ARN form, model package group)."""
        return load_environment(self.config, self.env.name, self.root)

    def check_gates(self) -> list[EnvironmentManifest]:
        manifests = self.read_manifests()
        self.progress(f"checking the gates of {len(manifests)} manifest(s) in {self.env.name}")
        _files, failures = verify(
            self.aws,
            self.config,
            self.root,
            envs=[self.env.name],
            via=self.via,
            progress=self.progress,
        )
        if failures:
            raise GateFailed([str(failure) for failure in failures])
        return manifests

    def deploy_stacks(self, stacks: list[StackArtifact]) -> bool:
        deploy_role = naming.cdk_role_arn("deploy", self.account, self.region)
        changed = False
        with calling(f"CloudFormation in {self.env.name} (account {self.account})", role=deploy_role):
            for artifact in stacks:
                template_url = None
                if _needs_publishing(artifact) and artifact.assets_path is not None:
                    self.progress(f"publishing the assets of {artifact.display_name}")
                    publisher = self.aws.assume(
                        naming.cdk_role_arn("file-publishing", self.account, self.region),
                        via=self.via,
                    )
                    publish_assets(publisher, artifact.assets_path)
                    template_url = artifact.template_url
                self.progress(f"deploying {artifact.stack_name}")
                try:
                    result = deploy_stack(
                        self.aws.assume(deploy_role, via=self.via),
                        stack_name=artifact.stack_name,
                        template_path=artifact.template_path,
                        cfn_exec_role_arn=naming.cdk_role_arn("cfn-exec", self.account, self.region),
                        progress=self.progress,
                        template_url=template_url,
                    )
                except DeployFailed as exc:
                    raise CheckFailed(
                        f"{exc}; CloudFormation rolled the stack back, the previous endpoint keeps serving, "
                        f"and the live record of {self.env.name} was not updated"
                    ) from None
                changed = changed or result.changed
        return changed

    def smoke_and_read_back(self, manifests: list[EnvironmentManifest], body: bytes, content_type: str) -> None:
        operator = naming.operator_role_arn(self.config, self.env.name)
        with calling(f"the SageMaker endpoints of {self.env.name} (account {self.account})", role=operator):
            session = self.aws.operator(self.env.name, via=self.via)
            sagemaker = session.client("sagemaker", region_name=self.region)
            runtime = session.client("sagemaker-runtime", region_name=self.region)
            for entry in manifests:
                endpoint = naming.endpoint_name(entry.manifest.model)
                self.progress(f"smoke-testing {endpoint}")
                response = runtime.invoke_endpoint(EndpointName=endpoint, ContentType=content_type, Body=body)
                status = int(response["ResponseMetadata"]["HTTPStatusCode"])
                if status != 200:
                    raise CheckFailed(f"smoke test of {endpoint} in {self.env.name} answered HTTP {status}")
                live = read_endpoint(sagemaker, endpoint)
                pinned = entry.manifest.model_package_arn
                if live is None:
                    raise CheckFailed(
                        f"read-back: endpoint {endpoint} does not exist in {self.env.name} after the deploy"
                    )
                if live.status != "InService" or live.package != pinned:
                    raise CheckFailed(
                        f"read-back: endpoint {endpoint} in {self.env.name} is {live.status} and runs "
                        f"{', '.join(live.packages) or 'no model package'}; expected the pinned {pinned}; "
                        "the live record was not updated"
                    )

    def record(self, manifests: list[EnvironmentManifest]) -> None:
        operator = naming.operator_role_arn(self.config, self.env.name)
        with calling(f"Parameter Store in {self.env.name} (account {self.account})", role=operator):
            ssm = self.aws.operator(self.env.name, via=self.via).client("ssm", region_name=self.region)
            for entry in manifests:
                ssm.put_parameter(
                    Name=naming.live_arn_parameter(entry.manifest.model),
                    Value=entry.manifest.model_package_arn,
                    Type="String",
                    Overwrite=True,
                    Tier="Standard",
                )
        promoter = naming.promoter_role_arn(self.config)
        shared = f"Parameter Store in the shared-services account {self.config.accounts.shared_services}"
        with calling(shared, role=promoter):
            client = self.aws.promoter(via=self.via).client("ssm", region_name=self.region)
            who, when = self.aws.identity(), utc_now()
            for entry in manifests:
                arn = entry.manifest.model_package_arn
                LiveRecords(client).put(entry.manifest.model, self.env.name, arn)
                History(client, entry.manifest.model).append(
                    HistoryRecord(
                        who=who,
                        when=when,
                        action=DEPLOYED,
                        reason=f"deployed {version_label(arn)} to {self.env.name}",
                        arn=arn,
                        account=self.account,
                        env=self.env.name,
                    )
                )

    def notify(self, manifests: list[EnvironmentManifest], start: datetime) -> list[DeployedModel]:
        """Ask the next environment's approvers to review each version, with its metrics since `start`.

        Every model is tried; the failures are reported together, after the live record was written.
        """
        following = self.config.next_environment(self.env.name)
        if following is None:  # the command's summary says nobody is asked next
            return [_deployed(entry, None) for entry in manifests]
        operator = naming.operator_role_arn(self.config, self.env.name)
        promoter = naming.promoter_role_arn(self.config)
        workload = f"CloudWatch in {self.env.name} (account {self.account})"
        shared = f"EventBridge in the shared-services account {self.config.accounts.shared_services}"
        end = datetime.now(UTC)
        models: list[DeployedModel] = []
        failures: list[str] = []
        for entry in manifests:
            model, arn = entry.manifest.model, entry.manifest.model_package_arn
            self.progress(f"asking the approvers of {following.name} to review {model} {version_label(arn)}")
            try:
                with calling(workload, role=operator):
                    cloudwatch = self.aws.operator(self.env.name, via=self.via).client(
                        "cloudwatch", region_name=self.region
                    )
                with calling(shared, role=promoter):
                    events = self.aws.promoter(via=self.via).client("events", region_name=self.region)
                asked = notify_next_environment(
                    config=self.config,
                    events=_Calling(events, shared, promoter),
                    cloudwatch=_Calling(cloudwatch, workload, operator),
                    model=model,
                    env=self.env.name,
                    arn=arn,
                    start=start,
                    end=end,
                )
            except (NotifyFailed, ModelOpsError) as exc:
                failures.append(
                    f"{self.env.name} is deployed and its live record written, but the approvers of "
                    f"{following.name} were not asked to review {model} {version_label(arn)}: {exc}; "
                    f"run `modelops record-deploy {self.env.name}` to ask them again"
                )
                continue
            models.append(_deployed(entry, asked.event_id if asked is not None else None))
        if failures:
            raise NotificationFailed("\n".join(failures))
        return models

    def after_deploy(
        self, manifests: list[EnvironmentManifest], body: bytes, content_type: str, start: datetime
    ) -> Recorded:
        """Smoke test and read back each endpoint, record the live ARNs, then ask the next environment."""
        self.smoke_and_read_back(manifests, body, content_type)
        self.record(manifests)
        models = self.notify(manifests, start)
        following = self.config.next_environment(self.env.name)
        return Recorded(
            env=self.env.name,
            account=self.account,
            next_env=following.name if following is not None else None,
            models=models,
        )


def _deployed(entry: EnvironmentManifest, review_event: str | None) -> DeployedModel:
    return DeployedModel(
        model=entry.manifest.model,
        arn=entry.manifest.model_package_arn,
        endpoint=naming.endpoint_name(entry.manifest.model),
        review_event=review_event,
    )


def after_deploy(
    aws: AwsContext,
    config: OrgConfig,
    workloads_root: Path,
    env: str,
    *,
    smoke_body: bytes = DEFAULT_SMOKE_BODY,
    smoke_content_type: str = DEFAULT_SMOKE_CONTENT_TYPE,
    started: datetime | None = None,
    progress: Progress | None = None,
) -> Recorded:
    """The post-deploy step of `env`, after its stack deployed (see the module docstring, step 4).

    `started` is when the deploy began, the start of the metrics window the next approvers see
    (default: DEFAULT_METRICS_WINDOW ago). NotificationFailed once the live record is written means only
    the request to the next environment's approvers failed.
    """
    step = Releaser(aws, config, workloads_root, env, progress or (lambda _message: None))
    manifests = step.read_manifests()
    step.progress(f"verifying and recording {len(manifests)} endpoint(s) in {env}")
    start = started if started is not None else datetime.now(UTC) - DEFAULT_METRICS_WINDOW
    return step.after_deploy(manifests, smoke_body, smoke_content_type, start)


def deploy(
    aws: AwsContext,
    config: OrgConfig,
    workloads_root: Path,
    env: str,
    *,
    smoke_body: bytes = DEFAULT_SMOKE_BODY,
    smoke_content_type: str = DEFAULT_SMOKE_CONTENT_TYPE,
    progress: Progress | None = None,
) -> Release:
    """Deploy `env` from `workloads_root` (see the module docstring for the steps)."""
    started = datetime.now(UTC)
    releaser = Releaser(aws, config, workloads_root, env, progress or (lambda _message: None))
    manifests = releaser.check_gates()
    with tempfile.TemporaryDirectory(prefix="modelops-synth-") as workdir:
        releaser.progress("synthesizing the CDK app")
        stacks = synthesize_stage(config, workloads_root, env, Path(workdir))
        changed = releaser.deploy_stacks(stacks)
    recorded = releaser.after_deploy(manifests, smoke_body, smoke_content_type, started)
    return Release(
        env=env,
        account=releaser.account,
        stacks=[artifact.stack_name for artifact in stacks],
        changed=changed,
        next_env=recorded.next_env,
        models=recorded.models,
    )
