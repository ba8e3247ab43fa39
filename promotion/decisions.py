"""The one decision function. The decision service (the review function) is its only caller: the review
page and `modelops approve/reject` (through the API's IAM-signed route) both end here.

A decision records one person's verdict for one environment, in that environment's metadata keys
(`promotion.metadata`), moves the version's ModelLifeCycle to the environment with the outcome so far,
and appends the decision to the history. It is written with the environment's decision role, which IAM
lets write only that environment's keys and stage (shared_services/decision_roles.py).

The rules (`check_approver`, `check_open`) say whether an approver may decide; the review page asks the
same functions before it shows the buttons, so every route gives the same answer:
- only members of the environment's approver group decide for it;
- nobody approves a version they registered (as AWS recorded it: CreatedBy);
- an environment is approved once `approvals_required` distinct members approved; one reject rejects it;
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
from promotion.errors import DecisionRefused
from promotion.history import History, HistoryAction, HistoryRecord, utc_now
from promotion.metadata import OUTCOME, Decision, StageStatus, approval_key
from promotion.registry import ApprovalStatus, PackageInfo, Registry, Stage

Verdict = Literal["approve", "reject"]
STATUS_OF: dict[Verdict, ApprovalStatus] = {"approve": ApprovalStatus.APPROVED, "reject": ApprovalStatus.REJECTED}
NOT_AN_APPROVER, ALREADY_DECIDED, OUT_OF_ORDER = "not-an-approver", "already-decided", "out-of-order"
OWN_VERSION = "own-version"
# ApprovalDescription holds at most 1024 characters: "<approver>: <reason>" must fit.
MAX_REASON = 800


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
        required = config.environment(env).approvals_required
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


def outcome_of(config: OrgConfig, env: str, decisions: tuple[Decision, ...]) -> StageStatus:
    """An environment's outcome after `decisions`: one reject rejects; the quorum of approvals approves."""
    if any(d.status == StageStatus.REJECTED for d in decisions):
        return StageStatus.REJECTED
    approvers = {d.approver for d in decisions if d.status == StageStatus.APPROVED}
    return StageStatus.APPROVED if len(approvers) >= config.environment(env).approvals_required else StageStatus.PENDING


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


def decide(
    *,
    config: OrgConfig,
    registry: Registry,
    history: History,
    model: str,
    version: int,
    verdict: Verdict,
    approver: str,
    reason: str,
    env: str | None = None,
    now: str | None = None,
) -> Decision:
    """Record `approver`'s verdict on `model` version `version` for `env` (default: the chain's first).

    Refuses (DecisionRefused, see `check_approver` and `check_open`). Rejects as bad input (InputError):
    an unknown model, environment or version, a missing or over-long reason. Returns the decision made;
    the environment's outcome is then on the version (`PackageInfo.decided`).
    """
    config.model(model)
    env_name = config.environment(env).name if env is not None else config.chain[0]
    reason = checked_reason(verdict, reason)
    check_approver(config, env_name, approver)

    arn = naming.model_package_arn(config, model, version)
    package = registry.describe(arn)
    if package is None:
        raise InputError(f"{model} version {version} does not exist in the registry ({arn})")
    check_open(config, package, env_name, verdict, approver)

    before = package.decided(env_name)
    decision = Decision(
        arn=arn, env=env_name, status=STATUS_OF[verdict], approver=approver, when=now or utc_now(), reason=reason
    )
    decisions = (*before.decisions, decision)
    outcome = outcome_of(config, env_name, decisions)
    written = {
        approval_key(env_name, OUTCOME): str(outcome),
        approval_key(env_name, str(len(decisions))): decision.slot_value(),
    }
    required = config.environment(env_name).approvals_required
    tally = f" ({len(decisions)} of {required} approvals)" if outcome == StageStatus.PENDING else ""
    registry.record_decision(
        arn,
        status=registry_status(config, package, env_name, outcome),
        approval_description=f"{approver}: {reason}",
        metadata=written,
        stage=Stage(stage=env_name, status=outcome, description=f"{approver}: {reason}{tally}"[:1024]),
    )
    try:
        history.append(
            HistoryRecord(
                who=approver,
                when=decision.when,
                action=HistoryAction.APPROVED if verdict == "approve" else HistoryAction.REJECTED,
                reason=reason,
                arn=arn,
                account=config.accounts.shared_services,
                env=env_name,
            )
        )
    except BaseException:
        # A decision without its history record would be unaudited: put the registry back as it was. The
        # stage stays on this environment (its decision role writes no other), with the outcome it had.
        previous = {key: package.metadata[key] for key in written if key in package.metadata}
        registry.record_decision(
            arn,
            status=package.status,
            approval_description=package.approval_description,
            metadata=previous,
            remove=[key for key in written if key not in previous],
            stage=Stage(
                stage=env_name,
                status=before.status or StageStatus.PENDING,
                description=f"a decision by {approver} could not be recorded; nothing changed",
            ),
        )
        raise
    return decision
