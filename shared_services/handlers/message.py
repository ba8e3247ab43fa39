"""The notification an approver receives: what the version is, how it measures, and their review link."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from accounts.config import OrgConfig
from promotion.registry import PackageInfo

# SNS limits an email subject to 100 printable ASCII characters.
MAX_SUBJECT = 100


@dataclass(frozen=True)
class DeployEvidence:
    """What the deploy into the previous environment showed: where it ran and its endpoint metrics."""

    env: str
    metrics: Mapping[str, float | None]
    period: str


def review_link(review_url: str, token: str) -> str:
    return f"{review_url}?{urlencode({'token': token})}"


def threshold_text(config: OrgConfig, model: str, env: str, metric: str) -> str:
    """The environment's bounds on `metric`, e.g. `min 0.8`, or `none`."""
    threshold = config.requirements(model, env).metrics.get(metric)
    return threshold.text() if threshold is not None else "none"


def lineage_lines(package: PackageInfo) -> list[tuple[str, str]]:
    """The registered lineage, as the email and the review page show it: known entries only."""
    return [(label.capitalize(), value) for label, value in package.lineage.entries() if value]


def subject(package: PackageInfo, env: str) -> str:
    text = f"[modelops] Review {package.group} v{package.version} for {env}"
    return text.encode("ascii", errors="replace").decode("ascii")[:MAX_SUBJECT]


def body(
    *,
    config: OrgConfig,
    package: PackageInfo,
    env: str,
    approver: str,
    link: str,
    expires_at: datetime,
    evidence: DeployEvidence | None = None,
) -> str:
    """The plain-text email for one approver."""
    created = package.created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if package.created else "unknown"
    lines = [
        f"{package.group} version {package.version} awaits your decision for {env}.",
        "",
        f"Model package: {package.arn}",
        f"Registered by: {package.lineage.registered_by or 'unknown'} at {created}",
        f"Description: {package.description or 'none'}",
    ]
    if evidence is not None:
        lines += ["", f"It is live in {evidence.env}. Endpoint metrics there ({evidence.period}):"]
        lines += [
            f"  {name}: {'no data' if value is None else f'{value:g}'}" for name, value in evidence.metrics.items()
        ]
    lines += ["", "Metrics:"]
    if package.metrics:
        lines += [
            f"  {name}: {value:g} ({env} threshold: {threshold_text(config, package.group, env, name)})"
            for name, value in sorted(package.metrics.items())
        ]
    else:
        lines.append("  none registered")
    lines += ["", "Lineage:"]
    lines += [f"  {label}: {value}" for label, value in lineage_lines(package)] or ["  none registered"]
    card = package.model_card_status
    lines += ["", f"Model card: {card if card else 'none'}"]
    lines += [
        "",
        f"Review and decide as {approver}. This link is yours alone, works once, and expires "
        f"{expires_at.astimezone(UTC).strftime('%Y-%m-%d %H:%M UTC')}:",
        link,
        "",
        "Opening the link changes nothing; only the Approve or Reject button on the page records a decision.",
    ]
    return "\n".join(lines) + "\n"
