"""The card's steps' write order, as decisions': the ledger's intent first, then the registry; a failed
registry update is voided at once, and an intent a crash left unapplied is voided by the next attempt. An
approval needs a standing submission in the ledger: a card registered past Draft was never submitted."""

from __future__ import annotations

from typing import Any, NoReturn

import pytest

from promotion import card_review, card_submission
from promotion.card_review import approve_card
from promotion.card_submission import submit_card
from promotion.errors import DecisionRefused
from tests.promotion_support import DATA_SCIENTIST, QA_APPROVER, LocalAws
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


def submit(local_aws: LocalAws, submitter: str = DATA_SCIENTIST) -> Any:
    registry, ledger = tools(local_aws)
    return submit_card(
        config=local_aws.config,
        registry=registry,
        ledger=ledger,
        model="churn-model",
        version=1,
        submitter=submitter,
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
    submit(local_aws)
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
        (1, "card-submitted", "model card sha256 " + approval.digest),
        (2, "card-approved", "model card sha256 " + approval.digest),
        (3, "voided", "voids record 2"),
        (4, "card-approved", "model card sha256 " + approval.digest),
        (5, "voided", "voids record 4"),
        (6, "card-approved", "model card sha256 " + approval.digest),
    ]
    assert [r.reason for r in local_aws.decision_records()][4] == (
        "voids record 4: the registry never recorded this card approval"
    )
    assert described(local_aws)["CustomerMetadataProperties"]["card:approval"] == (
        f"{approval.digest} {QA_APPROVER} {WHEN}"
    )


def test_a_submission_a_crash_left_unapplied_is_voided_by_the_next_and_the_card_moves_to_pending_review(
    local_aws: LocalAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    local_aws.register()
    with monkeypatch.context() as patched:
        patched.setattr(card_submission, "record_card_submission", die)
        with pytest.raises(SystemExit):
            submit(local_aws)
    assert described(local_aws)["ModelCard"]["ModelCardStatus"] == "Draft"
    # The announced submission never reached the registry: it does not count, so approving is still refused.
    with pytest.raises(DecisionRefused) as refused:
        approve(local_aws)
    assert str(refused.value) == (
        "churn-model v1's model card is Draft; its registrant submits it for review first "
        "(`modelops card churn-model 1 --submit`)"
    )

    record = submit(local_aws)

    assert (record.seq, record.who, record.reason.split(": ")[1]) == (3, DATA_SCIENTIST, "submitted for review")
    assert [(r.seq, str(r.action), r.reason.split(":")[0]) for r in local_aws.decision_records()] == [
        (1, "card-submitted", record.reason.split(":")[0]),
        (2, "voided", "voids record 1"),
        (3, "card-submitted", record.reason.split(":")[0]),
    ]
    assert described(local_aws)["ModelCard"]["ModelCardStatus"] == "PendingReview"
    with pytest.raises(DecisionRefused) as again:
        submit(local_aws)
    assert str(again.value) == (
        "churn-model v1's model card is already PendingReview; only a Draft card is submitted for review"
    )


def test_a_card_registered_pending_review_directly_is_not_approved_until_its_registrant_submits_it(
    local_aws: LocalAws,
) -> None:
    # ModelCardStatus has no IAM condition key: a registrant calling CreateModelPackage may skip Draft.
    arn = local_aws.register()
    registry, _ = tools(local_aws)
    package = registry.describe(arn)
    assert package is not None
    card_submission.record_card_submission(registry, package)  # what a raw registration as PendingReview leaves
    with pytest.raises(DecisionRefused) as refused:
        approve(local_aws)
    assert str(refused.value) == (
        "churn-model v1's model card is PendingReview, but the ledger records no submission of it; its registrant "
        "submits it for review first (`modelops card churn-model 1 --submit`)"
    )
    with pytest.raises(DecisionRefused) as not_theirs:
        submit(local_aws, submitter=QA_APPROVER)
    assert str(not_theirs.value) == (
        f"{QA_APPROVER} did not register churn-model v1; only {DATA_SCIENTIST} submits its model card"
    )

    submit(local_aws)
    approve(local_aws)

    assert [str(r.action) for r in local_aws.decision_records()] == ["card-submitted", "card-approved"]
    assert described(local_aws)["ModelCard"]["ModelCardStatus"] == "Approved"
