"""The promotion board and the drift check: what the registry holds, what git pins, what runs."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders
from typer.testing import CliRunner

import cli.main
from accounts import naming
from accounts.config import parse_config
from cli.output import hold_and_soak
from promotion import holds
from promotion.aws import AwsContext
from promotion.drift import EndpointCheck, check_drift
from promotion.errors import AwsAccessDenied
from promotion.ledger import HistoryAction, HistoryRecord, utc_iso
from promotion.live_records import LiveRecords
from promotion.registry import Stage, VersionSummary
from promotion.status import EnvCell, board
from tests.orgs import config_path, org_data
from tests.promotion_support import LocalAws
from tests.terminal_support import terminal, unstyled

ARN = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-model/{}"
CONFIG = str(config_path("two_env"))  # the `config` fixture's organisation


def modelops(workloads: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli.main.app, ["--config", CONFIG, "--workloads", str(workloads), *args])
    return result.exit_code, result.stdout


def serve(local_aws: LocalAws, account: str, arn: str, suffix: str) -> None:
    """An endpoint `churn-model` in `account` running `arn`, built as CloudFormation builds it."""
    client = local_aws.admin(account).client("sagemaker", region_name="eu-west-1")
    model = f"ChurnModel{suffix}"
    client.create_model(
        ModelName=model,
        ExecutionRoleArn=f"arn:aws:iam::{account}:role/modelops-exec-env-churn-model",
        PrimaryContainer={"ModelPackageName": arn},
    )
    client.create_endpoint_config(
        EndpointConfigName=f"ChurnModelConfig{suffix}",
        ProductionVariants=[
            {"VariantName": "AllTraffic", "ModelName": model, "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}
        ],
    )
    client.create_endpoint(EndpointName="modelops-churn-model", EndpointConfigName=f"ChurnModelConfig{suffix}")


def test_the_board_lists_versions_newest_first_and_pinned_against_live(local_aws: LocalAws, workloads: Path) -> None:
    local_aws.approved(n=1)
    local_aws.register(n=2)
    rejected = local_aws.register(n=3)
    local_aws.set_status(rejected, "Rejected")
    local_aws.mark_deployed("churn-model", "qa", ARN.format(1))
    [row] = board(AwsContext(local_aws.config), local_aws.config, workloads)
    assert [(v.version, v.status) for v in row.versions] == [
        (3, "Rejected"),
        (2, "PendingManualApproval"),
        (1, "Approved"),
    ]
    assert row.envs == [
        EnvCell("qa", pinned=ARN.format(1), live=ARN.format(1)),
        EnvCell("prod", pinned=ARN.format(1), live=None),
    ]
    assert [cell.drift for cell in row.envs] == [False, True]


def test_status_json_carries_the_same_board(local_aws: LocalAws, workloads: Path) -> None:
    local_aws.approved(n=1)
    local_aws.mark_deployed("churn-model", "qa", ARN.format(1))
    local_aws.mark_deployed("churn-model", "prod", ARN.format(1))
    code, stdout = modelops(workloads, "status", "churn-model", "--json")
    [row] = json.loads(stdout)
    assert code == 0
    assert [(v["version"], v["status"]) for v in row["versions"]] == [(1, "Approved")]
    assert row["environments"] == [
        {"env": "qa", "pinned": ARN.format(1), "live": ARN.format(1), "drift": False, "hold": None, "soak": None},
        {"env": "prod", "pinned": ARN.format(1), "live": ARN.format(1), "drift": False, "hold": None, "soak": None},
    ]


def test_the_board_shows_prods_hold_and_the_soak_left_for_the_version_live_in_qa(
    local_aws: LocalAws, workloads: Path
) -> None:
    local_aws.approved(n=1)
    local_aws.approved(n=2)
    local_aws.mark_deployed("churn-model", "prod", ARN.format(1))
    since = datetime.now(UTC) - timedelta(hours=2, minutes=5, seconds=20)
    local_aws.ledger().append(
        naming.deploys_stream("churn-model", "qa"),
        HistoryRecord("ci", utc_iso(since), HistoryAction.DEPLOYED, "test", ARN.format(2), "444444444444", "qa"),
    )
    ssm = local_aws.admin("111111111111").client("ssm", region_name="eu-west-1")
    LiveRecords(ssm).put("churn-model", "qa", ARN.format(2))
    config = local_aws.config
    held = holds.held_record(config, "prod", ARN.format(1), who="platform.engineer@example.com", reason="5xx")
    local_aws.ledger().append(naming.promotions_stream("churn-model"), held)
    data = config.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["environments"][1]["soak_hours"] = 24
    [row] = board(AwsContext(config), parse_config(data, "accounts.yaml"), workloads)
    qa, prod = row.envs
    assert (qa.hold, qa.soak) == (None, None)
    assert prod.hold is not None
    assert (prod.hold.arn, prod.hold.who, prod.hold.reason) == (ARN.format(1), "platform.engineer@example.com", "5xx")
    assert prod.soak == "v2 live in qa 2h 05m of 24h (21h 54m remaining)"
    assert hold_and_soak(prod) == [
        "HELD at v1 by platform.engineer@example.com (5xx)",
        "soak: v2 live in qa 2h 05m of 24h (21h 54m remaining)",
    ]


def test_status_table_marks_drift(local_aws: LocalAws, workloads: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    local_aws.approved(n=1)
    local_aws.mark_deployed("churn-model", "qa", ARN.format(1))
    terminal(monkeypatch, 120)  # wide enough for the table (tests/test_audit_output.py: narrower and piped)
    code, stdout = modelops(workloads, "status")
    assert code == 0
    [row] = [line for line in unstyled(stdout).splitlines() if "churn-model" in line]
    assert [cell.strip() for cell in row.strip("│").split("│")] == [
        "churn-model",
        "v1 Approved",
        "v1 / v1",
        "v1 / nothing  DRIFT",
    ]


def test_drift_passes_when_every_endpoint_runs_its_pin(local_aws: LocalAws, workloads: Path) -> None:
    local_aws.approved(n=1)
    serve(local_aws, "444444444444", ARN.format(1), "A")
    serve(local_aws, "555555555555", ARN.format(1), "A")
    code, stdout = modelops(workloads, "drift")
    assert code == 0
    assert stdout.splitlines()[-1] == "no drift: every endpoint runs its pin"


def test_drift_exits_1_and_lists_every_endpoint_that_differs_from_git(local_aws: LocalAws, workloads: Path) -> None:
    local_aws.approved(n=1)
    local_aws.approved(n=2)
    serve(local_aws, "444444444444", ARN.format(1), "A")
    serve(local_aws, "555555555555", ARN.format(2), "B")
    code, stdout = modelops(workloads, "drift", "--json")
    assert code == 1
    assert json.loads(stdout) == [
        {
            "env": "qa",
            "model": "churn-model",
            "pinned": ARN.format(1),
            "live": ARN.format(1),
            "endpoint_status": "InService",
            "drift": False,
            "detail": "runs v1, as pinned",
        },
        {
            "env": "prod",
            "model": "churn-model",
            "pinned": ARN.format(1),
            "live": ARN.format(2),
            "endpoint_status": "InService",
            "drift": True,
            "detail": "the endpoint runs v2 but git pins v1",
        },
    ]


def test_a_pinned_model_without_an_endpoint_is_drift(local_aws: LocalAws, workloads: Path) -> None:
    local_aws.approved(n=1)
    serve(local_aws, "444444444444", ARN.format(1), "A")
    code, stdout = modelops(workloads, "drift", "--json")
    assert code == 1
    assert [(c["env"], c["drift"], c["detail"]) for c in json.loads(stdout)] == [
        ("qa", False, "runs v1, as pinned"),
        ("prod", True, "git pins v1 but no endpoint is live"),
    ]


def operator_policy(*deployed: str) -> Callable[[boto3.Session], None]:
    """A session hook standing in for an operator policy that the local AWS does not enforce: DescribeEndpoint
    on the `deployed` models' endpoints only (the operator's policy named exactly those before it named
    `endpoint/modelops-*`; drift must still pass over such a refusal for a model nothing pins)."""
    endpoints = {naming.endpoint_name(model) for model in deployed}

    def hook(session: boto3.Session) -> None:
        def refuse(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
            name = json.loads(params["body"])["EndpointName"]
            if name in endpoints:
                return None
            error = {"Code": "AccessDeniedException", "Message": f"not authorized on endpoint/{name}"}
            return AWSResponse("https://sagemaker", 400, HTTPHeaders(), None), {"Error": error, "ResponseMetadata": {}}

        # botocore uses a before-call handler's return value as the response (its stubs say None).
        session.events.register("before-call.sagemaker.DescribeEndpoint", refuse)  # type: ignore[arg-type]

    return hook


def with_fraud_model() -> Any:
    """two_env with a second model, fraud-model, that no environment pins (so no stack deploys it)."""
    data = org_data("two_env")
    data["models"].append({"name": "fraud-model"})
    return parse_config(data, "accounts.yaml")


def test_drift_passes_over_a_model_no_stack_deployed_whose_endpoint_the_operator_may_not_read(
    local_aws: LocalAws, workloads: Path
) -> None:
    local_aws.approved(n=1)
    serve(local_aws, "444444444444", ARN.format(1), "A")
    serve(local_aws, "555555555555", ARN.format(1), "A")
    config = with_fraud_model()
    checks = check_drift(AwsContext(config, on_session=operator_policy("churn-model")), config, workloads)
    assert checks == [
        EndpointCheck("qa", "churn-model", ARN.format(1), ARN.format(1), "InService"),
        EndpointCheck("prod", "churn-model", ARN.format(1), ARN.format(1), "InService"),
    ]


def test_drift_reports_the_operator_refused_a_pinned_models_endpoint(local_aws: LocalAws, workloads: Path) -> None:
    config = with_fraud_model()
    with pytest.raises(AwsAccessDenied) as refused:
        check_drift(AwsContext(config, on_session=operator_policy("fraud-model")), config, workloads)
    assert str(refused.value) == (
        "access denied: arn:aws:iam::444444444444:role/modelops-operator may not call DescribeEndpoint on the "
        "SageMaker endpoints of qa (account 444444444444): not authorized on endpoint/modelops-churn-model"
    )


def test_a_versions_label_shows_the_stage_where_it_says_more_than_the_status() -> None:
    arn = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-model/{}"
    fresh = VersionSummary(arn.format(4), 4, "PendingManualApproval", None, Stage("qa", "PendingApproval"))
    halfway = VersionSummary(arn.format(3), 3, "Approved", None, Stage("prod", "PendingApproval", "a: ok (1 of 2)"))
    unstaged = VersionSummary(arn.format(1), 1, "Approved", None)
    assert [fresh.label(), halfway.label(), unstaged.label()] == [
        "v4 PendingManualApproval",
        "v3 Approved, prod PendingApproval",
        "v1 Approved",
    ]
