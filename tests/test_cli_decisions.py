"""`modelops approve` and `reject` are clients of the decision service: each call is an IAM-signed request
to the deployed approval API (served here by the sandbox's gateway), and the person deciding is the
Identity Center session that signed it."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

import cli.main
from accounts import naming
from promotion.decision_client import API_URL_VARIABLE
from promotion.ledger import Ledger
from sandbox.images import push_image
from sandbox.organization import Sandbox, account_admin_session, person_role_name, person_session
from sandbox.review_gateway import ReviewGateway
from tests.orgs import config_path

CONFIG = config_path("two_env")
SHARED, DATA_SCIENCE = "111111111111", "222222222222"
IMAGE = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/modelops-models:churn-model-1.0"
QA_APPROVER, PROD_APPROVER, RISK_OFFICER = (
    "qa.approver@example.com",
    "prod.approver@example.com",
    "risk.officer@example.com",
)
DATA_SCIENTIST = "data.scientist@example.com"


def modelops(*args: str) -> Result:
    return CliRunner().invoke(cli.main.app, ["--config", str(CONFIG), *args])


def act_as(monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox, account: str, permission_set: str, email: str) -> None:
    """Make `email`, signed in through Identity Center with `permission_set`, the CLI's ambient identity."""
    session = person_session(
        sandbox.config, sandbox.endpoint_url, account=account, role_name=person_role_name(permission_set), email=email
    )
    frozen = session.get_credentials().get_frozen_credentials()  # type: ignore[union-attr]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", str(frozen.access_key))
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", str(frozen.secret_key))
    monkeypatch.setenv("AWS_SESSION_TOKEN", str(frozen.token))


def register(monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox, tmp_path: Path, person: str = DATA_SCIENTIST) -> int:
    """A new version of churn-model registered by `person` with `modelops register`; its version number."""
    push_image(account_admin_session(sandbox.config, SHARED), IMAGE)  # the image build's push
    weights = tmp_path / "model.tar.gz"
    weights.write_bytes(b"churn-model weights")
    key = f"artifacts/churn-model/cli-{uuid.uuid4().hex}/model.tar.gz"  # artifacts are write-once
    act_as(monkeypatch, sandbox, DATA_SCIENCE, naming.DATA_SCIENTIST_PERMISSION_SET, person)
    result = modelops(
        "--workloads", str(tmp_path),
        "register", "churn-model",
        "--artifact", f"s3://modelops-artifacts-111111111111-eu-west-1/{key}", "--upload", str(weights),
        "--image", IMAGE,
        "--metric", "auc=0.91", "--source-commit", "abcdef1",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return int(result.stdout.strip().rsplit("/", 1)[1])


def described(sandbox: Sandbox, version: int) -> dict[str, Any]:
    client = account_admin_session(sandbox.config, SHARED).client("sagemaker", region_name="eu-west-1")
    arn = f"arn:aws:sagemaker:eu-west-1:{SHARED}:model-package/churn-model/{version}"
    return dict(client.describe_model_package(ModelPackageName=arn))


def history_of(sandbox: Sandbox, version: int) -> list[tuple[str, str, str | None]]:
    """The decisions stream's records of `version`: who, what, for which environment."""
    dynamodb = account_admin_session(sandbox.config, SHARED).client("dynamodb", region_name="eu-west-1")
    arn = f"arn:aws:sagemaker:eu-west-1:{SHARED}:model-package/churn-model/{version}"
    records = Ledger(dynamodb, "churn-model").read("churn-model/decisions")
    return [(r.who, str(r.action), r.env) for r in records if r.arn == arn]


def approve(version: int, *extra: str) -> Result:
    return modelops("approve", "churn-model", str(version), "--reason", "AUC holds on holdout", *extra)


@pytest.fixture
def version(sandbox: Sandbox, approval_api: ReviewGateway, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> int:
    """A freshly registered version, and the approval API served for the CLI."""
    return register(monkeypatch, sandbox, tmp_path)


def test_approve_asks_the_decision_service_which_records_the_signed_in_approver(
    version: int, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    act_as(monkeypatch, sandbox, SHARED, naming.APPROVER_PERMISSION_SET, QA_APPROVER)
    result = approve(version)
    assert (result.exit_code, result.stdout) == (
        0,
        f"approved churn-model v{version} for qa: qa.approver@example.com: AUC holds on holdout\n",
    )
    package = described(sandbox, version)
    assert package["ModelApprovalStatus"] == "Approved"
    assert package["ModelLifeCycle"]["Stage"] == "qa"
    # The decision role's session names the person: the registry records it as LastModifiedBy.
    assert package["LastModifiedBy"]["IamIdentity"]["SourceIdentity"] == QA_APPROVER
    assert package["LastModifiedBy"]["IamIdentity"]["Arn"] == (
        f"arn:aws:sts::{SHARED}:assumed-role/modelops-decision-qa/{QA_APPROVER}"
    )
    assert history_of(sandbox, version) == [(QA_APPROVER, "approved", "qa")]


def test_prod_needs_two_approvers_and_says_so_after_the_first(
    version: int, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    act_as(monkeypatch, sandbox, SHARED, naming.APPROVER_PERMISSION_SET, QA_APPROVER)
    assert approve(version).exit_code == 0
    act_as(monkeypatch, sandbox, SHARED, naming.APPROVER_PERMISSION_SET, PROD_APPROVER)
    first = approve(version, "--env", "prod")
    assert (first.exit_code, first.stdout) == (
        0,
        f"approved churn-model v{version} for prod: prod.approver@example.com: AUC holds on holdout\n"
        f"churn-model v{version} for prod: 1 of 2 approvals; another member of ml-risk-prod decides\n",
    )
    # (The same request again would be a retry, answered with the first result: a new reason is a new decision.)
    again = modelops("approve", "churn-model", str(version), "--env", "prod", "--reason", "still fine")
    assert (again.exit_code, again.stderr) == (
        1,
        f"error: prod.approver@example.com already approved churn-model v{version} for prod; 1 more of "
        "ml-risk-prod must approve\n",
    )
    act_as(monkeypatch, sandbox, SHARED, naming.APPROVER_PERMISSION_SET, RISK_OFFICER)
    second = approve(version, "--env", "prod")
    assert (second.exit_code, second.stdout) == (
        0,
        f"approved churn-model v{version} for prod: risk.officer@example.com: AUC holds on holdout\n",
    )
    metadata = described(sandbox, version)["CustomerMetadataProperties"]
    assert metadata["approval:prod:decision"] == "Approved"
    assert [metadata["approval:prod:1"].split()[1], metadata["approval:prod:2"].split()[1]] == [
        PROD_APPROVER,
        RISK_OFFICER,
    ]


def test_a_registrant_who_is_also_an_approver_cannot_approve_their_own_version(
    sandbox: Sandbox, approval_api: ReviewGateway, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    own = register(monkeypatch, sandbox, tmp_path, person=QA_APPROVER)
    act_as(monkeypatch, sandbox, SHARED, naming.APPROVER_PERMISSION_SET, QA_APPROVER)
    result = approve(own)
    assert (result.exit_code, result.stderr) == (
        1,
        f"error: qa.approver@example.com registered churn-model v{own} and may not approve it; another member "
        "of ml-risk-qa decides\n",
    )
    assert described(sandbox, own)["ModelApprovalStatus"] == "PendingManualApproval"
    assert history_of(sandbox, own) == [(QA_APPROVER, "refused", "qa")]  # the refusal, and no decision


def test_a_qa_approver_is_refused_for_prod(version: int, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    act_as(monkeypatch, sandbox, SHARED, naming.APPROVER_PERMISSION_SET, QA_APPROVER)
    assert approve(version).exit_code == 0
    result = approve(version, "--env", "prod")
    assert (result.exit_code, result.stderr) == (
        1,
        "error: qa.approver@example.com is not a member of ml-risk-prod, the approver group of prod\n",
    )


def test_an_unknown_version_is_input_error_naming_its_arn(
    version: int, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    act_as(monkeypatch, sandbox, SHARED, naming.APPROVER_PERMISSION_SET, QA_APPROVER)
    result = approve(9999)
    assert (result.exit_code, result.stderr) == (
        2,
        f"error: model package arn:aws:sagemaker:eu-west-1:{SHARED}:model-package/churn-model/9999 does not exist "
        "in the registry\n",
    )


def test_reject_without_a_reason_is_a_usage_error_before_anything_is_sent(
    version: int, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    act_as(monkeypatch, sandbox, SHARED, naming.APPROVER_PERMISSION_SET, QA_APPROVER)
    result = modelops("reject", "churn-model", str(version))
    assert (result.exit_code, result.stderr) == (2, "error: Missing option '--reason' (see 'modelops reject --help')\n")
    assert history_of(sandbox, version) == []


def test_reject_with_a_blank_reason_is_refused_before_anything_is_sent(
    version: int, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    act_as(monkeypatch, sandbox, SHARED, naming.APPROVER_PERMISSION_SET, QA_APPROVER)
    result = modelops("reject", "churn-model", str(version), "--reason", "  ")
    assert (result.exit_code, result.stderr) == (2, "error: a rejection needs a reason: say why with --reason\n")
    assert history_of(sandbox, version) == []


def test_approving_a_rejected_version_is_refused(
    version: int, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    act_as(monkeypatch, sandbox, SHARED, naming.APPROVER_PERMISSION_SET, QA_APPROVER)
    assert modelops("reject", "churn-model", str(version), "--reason", "leaks the label").exit_code == 0
    result = approve(version)
    assert (result.exit_code, result.stderr) == (
        1,
        f"error: churn-model v{version} is already Rejected (qa.approver@example.com: leaks the label); register "
        "a new version instead\n",
    )
    assert history_of(sandbox, version) == [(QA_APPROVER, "rejected", "qa"), (QA_APPROVER, "refused", "qa")]


def test_a_caller_outside_the_approver_permission_set_is_refused_by_iam_before_the_service(
    version: int, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The platform permission set may neither find the decision service (ssm:GetParameter) nor invoke it
    (execute-api:Invoke): IAM refuses first, as on AWS. The service's own check of the permission set is the
    next layer (tests/test_decisions.py)."""
    # Approvers find the service through SSM; the published URL the sandbox exports is for data scientists.
    monkeypatch.delenv(API_URL_VARIABLE)
    act_as(monkeypatch, sandbox, SHARED, naming.PLATFORM_PERMISSION_SET, QA_APPROVER)
    result = approve(version)
    role = person_role_name(naming.PLATFORM_PERMISSION_SET)
    parameter = naming.shared_parameter_arn(sandbox.config, naming.APPROVAL_API_URL_PARAMETER)
    assert (result.exit_code, result.stderr) == (
        1,
        "error: access denied: the current identity may not call GetParameter on the approval API's address in "
        f"SSM: User: arn:aws:sts::{SHARED}:assumed-role/{role}/{QA_APPROVER} is not authorized to perform: "
        f"ssm:GetParameter on resource: {parameter} because no identity-based policy allows the ssm:GetParameter "
        "action\n",
    )
    assert described(sandbox, version)["ModelApprovalStatus"] == "PendingManualApproval"
