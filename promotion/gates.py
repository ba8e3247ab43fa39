"""The promotion gates of DESIGN.md, as pure functions of what the registry and the live records say.

`promote`, `rollback`, `verify` and `deploy` all decide with these functions, so a hand-edited manifest
meets exactly the rules a promotion meets. Each failure names its rule:

- arn-format, registry-account, model-group: the ARN is well formed, in the shared-services account and
  region, and in the group of the manifest's model;
- version-exists, approved: the version exists and is Approved;
- chain-order: the ARN is live in the previous environment (or was live in this one before: a rollback);
- metric-threshold, model-card: the environment's configured thresholds and model-card requirement hold;
- model-card-approved, risk-rating: the environment's model-card rules (promotion/card_gates.py);
- content: the manifest's artifact version, SHA-256 and image digest are what the version recorded at
  registration, the version still points at them, and the artifact's current S3 version is that one;
- soak: the version was live in the previous environment for the environment's `soak_hours`, and none of its
  endpoint's alarms there is in ALARM or entered ALARM since it went live (a rollback is exempt);
- hold: a rolled-back environment is held at the version it rolled back to until someone releases it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from accounts import naming
from accounts.config import OrgConfig
from accounts.validation import InputError
from promotion.card_gates import card_failures, required_approvals
from promotion.content import ArtifactState, Content, content_failures
from promotion.metadata import StageStatus
from promotion.registry import ApprovalStatus, PackageInfo
from workloads.manifest import ContentPin


@dataclass(frozen=True)
class GateFailure:
    """One broken rule: its name and a sentence saying what was found and what was expected."""

    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


def version_label(arn: str | None) -> str:
    """`v3` for a versioned ModelPackage ARN, `nothing` for None, the ARN itself otherwise."""
    if arn is None:
        return "nothing"
    try:
        return f"v{naming.parse_model_package_arn(arn).version}"
    except ValueError:
        return arn


def arn_failures(config: OrgConfig, model: str, arn: str) -> list[GateFailure]:
    """Shape rules: well formed, shared-services account and region, the model's own group."""
    try:
        ref = naming.parse_model_package_arn(arn)
    except ValueError as exc:
        return [GateFailure("arn-format", str(exc))]
    failures: list[GateFailure] = []
    if ref.account != config.accounts.shared_services:
        failures.append(
            GateFailure(
                "registry-account",
                f"{arn} is in account {ref.account}; expected the shared-services account "
                f"{config.accounts.shared_services}",
            )
        )
    if ref.region != config.region:
        failures.append(GateFailure("registry-account", f"{arn} is in region {ref.region}; expected {config.region}"))
    if ref.group != model:
        failures.append(
            GateFailure("model-group", f"{arn} is in group {ref.group!r}; expected the group of model {model!r}")
        )
    return failures


def require_arn(config: OrgConfig, model: str, arn: str, *, source: str = "--arn") -> None:
    """Raise InputError naming `source` when `arn` breaks a shape rule (nothing to ask the registry about)."""
    failures = arn_failures(config, model, arn)
    if failures:
        raise InputError(f"{source}: {failures[0].message}")


def registry_failures(arn: str, package: PackageInfo | None) -> list[GateFailure]:
    """The version exists and is Approved."""
    if package is None:
        return [GateFailure("version-exists", f"{arn} does not exist in the registry")]
    if package.status == ApprovalStatus.APPROVED:
        return []
    if package.status == ApprovalStatus.REJECTED:
        why = f" ({package.approval_description})" if package.approval_description else ""
        return [GateFailure("approved", f"{package.label} is Rejected{why}; only Approved versions can be promoted")]
    return [
        GateFailure(
            "approved",
            f"{package.label} is {package.status}; only Approved versions can be promoted "
            "(an approver decides with `modelops approve`)",
        )
    ]


def chain_failures(
    config: OrgConfig,
    env: str,
    arn: str,
    *,
    previous_live: str | None,
    live_here: str | None = None,
    was_live_here: Collection[str] = (),
) -> list[GateFailure]:
    """No skipping: `arn` is live in the previous environment, unless it is (or was) live in `env` already."""
    previous = config.previous_environment(env)
    if previous is None or arn in {previous_live, live_here} or arn in was_live_here:
        return []
    return [
        GateFailure(
            "chain-order",
            f"{version_label(arn)} is not live in {previous.name}, the environment before {env} "
            f"(live there: {version_label(previous_live)}); promote and deploy it to {previous.name} first",
        )
    ]


def threshold_failures(config: OrgConfig, model: str, env: str, package: PackageInfo) -> list[GateFailure]:
    """The metric thresholds and model-card requirement configured for `model` in `env`."""
    gate = config.requirements(model, env)
    failures: list[GateFailure] = []
    for name, threshold in sorted(gate.metrics.items()):
        value = package.metrics.get(name)
        if value is None:
            failures.append(
                GateFailure(
                    "metric-threshold",
                    f"{package.label} has no metric {name!r}; {env} requires {threshold.text()}",
                )
            )
        elif threshold.min is not None and value < threshold.min:
            failures.append(
                GateFailure(
                    "metric-threshold",
                    f"{package.label}: {name} {value:g} is below {env}'s minimum {threshold.min:g}",
                )
            )
        elif threshold.max is not None and value > threshold.max:
            failures.append(
                GateFailure(
                    "metric-threshold",
                    f"{package.label}: {name} {value:g} is above {env}'s maximum {threshold.max:g}",
                )
            )
    if gate.model_card_required and package.model_card_status is None:
        failures.append(GateFailure("model-card", f"{package.label} has no model card; {env} requires one"))
    failures += [GateFailure(rule, message) for rule, message in card_failures(config, env, package)]
    return failures


def environment_failures(config: OrgConfig, env: str, package: PackageInfo) -> list[GateFailure]:
    """Decisions are per environment: approved for `env` by its approver group, rejected for none up to it.

    A reject for an environment blocks it and every later one, and leaves the earlier ones alone.
    """
    chain = config.chain
    for earlier in chain[: chain.index(env) + 1]:
        record = package.decided(earlier)
        if record.status == StageStatus.REJECTED:
            return [
                GateFailure(
                    "approved-for-environment",
                    f"{package.label} was {record.summary()} for {earlier}; a version rejected for {earlier} "
                    f"enters neither {earlier} nor any environment after it",
                )
            ]
    environment = config.environment(env)
    required = required_approvals(config, env, package)  # a risk rating may add approvals
    record = package.decided(env)
    approvers = [d.approver for d in record.decisions if d.status == StageStatus.APPROVED]
    if record.status != StageStatus.APPROVED:
        so_far = f" ({len(approvers)} of {required} approvals so far)" if approvers else ""
        return [
            GateFailure(
                "approved-for-environment",
                f"{package.label} is not approved for {env}{so_far}; an approver of {environment.approver_group} "
                f"decides with `modelops approve {package.group} {package.version} --env {env}`",
            )
        ]
    members = config.approvers(env).members
    strangers = [a for a in approvers if a not in members]
    if strangers:
        return [
            GateFailure(
                "approved-for-environment",
                f"{package.label}'s approval for {env} names {strangers[0]}, who is not a member of "
                f"{environment.approver_group}, the approver group of {env}",
            )
        ]
    distinct = len(set(approvers))
    if distinct < required:
        return [
            GateFailure(
                "approved-for-environment",
                f"{package.label}'s approval for {env} has {distinct} distinct approvers; {env} requires {required}",
            )
        ]
    registrant = package.lineage.registered_by
    if registrant is not None and registrant in approvers:
        return [
            GateFailure(
                "approved-for-environment",
                f"{package.label}'s approval for {env} includes {registrant}, who registered it; nobody approves "
                "their own version",
            )
        ]
    return []


def package_failures(
    config: OrgConfig, model: str, env: str, arn: str, package: PackageInfo | None
) -> list[GateFailure]:
    """Registry, per-environment decision and threshold rules together (the last two once the version exists)."""
    failures = registry_failures(arn, package)
    if package is not None:
        # A version that is not Approved at all says so once, rather than once per rule.
        failures += [] if failures else environment_failures(config, env, package)
        failures += threshold_failures(config, model, env, package)
    return failures


def pinned_content(pin: ContentPin | None) -> Content | None:
    """A manifest's `content` block as the engine's Content (None when the manifest has none)."""
    if pin is None:
        return None
    return Content(
        artifact=pin.artifact,
        artifact_version=pin.artifact_version,
        artifact_sha256=pin.artifact_sha256,
        image=pin.image,
    )


def content_gate(package: PackageInfo, pinned: Content | None, current: ArtifactState | None) -> list[GateFailure]:
    """The bytes rule: what git pins = what registration recorded = what the package and S3 hold now.

    `pinned` None is a manifest without its content block; `current` is the artifact's HeadObject now (None:
    not read, as when the package recorded nothing)."""
    messages = content_failures(
        package.label, pinned=pinned, recorded=package.content, serving=package.serving, current=current
    )
    return [GateFailure("content", message) for message in messages]


# -- soak and holds ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlarmFiring:
    """An alarm of the endpoint in the previous environment that is in ALARM now (`at` None), or that entered
    ALARM at `at`, after the version went live there."""

    alarm: str
    at: datetime | None
    missing: bool = False  # the alarm does not exist, so the version's health there cannot be shown


@dataclass(frozen=True)
class Hold:
    """A rolled-back environment, held at `arn` by the rollback's `held` record (seq `seq` of the promotions
    stream) until a release names it."""

    env: str
    arn: str
    who: str
    when: str
    reason: str
    seq: int


def duration_text(span: timedelta) -> str:
    """`2h 05m` (whole minutes, rounded down; never negative)."""
    minutes = max(0, int(span.total_seconds() // 60))
    return f"{minutes // 60}h {minutes % 60:02d}m"


def moment_text(moment: datetime) -> str:
    """`2026-12-05 10:12 UTC`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def when_text(when: str) -> str:
    """A ledger record's `when` as `moment_text` shows it (as written when it is not a time)."""
    try:
        return moment_text(datetime.fromisoformat(when))
    except ValueError:
        return when


def live_since(arns_and_times: Sequence[tuple[str, datetime]], arn: str) -> datetime | None:
    """When `arn` went live, from an environment's deploy records (ARN and time, oldest first): the first of
    the newest unbroken run of records naming it (a redeploy of the same version keeps it live). None when
    the newest record names another version, or there is none."""
    since: datetime | None = None
    for deployed, moment in reversed(arns_and_times):
        if deployed != arn:
            break
        since = moment
    return since


def soak_failures(
    config: OrgConfig,
    model: str,
    env: str,
    arn: str,
    *,
    live_since: datetime | None,
    now: datetime,
    alarms: Sequence[AlarmFiring] = (),
) -> list[GateFailure]:
    """`env`'s soak: `arn` was live in the previous environment for `soak_hours`, and healthy there.

    Callers exempt a version already live in `env` or live there before (a rollback), as the chain gate does.
    `live_since` None: the previous environment's deploy records do not show `arn` live there now."""
    hours = config.environment(env).soak_hours
    previous = config.previous_environment(env)
    if hours == 0 or previous is None:
        return []
    label = f"{model} {version_label(arn)}"
    if live_since is None:
        return [
            GateFailure(
                "soak",
                f"{label} has no deploy record in {previous.name} that shows it live there now; {env} requires "
                f"{hours}h live there",
            )
        ]
    failures: list[GateFailure] = []
    required = timedelta(hours=hours)
    elapsed = now - live_since
    if elapsed < required:
        failures.append(
            GateFailure(
                "soak",
                f"{label} has been live in {previous.name} for {duration_text(elapsed)}; {env} requires {hours}h "
                f"({duration_text(required - elapsed)} remaining)",
            )
        )
    for firing in alarms:
        if firing.missing:
            happened = "does not exist, so its health there cannot be shown"
        elif firing.at is None:
            happened = "is in ALARM now"
        else:
            happened = f"entered ALARM at {moment_text(firing.at)} since it went live"
        failures.append(
            GateFailure(
                "soak",
                f"{label}'s alarm {firing.alarm} in {previous.name} {happened}; {env} requires {hours}h healthy",
            )
        )
    return failures


def soak_exempt(arn: str, *, live_here: str | None, was_live_here: Collection[str] = ()) -> bool:
    """A version already live in the environment, or live there before (a rollback), has nothing to soak."""
    return arn == live_here or arn in was_live_here


def hold_failures(model: str, env: str, arn: str, hold: Hold | None) -> list[GateFailure]:
    """A held environment takes nothing but the version it is held at, until the hold is released."""
    if hold is None or arn == hold.arn:
        return []
    return [
        GateFailure(
            "hold",
            f"{env} is held at {model} {version_label(hold.arn)} since the rollback by {hold.who} at "
            f'{when_text(hold.when)} ("{hold.reason}"); release it with '
            f"`modelops release {model} --env {env} --reason ...`",
        )
    ]
