"""The one decision function. The decision service (the review function) is its only caller: the review
page and `modelops approve/reject` (through the API's IAM-signed route) both end here.

A decision records one person's verdict for one environment, in that environment's metadata keys
(`promotion.metadata`), moves the version's ModelLifeCycle to the environment with the outcome so far,
and records it in the audit ledger (`<model>/decisions`), the ledger first. It is written with the
environment's decision role, which IAM lets write only that environment's keys and stage, that
environment's approved record, and only the decisions stream of the ledger (shared_services/decision_roles.py).

The rules (`check_approver`, `check_open`) say whether an approver may decide; the review page asks the
same functions before it shows the buttons, so every route gives the same answer:
- only members of the environment's approver group decide for it;
- nobody approves a version they registered (as AWS recorded it: CreatedBy);
- an environment is approved once `approvals_required` distinct members approved (plus the extra approvals
  its model-card rules add for the card's risk rating, `card_gates.required_approvals`); one reject rejects it;
- decisions are final: once an environment's outcome is Approved or Rejected nobody decides for it again,
  and a reject blocks its environment and every later one, leaving the earlier ones alone (the version
  stays Approved in the registry once any environment approved it, since SageMaker deploys only Approved
  versions; the gates read each environment's outcome). What changes a decision is a new version.
The caller serialises decisions per version (the review function holds a lease around `decide`), and
`decide` re-reads the version under it, so a decision made on a stale view is refused, never applied.
"""

from __future__ import annotations

from typing import Literal

from accounts import naming
from accounts.config import OrgConfig
from accounts.validation import InputError
from promotion.card_gates import required_approvals
from promotion.errors import DecisionRefused
from promotion.ledger import HistoryAction, HistoryRecord, Ledger, LedgerRecord, utc_now
from promotion.live_records import ApprovedRecords
from promotion.metadata import OUTCOME, Decision, StageStatus, approval_key
from promotion.registry import ApprovalStatus, PackageInfo, Registry, Stage

Verdict = Literal["approve", "reject"]
STATUS_OF: dict[Verdict, ApprovalStatus] = {"approve": ApprovalStatus.APPROVED, "reject": ApprovalStatus.REJECTED}
NOT_AN_APPROVER, ALREADY_DECIDED, OUT_OF_ORDER = "not-an-approver", "already-decided", "out-of-order"
OWN_VERSION = "own-version"
# A reason is at most 800 characters; the ledger keeps it whole (DynamoDB's 400 KB item holds 800 characters of
# 4 UTF-8 bytes many times over).
MAX_REASON = 800
# ApprovalDescription and ModelLifeCycle.StageDescription hold at most 1,024 characters (UpdateModelPackage
# reference). Whether AWS counts code points or UTF-16 code units (Java's String.length(): 2 for a character
# outside the Basic Multilingual Plane, such as most emoji) is unverified, so descriptions are measured in
# UTF-16 code units, which is never fewer: "<approver>: <reason>" always fits. One that would not is cut at a
# character boundary and ends with TRUNCATED; the ledger's record of the decision keeps the whole reason.
MAX_DESCRIPTION = 1024
TRUNCATED = " [...] (whole reason in the ledger)"


def utf16_length(text: str) -> int:
    """`text`'s length in UTF-16 code units: its code points, plus one for each outside the BMP."""
    return len(text.encode("utf-16-le")) // 2


def fitted(text: str, limit: int = MAX_DESCRIPTION) -> str:
    """`text` when it fits `limit` UTF-16 code units (so `limit` characters however AWS counts them); else its
    longest prefix that fits with TRUNCATED after it."""
    if utf16_length(text) <= limit:
        return text
    budget = limit - utf16_length(TRUNCATED)
    kept: list[str] = []
    for char in text:
        budget -= utf16_length(char)
        if budget < 0:
            break
        kept.append(char)
    return "".join(kept) + TRUNCATED


def check_approver(config: OrgConfig, env: str, approver: str) -> None:
    """Refuse an approver outside `env`'s approver group (checked before anything is read)."""
    if approver not in config.approvers(env).members:
        group = config.environment(env).approver_group
        raise DecisionRefused(
            f"{approver} is not a member of {group}, the approver group of {env}", kind=NOT_AN_APPROVER
        )


def check_open(
    config: OrgConfig, package: PackageInfo, env: str, verdict: Verdict | None, approver: str | None = None
) -> None:
    """Refuse a decision the rules do not allow for `package` in `env`; `verdict` None asks for either."""
    chain = config.chain
    for earlier in chain[: chain.index(env)]:
        record = package.decided(earlier)
        if record.status == StageStatus.REJECTED:
            raise DecisionRefused(
                f"{package.label} was {record.summary()} for {earlier}, which blocks {env}; "
                "register a new version instead",
                kind=ALREADY_DECIDED,
            )
    if package.status == ApprovalStatus.REJECTED:
        raise DecisionRefused(
            f"{package.label} is already Rejected ({package.approval_description}); register a new version instead",
            kind=ALREADY_DECIDED,
        )
    record = package.decided(env)
    if record.status in (StageStatus.APPROVED, StageStatus.REJECTED):
        raise DecisionRefused(f"{package.label} is already {record.summary()} for {env}", kind=ALREADY_DECIDED)
    if approver is not None and approver in record.approvers:
        required = required_approvals(config, env, package)
        raise DecisionRefused(
            f"{approver} already approved {package.label} for {env}; {required - len(record.decisions)} more "
            f"of {config.environment(env).approver_group} must approve",
            kind=ALREADY_DECIDED,
        )
    if approver is not None and verdict == "approve" and approver == package.lineage.registered_by:
        raise DecisionRefused(
            f"{approver} registered {package.label} and may not approve it; another member of "
            f"{config.environment(env).approver_group} decides",
            kind=OWN_VERSION,
        )
    if verdict == "approve" and package.status != ApprovalStatus.APPROVED and env != chain[0]:
        raise DecisionRefused(
            f"{package.label} is {package.status}; a new version is approved first for "
            f"{chain[0]}, the first environment of the chain",
            kind=OUT_OF_ORDER,
        )


def checked_reason(verdict: Verdict, reason: str) -> str:
    """The reason with its whitespace collapsed; InputError when it is empty or too long for the registry."""
    reason = " ".join(reason.split())
    if not reason:
        action = "a rejection" if verdict == "reject" else "an approval"
        raise InputError(f"{action} needs a reason: say why with --reason")
    if len(reason) > MAX_REASON:
        raise InputError(f"--reason: at most {MAX_REASON} characters, got {len(reason)}")
    return reason


def outcome_of(
    config: OrgConfig, env: str, decisions: tuple[Decision, ...], required: int | None = None
) -> StageStatus:
    """An environment's outcome after `decisions`: one reject rejects; the quorum of approvals approves
    (`required`, default the environment's `approvals_required`)."""
    if any(d.status == StageStatus.REJECTED for d in decisions):
        return StageStatus.REJECTED
    approvers = {d.approver for d in decisions if d.status == StageStatus.APPROVED}
    quorum = required if required is not None else config.environment(env).approvals_required
    return StageStatus.APPROVED if len(approvers) >= quorum else StageStatus.PENDING


def registry_status(config: OrgConfig, package: PackageInfo, env: str, outcome: StageStatus) -> ApprovalStatus:
    """The version's ModelApprovalStatus after `env`'s outcome.

    Approved once the first environment approves (SageMaker creates models only from Approved versions)
    and from then on: a reject for a later environment leaves it Approved, since the version is approved,
    and may run, in the earlier ones. Rejected when the first environment rejects.
    """
    if package.status == ApprovalStatus.APPROVED or env != config.chain[0]:
        return ApprovalStatus(package.status)
    if outcome == StageStatus.APPROVED:
        return ApprovalStatus.APPROVED
    if outcome == StageStatus.REJECTED:
        return ApprovalStatus.REJECTED
    return ApprovalStatus.PENDING


def _record_action(verdict: Verdict) -> HistoryAction:
    return HistoryAction.APPROVED if verdict == "approve" else HistoryAction.REJECTED


VERDICT_OF: dict[HistoryAction, Verdict] = {HistoryAction.APPROVED: "approve", HistoryAction.REJECTED: "reject"}


def _apply(config: OrgConfig, registry: Registry, package: PackageInfo, decision: Decision) -> StageStatus:
    """Write `decision` to the registry on top of `package`'s decisions; returns the environment's outcome."""
    env_name = decision.env
    decisions = (*package.decided(env_name).decisions, decision)
    required = required_approvals(config, env_name, package)
    outcome = outcome_of(config, env_name, decisions, required)
    written = {
        approval_key(env_name, OUTCOME): str(outcome),
        approval_key(env_name, str(len(decisions))): decision.slot_value(),
    }
    tally = f" ({len(decisions)} of {required} approvals)" if outcome == StageStatus.PENDING else ""
    registry.record_decision(
        decision.arn,
        status=registry_status(config, package, env_name, outcome),
        approval_description=fitted(f"{decision.approver}: {decision.reason}"),
        metadata=written,
        stage=Stage(
            stage=env_name, status=outcome, description=fitted(f"{decision.approver}: {decision.reason}{tally}")
        ),
    )
    return outcome


def _in_registry(package: PackageInfo, record: LedgerRecord) -> bool:
    """Whether the registry holds the decision `record` announced (same environment, approver and verdict)."""
    status = STATUS_OF[VERDICT_OF[record.action]]
    return any(
        (d.approver, str(d.status)) == (record.who, str(status)) for d in package.decided(record.env or "").decisions
    )


def reconcile(config: OrgConfig, registry: Registry, ledger: Ledger, package: PackageInfo) -> list[Decision]:
    """Complete every decision the ledger holds for `package` that the registry lacks and nothing voided.

    A decision is appended to the ledger before the registry is written (the intent); a crash in between
    leaves a record the registry does not show. Run under the version's lease, before deciding: each such
    record is applied to the registry now, in ledger order, or voided when the rules no longer allow it.
    Returns the decisions applied.
    """
    records = ledger.read(naming.decisions_stream(package.group))
    voided = {r.voided_seq for r in records if r.action == HistoryAction.VOIDED}
    applied: list[Decision] = []
    for record in records:
        if record.arn != package.arn or record.action not in VERDICT_OF or record.seq in voided:
            continue
        if record.env is None or _in_registry(package, record):
            continue
        verdict = VERDICT_OF[record.action]
        try:
            check_open(config, package, record.env, verdict, record.who)
        except DecisionRefused as exc:
            ledger.void(record, str(exc))
            continue
        decision = Decision(
            arn=package.arn,
            env=record.env,
            status=STATUS_OF[verdict],
            approver=record.who,
            when=record.when,
            reason=record.reason,
        )
        _apply(config, registry, package, decision)
        applied.append(decision)
        described = registry.describe(package.arn)
        if described is None:
            break
        package = described
    return applied


def decide(
    *,
    config: OrgConfig,
    registry: Registry,
    ledger: Ledger,
    model: str,
    version: int,
    verdict: Verdict,
    approver: str,
    reason: str,
    env: str | None = None,
    approved: ApprovedRecords | None = None,
    now: str | None = None,
) -> Decision:
    """Record `approver`'s verdict on `model` version `version` for `env` (default: the chain's first).

    Refuses (DecisionRefused, see `check_approver` and `check_open`). Rejects as bad input (InputError):
    an unknown model, environment or version, a missing or over-long reason. Returns the decision made;
    the environment's outcome is then on the version (`PackageInfo.decided`).

    Crash-safe: the ledger record comes first (the intent), then the registry; a registry update that fails
    appends a `voided` record naming the decision's seq and the error. A crash between the two is completed
    by the next call on the version (`reconcile`); when that completes this very decision (a retry), the
    decision is returned rather than refused as already made. When the environment's quorum is met, the
    version becomes `approved`'s record for the environment (written with the same decision role).
    """
    config.model(model)
    env_name = config.environment(env).name if env is not None else config.chain[0]
    reason = checked_reason(verdict, reason)
    check_approver(config, env_name, approver)

    arn = naming.model_package_arn(config, model, version)
    package = registry.describe(arn)
    if package is None:
        raise InputError(f"{model} version {version} does not exist in the registry ({arn})")
    completed = reconcile(config, registry, ledger, package)
    if completed:
        package = registry.describe(arn) or package
        retried = [d for d in completed if (d.env, d.approver, d.status) == (env_name, approver, STATUS_OF[verdict])]
        if retried:
            _record_approved(config, approved, package, env_name)
            return retried[-1]
    check_open(config, package, env_name, verdict, approver)

    decision = Decision(
        arn=arn, env=env_name, status=STATUS_OF[verdict], approver=approver, when=now or utc_now(), reason=reason
    )
    intent = ledger.append(
        naming.decisions_stream(model),
        HistoryRecord(
            who=approver,
            when=decision.when,
            action=_record_action(verdict),
            reason=reason,
            arn=arn,
            account=config.accounts.shared_services,
            env=env_name,
        ),
    )
    try:
        outcome = _apply(config, registry, package, decision)
    except Exception as exc:
        ledger.void(intent, f"the registry update failed: {exc}")
        raise
    if outcome == StageStatus.APPROVED and approved is not None:
        approved.put(model, env_name, arn)
    return decision


def _record_approved(config: OrgConfig, approved: ApprovedRecords | None, package: PackageInfo, env: str) -> None:
    """After a completed retry: the approved record, when the environment's quorum is now met."""
    if approved is not None and package.decided(env).status == StageStatus.APPROVED:
        approved.put(package.group, env, package.arn)
