"""The model card's first step, Draft -> PendingReview: its registrant submits it, through the decision service,
recorded in the ledger (the card's review: promotion/card_review.py).

Registration registers a card Draft (promotion/registry.py). Only the version's registrant (AWS's CreatedBy,
as the decision rules read it) submits it: `modelops card MODEL VERSION --submit`, which asks the decision
service (POST /decisions with `"subject": "card", "decision": "PendingReview"`). The service runs `submit_card`
with the card environment's decision role, which IAM lets write ModelCardStatus only with every reserved
metadata key absent (shared_services/decision_roles.py), so a submission never carries an approval.

What is governed. ModelCardStatus has no IAM condition key, so a registrant calling CreateModelPackage directly
could register a card PendingReview and skip the submission. The ledger is the proof instead: only decision
roles append to it, and a card approval needs a standing `card-submitted` record of the version
(`submission_recorded`); a card registered PendingReview without one is submitted first (`submit_card`
accepts it).

As for approvals, the ledger record comes first (the intent), then the registry; a registry update that fails
appends a `voided` record naming it, and an intent a crash left unapplied is voided by the next submission.
"""

from __future__ import annotations

from typing import Any

from accounts import naming
from accounts.config import OrgConfig
from accounts.validation import InputError
from promotion.card import content_digest
from promotion.card_gates import DRAFT
from promotion.decisions import OWN_VERSION, checked_reason
from promotion.errors import DecisionRefused
from promotion.ledger import HistoryAction, HistoryRecord, Ledger, LedgerRecord, utc_now
from promotion.registry import PackageInfo, Registry

PENDING_REVIEW = "PendingReview"
NOT_REGISTRANT = OWN_VERSION  # the same page status (403): a rule about who the version belongs to
CARD_SUBMITTED = "card-submitted"
NO_CARD = "no-card"
DEFAULT_REASON = "submitted for review"


def submission_recorded(ledger: Ledger, package: PackageInfo) -> bool:
    """Whether the ledger records a standing submission of `package`'s card (one no `voided` record voids)."""
    stream = naming.decisions_stream(package.group)
    return bool(ledger.standing(stream, package.arn, HistoryAction.CARD_SUBMITTED))


def check_card_submittable(ledger: Ledger, package: PackageInfo, submitter: str) -> None:
    """Refuse a submission the rules do not allow: no card, someone else's version, already submitted."""
    if package.model_card_status is None:
        raise DecisionRefused(
            f"{package.label} has no model card; register a new version with --model-card", kind=NO_CARD
        )
    registrant = package.lineage.registered_by
    if submitter != registrant:
        raise DecisionRefused(
            f"{submitter} did not register {package.label}; only {registrant or 'its registrant'} submits its "
            "model card",
            kind=NOT_REGISTRANT,
        )
    status = package.model_card_status
    # A card registered PendingReview (or Approved) directly was never submitted: it is submitted now.
    if status == DRAFT or not submission_recorded(ledger, package):
        return
    raise DecisionRefused(
        f"{package.label}'s model card is already {status}; only a Draft card is submitted for review",
        kind=CARD_SUBMITTED,
    )


def record_card_submission(registry: Registry, package: PackageInfo) -> None:
    """The registry write of a submission: the card, same content, PendingReview; nothing else."""
    arguments: dict[str, Any] = {
        "ModelPackageArn": package.arn,
        "ModelCard": {"ModelCardContent": package.model_card_content or "", "ModelCardStatus": PENDING_REVIEW},
    }
    registry.client.update_model_package(**arguments)


def _void_unapplied(ledger: Ledger, package: PackageInfo) -> None:
    """Void each submission the ledger announced for `package` that never reached the registry (submitting
    again says so: the card is still Draft, or was registered past it), so none of them stands."""
    stream = naming.decisions_stream(package.group)
    for record in ledger.standing(stream, package.arn, HistoryAction.CARD_SUBMITTED):
        ledger.void(record, "the registry never recorded this card submission")


def submit_card(
    *,
    config: OrgConfig,
    registry: Registry,
    ledger: Ledger,
    model: str,
    version: int,
    submitter: str,
    reason: str = DEFAULT_REASON,
    now: str | None = None,
) -> LedgerRecord:
    """Submit `model` version `version`'s Draft model card for review as `submitter`; returns the ledger record.

    Refuses (DecisionRefused: `check_card_submittable`); rejects as bad input (InputError) an unknown model or
    version and an over-long reason.
    """
    config.model(model)
    reason = checked_reason("approve", reason or DEFAULT_REASON)
    arn = naming.model_package_arn(config, model, version)
    package = registry.describe(arn)
    if package is None:
        raise InputError(f"{model} version {version} does not exist in the registry ({arn})")
    check_card_submittable(ledger, package, submitter)
    _void_unapplied(ledger, package)
    env = config.card_environment().name
    stream = naming.decisions_stream(model)
    intent = ledger.append(
        stream,
        HistoryRecord(
            who=submitter,
            when=now or utc_now(),
            action=HistoryAction.CARD_SUBMITTED,
            reason=f"model card sha256 {content_digest(package.model_card_content)}: {reason}",
            arn=arn,
            account=config.accounts.shared_services,
            env=env,
        ),
    )
    try:
        record_card_submission(registry, package)
    except Exception as exc:
        ledger.void(intent, f"the registry update failed: {exc}")
        raise
    return intent
