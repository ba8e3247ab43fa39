"""The post-deploy step, in the sandbox organisation: after a deploy the endpoint is smoke-tested, read back
and recorded live, and the next environment's approvers are asked to review it, with its CloudWatch metrics,
through one event on the shared-services bus; after the last environment nobody is asked.

One version goes through the module: registered, approved, promoted and deployed to qa once (module
fixture), then promoted and deployed to prod once. The events are read where the approval workflow's rule
delivers them: moto records each event a deployed rule matched for the notify Lambda."""

from __future__ import annotations

import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from typer.testing import CliRunner, Result

import cli.main
from accounts import naming
from accounts.config import OrgConfig, load_config
from promotion.aws import AwsContext
from promotion.deploy_roles import is_session_of
from promotion.events import DEPLOY_VERIFIED, collect_endpoint_metrics
from promotion.ledger import Ledger, LedgerRecord
from promotion.live_records import LiveRecords
from promotion.post_deploy import only_models
from sandbox.github_oidc import job_session
from sandbox.images import push_image
from sandbox.lambda_runner import LambdaRunner
from sandbox.organization import (
    Sandbox,
    account_admin_session,
    person_role_name,
    person_session,
)
from tests.conftest import REPO_ROOT
from tests.orgs import config_path, workloads_root
from tests.promotion_support import QA_APPROVER
from tests.sandbox_fixtures import approval_api_served
from tests.test_entry_points import press_ctrl_c_after
from workloads.manifest import EnvironmentManifest, load_environment

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch.type_defs import DimensionTypeDef

CONFIG = config_path("two_env")  # the organisation of the session's sandbox
PIPELINE_SESSION = "modelops-4242-1"  # what the deploy workflow names its sessions: run id, attempt
QA, PROD, SHARED = "444444444444", "555555555555", "111111111111"
IMAGE = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/modelops-models:churn-model-1.0"
LIVE_PARAMETER = "/modelops/models/churn-model/live-model-package-arn"
NO_METRICS = {"Invocations": None, "ModelLatency": None, "Invocation4XXErrors": None, "Invocation5XXErrors": None}


def modelops(workloads: Path, *args: str) -> Result:
    return CliRunner().invoke(cli.main.app, ["--config", str(CONFIG), "--workloads", str(workloads), *args])


def use_credentials(monkeypatch: pytest.MonkeyPatch, session: boto3.Session) -> None:
    frozen = session.get_credentials().get_frozen_credentials()  # type: ignore[union-attr]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", str(frozen.access_key))
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", str(frozen.secret_key))
    monkeypatch.setenv("AWS_SESSION_TOKEN", str(frozen.token))


def act_as_person(
    monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox, account: str, permission_set: str, email: str
) -> None:
    role = person_role_name(permission_set)
    use_credentials(
        monkeypatch, person_session(sandbox.config, sandbox.endpoint_url, account=account, role_name=role, email=email)
    )


def act_as_pipeline(monkeypatch: pytest.MonkeyPatch, config: OrgConfig, env: str) -> None:
    """The credentials a deploy job of `env` holds: its GitHub deploy role, for GitHub's OIDC token of that job
    (the only identity the role's trust admits)."""
    role = naming.github_deploy_role_arn(config, env)
    subject = naming.github_deploy_subject(config, env)
    use_credentials(monkeypatch, job_session(role, subject, region="eu-west-1", session_name=PIPELINE_SESSION))


def deploy_verified_events(sandbox: Sandbox) -> list[dict[str, Any]]:
    """Take the deploy-verified events the approval workflow's rule delivered to the notify Lambda."""
    with LambdaRunner(sandbox.config, sandbox.endpoint_url) as runner:
        pending = runner.pending(naming.approval_function_name("notify"))
    return [event for event in pending if event["detail-type"] == DEPLOY_VERIFIED]


def minute(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def period_bounds(period: str) -> tuple[str, str]:
    start, _, end = period.removesuffix(" UTC").partition(" to ")
    return start, end


def shared_ssm(config: OrgConfig) -> Any:
    return account_admin_session(config, SHARED).client("ssm", region_name="eu-west-1")


def workload_ssm(config: OrgConfig) -> Any:
    return account_admin_session(config, QA).client("ssm", region_name="eu-west-1")


@dataclass
class QaDeploy:
    """One version, approved for qa and deployed there by a platform engineer with `modelops deploy qa`."""

    workloads: Path
    arn: str
    version: int
    result: Result
    events: list[dict[str, Any]]
    before: datetime
    after: datetime


@pytest.fixture(scope="module")
def qa_deploy(sandbox_organization: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[QaDeploy]:
    sandbox = sandbox_organization
    with pytest.MonkeyPatch.context() as monkeypatch, ExitStack() as stack:
        if not sandbox.is_set_up():
            sandbox.reset()
        monkeypatch.setenv("AWS_ENDPOINT_URL", sandbox.endpoint_url)
        stack.enter_context(approval_api_served(sandbox, monkeypatch))
        monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
        monkeypatch.delenv("AWS_PROFILE", raising=False)
        workloads = tmp_path_factory.mktemp("post-deploy") / "workloads"
        shutil.copytree(workloads_root("two_env"), workloads)
        deploy_verified_events(sandbox)  # whatever earlier tests left
        card = workloads.parent / "card.json"
        card.write_text('{"intended_uses": {"purpose_of_model": "churn"}}')

        push_image(account_admin_session(sandbox.config, SHARED), IMAGE)  # the image build's push
        weights = workloads.parent / "model.tar.gz"
        weights.write_bytes(b"churn-model post-deploy weights")
        act_as_person(monkeypatch, sandbox, "222222222222", naming.DATA_SCIENTIST_PERMISSION_SET, "ds@example.com")
        registered = modelops(
            workloads, "register", "churn-model",
            "--artifact", f"s3://modelops-artifacts-111111111111-eu-west-1/artifacts/churn-model/post-{uuid.uuid4().hex}/model.tar.gz",
            "--upload", str(weights),
            "--image", IMAGE,
            "--metric", "auc=0.91", "--metric", "false_positive_rate=0.04", "--source-commit", "abcdef1",
            "--model-card", str(card),
        )  # fmt: skip
        assert registered.exit_code == 0, registered.output
        arn = registered.stdout.strip()
        version = int(arn.rsplit("/", 1)[1])
        act_as_person(monkeypatch, sandbox, SHARED, naming.APPROVER_PERMISSION_SET, QA_APPROVER)
        approved = modelops(workloads, "approve", "churn-model", str(version), "--reason", "holds on holdout")
        assert approved.exit_code == 0, approved.output
        act_as_person(monkeypatch, sandbox, SHARED, naming.PLATFORM_PERMISSION_SET, "platform.engineer@example.com")
        promoted = modelops(workloads, "promote", "churn-model", "--to", "qa", "--arn", arn)
        assert promoted.exit_code == 0, promoted.output

        act_as_pipeline(monkeypatch, sandbox.config, "qa")
        before = datetime.now(UTC)
        result = modelops(workloads, "deploy", "qa")
        after = datetime.now(UTC)
        assert result.exit_code == 0, result.output
        yield QaDeploy(workloads, arn, version, result, deploy_verified_events(sandbox), before, after)


@pytest.fixture
def pipeline(qa_deploy: QaDeploy, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> tuple[QaDeploy, Sandbox]:
    """The sandbox after the qa deploy, with the qa deploy job's credentials as the ambient ones."""
    act_as_pipeline(monkeypatch, sandbox.config, "qa")
    return qa_deploy, sandbox


def test_a_deploy_asks_the_next_environments_approvers_with_the_endpoints_metrics(
    qa_deploy: QaDeploy, sandbox: Sandbox
) -> None:
    [event] = qa_deploy.events
    arn, version = qa_deploy.arn, qa_deploy.version
    assert qa_deploy.result.stdout.splitlines() == [
        "deployed qa (account 444444444444): ModelOps-qa-Environment, ModelOps-qa-Endpoint-churn-model",
        f"  asked the approvers of prod to review churn-model v{version} (event {event['id']})",
        f"  modelops-churn-model runs {arn} (smoke test passed, live record written)",
    ]
    assert (event["source"], event["account"], event["region"], event["resources"]) == (
        "modelops.pipeline",
        SHARED,
        "eu-west-1",
        [arn],
    )
    detail = event["detail"]
    assert {key: value for key, value in detail.items() if key != "period"} == {
        "model": "churn-model",
        "env": "qa",
        "arn": arn,
        "metrics": NO_METRICS,  # SageMaker had published nothing for the new endpoint yet
    }
    start, end = period_bounds(detail["period"])
    assert minute(qa_deploy.before) <= start <= end <= minute(qa_deploy.after)
    assert workload_ssm(sandbox.config).get_parameter(Name=LIVE_PARAMETER)["Parameter"]["Value"] == arn
    assert LiveRecords(shared_ssm(sandbox.config)).get("churn-model", "qa") == arn


def deploy_records(config: OrgConfig) -> list[LedgerRecord]:
    dynamodb = account_admin_session(config, SHARED).client("dynamodb", region_name="eu-west-1")
    return Ledger(dynamodb, "churn-model").read("churn-model/deploys/qa")


def endpoint_config(config: OrgConfig) -> str:
    sagemaker = account_admin_session(config, QA).client("sagemaker", region_name="eu-west-1")
    return str(sagemaker.describe_endpoint(EndpointName="modelops-churn-model")["EndpointConfigName"])


def test_record_deploy_after_deploy_records_nothing_and_asks_nobody_again(pipeline: tuple[QaDeploy, Sandbox]) -> None:
    """`deploy qa` recorded the deploy and asked prod's approvers; running the post-deploy step again for the
    same deploy (the same ARN on the same endpoint config) verifies it and says so in one line."""
    deployed, sandbox = pipeline
    before = deploy_records(sandbox.config)

    result = modelops(deployed.workloads, "record-deploy", "qa")

    assert result.exit_code == 0, result.output
    assert (before[-1].arn, before[-1].reason) == (
        deployed.arn,
        f"deployed v{deployed.version} to qa (endpoint config {endpoint_config(sandbox.config)})",
    )
    assert result.stdout.splitlines() == [
        f"qa is already recorded: churn-model v{deployed.version} on endpoint config "
        f"{endpoint_config(sandbox.config)}, recorded by {PIPELINE_SESSION} at {before[-1].when}; nothing recorded, "
        "nobody asked again (--ask-again asks the approvers of prod again)"
    ]
    assert deploy_verified_events(sandbox) == []
    assert deploy_records(sandbox.config) == before


def roll_out_again(config: OrgConfig) -> str:
    """What the deploy workflow's own CloudFormation step does for a changed stack: a new endpoint config (here
    running the same version), rolled out with UpdateEndpoint. Returns the new config's name."""
    sagemaker = account_admin_session(config, QA).client("sagemaker", region_name="eu-west-1")
    current = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint_config(config))
    name = f"churn-model-{uuid.uuid4().hex[:8]}"
    sagemaker.create_endpoint_config(EndpointConfigName=name, ProductionVariants=current["ProductionVariants"])
    sagemaker.update_endpoint(EndpointName="modelops-churn-model", EndpointConfigName=name)
    return name


def test_record_deploy_after_the_workflows_cloudformation_step_verifies_records_and_asks_as_the_pipeline(
    pipeline: tuple[QaDeploy, Sandbox],
) -> None:
    deployed, sandbox = pipeline
    rolled_out = roll_out_again(sandbox.config)
    since = (datetime.now(UTC) - timedelta(minutes=30)).replace(microsecond=0)
    dimensions: list[DimensionTypeDef] = [
        {"Name": "EndpointName", "Value": "modelops-churn-model"},
        {"Name": "VariantName", "Value": "AllTraffic"},
    ]
    seen = datetime.now(UTC) - timedelta(minutes=10)
    account_admin_session(sandbox.config, QA).client("cloudwatch", region_name="eu-west-1").put_metric_data(
        Namespace="AWS/SageMaker",
        MetricData=[
            {"MetricName": name, "Dimensions": dimensions, "Value": value, "Timestamp": seen}
            for name, value in (("Invocations", 7), ("ModelLatency", 1800), ("Invocation4XXErrors", 1))
        ],
    )

    result = modelops(deployed.workloads, "record-deploy", "qa", "--since", since.strftime("%Y-%m-%dT%H:%M:%SZ"))
    after = datetime.now(UTC)

    assert result.exit_code == 0, result.output
    [event] = deploy_verified_events(sandbox)
    assert result.stdout.splitlines() == [
        "verified and recorded qa (account 444444444444)",
        f"  asked the approvers of prod to review churn-model v{deployed.version} (event {event['id']})",
        f"  modelops-churn-model runs {deployed.arn} (smoke test passed, live record written)",
    ]
    detail = event["detail"]
    assert (detail["model"], detail["env"], detail["arn"]) == ("churn-model", "qa", deployed.arn)
    assert detail["metrics"] == {
        "Invocations": 7.0,
        "ModelLatency": 1800.0,
        "Invocation4XXErrors": 1.0,
        "Invocation5XXErrors": None,
    }
    start, end = period_bounds(detail["period"])
    assert start == minute(since)
    assert minute(since) <= end <= minute(after)
    dynamodb = account_admin_session(sandbox.config, SHARED).client("dynamodb", region_name="eu-west-1")
    latest = Ledger(dynamodb, "churn-model").read("churn-model/deploys/qa")[-1]
    assert (latest.who, latest.action, latest.env, latest.arn, latest.reason) == (
        PIPELINE_SESSION,
        "deployed",
        "qa",
        deployed.arn,
        f"deployed v{deployed.version} to qa (endpoint config {rolled_out})",
    )


def test_deploying_qa_again_updates_no_stack_and_says_how_many_were_unchanged(
    pipeline: tuple[QaDeploy, Sandbox],
) -> None:
    """Each stack is compared with the template it runs (GetTemplate); none is updated, none asks for a change."""
    deployed, sandbox = pipeline
    cfn = account_admin_session(sandbox.config, QA).client("cloudformation", region_name="eu-west-1")
    names = ["ModelOps-qa-Environment", "ModelOps-qa-Endpoint-churn-model"]
    events_before = {name: len(cfn.describe_stack_events(StackName=name)["StackEvents"]) for name in names}

    again = modelops(deployed.workloads, "deploy", "qa")

    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines()[0] == "deployed qa (account 444444444444): no changes; 2 of 2 stacks unchanged"
    events_after = {name: len(cfn.describe_stack_events(StackName=name)["StackEvents"]) for name in names}
    assert events_after == events_before


def test_ctrl_c_during_a_deploys_synth_exits_130_with_one_line_and_no_traceback(
    pipeline: tuple[QaDeploy, Sandbox],
) -> None:
    """The `modelops deploy` console script, as the pipeline runs it, interrupted while jsii's Node kernel
    synthesizes (after the gates, before any stack changes): no JSONDecodeError, no BrokenPipeError from jsii's
    exit hook, exit 130."""
    deployed, _sandbox = pipeline
    process = subprocess.Popen(
        [
            *(sys.executable, "-c", "from cli.main import main; main()"),
            *("--config", str(CONFIG), "--workloads", str(deployed.workloads), "deploy", "qa"),
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, which the test's SIGINT stands for the terminal's
    )
    press_ctrl_c_after(process, "stderr", "  synthesizing the CDK app", seconds=1.0)
    stdout, stderr = process.communicate(timeout=60)

    assert (process.returncode, stderr.splitlines(), stdout) == (130, ["error: interrupted"], "")


def test_an_update_sagemaker_rolled_back_is_reported_as_such_naming_the_config(
    pipeline: tuple[QaDeploy, Sandbox], tmp_path: Path
) -> None:
    """When SageMaker rolls an update back itself (an auto-rollback alarm fired), the endpoint returns to
    InService on its previous config, possibly with no FailureReason
    (https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html). Here the
    manifest pins the next version while the endpoint still serves the one live before, as it would then."""
    deployed, sandbox = pipeline
    workload_ssm(sandbox.config).put_parameter(Name=LIVE_PARAMETER, Value=deployed.arn, Type="String", Overwrite=True)
    workloads = tmp_path / "workloads"
    shutil.copytree(deployed.workloads, workloads)
    manifest = workloads / "qa" / "churn-model.yaml"
    pinned = deployed.arn.rsplit("/", 1)[0] + f"/{deployed.version + 1}"
    manifest.write_text(manifest.read_text().replace(deployed.arn, pinned))
    sagemaker = account_admin_session(sandbox.config, QA).client("sagemaker", region_name="eu-west-1")
    config_name = sagemaker.describe_endpoint(EndpointName="modelops-churn-model")["EndpointConfigName"]

    result = modelops(workloads, "record-deploy", "qa")

    assert (result.exit_code, result.stdout) == (1, "")
    assert [line for line in result.stderr.splitlines() if line.startswith("error: ")] == [
        "error: read-back: SageMaker rolled the update of endpoint modelops-churn-model in qa back: it is InService "
        f"on the previous config {config_name}, running {deployed.arn}, not the pinned {pinned}; the live record "
        "was not updated"
    ]
    assert workload_ssm(sandbox.config).get_parameter(Name=LIVE_PARAMETER)["Parameter"]["Value"] == deployed.arn


def refusing_put_events(session: boto3.Session) -> None:
    """EventBridge answers PutEvents with a failed entry, as it does when it throttles an entry."""

    def refuse(**_kwargs: Any) -> tuple[AWSResponse, dict[str, Any]]:
        parsed = {
            "FailedEntryCount": 1,
            "Entries": [{"ErrorCode": "ThrottlingException", "ErrorMessage": "Rate exceeded"}],
            "ResponseMetadata": {"HTTPStatusCode": 200},
        }
        return AWSResponse("https://events.eu-west-1.amazonaws.com/", 200, {}, None), parsed  # type: ignore[arg-type]

    # A before-call handler that returns a response stands in for the call, as botocore.stub.Stubber does.
    session.events.register("before-call.eventbridge.PutEvents", refuse)  # type: ignore[arg-type]


def test_a_refused_notification_is_reported_and_the_live_record_stays_written(
    pipeline: tuple[QaDeploy, Sandbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    deployed, sandbox = pipeline
    stale = deployed.arn.rsplit("/", 1)[0] + "/999"
    workload_ssm(sandbox.config).put_parameter(Name=LIVE_PARAMETER, Value=stale, Type="String", Overwrite=True)
    LiveRecords(shared_ssm(sandbox.config)).put("churn-model", "qa", stale)
    make_aws = cli.main.make_aws
    monkeypatch.setattr(cli.main, "make_aws", lambda config: AwsContext(config, on_session=refusing_put_events))

    result = modelops(deployed.workloads, "record-deploy", "qa")

    assert (result.exit_code, result.stdout) == (1, "")
    assert [line for line in result.stderr.splitlines() if line.startswith("error: ")] == [
        f"error: qa is deployed and its live record written, but the approvers of prod were not asked to review "
        f"churn-model v{deployed.version}: EventBridge refused the deploy-verified event for {deployed.arn}: "
        "ThrottlingException: Rate exceeded; run `modelops record-deploy qa --ask-again` to ask them again"
    ]
    assert workload_ssm(sandbox.config).get_parameter(Name=LIVE_PARAMETER)["Parameter"]["Value"] == deployed.arn
    assert LiveRecords(shared_ssm(sandbox.config)).get("churn-model", "qa") == deployed.arn
    assert deploy_verified_events(sandbox) == []

    # As the message says: the deploy is recorded, so only --ask-again asks, and records nothing more.
    monkeypatch.setattr(cli.main, "make_aws", make_aws)
    recorded = deploy_records(sandbox.config)
    not_again = modelops(deployed.workloads, "record-deploy", "qa")
    assert (not_again.exit_code, not_again.stdout.startswith("qa is already recorded: ")) == (0, True)
    assert deploy_verified_events(sandbox) == []
    asked = modelops(deployed.workloads, "record-deploy", "qa", "--ask-again")
    assert asked.exit_code == 0, asked.output
    [event] = deploy_verified_events(sandbox)
    assert asked.stdout.splitlines() == [
        "verified qa (account 444444444444)",
        f"  asked the approvers of prod to review churn-model v{deployed.version} (event {event['id']})",
        f"  modelops-churn-model runs {deployed.arn} (smoke test passed, live record written)",
        f"  churn-model v{deployed.version} on endpoint config {endpoint_config(sandbox.config)}, recorded by "
        f"{PIPELINE_SESSION} at {recorded[-1].when}: already recorded, not recorded again",
    ]
    assert deploy_records(sandbox.config) == recorded


def test_after_the_last_environment_nobody_is_asked(
    qa_deploy: QaDeploy, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    version = qa_deploy.arn.rsplit("/", 1)[1]
    for approver in ("prod.approver@example.com", "risk.officer@example.com"):  # prod's quorum is two
        act_as_person(monkeypatch, sandbox, SHARED, naming.APPROVER_PERMISSION_SET, approver)
        approved = modelops(qa_deploy.workloads, "approve", "churn-model", version, "--env", "prod", "--reason", "ok")
        assert approved.exit_code == 0, approved.output
    act_as_person(monkeypatch, sandbox, SHARED, naming.PLATFORM_PERMISSION_SET, "platform.engineer@example.com")
    promoted = modelops(qa_deploy.workloads, "promote", "churn-model", "--to", "prod", "--arn", qa_deploy.arn)
    assert promoted.exit_code == 0, promoted.output

    act_as_pipeline(monkeypatch, sandbox.config, "prod")
    result = modelops(qa_deploy.workloads, "deploy", "prod")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "deployed prod (account 555555555555): ModelOps-prod-Environment, ModelOps-prod-Endpoint-churn-model",
        "  prod is the last environment: nobody is asked to review next",
        f"  modelops-churn-model runs {qa_deploy.arn} (smoke test passed, live record written)",
    ]
    assert deploy_verified_events(sandbox) == []
    prod = account_admin_session(sandbox.config, PROD).client("ssm", region_name="eu-west-1")
    assert prod.get_parameter(Name=LIVE_PARAMETER)["Parameter"]["Value"] == qa_deploy.arn


# -- no AWS needed --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("since", "message"),
    [
        ("yesterday", "--since yesterday: expected an ISO 8601 time with its zone, e.g. 2026-11-22T10:15:00Z"),
        (
            "2026-01-01T10:00:00",
            "--since 2026-01-01T10:00:00: expected an ISO 8601 time with its zone, e.g. 2026-11-22T10:15:00Z",
        ),
        ("2999-01-01T00:00:00Z", "--since 2999-01-01T00:00:00Z: is in the future; expected when the deploy began"),
    ],
)
def test_record_deploy_refuses_a_since_it_cannot_place_in_time(tmp_path: Path, since: str, message: str) -> None:
    result = modelops(tmp_path, "record-deploy", "qa", "--since", since)
    assert (result.exit_code, result.stderr, result.stdout) == (2, f"error: {message}\n", "")


def test_record_deploy_of_an_unknown_environment_is_input_error(tmp_path: Path) -> None:
    result = modelops(tmp_path, "record-deploy", "staging")
    assert (result.exit_code, result.stderr, result.stdout) == (
        2,
        "error: unknown environment 'staging'; expected one of ['qa', 'prod']\n",
        "",
    )


@pytest.mark.parametrize(
    ("caller", "expected"),
    [
        ("arn:aws:sts::333333333333:assumed-role/modelops-github-deploy-qa/modelops-4242-1", True),
        ("arn:aws:sts::333333333333:assumed-role/modelops-github-deploy-prod/modelops-4242-1", False),
        ("arn:aws:sts::444444444444:assumed-role/modelops-github-deploy-qa/modelops-4242-1", False),
        ("arn:aws:sts::333333333333:assumed-role/AWSReservedSSO_ModelOpsPlatform_0/p@example.com", False),
        ("arn:aws:iam::333333333333:user/modelops-github-deploy-qa", False),
    ],
)
def test_only_the_deploy_roles_own_session_skips_assuming_it_again(caller: str, expected: bool) -> None:
    assert is_session_of(caller, "arn:aws:iam::333333333333:role/modelops-github-deploy-qa") is expected


class RecordingCloudWatch:
    """CloudWatch as far as the metrics query goes: records the window it was asked for."""

    def __init__(self) -> None:
        self.windows: list[tuple[datetime, datetime]] = []

    def get_metric_data(self, **query: Any) -> dict[str, Any]:
        self.windows.append((query["StartTime"], query["EndTime"]))
        return {"MetricDataResults": []}


def test_a_deploy_that_finished_within_a_second_asks_for_a_one_minute_window() -> None:
    moment = datetime(2026, 12, 4, 22, 50, 7, tzinfo=UTC)
    cloudwatch = RecordingCloudWatch()
    collect_endpoint_metrics(cloudwatch, model="churn-model", start=moment, end=moment)  # type: ignore[arg-type]
    assert cloudwatch.windows == [(datetime(2026, 12, 4, 22, 49, 7, tzinfo=UTC), moment)]


def test_record_deploy_of_a_model_the_environment_does_not_pin_is_input_error_before_any_aws_call() -> None:
    result = modelops(workloads_root("two_env"), "record-deploy", "qa", "--model", "churn-model", "--model", "fraud")
    assert (result.exit_code, result.stderr, result.stdout) == (
        2,
        "error: --model fraud: no manifest of qa pins it; expected one of churn-model\n",
        "",
    )


def test_record_deploy_of_the_batchs_models_verifies_those_only(pipeline: tuple[QaDeploy, Sandbox]) -> None:
    """The deploy workflow's batch job names its models; the one qa pins is verified, and already recorded."""
    deployed, sandbox = pipeline
    before = deploy_records(sandbox.config)

    result = modelops(deployed.workloads, "record-deploy", "qa", "--model", "churn-model")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"qa is already recorded: churn-model v{deployed.version} on endpoint config "
        f"{endpoint_config(sandbox.config)}, recorded by {PIPELINE_SESSION} at {before[-1].when}; nothing recorded, "
        "nobody asked again (--ask-again asks the approvers of prod again)"
    ]
    assert deploy_records(sandbox.config) == before


def test_only_the_named_models_manifests_are_kept_in_the_environments_order() -> None:
    shipped = load_environment(load_config(CONFIG), "qa", workloads_root("two_env"))[0]
    manifests = [
        replace(shipped, manifest=shipped.manifest.model_copy(update={"model": model}))
        for model in ("churn-model", "fraud-model", "credit-model")
    ]

    def models(entries: list[EnvironmentManifest]) -> list[str]:
        return [entry.manifest.model for entry in entries]

    assert models(only_models(manifests, ["credit-model", "churn-model"], "qa")) == ["churn-model", "credit-model"]
    assert models(only_models(manifests, [], "qa")) == ["churn-model", "fraud-model", "credit-model"]
