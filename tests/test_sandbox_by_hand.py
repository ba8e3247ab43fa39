"""`modelops sandbox up` as a person uses it: one `sandbox up` process (the two_env organisation, port 0), and
the walk-through by hand from other processes with its printed exports and profiles: the data scientist
registers with their profile, the approver reads the email with `modelops sandbox inbox` and approves with
their profile, and `sandbox up` prints the dispatch the GitHub stand-in received. Plus its refusals: a busy
port, an unknown or unreachable inbox, an unreachable sign-in, and the note for the management keys.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from typer.testing import CliRunner

import cli.main
from accounts import naming
from cli.sandbox import STACK_EVENT, shown
from promotion.aws import root_user_note
from sandbox.human_loop import Delivery
from sandbox.profiles import aws_config, people_profiles
from tests.orgs import config_path, load_org, workloads_root

REPO_ROOT = Path(__file__).resolve().parents[1]
CONFIG = load_org("two_env")
ORG_OPTIONS = ["--config", str(config_path("two_env")), "--workloads", str(workloads_root("two_env"))]
START_TIMEOUT = 300
COMMAND_TIMEOUT = 120
START_SANDBOX = "start it with `modelops sandbox up` and run the exports it prints"
QA_APPROVER = "qa.approver@example.com"
DATA_SCIENTIST = "data.scientist@example.com"
SHARED, DATA_SCIENCE = CONFIG.accounts.shared_services, CONFIG.accounts.data_science
APPROVERS = "prod.approver@example.com, qa.approver@example.com, risk.officer@example.com"


def _clean_environment(cwd: Path) -> dict[str, str]:
    """The test process's environment without any AWS or sandbox setting, running this checkout's code."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MODELOPS_"))}
    env["PYTHONPATH"] = str(REPO_ROOT)  # the checkout's cli/, for `-m cli` and the profiles' credential_process
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    # No ~/.aws of the machine: only what the exports name.
    env["AWS_CONFIG_FILE"] = env["AWS_SHARED_CREDENTIALS_FILE"] = str(cwd / "no-aws-files")
    return env


def _modelops(*args: str, options: list[str] = ORG_OPTIONS) -> list[str]:
    return [sys.executable, "-m", "cli", *options, *args]


@dataclass
class SandboxUp:
    """The running `sandbox up`: its exports, and its output so far."""

    process: subprocess.Popen[str]
    cwd: Path
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)

    @property
    def exports(self) -> dict[str, str]:
        pairs = (line.removeprefix("export ").partition("=") for line in self.stdout if line.startswith("export "))
        return {name: value for name, _, value in pairs}

    def run(self, *args: str, profile: str | None = None) -> subprocess.CompletedProcess[str]:
        """`modelops ARGS` in another process, in the shell the exports were run in (and AWS_PROFILE=profile):
        no `--config` or `--workloads`, and another folder than the checkout's, as a data scientist's training
        repository; the exports name the organisation the sandbox was built from."""
        env = {**_clean_environment(self.cwd), **self.exports}
        if profile is not None:
            env["AWS_PROFILE"] = profile
        return subprocess.run(
            _modelops(*args, options=[]),
            cwd=self.cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )

    def wait_for(self, line: str, timeout: float = 30) -> None:
        """Until `sandbox up` printed `line` on stdout."""
        deadline = time.monotonic() + timeout
        while line not in self.stdout:
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise AssertionError(f"sandbox up did not print {line!r}; it printed {self.stdout}")
            time.sleep(0.2)


def _follow(stream: Iterator[str], into: list[str]) -> None:
    for line in stream:
        into.append(line.rstrip("\n"))


@pytest.fixture(scope="module")
def sandbox_up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxUp]:
    cwd = tmp_path_factory.mktemp("by-hand")
    process = subprocess.Popen(
        _modelops("sandbox", "up"), cwd=cwd, env=_clean_environment(cwd), text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    up = SandboxUp(process, cwd)
    for stream, into in ((process.stdout, up.stdout), (process.stderr, up.stderr)):
        threading.Thread(target=_follow, args=(stream, into), daemon=True).start()
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while "press Ctrl-C to stop" not in up.stderr:
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"sandbox up did not start: {up.stderr[-5:]}")
            time.sleep(0.5)
        yield up
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- start-up -------------------------------------------------------------------------------------------------


@pytest.mark.slow  # a subprocess
def test_a_busy_port_is_refused_at_once_naming_the_port(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        completed = subprocess.run(
            _modelops("sandbox", "up", "--port", str(port)), cwd=tmp_path, env=_clean_environment(tmp_path),
            capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False,
        )  # fmt: skip

    assert (completed.returncode, completed.stdout) == (2, "")
    # Nothing else on stderr: no synth (its "Bundling asset" lines) and no server started.
    assert completed.stderr == f"error: port {port} is in use; choose another with --port (0 picks a free one)\n"


@pytest.mark.slow
def test_sandbox_up_shows_one_progress_line_per_stack_not_cloudformations_events(sandbox_up: SandboxUp) -> None:
    endpoint = sandbox_up.exports["AWS_ENDPOINT_URL"]
    assert [line for line in sandbox_up.stderr if line.startswith("  ")] == [
        "  synthesizing the CDK app",
        f"  sandbox listening on {endpoint}",
        "  bootstrapped 5 accounts",
        "  deployed ModelOps-DataScience",
        "  deployed ModelOps-Training-churn-model",
        "  deployed ModelOps-DeploymentRoles",
        "  deployed ModelOps-SharedServices/SharedServices",
        "  deployed ModelOps-SharedServices/Model-churn-model",
        "  starting the approval workflow's Lambdas, review gateway, sign-in and GitHub stand-ins",
    ]


def test_only_verbose_shows_a_cloudformation_event() -> None:
    event = "ModelOps-DataScience CREATE_COMPLETE DataScienceRole"
    assert STACK_EVENT.match(event)
    assert (shown(event, verbose=False), shown(event, verbose=True)) == (False, True)
    assert (shown("deployed ModelOps-DataScience", verbose=False), shown("bootstrapped 5 accounts", verbose=False)) == (
        True,
        True,
    )


@pytest.mark.slow
def test_sandbox_up_prints_the_exports_the_profiles_and_the_models_image(sandbox_up: SandboxUp) -> None:
    exports = sandbox_up.exports
    config_file = sandbox_up.cwd / ".modelops" / "sandbox" / "aws-config"
    assert sorted(exports) == [
        "AWS_CONFIG_FILE",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_EXECUTE_API",
        "AWS_PROFILE",
        "MODELOPS_APPROVAL_API_URL",
        "MODELOPS_CONFIG",
        "MODELOPS_SANDBOX_INBOX",
        "MODELOPS_WORKLOADS",
    ]
    assert (exports["MODELOPS_CONFIG"], exports["MODELOPS_WORKLOADS"]) == (
        str(config_path("two_env").resolve()),
        str(workloads_root("two_env").resolve()),
    )
    assert (exports["AWS_CONFIG_FILE"], exports["AWS_PROFILE"], exports["AWS_DEFAULT_REGION"]) == (
        str(config_file.resolve()),
        "management",
        "eu-west-1",
    )
    assert re.fullmatch(r"http://localhost:\d+", exports["AWS_ENDPOINT_URL"])
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", exports["AWS_ENDPOINT_URL_EXECUTE_API"])
    # the published URL, for data scientists (`card --submit`), who cannot read shared services' SSM parameter
    assert re.fullmatch(
        r"https://\w+\.execute-api\.eu-west-1\.amazonaws\.com/v1/", exports["MODELOPS_APPROVAL_API_URL"]
    )
    start = sandbox_up.stdout.index(
        "profiles (AWS_PROFILE=<name>; management, the default, is the management account's root):"
    )
    assert sandbox_up.stdout[start + 1 : start + 7] == [
        f"  approver-prod.approver@example.com         prod.approver@example.com as ModelOpsApprover in {SHARED}",
        f"  approver-qa.approver@example.com           qa.approver@example.com as ModelOpsApprover in {SHARED}",
        f"  approver-risk.officer@example.com          risk.officer@example.com as ModelOpsApprover in {SHARED}",
        f"  data-scientist-data.scientist@example.com  data.scientist@example.com as DataScientist in {DATA_SCIENCE}",
        f"  platform-platform.engineer@example.com     platform.engineer@example.com as ModelOpsPlatform in {SHARED}",
        f"image for churn-model: {naming.model_image_repository_uri(CONFIG)}:churn-model-1.0.0 "
        "(sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)",
    ]
    profiles = re.findall(r"^\[profile (\S+)\]$", config_file.read_text(), flags=re.MULTILINE)
    assert profiles == [
        "management",
        "approver-prod.approver@example.com",
        "approver-qa.approver@example.com",
        "approver-risk.officer@example.com",
        "data-scientist-data.scientist@example.com",
        "platform-platform.engineer@example.com",
    ]


# -- the walk-through by hand ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_register_read_the_email_approve_and_see_the_dispatch_by_hand(sandbox_up: SandboxUp) -> None:
    model_file = sandbox_up.cwd / "model.tar.gz"
    model_file.write_bytes(b"churn-model release 1\n")
    artifact = f"s3://{naming.artifact_bucket(CONFIG)}/{naming.artifact_prefix('churn-model')}v1/model.tar.gz"
    image = f"{naming.model_image_repository_uri(CONFIG)}:churn-model-1.0.0"
    arn = naming.model_package_arn(CONFIG, "churn-model", 1)

    registered = sandbox_up.run(
        "register", "churn-model", "--artifact", artifact, "--upload", str(model_file), "--image", image,
        "--metric", "auc=0.91", "--metric", "false_positive_rate=0.07", "--source-commit", "4f2c1de",
        profile=f"data-scientist-{DATA_SCIENTIST}",
    )  # fmt: skip
    assert (registered.returncode, registered.stdout) == (0, f"{arn}\n"), registered.stderr
    assert registered.stderr == "registered churn-model v1 as PendingManualApproval\n"  # a person: no root note

    sandbox_up.wait_for(
        "EventBridge -> modelops-approval-notify (shared_services.handlers.notify.handler, "
        'as role modelops-approval-notify): {"env": "qa", "published": 1}'
    )
    inbox = sandbox_up.run("sandbox", "inbox", QA_APPROVER)
    assert inbox.returncode == 0, inbox.stderr
    lines = inbox.stdout.splitlines()
    assert lines[:3] == [
        f"1 email to {QA_APPROVER}, oldest first",
        f"--- 1 of 1 (topic {naming.approval_topic_arn(CONFIG, 'qa')})",
        "Subject: [modelops] Review churn-model v1 for qa",
    ]
    assert f"Model package: {arn}" in lines
    assert any(line.startswith(f"Registered by: {DATA_SCIENTIST} at ") for line in lines)
    review_url = sandbox_up.exports["AWS_ENDPOINT_URL_EXECUTE_API"] + "/v1/review?token="
    [link] = [line for line in lines if line.startswith("http")]
    assert link.startswith(review_url)
    # What a browser opening the link gets (the link is the local gateway's http URL, checked above).
    with urllib.request.urlopen(link, timeout=COMMAND_TIMEOUT) as page:  # noqa: S310
        html = page.read().decode()
    assert "<title>Review churn-model version 1 for qa</title>" in html
    assert f">Sign in as {QA_APPROVER} to decide</a>" in html
    with urllib.request.urlopen(sandbox_up.exports["MODELOPS_SANDBOX_INBOX"], timeout=COMMAND_TIMEOUT) as page:  # noqa: S310
        inbox_page = page.read().decode()
    assert f"<h2>{QA_APPROVER} (1 email)</h2>" in inbox_page
    assert f'<a href="{link}">{link}</a>' in inbox_page

    approved = sandbox_up.run(
        "approve", "churn-model", "1", "--reason", "AUC 0.91 meets the qa gate", profile=f"approver-{QA_APPROVER}"
    )
    assert (approved.returncode, approved.stderr) == (0, "")
    assert approved.stdout == f"approved churn-model v1 for qa: {QA_APPROVER}: AUC 0.91 meets the qa gate\n"

    payload = {"arn": arn, "env": "qa", "model": "churn-model", "version": 1}
    sandbox_up.wait_for(
        f"GitHub stand-in received POST /repos/{CONFIG.pipeline.repository}/dispatches: "
        f"event_type model-approved, client_payload {json.dumps(payload, sort_keys=True)}"
    )


# -- profiles and their sign-in -------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_credentials_command_prints_an_identity_center_sign_in_as_process_credentials(
    sandbox_up: SandboxUp,
) -> None:
    endpoint = sandbox_up.exports["AWS_ENDPOINT_URL"]
    completed = sandbox_up.run(
        "sandbox", "credentials", "--email", QA_APPROVER, "--account", SHARED, "--permission-set",
        naming.APPROVER_PERMISSION_SET, "--endpoint", endpoint, "--region", CONFIG.region,
    )  # fmt: skip
    assert (completed.returncode, completed.stderr) == (0, "")
    answer = json.loads(completed.stdout)
    assert sorted(answer) == ["AccessKeyId", "Expiration", "SecretAccessKey", "SessionToken", "Version"]
    assert answer["Version"] == 1
    lasts = datetime.fromisoformat(answer["Expiration"]) - datetime.now(UTC)
    assert timedelta(minutes=55) < lasts <= timedelta(hours=1)
    sts = boto3.client(
        "sts",
        endpoint_url=endpoint,
        region_name=CONFIG.region,
        aws_access_key_id=answer["AccessKeyId"],
        aws_secret_access_key=answer["SecretAccessKey"],
        aws_session_token=answer["SessionToken"],
    )
    assert sts.get_caller_identity()["Arn"] == (
        f"arn:aws:sts::{SHARED}:assumed-role/AWSReservedSSO_ModelOpsApprover_5a4db0c5a4db0c00/{QA_APPROVER}"
    )


@pytest.mark.slow
def test_botocore_signs_in_through_a_profile_with_its_region_and_endpoint(
    sandbox_up: SandboxUp, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)  # the profile alone says where and who: no AWS_ENDPOINT_URL, no region
    monkeypatch.setenv("AWS_CONFIG_FILE", sandbox_up.exports["AWS_CONFIG_FILE"])
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(sandbox_up.cwd / "no-credentials"))
    monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT))

    session = boto3.Session(profile_name="platform-platform.engineer@example.com")
    assert session.region_name == "eu-west-1"
    assert session.client("sts").get_caller_identity()["Arn"] == (
        f"arn:aws:sts::{SHARED}:assumed-role/AWSReservedSSO_ModelOpsPlatform_5a4db0c5a4db0c00/"
        "platform.engineer@example.com"
    )


def test_the_credentials_command_names_an_unreachable_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_PROFILE", raising=False)  # the command drops it from its (here: this) process
    endpoint = f"http://127.0.0.1:{_free_port()}"
    args = ["--email", QA_APPROVER, "--account", SHARED, "--permission-set", "ModelOpsApprover"]
    result = CliRunner().invoke(
        cli.main.app, ["sandbox", "credentials", *args, "--endpoint", endpoint, "--region", "eu-west-1"]
    )
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"error: cannot reach the sandbox at {endpoint}; {START_SANDBOX}\n"


@pytest.mark.slow  # botocore runs the profile's credential_process, a subprocess
def test_a_profile_whose_sign_in_fails_is_one_line_naming_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint = f"http://127.0.0.1:{_free_port()}"
    config_file = tmp_path / "aws-config"
    config_file.write_text(aws_config(people_profiles(CONFIG), endpoint_url=endpoint, region=CONFIG.region))
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config_file))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_PROFILE", f"approver-{QA_APPROVER}")
    monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT))

    result = CliRunner().invoke(cli.main.app, [*ORG_OPTIONS, "approve", "churn-model", "1", "--reason", "fine"])

    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "error: cannot sign in: the AWS profile's custom-process failed: "
        f"cannot reach the sandbox at {endpoint}; {START_SANDBOX}\n"
    )


# -- the inbox's refusals -------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_inbox_of_someone_who_is_not_an_approver_is_an_input_error(sandbox_up: SandboxUp) -> None:
    completed = sandbox_up.run("sandbox", "inbox", "nobody@example.com")
    assert (completed.returncode, completed.stdout) == (2, "")
    assert (
        completed.stderr
        == f"error: nobody@example.com is not an approver in accounts.yaml; the approvers are {APPROVERS}\n"
    )


def test_the_inbox_without_a_sandbox_suggests_starting_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MODELOPS_SANDBOX_INBOX", raising=False)
    result = CliRunner().invoke(cli.main.app, ["sandbox", "inbox", QA_APPROVER])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"error: MODELOPS_SANDBOX_INBOX is not set, so no sandbox is known: {START_SANDBOX}\n"


def test_the_inbox_of_a_stopped_sandbox_suggests_starting_one(monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    monkeypatch.setenv("MODELOPS_SANDBOX_INBOX", url)
    result = CliRunner().invoke(cli.main.app, ["sandbox", "inbox", QA_APPROVER])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: cannot reach the sandbox's inbox at {url}: [Errno 111] Connection refused; "
        f"is the sandbox running? {START_SANDBOX}\n"
    )


def test_a_failed_delivery_is_one_line_naming_the_function_and_the_error() -> None:
    failed = Delivery("modelops-approval-notify", None, "modelops-approval-notify failed on request r1: KeyError: 'x'")
    assert failed.line() == (
        "EventBridge -> modelops-approval-notify failed: modelops-approval-notify failed on request r1: KeyError: 'x'"
    )


# -- the management keys say who they are ---------------------------------------------------------------------


@pytest.mark.slow
def test_a_command_run_with_the_management_keys_says_it_acts_as_the_root_user(sandbox_up: SandboxUp) -> None:
    completed = sandbox_up.run("history", "churn-model")  # AWS_PROFILE=management, the default export
    assert completed.stderr.splitlines()[0] == (
        "note: acting as arn:aws:iam::123456789012:root, the root user of account 123456789012, not a person; "
        "people act with their own sign-in: AWS_PROFILE=<their profile>"
    )


def test_only_a_root_user_gets_the_note() -> None:
    assert root_user_note("arn:aws:iam::210987654321:root") == (
        "note: acting as arn:aws:iam::210987654321:root, the root user of account 210987654321, not a person; "
        "people act with their own sign-in: AWS_PROFILE=<their profile>"
    )
    assert root_user_note(f"arn:aws:sts::{SHARED}:assumed-role/AWSReservedSSO_X_0/{QA_APPROVER}") is None
    assert root_user_note(f"arn:aws:iam::{SHARED}:user/root") is None
