"""The `modelops` CLI: every bad input gets one plain line, the right exit code, and changes nothing."""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import subprocess
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from botocore.stub import Stubber
from typer.testing import CliRunner, Result

import cli.main
from accounts import naming
from accounts.config import OrgConfig
from promotion.aws import AwsContext, new_session, translate
from promotion.content import pin_image
from promotion.decisions import decide
from promotion.ledger import Ledger, LedgerRecord
from promotion.registry import Registry, describe_package
from sandbox.github_oidc import deploy_job_session
from sandbox.images import push_image
from sandbox.organization import Sandbox, account_admin_session, person_role_name, person_session
from sandbox.review_gateway import ReviewGateway
from shared_services.handlers.notify import record_registration
from tests.orgs import config_path
from tests.promotion_support import (
    ARTIFACT_BUCKET,
    IMAGE,
    IMAGE_REPOSITORY,
    PROD_APPROVER,
    QA_APPROVER,
    RISK_OFFICER,
    LocalAws,
)

CONFIG = config_path("two_env")  # the `config` fixture's organisation
ARN = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-model/{}"
COMMANDS = ["register", "approve", "reject", "promote", "rollback", "verify", "deploy", "status", "drift", "history"]
READ_COMMANDS = ["verify", "status", "drift", "history"]


def modelops(*args: str, workloads: Path | None = None, config: Path = CONFIG) -> Result:
    options = ["--config", str(config)]
    if workloads is not None:
        options += ["--workloads", str(workloads)]
    return CliRunner().invoke(cli.main.app, [*options, *args])


class Snapshot:
    """What a refused command must leave untouched: the manifests, the PR file and the history."""

    def __init__(self, local_aws: LocalAws, workloads: Path, pr_file: Path) -> None:
        self.local_aws, self.workloads, self.pr_file = local_aws, workloads, pr_file
        self.taken = self.state()

    def state(self) -> tuple[dict[str, bytes], bool, list[str]]:
        files = {str(p.relative_to(self.workloads)): p.read_bytes() for p in sorted(self.workloads.rglob("*.yaml"))}
        return files, self.pr_file.exists(), self.local_aws.history_values()

    def unchanged(self) -> bool:
        return self.state() == self.taken


def refused(result: Result, code: int, message: str) -> None:
    assert (result.exit_code, result.stderr, result.stdout) == (code, f"error: {message}\n", "")


# -- help and JSON --------------------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    result = modelops(command, "--help")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Usage: modelops {command} [OPTIONS]")


@pytest.mark.parametrize("command", READ_COMMANDS)
def test_every_read_command_offers_json(command: str) -> None:
    assert "--json" in modelops(command, "--help").stdout


def test_a_usage_error_exits_2() -> None:
    result = modelops("approve", "churn-model", "1")
    assert result.exit_code == 2
    assert "Missing option '--reason'" in result.stderr


def test_a_missing_config_file_is_input_error(tmp_path: Path) -> None:
    result = modelops("status", config=tmp_path / "nope.yaml")
    refused(result, 2, f"{tmp_path / 'nope.yaml'}: file not found")


# -- promote: bad input, refused gates, unreachable or denied AWS --------------------------------------


@pytest.fixture
def promote_setup(local_aws: LocalAws, workloads: Path, tmp_path: Path) -> Snapshot:
    local_aws.approved(n=1)
    local_aws.register(n=2)
    local_aws.mark_deployed("churn-model", "qa", ARN.format(1))
    return Snapshot(local_aws, workloads, tmp_path / "pr.md")


def promote_cli(setup: Snapshot, *args: str, config: Path = CONFIG) -> Result:
    return modelops("promote", *args, "--pr-body-file", str(setup.pr_file), workloads=setup.workloads, config=config)


@pytest.mark.parametrize(
    ("arguments", "code", "message"),
    [
        (
            ["--arn", "arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-model"],
            2,
            "--arn: malformed ModelPackage ARN 'arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-model'"
            "; expected arn:aws:sagemaker:<region>:<12-digit account>:model-package/<group>/<version>",
        ),
        (
            ["--arn", "arn:aws:sagemaker:eu-west-1:999999999999:model-package/churn-model/1"],
            2,
            "--arn: arn:aws:sagemaker:eu-west-1:999999999999:model-package/churn-model/1 is in account "
            "999999999999; expected the shared-services account 111111111111",
        ),
        (
            ["--arn", "arn:aws:sagemaker:us-east-1:111111111111:model-package/churn-model/1"],
            2,
            "--arn: arn:aws:sagemaker:us-east-1:111111111111:model-package/churn-model/1 is in region us-east-1; "
            "expected eu-west-1",
        ),
        (
            ["--arn", "arn:aws:sagemaker:eu-west-1:111111111111:model-package/fraud-model/1"],
            2,
            "--arn: arn:aws:sagemaker:eu-west-1:111111111111:model-package/fraud-model/1 is in group "
            "'fraud-model'; expected the group of model 'churn-model'",
        ),
        (["--version", "9"], 2, f"{ARN.format(9)} does not exist in the registry"),
        (
            ["--version", "2"],
            1,
            "approved: churn-model v2 is PendingManualApproval; only Approved versions can be promoted "
            "(an approver decides with `modelops approve`)",
        ),
        (["--version", "1", "--arn", ARN.format(1)], 2, "give either --version or --arn, not both"),
    ],
    ids=["malformed-arn", "other-account", "other-region", "other-group", "no-such-version", "pending", "both"],
)
def test_promote_refuses_bad_input_and_changes_nothing(
    promote_setup: Snapshot, arguments: list[str], code: int, message: str
) -> None:
    refused(promote_cli(promote_setup, "churn-model", "--to", "qa", *arguments), code, message)
    assert promote_setup.unchanged()


def test_promote_refuses_a_rejected_version(promote_setup: Snapshot) -> None:
    promote_setup.local_aws.set_status(ARN.format(2), "Rejected", "qa.approver@example.com: leaks the label")
    promote_setup.taken = promote_setup.state()
    result = promote_cli(promote_setup, "churn-model", "--to", "qa", "--version", "2")
    refused(
        result,
        1,
        "approved: churn-model v2 is Rejected (qa.approver@example.com: leaks the label); "
        "only Approved versions can be promoted",
    )
    assert promote_setup.unchanged()


def test_promote_refuses_skipping_an_environment(promote_setup: Snapshot) -> None:
    promote_setup.local_aws.set_status(ARN.format(2), "Approved")
    result = promote_cli(promote_setup, "churn-model", "--to", "prod", "--version", "2")
    refused(
        result,
        1,
        "chain-order: v2 is not live in qa, the environment before prod (live there: v1); "
        "promote and deploy it to qa first",
    )
    assert promote_setup.unchanged()


def test_promote_refuses_unknown_environment_and_model(promote_setup: Snapshot) -> None:
    refused(
        promote_cli(promote_setup, "churn-model", "--to", "staging", "--version", "1"),
        2,
        "unknown environment 'staging'; expected one of ['qa', 'prod']",
    )
    refused(
        promote_cli(promote_setup, "fraud-model", "--to", "qa", "--version", "1"),
        2,
        "unknown model 'fraud-model'; expected one of ['churn-model']",
    )
    assert promote_setup.unchanged()


def test_promote_refuses_a_manifest_that_fails_validation(promote_setup: Snapshot) -> None:
    path = promote_setup.workloads / "qa" / "churn-model.yaml"
    path.write_text(path.read_text().replace("strategy: linear", "strategy: all-at-once"))
    promote_setup.taken = promote_setup.state()
    result = promote_cli(promote_setup, "churn-model", "--to", "qa", "--version", "1")
    refused(result, 2, f"{path}: rollout.strategy: Input should be 'canary' or 'linear'")
    assert promote_setup.unchanged()


def test_promote_reports_an_unreachable_registry_in_one_line(
    promote_setup: Snapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://localhost:{closed}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    result = promote_cli(promote_setup, "churn-model", "--to", "qa", "--version", "1")
    refused(
        result,
        1,
        f"cannot reach the SageMaker registry at http://localhost:{closed}: Connection refused; is the sandbox "
        "running? Start it with `modelops sandbox up`",
    )
    assert "Traceback" not in result.output
    monkeypatch.setenv("AWS_ENDPOINT_URL", promote_setup.local_aws.endpoint_url)
    assert promote_setup.unchanged()


@pytest.mark.parametrize(
    ("endpoint", "hint"),
    [
        ("http://127.0.0.1:4566", "; is the sandbox running? Start it with `modelops sandbox up`"),
        ("http://[::1]:4566", "; is the sandbox running? Start it with `modelops sandbox up`"),
        ("https://api.sagemaker.eu-west-1.amazonaws.com", ""),
    ],
)
def test_an_unreachable_endpoint_suggests_the_sandbox_only_when_it_is_local(endpoint: str, hint: str) -> None:
    failure = EndpointConnectionError(endpoint_url=endpoint, error="[Errno 111] Connection refused")

    assert str(translate(failure, "the SageMaker registry")) == (
        f"cannot reach the SageMaker registry at {endpoint}: Connection refused{hint}"
    )


@pytest.mark.parametrize("url", ["notaurl", "127.0.0.1:4566", "ftp://127.0.0.1:4566", "http://"])
def test_an_endpoint_url_botocore_cannot_use_is_an_input_error_naming_the_variable(
    promote_setup: Snapshot, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    result = promote_cli(promote_setup, "churn-model", "--to", "qa", "--version", "1")
    refused(
        result,
        2,
        f"AWS_ENDPOINT_URL: {url!r} is not an endpoint URL; expected http:// or https:// and a host, such as the "
        "http://127.0.0.1:<port> that `modelops sandbox up` prints (unset it to reach AWS itself)",
    )
    monkeypatch.setenv("AWS_ENDPOINT_URL", promote_setup.local_aws.endpoint_url)
    assert promote_setup.unchanged()


class StubbedSession:
    """Stands in for a boto3 session: every client it hands out answers from a Stubber."""

    region_name = "eu-west-1"

    def __init__(self, prepare: dict[str, Any]) -> None:
        self.prepare = prepare
        self.clients: dict[str, Any] = {}

    def client(self, service: str, region_name: str | None = None) -> Any:
        if service not in self.clients:
            client = new_session(region="eu-west-1", access_key="x", secret_key="y").client(
                service,  # type: ignore[call-overload]
                region_name="eu-west-1",
            )
            stubber = Stubber(client)
            self.prepare[service](stubber)
            stubber.activate()
            self.clients[service] = client
        return self.clients[service]


DENIED_DESCRIBE = (
    "User: arn:aws:sts::111111111111:assumed-role/modelops-promoter/platform.engineer@example.com is not "
    "authorized to perform: sagemaker:DescribeModelPackage on resource: "
    f"{ARN.format(1)} because no identity-based policy allows the sagemaker:DescribeModelPackage action"
)


def test_promote_reports_access_denied_naming_the_role(
    promote_setup: Snapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    def deny(stubber: Stubber) -> None:
        stubber.add_client_error(
            "describe_model_package", "AccessDeniedException", DENIED_DESCRIBE, http_status_code=400
        )

    class Denied(AwsContext):
        def promoter(self, *, via: str | None = None) -> boto3.Session:
            return StubbedSession({"sagemaker": deny})  # type: ignore[return-value]

    monkeypatch.setattr(cli.main, "make_aws", Denied)
    result = promote_cli(promote_setup, "churn-model", "--to", "qa", "--version", "1")
    refused(
        result,
        1,
        "access denied: arn:aws:iam::111111111111:role/modelops-promoter may not call DescribeModelPackage on "
        f"the SageMaker registry: {DENIED_DESCRIBE}",
    )
    assert promote_setup.unchanged()


def test_promote_reports_a_refused_role_assumption_naming_the_role(
    promote_setup: Snapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    denial = (
        "User: arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_Guest_0/guest@example.com is not authorized "
        "to perform: sts:AssumeRole on resource: arn:aws:iam::111111111111:role/modelops-promoter"
    )

    def sts(stubber: Stubber) -> None:
        stubber.add_response(
            "get_caller_identity",
            {
                "UserId": "AROAEXAMPLE:guest@example.com",
                "Account": "111111111111",
                "Arn": "arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_Guest_0/guest@example.com",
            },
        )
        stubber.add_client_error("assume_role", "AccessDenied", denial, http_status_code=403)

    monkeypatch.setattr(
        cli.main,
        "make_aws",
        lambda config: AwsContext(config, base=StubbedSession({"sts": sts})),  # type: ignore[arg-type]
    )
    result = promote_cli(promote_setup, "churn-model", "--to", "qa", "--version", "1")
    refused(result, 1, f"access denied: cannot assume arn:aws:iam::111111111111:role/modelops-promoter: {denial}")
    assert promote_setup.unchanged()


def test_promote_dry_run_prints_the_diff_and_writes_nothing(promote_setup: Snapshot) -> None:
    promote_setup.local_aws.set_status(ARN.format(2), "Approved")
    promote_setup.taken = promote_setup.state()
    result = promote_cli(promote_setup, "churn-model", "--to", "qa", "--version", "2", "--dry-run")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert f"-model_package_arn: {ARN.format(1)}" in lines
    assert f"+model_package_arn: {ARN.format(2)}" in lines
    assert lines[-2:] == ["PR title: Promote churn-model v2 to qa", "dry run: nothing was written"]
    assert promote_setup.unchanged()


def test_promote_pins_and_says_where_the_pr_body_is(promote_setup: Snapshot) -> None:
    promote_setup.local_aws.set_status(ARN.format(2), "Approved")
    result = promote_cli(promote_setup, "churn-model", "--to", "qa", "--version", "2")
    assert result.exit_code == 0, result.output
    path = promote_setup.workloads / "qa" / "churn-model.yaml"
    assert result.stdout.splitlines() == [
        f"Promote churn-model v2 to qa: {path} now pins {ARN.format(2)}",
        f"PR title and body: {promote_setup.pr_file}",
    ]


# -- approve and reject -------------------------------------------------------------------------------


# -- register -------------------------------------------------------------------------------------------


def test_register_creates_a_pending_version_with_metrics_lineage_and_card(local_aws: LocalAws, tmp_path: Path) -> None:
    local_aws.act_as("data.scientist@example.com", account="222222222222", permission_set="DataScientist")
    card = tmp_path / "card.json"
    card.write_text('{"intended_uses": {"purpose_of_model": "churn"}}')
    weights = tmp_path / "model.tar.gz"
    weights.write_bytes(b"churn-model v7 weights")
    result = modelops(
        "register", "churn-model",
        "--artifact", "s3://modelops-artifacts-111111111111-eu-west-1/artifacts/churn-model/v7/model.tar.gz",
        "--upload", str(weights),
        "--image", "111111111111.dkr.ecr.eu-west-1.amazonaws.com/modelops-models:churn-model-1.0",
        "--metric", "auc=0.91", "--metric", "false_positive_rate=0.04",
        "--source-commit", "abcdef1",
        "--training-job", "arn:aws:sagemaker:eu-west-1:222222222222:training-job/churn-7",
        "--model-card", str(card),
    )  # fmt: skip
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        f"{ARN.format(1)}\n",
        "registered churn-model v1 as PendingManualApproval\n",
    )
    described = local_aws.sagemaker().describe_model_package(ModelPackageName=ARN.format(1))
    s3 = local_aws.admin("111111111111").client("s3", region_name="eu-west-1")
    head = s3.head_object(Bucket=ARTIFACT_BUCKET, Key="artifacts/churn-model/v7/model.tar.gz", ChecksumMode="ENABLED")
    digest = pin_image(local_aws.admin("111111111111").client("ecr", region_name="eu-west-1"), IMAGE)
    assert described["ModelApprovalStatus"] == "PendingManualApproval"
    # What was registered: S3's version and SHA-256 of the uploaded bytes, the image by digest.
    assert described["CustomerMetadataProperties"] == {
        "metric:auc": "0.91",
        "metric:false_positive_rate": "0.04",
        "content:artifact-version": head["VersionId"],
        "content:artifact-sha256": hashlib.sha256(b"churn-model v7 weights").hexdigest(),
        "content:image": digest,
    }
    assert head["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(b"churn-model v7 weights").digest()).decode()
    assert described["InferenceSpecification"]["Containers"] == [
        {
            "Image": digest,
            "ModelDataUrl": "s3://modelops-artifacts-111111111111-eu-west-1/artifacts/churn-model/v7/model.tar.gz",
            "ModelDataETag": head["ETag"].strip('"'),
        }
    ]
    assert digest == f"{IMAGE_REPOSITORY}@" + push_image(local_aws.admin("111111111111"), IMAGE)
    # Who registered is what AWS recorded of the session: the person, as its source identity.
    assert described["CreatedBy"]["IamIdentity"]["SourceIdentity"] == "data.scientist@example.com"
    assert described["ModelLifeCycle"] == {
        "Stage": "qa",
        "StageStatus": "PendingApproval",
        "StageDescription": "registered; awaiting approval by ml-risk-qa for qa",
    }
    assert described["MetadataProperties"] == {
        "CommitId": "abcdef1",
        "GeneratedBy": "arn:aws:sagemaker:eu-west-1:222222222222:training-job/churn-7",
    }
    assert described["ModelCard"]["ModelCardStatus"] == "Draft"


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        (
            "--artifact",
            "s3://modelops-artifacts-111111111111-eu-west-1/artifacts/fraud-model/model.tar.gz",
            "--artifact: s3://modelops-artifacts-111111111111-eu-west-1/artifacts/fraud-model/model.tar.gz is not "
            "under churn-model's artifact prefix; expected "
            "s3://modelops-artifacts-111111111111-eu-west-1/artifacts/churn-model/<key>",
        ),
        (
            "--image",
            "docker.io/library/churn:1",
            "--image: 'docker.io/library/churn:1' is not an ECR image; expected "
            "<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag> or @sha256:<digest>",
        ),
        ("--metric", "auc=high", "--metric 'auc=high': 'high' is not a number"),
    ],
)
def test_register_refuses_bad_input_before_calling_aws(
    local_aws: LocalAws, option: str, value: str, message: str
) -> None:
    arguments = {
        "--artifact": "s3://modelops-artifacts-111111111111-eu-west-1/artifacts/churn-model/v7/model.tar.gz",
        "--image": "111111111111.dkr.ecr.eu-west-1.amazonaws.com/modelops-models:churn-model-1.0",
        "--metric": "auc=0.9",
    }
    arguments[option] = value
    flat = [part for pair in arguments.items() for part in pair]
    refused(modelops("register", "churn-model", *flat, "--source-commit", "abcdef1"), 2, message)


# -- verify ---------------------------------------------------------------------------------------------


def test_verify_passes_when_every_manifest_meets_every_gate(local_aws: LocalAws, workloads: Path) -> None:
    arn = local_aws.approved(n=1)
    for env in ("qa", "prod"):
        local_aws.pin(workloads, env, arn)
    local_aws.mark_deployed("churn-model", "qa", ARN.format(1))
    result = modelops("verify", workloads=workloads)
    assert (result.exit_code, result.stdout) == (0, "2 manifest(s) pass every gate\n")


def test_verify_lists_each_failure_with_file_arn_and_rule(local_aws: LocalAws, workloads: Path) -> None:
    arn = local_aws.register(n=1)
    for env in ("qa", "prod"):
        local_aws.pin(workloads, env, arn)
    result = modelops("verify", workloads=workloads)
    pending = (
        "approved: churn-model v1 is PendingManualApproval; only Approved versions can be promoted "
        "(an approver decides with `modelops approve`)"
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {workloads}/prod/churn-model.yaml: {ARN.format(1)}: {pending}",
        f"error: {workloads}/prod/churn-model.yaml: {ARN.format(1)}: chain-order: v1 is not live in qa, the "
        "environment before prod (live there: nothing); promote and deploy it to qa first",
        f"error: {workloads}/qa/churn-model.yaml: {ARN.format(1)}: {pending}",
    ]


def test_verify_reports_an_invalid_manifest_as_a_failure_in_json(local_aws: LocalAws, workloads: Path) -> None:
    arn = local_aws.approved(n=1)
    local_aws.pin(workloads, "qa", arn)
    local_aws.mark_deployed("churn-model", "qa", ARN.format(1))
    path = workloads / "prod" / "churn-model.yaml"
    path.write_text(path.read_text().replace("instance_count: 2", "instance_count: 0"))
    result = modelops("verify", "--json", workloads=workloads)
    assert result.exit_code == 1
    assert json.loads(result.stdout)["failures"] == [
        {
            "path": str(path),
            "arn": ARN.format(1),
            "rule": "manifest",
            "message": "instance_count: Input should be greater than or equal to 1",
        }
    ]


def test_verify_names_an_invalid_manifests_file_once(local_aws: LocalAws, workloads: Path) -> None:
    arn = local_aws.approved(n=1)
    local_aws.pin(workloads, "qa", arn)
    local_aws.mark_deployed("churn-model", "qa", ARN.format(1))
    path = workloads / "prod" / "churn-model.yaml"
    path.write_text(path.read_text().replace("instance_count: 2", "instance_count: 0"))
    result = modelops("verify", workloads=workloads)
    assert (result.exit_code, result.stderr.splitlines()) == (
        1,
        [f"error: {path}: {ARN.format(1)}: manifest: instance_count: Input should be greater than or equal to 1"],
    )


def test_verify_changed_from_checks_only_manifests_changed_since_the_ref(local_aws: LocalAws, workloads: Path) -> None:
    git = ["git", "-C", str(workloads), "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    local_aws.approved(n=1)
    local_aws.approved(n=2)
    local_aws.mark_deployed("churn-model", "qa", ARN.format(1))
    path = workloads / "qa" / "churn-model.yaml"
    local_aws.pin(workloads, "qa", ARN.format(2))
    result = modelops("verify", "--changed-from", "HEAD", "--json", workloads=workloads)
    assert (result.exit_code, json.loads(result.stdout)) == (0, {"checked": [str(path)], "failures": []})


def test_verify_with_an_unknown_ref_is_input_error(local_aws: LocalAws, workloads: Path) -> None:
    subprocess.run(["git", "-C", str(workloads), "init", "-q"], check=True)
    result = modelops("verify", "--changed-from", "no-such-ref", workloads=workloads)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --changed-from no-such-ref: git diff failed: ")


# -- history --------------------------------------------------------------------------------------------


def decided_and_deployed(local_aws: LocalAws, config: OrgConfig) -> None:
    """churn-model v1 registered (its record as the notify function writes it), approved for qa, deployed there."""
    local_aws.register(n=1)
    shared = local_aws.admin(config.accounts.shared_services)
    sagemaker = shared.client("sagemaker", region_name=config.region)
    package = describe_package(sagemaker, ARN.format(1))
    assert package is not None
    record_registration(config, shared.client("dynamodb", region_name=config.region), package)
    decide(
        config=config,
        registry=Registry(sagemaker, config),
        ledger=Ledger(shared.client("dynamodb", region_name=config.region), "churn-model"),
        model="churn-model",
        version=1,
        verdict="approve",
        approver=QA_APPROVER,
        reason="fine",
    )
    local_aws.mark_deployed("churn-model", "qa", ARN.format(1))


def test_history_merges_every_stream_of_the_model_by_time(local_aws: LocalAws, config: OrgConfig) -> None:
    decided_and_deployed(local_aws, config)
    result = modelops("history", "churn-model", "--json")
    assert result.exit_code == 0, result.output
    trail = json.loads(result.stdout)
    assert [(r["stream"], r["seq"], r["action"], r["who"], r["env"], r["arn"]) for r in trail] == [
        # recorded with a fixed 2026-01-01 time by the helper
        ("churn-model/deploys/qa", 1, "deployed", "ci", "qa", ARN.format(1)),
        ("churn-model/registrations", 1, "registered", "data.scientist@example.com", None, ARN.format(1)),
        ("churn-model/decisions", 1, "approved", QA_APPROVER, "qa", ARN.format(1)),
    ]


def test_history_verify_checks_every_stream_of_the_ledger(local_aws: LocalAws, config: OrgConfig) -> None:
    decided_and_deployed(local_aws, config)
    result = modelops("history", "churn-model", "--verify")
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "the ledger of churn-model: 3 records in 6 streams, every link holds\n",  # releases is the sixth
        "",
    )


def exported(local_aws: LocalAws, config: OrgConfig, tmp_path: Path, records: int = 4) -> tuple[Path, list[Any]]:
    decided_and_deployed(local_aws, config)
    for _ in range(records - 1):
        local_aws.mark_deployed("churn-model", "qa", ARN.format(1))
    trail = json.loads(modelops("history", "churn-model", "--json").stdout)
    return tmp_path / "export.json", trail


def test_history_verify_from_an_untouched_export_holds(local_aws: LocalAws, config: OrgConfig, tmp_path: Path) -> None:
    path, trail = exported(local_aws, config, tmp_path)
    path.write_text(json.dumps(trail))
    result = modelops("history", "churn-model", "--verify", "--from", str(path))
    assert (result.exit_code, result.stdout) == (0, f"{path}: 6 records in 3 streams, every link holds\n")


def test_history_verify_names_a_record_whose_content_was_changed(
    local_aws: LocalAws, config: OrgConfig, tmp_path: Path
) -> None:
    path, trail = exported(local_aws, config, tmp_path)
    [second] = [r for r in trail if (r["stream"], r["seq"]) == ("churn-model/deploys/qa", 2)]
    second["arn"] = ARN.format(7)  # a forged deploy: v7 "was live in qa"
    path.write_text(json.dumps(trail))
    refused(
        modelops("history", "churn-model", "--verify", "--from", str(path)),
        1,
        "ledger churn-model/deploys/qa: record 2's hash does not match its content",
    )


def test_history_verify_names_a_record_rehashed_after_a_change_by_the_link_it_broke(
    local_aws: LocalAws, config: OrgConfig, tmp_path: Path
) -> None:
    path, trail = exported(local_aws, config, tmp_path)
    [second] = [r for r in trail if (r["stream"], r["seq"]) == ("churn-model/deploys/qa", 2)]
    second["arn"] = ARN.format(7)
    second["hash"] = LedgerRecord.from_dict(second, "test").content_hash()
    path.write_text(json.dumps(trail))
    refused(
        modelops("history", "churn-model", "--verify", "--from", str(path)),
        1,
        "ledger churn-model/deploys/qa: record 3 does not follow record 2",
    )


def test_history_verify_names_a_removed_record(local_aws: LocalAws, config: OrgConfig, tmp_path: Path) -> None:
    path, trail = exported(local_aws, config, tmp_path)
    path.write_text(json.dumps([r for r in trail if (r["stream"], r["seq"]) != ("churn-model/deploys/qa", 2)]))
    refused(
        modelops("history", "churn-model", "--verify", "--from", str(path)),
        1,
        "ledger churn-model/deploys/qa: record 3 does not follow record 1",
    )


def test_history_verify_from_a_file_that_is_not_an_export_is_input_error(local_aws: LocalAws, tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text('[{"stream": "churn-model/decisions", "seq": "one"}]')
    missing = modelops("history", "churn-model", "--verify", "--from", str(tmp_path / "nothing.json"))
    refused(
        modelops("history", "churn-model", "--verify", "--from", str(path)),
        2,
        f"{path}: item 1: field 'model' is missing",
    )
    assert (missing.exit_code, missing.stderr) == (2, f"error: {tmp_path / 'nothing.json'}: file not found\n")


def test_history_from_without_verify_is_a_usage_error(local_aws: LocalAws, tmp_path: Path) -> None:
    refused(
        modelops("history", "churn-model", "--from", str(tmp_path / "x.json")),
        2,
        "--from: only with --verify (it names an exported copy to check)",
    )


def test_a_hundred_and_fifty_records_all_stay_readable(local_aws: LocalAws, config: OrgConfig) -> None:
    """Parameter Store kept 100 versions of the old history parameter; the ledger evicts nothing."""
    for version in range(1, 151):
        local_aws.mark_deployed("churn-model", "qa", ARN.format(version))
    result = modelops("history", "churn-model", "--json")
    trail = json.loads(result.stdout)
    assert ([r["seq"] for r in trail], trail[0]["arn"], trail[-1]["arn"]) == (
        list(range(1, 151)),
        ARN.format(1),
        ARN.format(150),
    )
    assert modelops("history", "churn-model", "--verify").exit_code == 0


# -- the whole path, in the sandbox organisation ----------------------------------------------------------


def test_register_approve_promote_deploy_and_check_in_the_sandbox_organisation(
    sandbox: Sandbox, approval_api: ReviewGateway, workloads: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = sandbox.config
    card = tmp_path / "card.json"
    card.write_text('{"intended_uses": {"purpose_of_model": "churn"}}')

    def act_as(account: str, permission_set: str, email: str) -> None:
        session = person_session(
            config, sandbox.endpoint_url, account=account, role_name=person_role_name(permission_set), email=email
        )
        frozen = session.get_credentials().get_frozen_credentials()  # type: ignore[union-attr]
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", str(frozen.access_key))
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", str(frozen.secret_key))
        monkeypatch.setenv("AWS_SESSION_TOKEN", str(frozen.token))

    push_image(account_admin_session(config, config.accounts.shared_services), IMAGE)  # the image build's push
    weights = tmp_path / "model.tar.gz"
    weights.write_bytes(b"churn-model e2e weights")
    act_as(config.accounts.data_science, naming.DATA_SCIENTIST_PERMISSION_SET, "data.scientist@example.com")
    registered = modelops(
        "register", "churn-model",
        "--artifact", f"s3://modelops-artifacts-111111111111-eu-west-1/artifacts/churn-model/e2e-{uuid.uuid4().hex}/model.tar.gz",
        "--upload", str(weights),
        "--image", "111111111111.dkr.ecr.eu-west-1.amazonaws.com/modelops-models:churn-model-1.0",
        "--metric", "auc=0.91", "--metric", "false_positive_rate=0.04", "--source-commit", "abcdef1",
        "--model-card", str(card),
    )  # fmt: skip
    assert registered.exit_code == 0, registered.output
    arn = registered.stdout.strip()
    version = arn.rsplit("/", 1)[1]

    act_as(config.accounts.shared_services, naming.APPROVER_PERMISSION_SET, QA_APPROVER)
    decided = modelops("approve", "churn-model", version, "--reason", "holds on holdout")
    assert decided.exit_code == 0, decided.output
    for prod_approver in (PROD_APPROVER, RISK_OFFICER):  # prod's quorum is two
        act_as(config.accounts.shared_services, naming.APPROVER_PERMISSION_SET, prod_approver)
        approved = modelops("approve", "churn-model", version, "--env", "prod", "--reason", "qa evidence holds")
        assert approved.exit_code == 0, approved.output

    def deploy_job(env: str) -> None:
        """The deploy job of deploy.yml for `env`: GitHub's OIDC token exchanged for its deploy role."""
        session = deploy_job_session(config, env)
        frozen = session.get_credentials().get_frozen_credentials()  # type: ignore[union-attr]
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", str(frozen.access_key))
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", str(frozen.secret_key))
        monkeypatch.setenv("AWS_SESSION_TOKEN", str(frozen.token))

    for env in ("qa", "prod"):
        act_as(config.accounts.shared_services, naming.PLATFORM_PERMISSION_SET, "platform.engineer@example.com")
        promoted = modelops("promote", "churn-model", "--to", env, "--arn", arn, workloads=workloads)
        assert promoted.exit_code == 0, promoted.output
        if env == "qa":  # a person cannot deploy: only the environment's deploy job reaches its roles
            refused = modelops("deploy", env, workloads=workloads)
            assert refused.exit_code == 1
            assert refused.stderr.splitlines()[-1] == (
                f"error: access denied: cannot assume {naming.github_deploy_role_arn(config, env)}: User: "
                "arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_ModelOpsPlatform_5a4db0c5a4db0c00/"
                "platform.engineer@example.com is not authorized to perform: sts:AssumeRole on resource: "
                f"{naming.github_deploy_role_arn(config, env)}"
            )
        deploy_job(env)
        deployed = modelops("deploy", env, workloads=workloads)
        assert deployed.exit_code == 0, deployed.output
        assert deployed.stdout.splitlines()[-1] == (
            f"  modelops-churn-model runs {arn} (smoke test passed, live record written)"
        )
        drift = modelops("drift", "--env", env, workloads=workloads)
        assert (drift.exit_code, drift.stdout.splitlines()[-1]) == (0, "no drift: every endpoint runs its pin")

    act_as(config.accounts.shared_services, naming.PLATFORM_PERMISSION_SET, "platform.engineer@example.com")
    by_a_person = modelops("drift", workloads=workloads)
    assert by_a_person.exit_code == 1
    assert by_a_person.stderr.splitlines()[-1].startswith(
        "error: access denied: cannot assume arn:aws:iam::333333333333:role/modelops-github-deploy-qa: User: "
        "arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_ModelOpsPlatform_5a4db0c5a4db0c00/"
    )
    prod = account_admin_session(config, "555555555555").client("ssm", region_name=config.region)
    live = prod.get_parameter(Name="/modelops/models/churn-model/live-model-package-arn")["Parameter"]["Value"]
    assert live == arn
    trail = json.loads(modelops("history", "churn-model", "--json").stdout)
    # (no promotion is proposed where the shipped manifest already pins this version; the registration record is
    # the notify function's, which this test does not run: tests/test_approval_handlers.py covers it)
    assert [(r["action"], r["env"]) for r in trail if r["arn"] == arn and r["action"] != "promotion-proposed"] == [
        ("approved", "qa"),
        ("approved", "prod"),
        ("approved", "prod"),
        ("deployed", "qa"),
        ("deployed", "prod"),
    ]
