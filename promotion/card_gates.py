"""The model-card gates of one environment (`environments[i].model_card` in accounts.yaml):

- model-card-approved: the environment requires an Approved card, and the version's card approval stands
  (promotion/card_review.py says what that means: the registry's status, the IAM-guarded `card:approval`
  key, and the content still hashing to what was approved);
- risk-rating: the environment refuses the card's risk rating (a card that does not rate its risk, or a
  version without a card, counts as Unknown).

A rating's extra approvals raise the environment's quorum (`Environment.quorum`), which the decisions and the
`approved-for-environment` gate read through `required_approvals`.
Each failure is (rule, message); promotion/gates.py makes them GateFailures.
"""

from __future__ import annotations

from accounts.config import OrgConfig
from promotion.card import content_digest, risk_of
from promotion.metadata import card_approval_of
from promotion.registry import PackageInfo

APPROVED = "Approved"
DRAFT = "Draft"


def submit_step(package: PackageInfo) -> str:
    """The command by which `package`'s registrant submits its Draft card (promotion/card_submission.py)."""
    return f"`modelops card {package.group} {package.version} --submit`"


def required_approvals(config: OrgConfig, env: str, package: PackageInfo) -> int:
    """Distinct approvals `package` needs in `env`: the quorum, plus what its card's risk rating adds."""
    return config.environment(env).quorum(risk_of(package.model_card_content))


def card_failures(config: OrgConfig, env: str, package: PackageInfo) -> list[tuple[str, str]]:
    """The broken model-card rules of `env` for `package`, as (rule, message)."""
    rules = config.environment(env).model_card
    failures: list[tuple[str, str]] = []
    if rules.status == APPROVED:
        problem = _approval_problem(config, env, package)
        if problem:
            failures.append(("model-card-approved", problem))
    rating = risk_of(package.model_card_content)
    if rules.rule(rating).refuse:
        shown = rating or "Unknown"
        if package.model_card_status is None:
            said = f"{package.label} has no model card, so its risk counts as Unknown"
        elif rating is None:
            said = f"{package.label}'s card does not rate its risk, which counts as Unknown"
        else:
            said = f"{package.label}'s card rates its risk {rating}"
        failures.append(("risk-rating", f"{said}; {env} admits no version rated {shown}"))
    return failures


def _approval_problem(config: OrgConfig, env: str, package: PackageInfo) -> str | None:
    group = config.card_environment().approver_group
    how = f"a member of {group} approves it with `modelops card {package.group} {package.version} --approve`"
    status = package.model_card_status
    if status is None:
        return f"{package.label} has no model card; {env} requires an Approved one (register a new version with one)"
    if status == DRAFT:
        return (
            f"{package.label}'s model card is Draft; {env} requires Approved (its registrant submits it for review "
            f"with {submit_step(package)}, then {how})"
        )
    if status != APPROVED:
        return f"{package.label}'s model card is {status}; {env} requires Approved ({how})"
    approval = card_approval_of(package.metadata)
    if approval is None:
        return (
            f"{package.label}'s model card says Approved, but the decision service recorded no approval of it; "
            f"{env} requires a card approved by {group} ({how})"
        )
    if approval.digest != content_digest(package.model_card_content):
        return (
            f"{package.label}'s model card changed after {approval.approver} approved it at {approval.when}; "
            f"{env} requires the approved content ({how})"
        )
    return None
