"""The one decision function: `modelops approve/reject` and the review page's Lambda both end here.

A decision sets the version's approval status, an ApprovalDescription `<approver>: <reason>`, records the
decision for the environment in CustomerMetadataProperties, and appends it to the history in Parameter
Store. The caller has authenticated the approver (STS for the CLI, a signed link for the page); the rules
below (`check_approver`, `check_open`) say whether that approver may decide, and the review page asks the
same two functions before it shows the buttons, so every route gives the same answer.

Decisions are per environment, and final: once a version is approved or rejected for an environment,
nobody decides for that environment again. A reject blocks its environment and every later one, and
leaves the earlier ones alone (the registry keeps the version Approved once any environment approved it,
since SageMaker deploys only Approved versions; the gates read each environment's decision). What
changes a decision is a new version.
"""

from __future__ import annotations

from typing import Literal

from accounts import naming
from accounts.config import OrgConfig
from accounts.validation import InputError
from promotion.aws import AwsContext, calling
from promotion.errors import DecisionRefused
from promotion.history import History, HistoryAction, HistoryRecord, utc_now
from promotion.registry import ApprovalStatus, Decision, PackageInfo, Registry, approval_key

Verdict = Literal["approve", "reject"]
STATUS_OF: dict[Verdict, ApprovalStatus] = {"approve": ApprovalStatus.APPROVED, "reject": ApprovalStatus.REJECTED}
NOT_AN_APPROVER, ALREADY_DECIDED, OUT_OF_ORDER = "not-an-approver", "already-decided", "out-of-order"
# ApprovalDescription holds at most 1024 characters: "<approver>: <reason>" must fit.
MAX_REASON = 800


def check_approver(config: OrgConfig, env: str, approver: str) -> None:
    """Refuse an approver outside `env`'s approver group (checked before anything is read)."""
    if approver not in config.approvers(env).members:
        group = config.environment(env).approver_group
        raise DecisionRefused(
            f"{approver} is not a member of {group}, the approver group of {env}", kind=NOT_AN_APPROVER
        )


def check_open(config: OrgConfig, package: PackageInfo, env: str, verdict: Verdict | None) -> None:
    """Refuse a decision the rules do not allow for `package` in `env`; `verdict` None asks for either."""
    chain = config.chain
    for earlier in chain[: chain.index(env)]:
        decision = package.decisions.get(earlier)
        if decision is not None and decision.status == ApprovalStatus.REJECTED:
            raise DecisionRefused(
                f"{package.label} was rejected for {earlier} by {decision.approver} at {decision.when}, which "
                f"blocks {env}; register a new version instead",
                kind=ALREADY_DECIDED,
            )
    if package.status == ApprovalStatus.REJECTED:
        raise DecisionRefused(
            f"{package.label} is already Rejected ({package.approval_description}); register a new version instead",
            kind=ALREADY_DECIDED,
        )
    recorded = package.decisions.get(env)
    if recorded is not None and recorded.status:
        raise DecisionRefused(
            f"{package.label} is already {recorded.status} for {env} by {recorded.approver} at {recorded.when}",
            kind=ALREADY_DECIDED,
        )
    if verdict == "approve" and package.status != ApprovalStatus.APPROVED and env != config.chain[0]:
        raise DecisionRefused(
            f"{package.label} is {package.status}; a new version is approved first for "
            f"{config.chain[0]}, the first environment of the chain",
            kind=OUT_OF_ORDER,
        )


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
    """Approve or reject `model` version `version` for `env` (default: the first environment of the chain).

    Refuses (DecisionRefused, see `check_approver` and `check_open`): an approver outside the environment's
    group, any decision on a Rejected version, deciding again for an environment, a first approval for any
    environment but the first.
    Rejects as bad input (InputError): an unknown model, environment or version, a missing reason.
    """
    config.model(model)
    env_name = config.environment(env).name if env is not None else config.chain[0]
    reason = " ".join(reason.split())
    if not reason:
        action = "a rejection" if verdict == "reject" else "an approval"
        raise InputError(f"{action} needs a reason: say why with --reason")
    if len(reason) > MAX_REASON:
        raise InputError(f"--reason: at most {MAX_REASON} characters, got {len(reason)}")
    check_approver(config, env_name, approver)

    arn = naming.model_package_arn(config, model, version)
    package = registry.describe(arn)
    if package is None:
        raise InputError(f"{model} version {version} does not exist in the registry ({arn})")
    check_open(config, package, env_name, verdict)
    status = STATUS_OF[verdict]
    # A reject for a later environment leaves the version Approved: it is approved (and may run) in the
    # earlier ones, and SageMaker creates models only from Approved versions. The gates read the decision
    # recorded for each environment.
    registry_status = ApprovalStatus.APPROVED if package.status == ApprovalStatus.APPROVED else status

    when = now or utc_now()
    keys = [approval_key(env_name, part) for part in ("decision", "by", "at")]
    registry.record_decision(
        arn,
        status=registry_status,
        approval_description=f"{approver}: {reason}",
        metadata=dict(zip(keys, (status, approver, when), strict=True)),
    )
    try:
        history.append(
            HistoryRecord(
                who=approver,
                when=when,
                action=HistoryAction.APPROVED if verdict == "approve" else HistoryAction.REJECTED,
                reason=reason,
                arn=arn,
                account=config.accounts.shared_services,
                env=env_name,
            )
        )
    except BaseException:
        # A decision without its history record would be unaudited: put the registry back as it was.
        previous = {key: package.metadata[key] for key in keys if key in package.metadata}
        registry.record_decision(
            arn,
            status=package.status,
            approval_description=package.approval_description,
            metadata=previous,
            remove=[key for key in keys if key not in previous],
        )
        raise
    return Decision(
        arn=arn,
        env=env_name,
        status=status,
        approver=approver,
        reason=reason,
        when=when,
    )


def decide_as_caller(
    aws: AwsContext,
    config: OrgConfig,
    *,
    model: str,
    version: int,
    verdict: Verdict,
    reason: str,
    env: str | None = None,
) -> Decision:
    """The CLI route: the approver is whoever STS says the ambient credentials belong to (for SSO, the
    session name is the user's email); the decision is written through the approver role."""
    role = naming.approver_role_arn(config)
    with calling("the SageMaker registry", role=role):
        approver = aws.identity()
        session = aws.approver()
        registry = Registry(session.client("sagemaker", region_name=config.region), config)
        history = History(session.client("ssm", region_name=config.region), model)
        return decide(
            config=config,
            registry=registry,
            history=history,
            model=model,
            version=version,
            verdict=verdict,
            approver=approver,
            reason=reason,
            env=env,
        )
