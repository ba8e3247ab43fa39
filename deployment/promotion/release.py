"""`deploy ENV`: what the pipeline runs for one environment, start to finish.

1. the gates, for every manifest of the environment (as `verify`);
2. synth the CDK app from the given workloads folder into a temporary cloud assembly;
3. deploy the environment's stage through CloudFormation: the environment's GitHub deploy role, then
   the target account's CDK deploy role, with the CDK cfn-exec role as CloudFormation's execution role;
4. smoke-test each endpoint (InvokeEndpoint, as the environment's operator);
5. read each endpoint back (endpoint → config → model → container) and require the pinned ARN;
6. record the live ARN: the workload account's parameter (for inference consumers), the shared-services
   live record (for the gates), and the history.

A CloudFormation failure is reported with its resource and reason. CloudFormation rolls the stack back,
so the previous endpoint keeps serving, and no live record is written.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from accounts import naming
from accounts.config import OrgConfig
from accounts.validation import InputError
from deployment.cfn_deploy import (
    TEMPLATE_BODY_LIMIT,
    DeployFailed,
    StackArtifact,
    deploy_stack,
    publish_assets,
    stack_artifacts,
)
from deployment.promotion.aws import AwsContext, calling
from deployment.promotion.endpoints import read_endpoint
from deployment.promotion.errors import CheckFailed, GateFailed
from deployment.promotion.gates import version_label
from deployment.promotion.history import DEPLOYED, History, HistoryRecord, LiveRecords, utc_now
from deployment.promotion.verify import verify
from workloads.manifest import EnvironmentManifest, load_environment

Progress = Callable[[str], None]
DEFAULT_SMOKE_BODY = b"0\n"
DEFAULT_SMOKE_CONTENT_TYPE = "text/csv"


@dataclass(frozen=True)
class DeployedModel:
    model: str
    arn: str
    endpoint: str


@dataclass(frozen=True)
class Release:
    env: str
    account: str
    stacks: list[str]
    changed: bool
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

    def check_gates(self) -> list[EnvironmentManifest]:
        manifests = load_environment(self.config, self.env.name, self.root)
        self.progress(f"checking the gates of {len(manifests)} manifest(s) in {self.env.name}")
        _files, failures = verify(
            self.aws,
            self.config,
            self.root,
            envs=[self.env.name],
            promoter_via=self.deploy_role,
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
                        via=self.deploy_role,
                    )
                    publish_assets(publisher, artifact.assets_path)
                    template_url = artifact.template_url
                self.progress(f"deploying {artifact.stack_name}")
                try:
                    result = deploy_stack(
                        self.aws.assume(deploy_role, via=self.deploy_role),
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
            session = self.aws.operator(self.env.name, via=self.deploy_role)
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
            ssm = self.aws.operator(self.env.name, via=self.deploy_role).client("ssm", region_name=self.region)
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
            client = self.aws.promoter(via=self.deploy_role).client("ssm", region_name=self.region)
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
    releaser = Releaser(aws, config, workloads_root, env, progress or (lambda _message: None))
    manifests = releaser.check_gates()
    with tempfile.TemporaryDirectory(prefix="modelops-synth-") as workdir:
        releaser.progress("synthesizing the CDK app")
        stacks = synthesize_stage(config, workloads_root, env, Path(workdir))
        changed = releaser.deploy_stacks(stacks)
    releaser.smoke_and_read_back(manifests, smoke_body, smoke_content_type)
    releaser.record(manifests)
    return Release(
        env=env,
        account=releaser.account,
        stacks=[artifact.stack_name for artifact in stacks],
        changed=changed,
        models=[
            DeployedModel(
                model=entry.manifest.model,
                arn=entry.manifest.model_package_arn,
                endpoint=naming.endpoint_name(entry.manifest.model),
            )
            for entry in manifests
        ],
    )
