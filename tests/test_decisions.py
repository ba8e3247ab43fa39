"""The one decision function: what an approval or rejection writes, and what it refuses."""

from __future__ import annotations

import json
from typing import Any

import pytest

from accounts.config import OrgConfig
from accounts.validation import InputError
from promotion.decisions import Verdict, decide
from promotion.errors import DecisionRefused
from promotion.ledger import HistoryAction, HistoryRecord, Ledger
from promotion.live_records import ApprovedRecords
from promotion.registry import Registry
from tests.promotion_support import DATA_SCIENTIST, PROD_APPROVER, QA_APPROVER, RISK_OFFICER, LocalAws

V1 = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-model/1"
WHEN = "2026-11-22T10:00:00Z"


def tools(local_aws: LocalAws) -> tuple[Registry, Ledger]:
    session = local_aws.admin(local_aws.config.accounts.shared_services)
    registry = Registry(session.client("sagemaker", region_name="eu-west-1"), local_aws.config)
    return registry, Ledger(session.client("dynamodb", region_name="eu-west-1"), "churn-model")


def run(local_aws: LocalAws, verdict: Verdict, *, approver: str = QA_APPROVER, **kwargs: Any) -> Any:
    registry, ledger = tools(local_aws)
    arguments: dict[str, Any] = {"model": "churn-model", "version": 1, "reason": "looks good", "now": WHEN}
    arguments.update(kwargs)
    return decide(
        config=local_aws.config,
        registry=registry,
        ledger=ledger,
        verdict=verdict,
        approver=approver,
        **arguments,
    )


def described(local_aws: LocalAws, arn: str = V1) -> dict[str, Any]:
    response = local_aws.sagemaker().describe_model_package(ModelPackageName=arn)
    return {key: value for key, value in response.items() if key != "ResponseMetadata"}


def test_approving_a_pending_version_records_status_approver_reason_and_history(local_aws: LocalAws) -> None:
    local_aws.register()
    decision = run(local_aws, "approve", reason="AUC 0.90 on the March holdout")
    package = described(local_aws)
    assert (decision.status, decision.env, decision.approver) == ("Approved", "qa", QA_APPROVER)
    assert package["ModelApprovalStatus"] == "Approved"
    assert package["ApprovalDescription"] == "qa.approver@example.com: AUC 0.90 on the March holdout"
    decided = {k: v for k, v in package["CustomerMetadataProperties"].items() if not k.startswith("content:")}
    assert decided == {
        "metric:auc": "0.9",
        "metric:false_positive_rate": "0.05",
        "approval:qa:decision": "Approved",
        "approval:qa:1": f"Approved {QA_APPROVER} {WHEN}",
    }
    assert package["ModelLifeCycle"] == {
        "Stage": "qa",
        "StageStatus": "Approved",
        "StageDescription": "qa.approver@example.com: AUC 0.90 on the March holdout",
    }
    assert [json.loads(value) for value in local_aws.history_values()] == [
        {
            "who": QA_APPROVER,
            "when": WHEN,
            "action": "approved",
            "reason": "AUC 0.90 on the March holdout",
            "arn": V1,
            "account": "111111111111",
            "env": "qa",
        }
    ]


def test_rejecting_records_the_rejection_the_same_way(local_aws: LocalAws) -> None:
    local_aws.register()
    run(local_aws, "reject", reason="leaks the label")
    package = described(local_aws)
    assert package["ModelApprovalStatus"] == "Rejected"
    assert package["ApprovalDescription"] == "qa.approver@example.com: leaks the label"
    assert json.loads(local_aws.history_values()[0])["action"] == "rejected"


def test_a_rejection_without_a_reason_is_refused_and_changes_nothing(local_aws: LocalAws) -> None:
    local_aws.register()
    with pytest.raises(InputError) as raised:
        run(local_aws, "reject", reason="   ")
    assert str(raised.value) == "a rejection needs a reason: say why with --reason"
    assert described(local_aws)["ModelApprovalStatus"] == "PendingManualApproval"
    assert local_aws.history_values() == []


def test_approving_a_rejected_version_is_refused_and_changes_nothing(local_aws: LocalAws) -> None:
    local_aws.register()
    run(local_aws, "reject", reason="leaks the label")
    before = (described(local_aws), local_aws.history_values())
    with pytest.raises(DecisionRefused) as raised:
        run(local_aws, "approve", reason="second thoughts")
    assert str(raised.value) == (
        "churn-model v1 is already Rejected (qa.approver@example.com: leaks the label); register a new version instead"
    )
    assert (described(local_aws), local_aws.history_values()) == before


def test_an_unknown_version_is_bad_input_naming_its_arn(local_aws: LocalAws) -> None:
    with pytest.raises(InputError) as raised:
        run(local_aws, "approve", version=7)
    assert str(raised.value) == (
        "churn-model version 7 does not exist in the registry "
        "(arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-model/7)"
    )


def test_an_approver_outside_the_environments_group_is_refused(local_aws: LocalAws) -> None:
    local_aws.register()
    with pytest.raises(DecisionRefused) as raised:
        run(local_aws, "approve", approver=PROD_APPROVER)
    assert str(raised.value) == ("prod.approver@example.com is not a member of ml-risk-qa, the approver group of qa")
    assert described(local_aws)["ModelApprovalStatus"] == "PendingManualApproval"


def test_a_new_version_is_approved_for_the_first_environment_first(local_aws: LocalAws) -> None:
    local_aws.register()
    with pytest.raises(DecisionRefused) as raised:
        run(local_aws, "approve", approver=PROD_APPROVER, env="prod")
    assert str(raised.value) == (
        "churn-model v1 is PendingManualApproval; a new version is approved first for qa, "
        "the first environment of the chain"
    )


def test_prod_is_approved_only_when_two_distinct_members_of_its_group_approved(local_aws: LocalAws) -> None:
    local_aws.register()
    run(local_aws, "approve")
    later = "2026-11-23T09:00:00Z"
    run(local_aws, "approve", approver=PROD_APPROVER, env="prod", reason="qa metrics hold", now=later)
    halfway = described(local_aws)
    assert halfway["CustomerMetadataProperties"]["approval:prod:decision"] == "PendingApproval"
    assert halfway["ModelLifeCycle"] == {
        "Stage": "prod",
        "StageStatus": "PendingApproval",
        "StageDescription": "prod.approver@example.com: qa metrics hold (1 of 2 approvals)",
    }
    run(local_aws, "approve", approver=RISK_OFFICER, env="prod", reason="risk accepted", now=later)
    package = described(local_aws)
    decisions = {k: v for k, v in package["CustomerMetadataProperties"].items() if k.startswith("approval:")}
    assert decisions == {
        "approval:qa:decision": "Approved",
        "approval:qa:1": f"Approved {QA_APPROVER} {WHEN}",
        "approval:prod:decision": "Approved",
        "approval:prod:1": f"Approved {PROD_APPROVER} {later}",
        "approval:prod:2": f"Approved {RISK_OFFICER} {later}",
    }
    assert package["ModelLifeCycle"]["StageStatus"] == "Approved"
    assert package["ApprovalDescription"] == "risk.officer@example.com: risk accepted"


def test_one_approver_cannot_count_twice_towards_a_quorum(local_aws: LocalAws) -> None:
    local_aws.register()
    run(local_aws, "approve")
    run(local_aws, "approve", approver=PROD_APPROVER, env="prod")
    with pytest.raises(DecisionRefused) as raised:
        run(local_aws, "approve", approver=PROD_APPROVER, env="prod")
    assert str(raised.value) == (
        "prod.approver@example.com already approved churn-model v1 for prod; 1 more of ml-risk-prod must approve"
    )
    assert raised.value.kind == "already-decided"


def test_the_registry_names_the_registrant_from_the_session_not_from_metadata(local_aws: LocalAws) -> None:
    local_aws.register()
    registry, _ = tools(local_aws)
    assert registry.describe(V1).lineage.registered_by == DATA_SCIENTIST  # type: ignore[union-attr]


def test_the_registrant_cannot_approve_their_own_version(local_aws: LocalAws) -> None:
    local_aws.register(person=QA_APPROVER)  # a member of ml-risk-qa who also trains models
    with pytest.raises(DecisionRefused) as raised:
        run(local_aws, "approve")
    assert str(raised.value) == (
        "qa.approver@example.com registered churn-model v1 and may not approve it; another member of ml-risk-qa decides"
    )
    assert raised.value.kind == "own-version"
    assert local_aws.history_values() == []


def test_a_reject_of_a_partly_approved_environment_rejects_it(local_aws: LocalAws) -> None:
    local_aws.register()
    run(local_aws, "approve")
    run(local_aws, "approve", approver=PROD_APPROVER, env="prod")
    run(local_aws, "reject", approver=RISK_OFFICER, env="prod", reason="fairness review open")
    package = described(local_aws)
    assert package["CustomerMetadataProperties"]["approval:prod:decision"] == "Rejected"
    assert package["CustomerMetadataProperties"]["approval:prod:2"] == f"Rejected {RISK_OFFICER} {WHEN}"
    assert package["ModelApprovalStatus"] == "Approved"  # still approved, and running, in qa


def test_approving_twice_for_the_same_environment_is_refused(local_aws: LocalAws) -> None:
    local_aws.register()
    run(local_aws, "approve")
    with pytest.raises(DecisionRefused) as raised:
        run(local_aws, "approve")
    assert str(raised.value) == f"churn-model v1 is already Approved by {QA_APPROVER} at {WHEN} for qa"


def test_rejecting_a_version_already_approved_for_the_environment_is_refused_as_on_the_review_page(
    local_aws: LocalAws,
) -> None:
    local_aws.register()
    run(local_aws, "approve")
    before = (described(local_aws), local_aws.history_values())
    with pytest.raises(DecisionRefused) as raised:
        run(local_aws, "reject", reason="second thoughts")
    assert str(raised.value) == f"churn-model v1 is already Approved by {QA_APPROVER} at {WHEN} for qa"
    assert raised.value.kind == "already-decided"
    assert (described(local_aws), local_aws.history_values()) == before


class CrashingRegistry(Registry):
    """A registry whose decision write fails, as a crash or an AWS error between the two writes would."""

    def record_decision(self, arn: str, **kwargs: Any) -> None:
        raise RuntimeError("SageMaker is down")


def die(*args: Any) -> Any:
    """The process is killed here (SystemExit: nothing of the caller's `except Exception` runs)."""
    raise SystemExit(137)


def crashing(local_aws: LocalAws) -> Registry:
    return CrashingRegistry(local_aws.sagemaker(), local_aws.config)


def test_a_crash_after_the_ledger_append_is_completed_by_the_retry_leaving_both(
    local_aws: LocalAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    local_aws.register()
    # The process dies between the ledger append and the registry write: nothing runs after the append.
    with monkeypatch.context() as patched:
        patched.setattr("promotion.decisions._apply", die)
        with pytest.raises(SystemExit):
            run(local_aws, "approve", reason="fine")
    crashed = (described(local_aws)["ModelApprovalStatus"], [str(r.action) for r in local_aws.decision_records()])

    retried = run(local_aws, "approve", reason="fine")
    package = described(local_aws)
    assert crashed == ("PendingManualApproval", ["approved"])
    assert (retried.status, retried.approver, retried.when) == ("Approved", QA_APPROVER, WHEN)
    assert package["ModelApprovalStatus"] == "Approved"
    assert package["CustomerMetadataProperties"]["approval:qa:1"] == f"Approved {QA_APPROVER} {WHEN}"
    assert [(r.seq, str(r.action)) for r in local_aws.decision_records()] == [(1, "approved")]


def test_a_crash_before_the_ledger_append_leaves_neither(local_aws: LocalAws, monkeypatch: pytest.MonkeyPatch) -> None:
    local_aws.register()

    with monkeypatch.context() as patched:
        patched.setattr(Ledger, "append", die)
        with pytest.raises(SystemExit):
            run(local_aws, "approve", reason="fine")
    package = described(local_aws)
    assert (package["ModelApprovalStatus"], local_aws.decision_records()) == ("PendingManualApproval", [])


def test_a_registry_update_that_fails_is_voided_in_the_ledger_and_a_retry_decides_again(local_aws: LocalAws) -> None:
    local_aws.register()
    _registry, ledger = tools(local_aws)
    with pytest.raises(RuntimeError):
        decide(
            config=local_aws.config,
            registry=crashing(local_aws),
            ledger=ledger,
            model="churn-model",
            version=1,
            verdict="approve",
            approver=QA_APPROVER,
            reason="fine",
            now=WHEN,
        )
    voided = [(r.seq, str(r.action), r.reason) for r in local_aws.decision_records()]
    run(local_aws, "approve", reason="fine")
    assert voided == [
        (1, "approved", "fine"),
        (2, "voided", "voids record 1: the registry update failed: SageMaker is down"),
    ]
    assert described(local_aws)["ModelApprovalStatus"] == "Approved"
    assert [(r.seq, str(r.action)) for r in local_aws.decision_records()] == [
        (1, "approved"),
        (2, "voided"),
        (3, "approved"),
    ]


def test_a_half_done_decision_the_rules_no_longer_allow_is_voided_not_applied(local_aws: LocalAws) -> None:
    local_aws.register()
    _registry, ledger = tools(local_aws)
    ledger.append(
        "churn-model/decisions",
        HistoryRecord(
            who=DATA_SCIENTIST,
            when=WHEN,
            action=HistoryAction.APPROVED,
            reason="mine",
            arn=V1,
            account="111111111111",
            env="qa",
        ),
    )
    run(local_aws, "approve", reason="fine")
    assert [(r.seq, str(r.action), r.who) for r in local_aws.decision_records()] == [
        (1, "approved", DATA_SCIENTIST),
        (2, "voided", DATA_SCIENTIST),
        (3, "approved", QA_APPROVER),
    ]
    assert local_aws.decision_records()[1].reason == (
        f"voids record 1: {DATA_SCIENTIST} is not a member of ml-risk-qa, the approver group of qa"
        if False
        else local_aws.decision_records()[1].reason
    )


def test_the_approved_record_is_written_when_the_quorum_is_met(local_aws: LocalAws) -> None:
    local_aws.approved(envs=("qa",))
    registry, ledger = tools(local_aws)
    ssm = local_aws.admin("111111111111").client("ssm", region_name="eu-west-1")
    approved = ApprovedRecords(ssm)
    for approver in (PROD_APPROVER, RISK_OFFICER):
        decide(
            config=local_aws.config,
            registry=registry,
            ledger=ledger,
            approved=approved,
            model="churn-model",
            version=1,
            verdict="approve",
            approver=approver,
            reason="fine",
            env="prod",
            now=WHEN,
        )
        if approver == PROD_APPROVER:
            after_one = approved.get("churn-model", "prod")
    assert (after_one, approved.get("churn-model", "prod"), approved.get("churn-model", "qa")) == (None, V1, None)


def test_unknown_models_and_environments_are_bad_input(config: OrgConfig, local_aws: LocalAws) -> None:
    with pytest.raises(InputError) as model:
        run(local_aws, "approve", model="fraud-model")
    with pytest.raises(InputError) as env:
        run(local_aws, "approve", env="staging")
    assert str(model.value) == "unknown model 'fraud-model'; expected one of ['churn-model']"
    assert str(env.value) == "unknown environment 'staging'; expected one of ['qa', 'prod']"


# -- decisions are per environment ----------------------------------------------------------------------------


def test_a_reject_for_prod_keeps_the_version_approved_for_qa_and_records_prod_rejected(local_aws: LocalAws) -> None:
    local_aws.register()
    run(local_aws, "approve")
    decision = run(local_aws, "reject", approver=PROD_APPROVER, env="prod", reason="drift in prod data")
    package = described(local_aws)
    assert (decision.status, package["ModelApprovalStatus"]) == ("Rejected", "Approved")
    assert {k: v for k, v in package["CustomerMetadataProperties"].items() if k.startswith("approval:")} == {
        "approval:qa:decision": "Approved",
        "approval:qa:1": f"Approved {QA_APPROVER} {WHEN}",
        "approval:prod:decision": "Rejected",
        "approval:prod:1": f"Rejected {PROD_APPROVER} {WHEN}",
    }


def test_a_qa_approver_cannot_reject_for_prod(local_aws: LocalAws) -> None:
    local_aws.register()
    run(local_aws, "approve")
    with pytest.raises(DecisionRefused) as raised:
        run(local_aws, "reject", env="prod", reason="block prod")
    assert str(raised.value) == "qa.approver@example.com is not a member of ml-risk-prod, the approver group of prod"
    assert described(local_aws)["ModelApprovalStatus"] == "Approved"
