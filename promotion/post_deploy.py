"""The post-deploy step of one environment, after its stacks deployed (`modelops record-deploy ENV`).

1. smoke-test each endpoint (InvokeEndpoint, as the environment's operator);
2. read each endpoint back (endpoint → config → model → container) and require the pinned ARN, then the
   pinned bytes: the version's recorded and current content, and the artifact's current S3 version;
3. record the live ARN: the workload account's parameter (for inference consumers), then, as the
   environment's recorder role (`modelops-recorder-<env>`, which writes nothing of another environment),
   the deploy record in the ledger (`<model>/deploys/<env>`, which the chain-order gate reads) and the
   shared-services live record;
4. ask the next environment's approvers to review each version, with the endpoint's CloudWatch metrics
   since the deploy began (none after the last environment).

A deploy already recorded (by `deploy`, or by an earlier run of this step: promotion/deploy_record.py) is
verified again but neither recorded nor announced twice; `ask_again` asks the next approvers anyway.

It re-reads and validates the environment's manifests and asks the registry only for the content record:
the other gates were checked before the stack was deployed, the read-back proves the endpoint runs exactly
the pinned ARN and bytes, and the record must say what is live. Refusing to record a version that serves
would leave inference consumers reading a stale ARN; the next environment's gates ask the registry anew. A
failed notification leaves the live record written (the endpoint does run that version) and is reported
as such.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from accounts import naming
from accounts.config import OrgConfig
from accounts.validation import InputError
from promotion.aws import AwsContext, calling
from promotion.content import artifact_state, served_failures
from promotion.deploy_record import AlreadyRecorded, deploy_reason, recorded_before
from promotion.deploy_roles import CallingClient, EnvironmentRoles, Progress
from promotion.endpoints import read_endpoint
from promotion.errors import CheckFailed, ModelOpsError
from promotion.events import NotifyFailed, notify_next_environment
from promotion.gates import content_gate, pinned_content, version_label
from promotion.ledger import HistoryAction, HistoryRecord, Ledger, utc_now
from promotion.live_records import LiveRecords
from promotion.registry import Registry
from promotion.rollback import previous_live_arn, sagemaker_rollback
from workloads.manifest import EnvironmentManifest, load_environment

DEFAULT_SMOKE_BODY = b"0\n"
DEFAULT_SMOKE_CONTENT_TYPE = "text/csv"
# The metrics window when the caller does not say when the deploy began: a blue/green update with its
# baking time fits in the hour the pipeline's deploy credentials last.
DEFAULT_METRICS_WINDOW = timedelta(hours=1)


class NotificationFailed(ModelOpsError):
    """The deploy is live and recorded, but the next environment's approvers were not (all) asked."""


@dataclass(frozen=True)
class DeployedModel:
    """One model live in the environment, and the event that asked the next approvers (None after the last)."""

    model: str
    arn: str
    endpoint: str
    review_event: str | None = None


@dataclass(frozen=True)
class Recorded:
    """What the post-deploy step verified and recorded, whom it asked to review next, and what an earlier
    run had already recorded (neither recorded nor announced again)."""

    env: str
    account: str
    next_env: str | None
    models: list[DeployedModel]
    already: list[AlreadyRecorded] = field(default_factory=list)


def read_manifests(roles: EnvironmentRoles, workloads_root: Path) -> list[EnvironmentManifest]:
    """The environment's manifests, validated (schema, ARN form, model package group)."""
    return load_environment(roles.config, roles.env.name, workloads_root)


def only_models(manifests: list[EnvironmentManifest], models: Sequence[str], env: str) -> list[EnvironmentManifest]:
    """The manifests of `models` (all of them when none is named); InputError names a model `env` does not pin."""
    if not models:
        return manifests
    pinned = [entry.manifest.model for entry in manifests]
    unknown = [model for model in models if model not in pinned]
    if unknown:
        expected = ", ".join(sorted(pinned)) or "(none)"
        raise InputError(f"--model {unknown[0]}: no manifest of {env} pins it; expected one of {expected}")
    return [entry for entry in manifests if entry.manifest.model in set(models)]


def smoke_and_read_back(
    roles: EnvironmentRoles, manifests: list[EnvironmentManifest], body: bytes, content_type: str
) -> dict[str, str]:
    """Invoke each endpoint once, then require that it is InService and runs exactly the pinned ARN.

    Returns each model's endpoint config, which identifies the deploy (promotion/deploy_record.py)."""
    env, account = roles.env.name, roles.account
    operator = naming.operator_role_arn(roles.config, env)
    configs: dict[str, str] = {}
    with calling(f"the SageMaker endpoints of {env} (account {account})", role=operator):
        session = roles.operator()
        sagemaker = session.client("sagemaker", region_name=roles.region)
        runtime = session.client("sagemaker-runtime", region_name=roles.region)
        ssm = session.client("ssm", region_name=roles.region)
        for entry in manifests:
            endpoint = naming.endpoint_name(entry.manifest.model)
            roles.progress(f"smoke-testing {endpoint}")
            response = runtime.invoke_endpoint(EndpointName=endpoint, ContentType=content_type, Body=body)
            status = int(response["ResponseMetadata"]["HTTPStatusCode"])
            if status != 200:
                raise CheckFailed(f"smoke test of {endpoint} in {env} answered HTTP {status}")
            live = read_endpoint(sagemaker, endpoint)
            pinned = entry.manifest.model_package_arn
            if live is None:
                raise CheckFailed(f"read-back: endpoint {endpoint} does not exist in {env} after the deploy")
            if live.package != pinned:
                previous = previous_live_arn(ssm, entry.manifest.model)
                rolled_back = sagemaker_rollback(endpoint, env, live, pinned, previous)
                if rolled_back is not None:
                    raise CheckFailed(rolled_back)
            if live.status != "InService" or live.package != pinned:
                raise CheckFailed(
                    f"read-back: endpoint {endpoint} in {env} is {live.status} and runs "
                    f"{', '.join(live.packages) or 'no model package'}; expected the pinned {pinned}; "
                    "the live record was not updated"
                )
            content = pinned_content(entry.manifest.content)
            served = served_failures(endpoint, live.served, content) if content is not None else []
            if served:
                raise CheckFailed(f"read-back: {served[0]}; the live record was not updated")
            configs[entry.manifest.model] = live.config_name
    return configs


def read_back_content(roles: EnvironmentRoles, manifests: list[EnvironmentManifest]) -> None:
    """Require that each served version still holds the bytes its manifest pins: the version's record and
    InferenceSpecification, and the artifact's current S3 version (the registry and S3, as the promoter).

    The endpoint's model names the package; SageMaker loads the package's artifact and image again on every
    scale-out and replacement, so bytes changed under the approved ARN would serve from then on.
    """
    config = roles.config
    promoter = naming.promoter_role_arn(config)
    with calling("the SageMaker registry and the artifact bucket", role=promoter):
        session = roles.promoter()
        registry = Registry(session.client("sagemaker", region_name=roles.region), config)
        s3 = session.client("s3", region_name=roles.region)
        for entry in manifests:
            arn = entry.manifest.model_package_arn
            package = registry.describe(arn)
            if package is None:
                raise CheckFailed(f"read-back: {arn} does not exist in the registry; the live record was not updated")
            current = artifact_state(s3, package.content.artifact) if package.content is not None else None
            failures = content_gate(package, pinned_content(entry.manifest.content), current)
            if failures:
                raise CheckFailed(f"read-back: {failures[0].message}; the live record was not updated")


def record_live(roles: EnvironmentRoles, manifests: list[EnvironmentManifest], configs: dict[str, str]) -> None:
    """Write each live ARN: the workload account's parameter, the deploy record (naming the endpoint config
    in `configs`, by model), the shared live record."""
    if not manifests:
        return
    env, account, config = roles.env.name, roles.account, roles.config
    operator = naming.operator_role_arn(config, env)
    with calling(f"Parameter Store in {env} (account {account})", role=operator):
        ssm = roles.operator().client("ssm", region_name=roles.region)
        for entry in manifests:
            ssm.put_parameter(
                Name=naming.live_arn_parameter(entry.manifest.model),
                Value=entry.manifest.model_package_arn,
                Type="String",
                Overwrite=True,
                Tier="Standard",
            )
    recorder = naming.recorder_role_arn(config, env)
    shared = f"the ledger and Parameter Store in the shared-services account {config.accounts.shared_services}"
    with calling(shared, role=recorder):
        session = roles.recorder()
        dynamodb = session.client("dynamodb", region_name=roles.region)
        live = LiveRecords(session.client("ssm", region_name=roles.region))
        who, when = roles.aws.identity(), utc_now()
        for entry in manifests:
            model, arn = entry.manifest.model, entry.manifest.model_package_arn
            # The deploy record first: the gates read it, and the live record follows what it says.
            Ledger(dynamodb, model).append(
                naming.deploys_stream(model, env),
                HistoryRecord(
                    who=who,
                    when=when,
                    action=HistoryAction.DEPLOYED,
                    reason=deploy_reason(arn, env, configs[model]),
                    arn=arn,
                    account=account,
                    env=env,
                ),
            )
            live.put(model, env, arn)


def ask_next_environment(
    roles: EnvironmentRoles, manifests: list[EnvironmentManifest], start: datetime
) -> list[DeployedModel]:
    """Ask the next environment's approvers to review each version, with its metrics since `start`.

    Every model is tried; the failures are reported together, after the live record was written.
    """
    env, config = roles.env.name, roles.config
    following = config.next_environment(env)
    if following is None or not manifests:  # the command's summary says nobody is asked next
        return [deployed_model(entry, None) for entry in manifests]
    operator = naming.operator_role_arn(config, env)
    promoter = naming.promoter_role_arn(config)
    workload = f"CloudWatch in {env} (account {roles.account})"
    shared = f"EventBridge in the shared-services account {config.accounts.shared_services}"
    end = datetime.now(UTC)
    models: list[DeployedModel] = []
    failures: list[str] = []
    for entry in manifests:
        model, arn = entry.manifest.model, entry.manifest.model_package_arn
        roles.progress(f"asking the approvers of {following.name} to review {model} {version_label(arn)}")
        try:
            with calling(workload, role=operator):
                cloudwatch = roles.operator().client("cloudwatch", region_name=roles.region)
            with calling(shared, role=promoter):
                events = roles.promoter().client("events", region_name=roles.region)
            asked = notify_next_environment(
                config=config,
                events=CallingClient(events, shared, promoter),
                cloudwatch=CallingClient(cloudwatch, workload, operator),
                model=model,
                env=env,
                arn=arn,
                start=start,
                end=end,
            )
        except (NotifyFailed, ModelOpsError) as exc:
            failures.append(
                f"{env} is deployed and its live record written, but the approvers of "
                f"{following.name} were not asked to review {model} {version_label(arn)}: {exc}; "
                f"run `modelops record-deploy {env} --ask-again` to ask them again"
            )
            continue
        models.append(deployed_model(entry, asked.event_id if asked is not None else None))
    if failures:
        raise NotificationFailed("\n".join(failures))
    return models


def deployed_model(entry: EnvironmentManifest, review_event: str | None) -> DeployedModel:
    """The summary line of one deployed manifest."""
    return DeployedModel(
        model=entry.manifest.model,
        arn=entry.manifest.model_package_arn,
        endpoint=naming.endpoint_name(entry.manifest.model),
        review_event=review_event,
    )


def verify_and_record(
    roles: EnvironmentRoles,
    manifests: list[EnvironmentManifest],
    body: bytes,
    content_type: str,
    start: datetime,
    *,
    ask_again: bool = False,
) -> Recorded:
    """Smoke test and read back each endpoint, record the live ARNs not yet recorded for this deploy, then ask
    the next environment about those (about every one with `ask_again`)."""
    configs = smoke_and_read_back(roles, manifests, body, content_type)
    read_back_content(roles, manifests)
    already = recorded_before(roles, manifests, configs)
    fresh = [entry for entry in manifests if entry.manifest.model not in already]
    record_live(roles, fresh, configs)
    models = ask_next_environment(roles, manifests if ask_again else fresh, start)
    following = roles.config.next_environment(roles.env.name)
    return Recorded(
        env=roles.env.name,
        account=roles.account,
        next_env=following.name if following is not None else None,
        models=models,
        already=list(already.values()),
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
    ask_again: bool = False,
    models: Sequence[str] = (),
) -> Recorded:
    """The post-deploy step of `env`, after its stack deployed (see the module docstring).

    `models`, when given, limits the step to those models' manifests: the deploy workflow deploys a batch of
    per-model stacks in each job, and each job records (and smoke-tests, and announces) its batch only.

    `started` is when the deploy began, the start of the metrics window the next approvers see
    (default: DEFAULT_METRICS_WINDOW ago). NotificationFailed once the live record is written means only
    the request to the next environment's approvers failed; `ask_again` then asks them, though the deploy is
    already recorded.
    """
    roles = EnvironmentRoles(aws, config, env, progress or (lambda _message: None))
    manifests = only_models(read_manifests(roles, workloads_root), models, env)
    roles.progress(f"verifying and recording {len(manifests)} endpoint(s) in {env}")
    start = started if started is not None else datetime.now(UTC) - DEFAULT_METRICS_WINDOW
    return verify_and_record(roles, manifests, smoke_body, smoke_content_type, start, ask_again=ask_again)
