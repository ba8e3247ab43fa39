"""The one decision function: `modelops approve/reject` and the review page's Lambda both end here.

A decision sets the version's approval status, an ApprovalDescription `<approver>: <reason>`, records the
decision for the environment in CustomerMetadataProperties, and appends it to the history in Parameter
Store. The caller has authenticated the approver (STS for the CLI, a signed link for the page); this
function checks that the approver belongs to the environment's group and that the transition is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from accounts import naming
from accounts.config import OrgConfig
from accounts.validation import InputError
from promotion.aws import AwsContext, calling
from promotion.errors import DecisionRefused
from promotion.history import APPROVED as APPROVED_ACTION
from promotion.history import REJECTED as REJECTED_ACTION
from promotion.history import History, HistoryRecord, utc_now
from promotion.registry import APPROVED, REJECTED, Registry, approval_key

Verdict = Literal["approve", "reject"]
# ApprovalDescription holds at most 1024 characters: "<approver>: <reason>" must fit.
MAX_REASON = 800


@dataclass(frozen=True)
class Decision:
    """What was recorded."""

    model: str
    version: int
    arn: str
    env: str
    status: str
    approver: str
    reason: str
    when: str


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

    Refuses (DecisionRefused): an approver outside the environment's group, approving a Rejected version,
    deciding again what is already decided, a first approval for any environment but the first.
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
    group_name = config.environment(env_name).approver_group
    if approver not in config.approvers(env_name).members:
        raise DecisionRefused(
            f"{approver} is not a member of {group_name}, the approver group of {env_name}; nothing was recorded"
        )

    arn = naming.model_package_arn(config, model, version)
    package = registry.describe(arn)
    if package is None:
        raise InputError(f"{model} version {version} does not exist in the registry ({arn})")
    recorded = package.approvals.get(env_name)

    if verdict == "approve":
        status = APPROVED
        if package.status == REJECTED:
            raise DecisionRefused(f"{package.label} is Rejected and cannot be approved; register a new version instead")
        if recorded is not None and recorded.decision == APPROVED:
            raise DecisionRefused(
                f"{package.label} is already approved for {env_name} by {recorded.by} at {recorded.at}"
            )
        if package.status != APPROVED and env_name != config.chain[0]:
            raise DecisionRefused(
                f"{package.label} is {package.status}; a new version is approved first for "
                f"{config.chain[0]}, the first environment of the chain"
            )
    else:
        status = REJECTED
        if package.status == REJECTED:
            raise DecisionRefused(f"{package.label} is already Rejected ({package.approval_description})")

    when = now or utc_now()
    keys = [approval_key(env_name, part) for part in ("decision", "by", "at")]
    registry.record_decision(
        arn,
        status=status,
        approval_description=f"{approver}: {reason}",
        metadata=dict(zip(keys, (status, approver, when), strict=True)),
    )
    try:
        history.append(
            HistoryRecord(
                who=approver,
                when=when,
                action=APPROVED_ACTION if verdict == "approve" else REJECTED_ACTION,
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
        model=model,
        version=version,
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
