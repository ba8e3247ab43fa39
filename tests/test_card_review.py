"""The card approval's write order, as decisions': the ledger's intent first, then the registry; a failed
registry update is voided at once, and an intent a crash left unapplied is voided by the next approval."""

from __future__ import annotations

from typing import Any, NoReturn

import pytest

from promotion import card_review
from promotion.card_review import approve_card
from tests.promotion_support import QA_APPROVER, LocalAws
from tests.test_decisions import described, tools

WHEN = "2026-12-05T10:00:00.000000Z"


def approve(local_aws: LocalAws) -> Any:
    registry, ledger = tools(local_aws)
    return approve_card(
        config=local_aws.config,
        registry=registry,
        ledger=ledger,
        model="churn-model",
        version=1,
        approver=QA_APPROVER,
        reason="intended use reviewed",
        now=WHEN,
    )


def die(*args: object, **kwargs: object) -> NoReturn:
    raise SystemExit("the process died")


def fail(*args: object, **kwargs: object) -> NoReturn:
    raise RuntimeError("SageMaker is down")


def test_a_failed_registry_update_is_voided_and_a_crash_left_intent_is_voided_by_the_next_approval(
    local_aws: LocalAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    local_aws.register()
    with monkeypatch.context() as patched:
        patched.setattr(card_review, "record_card_approval", fail)
        with pytest.raises(RuntimeError):
            approve(local_aws)
    with monkeypatch.context() as patched:
        patched.setattr(card_review, "record_card_approval", die)
        with pytest.raises(SystemExit):
            approve(local_aws)
    assert described(local_aws)["ModelCard"]["ModelCardStatus"] == "PendingReview"

    approval = approve(local_aws)

    records = [(r.seq, str(r.action), r.reason.split(":")[0]) for r in local_aws.decision_records()]
    assert records == [
        (1, "card-approved", "model card sha256 " + approval.digest),
        (2, "voided", "voids record 1"),
        (3, "card-approved", "model card sha256 " + approval.digest),
        (4, "voided", "voids record 3"),
        (5, "card-approved", "model card sha256 " + approval.digest),
    ]
    assert [r.reason for r in local_aws.decision_records()][3] == (
        "voids record 3: the registry never recorded this card approval"
    )
    assert described(local_aws)["CustomerMetadataProperties"]["card:approval"] == (
        f"{approval.digest} {QA_APPROVER} {WHEN}"
    )
