"""`modelops card`: a version's model card as sections, and its steps Draft -> PendingReview -> Approved through
the decision service (the IAM-signed route of the approval API, served here by the sandbox's gateway): its
registrant submits it, the card approver group approves it, recorded in the ledger's decisions stream and in
the registry (the approval under the IAM-guarded `card:approval` key).

In two_env no environment requires an Approved card, so the chain's first environment's group, ml-risk-qa,
approves cards (OrgConfig.card_environment) with qa's decision role."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from pathlib import Path

import pytest

from accounts import naming
from sandbox.images import push_image
from sandbox.organization import Sandbox, account_admin_session
from sandbox.review_gateway import ReviewGateway
from tests.test_cli_decisions import (
    DATA_SCIENCE,
    DATA_SCIENTIST,
    IMAGE,
    PROD_APPROVER,
    QA_APPROVER,
    SHARED,
    act_as,
    described,
    history_of,
    modelops,
)

CARD = Path(__file__).resolve().parent.parent / "demo" / "cards" / "model-card.json"


def register_with_card(monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox, tmp_path: Path, person: str) -> int:
    """A version registered by `person` with the demo's card file (`register --model-card`); its number."""
    push_image(account_admin_session(sandbox.config, SHARED), IMAGE)
    weights = tmp_path / "model.tar.gz"
    weights.write_bytes(b"churn-model weights")
    key = f"artifacts/churn-model/card-{uuid.uuid4().hex}/model.tar.gz"  # artifacts are write-once
    act_as(monkeypatch, sandbox, DATA_SCIENCE, naming.DATA_SCIENTIST_PERMISSION_SET, person)
    result = modelops(
        "--workloads", str(tmp_path),
        "register", "churn-model",
        "--artifact", f"s3://modelops-artifacts-111111111111-eu-west-1/{key}", "--upload", str(weights),
        "--image", IMAGE, "--metric", "auc=0.91", "--source-commit", "abcdef1", "--model-card", str(CARD),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return int(result.stdout.strip().rsplit("/", 1)[1])


def approve_card(version: int) -> tuple[int, str, str]:
    result = modelops("card", "churn-model", str(version), "--approve", "--reason", "intended use and risk reviewed")
    return result.exit_code, result.stdout, result.stderr


def submit_card(version: int) -> tuple[int, str, str]:
    result = modelops("card", "churn-model", str(version), "--submit")
    return result.exit_code, result.stdout, result.stderr


def test_a_card_registered_draft_is_submitted_by_its_registrant_then_approved_by_the_card_group(
    sandbox: Sandbox, approval_api: ReviewGateway, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    version = register_with_card(monkeypatch, sandbox, tmp_path, DATA_SCIENTIST)
    assert described(sandbox, version)["ModelCard"]["ModelCardStatus"] == "Draft"

    act_as(monkeypatch, sandbox, SHARED, naming.APPROVER_PERMISSION_SET, QA_APPROVER)
    assert approve_card(version) == (
        1,
        "",
        f"error: churn-model v{version}'s model card is Draft; its registrant submits it for review first "
        f"(`modelops card churn-model {version} --submit`)\n",
    )
    assert submit_card(version) == (
        1,
        "",
        f"error: qa.approver@example.com did not register churn-model v{version}; only data.scientist@example.com "
        "submits its model card\n",
    )
    assert described(sandbox, version)["ModelCard"]["ModelCardStatus"] == "Draft"

    act_as(monkeypatch, sandbox, DATA_SCIENCE, naming.DATA_SCIENTIST_PERMISSION_SET, DATA_SCIENTIST)
    assert submit_card(version) == (
        0,
        f"submitted the model card of churn-model v{version} for review: data.scientist@example.com: submitted for "
        "review\n",
        "",
    )
    package = described(sandbox, version)
    assert package["ModelCard"]["ModelCardStatus"] == "PendingReview"
    # The card environment's decision role wrote it, as the data scientist; nothing else changed.
    assert package["LastModifiedBy"]["IamIdentity"]["Arn"] == (
        f"arn:aws:sts::{SHARED}:assumed-role/modelops-decision-qa/{DATA_SCIENTIST}"
    )
    assert "card:approval" not in package["CustomerMetadataProperties"]
    assert submit_card(version) == (
        1,
        "",
        f"error: churn-model v{version}'s model card is already PendingReview; only a Draft card is submitted for "
        "review\n",
    )
    # A data scientist asks the decision service to submit cards, and nothing else.
    assert re.fullmatch(
        r"error: caller arn:aws:sts::222222222222:assumed-role/AWSReservedSSO_DataScientist_[0-9a-f]+/"
        r"data\.scientist@example\.com is not signed in with the ModelOpsApprover permission set of the "
        r"shared-services account\n",
        approve_card(version)[2],
    )

    act_as(monkeypatch, sandbox, SHARED, naming.APPROVER_PERMISSION_SET, PROD_APPROVER)
    assert approve_card(version) == (
        1,
        "",
        "error: prod.approver@example.com is not a member of ml-risk-qa, the approver group that approves model "
        "cards\n",
    )

    act_as(monkeypatch, sandbox, SHARED, naming.APPROVER_PERMISSION_SET, QA_APPROVER)
    shown = modelops("card", "churn-model", str(version))
    assert shown.stdout.splitlines()[:6] == [
        f"model card of churn-model v{version}",
        "  Card status",
        "    status: PendingReview",
        "    risk rating: Medium",
        "  Model overview",
        "    model creator: Data Science",
    ]
    assert approve_card(version) == (
        0,
        f"approved the model card of churn-model v{version}: qa.approver@example.com: intended use and risk reviewed\n",
        "",
    )
    package = described(sandbox, version)
    content = package["ModelCard"]["ModelCardContent"]
    digest = hashlib.sha256(content.encode()).hexdigest()
    assert package["ModelCard"]["ModelCardStatus"] == "Approved"
    assert package["CustomerMetadataProperties"]["card:approval"].split(" ")[:2] == [digest, QA_APPROVER]
    # The decision role's session names the person; the approval stage of qa is untouched.
    assert package["LastModifiedBy"]["IamIdentity"]["Arn"] == (
        f"arn:aws:sts::{SHARED}:assumed-role/modelops-decision-qa/{QA_APPROVER}"
    )
    assert (package["ModelApprovalStatus"], package["ModelLifeCycle"]["StageStatus"]) == (
        "PendingManualApproval",
        "PendingApproval",
    )
    assert history_of(sandbox, version) == [
        (QA_APPROVER, "refused", "qa"),
        (QA_APPROVER, "refused", "qa"),
        (DATA_SCIENTIST, "card-submitted", "qa"),
        (DATA_SCIENTIST, "refused", "qa"),
        (PROD_APPROVER, "refused", "qa"),
        (QA_APPROVER, "card-approved", "qa"),
    ]

    as_json = json.loads(modelops("card", "churn-model", str(version), "--json").stdout)
    assert (as_json["status"], as_json["approved"], as_json["approval"]["sha256"]) == ("Approved", True, digest)
    assert as_json["content"]["intended_uses"]["risk_rating"] == "Medium"

    when = package["CustomerMetadataProperties"]["card:approval"].split(" ")[2]
    # `status MODEL` shows the newest version's card as sections too, read through the promoter.
    act_as(monkeypatch, sandbox, SHARED, naming.PLATFORM_PERMISSION_SET, "platform.engineer@example.com")
    status = modelops("--workloads", str(tmp_path), "status", "churn-model").stdout.splitlines()
    start = status.index(f"model card of churn-model v{version}")
    assert status[start + 1 : start + 4] == [
        "  Card status",
        f"    status: Approved by qa.approver@example.com at {when}",
        "    risk rating: Medium",
    ]
    act_as(monkeypatch, sandbox, SHARED, naming.APPROVER_PERMISSION_SET, QA_APPROVER)
    assert approve_card(version) == (
        1,
        "",
        f"error: churn-model v{version}'s model card is already Approved by qa.approver@example.com at {when}\n",
    )
    act_as(monkeypatch, sandbox, DATA_SCIENCE, naming.DATA_SCIENTIST_PERMISSION_SET, DATA_SCIENTIST)
    assert submit_card(version) == (
        1,
        "",
        f"error: churn-model v{version}'s model card is already Approved; only a Draft card is submitted for review\n",
    )


def test_the_registrant_may_not_approve_their_own_versions_card(
    sandbox: Sandbox, approval_api: ReviewGateway, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    version = register_with_card(monkeypatch, sandbox, tmp_path, QA_APPROVER)
    assert submit_card(version)[0] == 0  # as the data scientist QA_APPROVER also is
    act_as(monkeypatch, sandbox, SHARED, naming.APPROVER_PERMISSION_SET, QA_APPROVER)
    assert approve_card(version) == (
        1,
        "",
        f"error: qa.approver@example.com registered churn-model v{version} and may not approve its model card\n",
    )
    assert described(sandbox, version)["ModelCard"]["ModelCardStatus"] == "PendingReview"
    assert [action for _, action, _ in history_of(sandbox, version)] == ["card-submitted", "refused"]


def test_approve_and_submit_together_are_refused_as_bad_input_before_any_call() -> None:
    result = modelops("card", "churn-model", "1", "--approve", "--submit", "--reason", "both")
    assert (result.exit_code, result.stderr) == (
        2,
        "error: --approve and --submit: give one; the registrant submits, the card approver group approves\n",
    )
