"""The model card's review: PendingReview -> Approved, through the decision service, recorded in the ledger.

Who does what:
- the registrant registers the card Draft (`modelops register --model-card FILE` checks it: promotion/card.py)
  and submits it for review, PendingReview, through the decision service (promotion/card_submission.py);
- a member of the approver group of the first environment that requires an Approved card
  (`OrgConfig.card_environment`; the chain's first environment when none requires one) approves it, never the
  person who registered the version: `modelops card MODEL VERSION --approve --reason ...`, which asks the
  decision service (POST /decisions with `"subject": "card"`). The service runs `approve_card` with that
  environment's decision role. Only a card whose submission the ledger records is approved.

What is governed. IAM has no condition key for the ModelCard of UpdateModelPackage, so ModelCardStatus alone
proves nothing. The approval is also written to the reserved metadata key `card:approval` =
`<sha256 of the card content> <approver> <when>`, which IAM lets only the card environment's decision role
write (shared_services/decision_roles.py; registration and every other role must leave it absent). The gate
(promotion/card_gates.py) holds a card approved when ModelCardStatus is Approved, the key is present, and the
content still hashes to it: a later change of the content voids the approval.

The ledger record comes first (the intent), then the registry; a registry update that fails appends a
`voided` record naming it, as decisions do, and an intent a crash left unapplied is voided by the next
approval of the same card (under the version's lease, so no approval is in flight meanwhile).
"""

from __future__ import annotations

from typing import Any

from accounts import naming
from accounts.config import OrgConfig
from accounts.validation import InputError
from promotion.aws import AwsContext, calling
from promotion.card import CardSection, card_sections, content_digest, read_card, sections_text
from promotion.card_gates import DRAFT, submit_step
from promotion.card_submission import submission_recorded
from promotion.decisions import NOT_AN_APPROVER, OWN_VERSION, checked_reason
from promotion.errors import DecisionRefused
from promotion.ledger import HistoryAction, HistoryRecord, Ledger, utc_now
from promotion.metadata import CARD_APPROVAL_KEY, CardApproval, card_approval_of
from promotion.registry import PackageInfo, Registry

APPROVED = "Approved"
PENDING_REVIEW = "PendingReview"
CARD_DECIDED = "card-decided"
NO_CARD = "no-card"


def card_approver_group(config: OrgConfig) -> str:
    """The approver group that approves model cards."""
    return config.card_environment().approver_group


def check_card_approver(config: OrgConfig, approver: str) -> None:
    """Refuse an approver outside the card approver group (checked before anything is read)."""
    env = config.card_environment()
    if approver not in config.approvers(env.name).members:
        raise DecisionRefused(
            f"{approver} is not a member of {env.approver_group}, the approver group that approves model cards",
            kind=NOT_AN_APPROVER,
        )


def approval_holds(package: PackageInfo) -> bool:
    """Whether the card's approval stands: Approved, recorded by the card decision, for this very content."""
    approval = card_approval_of(package.metadata)
    return (
        package.model_card_status == APPROVED
        and approval is not None
        and approval.digest == content_digest(package.model_card_content)
    )


def check_card_open(ledger: Ledger, package: PackageInfo, approver: str) -> None:
    """Refuse a card approval the rules do not allow: no card, already approved, not submitted, own version."""
    if package.model_card_status is None:
        raise DecisionRefused(
            f"{package.label} has no model card; register a new version with --model-card", kind=NO_CARD
        )
    if approval_holds(package):
        approval = card_approval_of(package.metadata)
        assert approval is not None  # approval_holds says so
        raise DecisionRefused(
            f"{package.label}'s model card is already Approved by {approval.approver} at {approval.when}",
            kind=CARD_DECIDED,
        )
    if package.model_card_status == DRAFT:
        raise DecisionRefused(
            f"{package.label}'s model card is Draft; its registrant submits it for review first "
            f"({submit_step(package)})",
            kind=CARD_DECIDED,
        )
    if package.model_card_status not in (PENDING_REVIEW, APPROVED):
        raise DecisionRefused(
            f"{package.label}'s model card is {package.model_card_status}; only a card in PendingReview is approved",
            kind=CARD_DECIDED,
        )
    if not submission_recorded(ledger, package):
        # Registered past Draft directly (ModelCardStatus has no IAM condition key): never submitted.
        raise DecisionRefused(
            f"{package.label}'s model card is {package.model_card_status}, but the ledger records no submission "
            "of it; its "
            f"registrant submits it for review first ({submit_step(package)})",
            kind=CARD_DECIDED,
        )
    if approver == package.lineage.registered_by:
        raise DecisionRefused(
            f"{approver} registered {package.label} and may not approve its model card", kind=OWN_VERSION
        )


def record_card_approval(registry: Registry, package: PackageInfo, approval: CardApproval) -> None:
    """The registry write of a card approval: the card (same content) Approved, and `card:approval`."""
    arguments: dict[str, Any] = {
        "ModelPackageArn": package.arn,
        "ModelCard": {"ModelCardContent": package.model_card_content or "", "ModelCardStatus": APPROVED},
        "CustomerMetadataProperties": {CARD_APPROVAL_KEY: approval.value()},
    }
    registry.client.update_model_package(**arguments)


def _void_unapplied(ledger: Ledger, package: PackageInfo) -> None:
    """Void each card approval the ledger announced for `package` that never reached the registry (a crash
    or a failed update between the intent and the write): the card is still open, so none of them stands."""
    stream = naming.decisions_stream(package.group)
    for record in ledger.standing(stream, package.arn, HistoryAction.CARD_APPROVED):
        ledger.void(record, "the registry never recorded this card approval")


def approve_card(
    *,
    config: OrgConfig,
    registry: Registry,
    ledger: Ledger,
    model: str,
    version: int,
    approver: str,
    reason: str,
    now: str | None = None,
) -> CardApproval:
    """Approve `model` version `version`'s model card as `approver`; returns what was recorded.

    Refuses (DecisionRefused: `check_card_approver`, `check_card_open`); rejects as bad input (InputError) an
    unknown model or version and a missing or over-long reason.
    """
    config.model(model)
    reason = checked_reason("approve", reason)
    check_card_approver(config, approver)
    arn = naming.model_package_arn(config, model, version)
    package = registry.describe(arn)
    if package is None:
        raise InputError(f"{model} version {version} does not exist in the registry ({arn})")
    check_card_open(ledger, package, approver)
    _void_unapplied(ledger, package)
    digest = content_digest(package.model_card_content)
    assert digest is not None  # check_card_open refused a version without a card
    approval = CardApproval(digest=digest, approver=approver, when=now or utc_now())
    env = config.card_environment().name
    stream = naming.decisions_stream(model)
    intent = ledger.append(
        stream,
        HistoryRecord(
            who=approver,
            when=approval.when,
            action=HistoryAction.CARD_APPROVED,
            reason=f"model card sha256 {digest}: {reason}",
            arn=arn,
            account=config.accounts.shared_services,
            env=env,
        ),
    )
    try:
        record_card_approval(registry, package, approval)
    except Exception as exc:
        ledger.void(intent, f"the registry update failed: {exc}")
        raise
    return approval


def card_view(package: PackageInfo) -> dict[str, Any]:
    """The card of `package` as `modelops card --json` prints it: status, whether its approval stands, the
    recorded approval and the content (parsed when it is JSON)."""
    card = read_card(package.model_card_content)
    approval = card_approval_of(package.metadata)
    return {
        "model": package.group,
        "version": package.version,
        "arn": package.arn,
        "status": package.model_card_status,
        "approved": approval_holds(package),
        "approval": None
        if approval is None
        else {"approver": approval.approver, "when": approval.when, "sha256": approval.digest},
        "content": card.document if card is not None else package.model_card_content,
    }


def describe_version(aws: AwsContext, config: OrgConfig, model: str, version: int) -> PackageInfo:
    """`model` version `version` as the verifier reads it; InputError when the registry has no such version."""
    config.model(model)
    arn = naming.model_package_arn(config, model, version)
    with calling("the SageMaker registry", role=naming.verifier_role_arn(config)):
        package = Registry(aws.verifier().client("sagemaker", region_name=config.region), config).describe(arn)
    if package is None:
        raise InputError(f"{model} version {version} does not exist in the registry ({arn})")
    return package


def status_text(package: PackageInfo) -> str | None:
    """The card's status as every view shows it: with who approved it when the approval stands, and saying so
    when the registry says Approved but no standing approval of this content was recorded."""
    status = package.model_card_status
    approval = card_approval_of(package.metadata)
    if status == APPROVED and approval is not None and approval_holds(package):
        return f"Approved by {approval.approver} at {approval.when}"
    if status == APPROVED:
        return "Approved in the registry, but without a standing approval of this content by the decision service"
    return status


def package_card_sections(package: PackageInfo) -> list[CardSection]:
    """`package`'s card as the readable sections every view shows (`promotion.card.card_sections`)."""
    return card_sections(package.model_card_content, status_text(package))


def card_lines(package: PackageInfo) -> list[str]:
    """`package`'s card as plain text: a heading line, then its sections (the CLI's `card` and `status`)."""
    if package.model_card_status is None:
        return [f"{package.label} has no model card"]
    return [f"model card of {package.label}", *sections_text(package_card_sections(package), indent="  ")]


def newest_card_lines(aws: AwsContext, config: OrgConfig, model: str, arn: str | None) -> list[str]:
    """The card of `model`'s newest version (`arn`, None when none is registered), read as `status` reads:
    through the promoter."""
    if arn is None:
        return []
    with calling("the SageMaker registry", role=naming.promoter_role_arn(config)):
        package = Registry(aws.promoter().client("sagemaker", region_name=config.region), config).describe(arn)
    return card_lines(package) if package is not None else []
