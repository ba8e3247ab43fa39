"""The notification an approver receives: what the version is, how it measures, and their review link.

The email is plain text, and every value modelops did not write (description, lineage, metric names, who
registered, the model card's status) passes through `plain`: one line, so it cannot forge a line such as
"Approved for prod"; cut to MAX_FIELD characters; and with its URLs defanged, so the only link a mail
client makes clickable is the review link this module writes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from accounts.config import OrgConfig
from promotion.batch_events import BatchFigures
from promotion.registry import PackageInfo
from promotion.untrusted import one_line

# SNS limits an email subject to 100 printable ASCII characters.
MAX_SUBJECT = 100
# The longest untrusted value an email shows; the review page shows the rest.
MAX_FIELD = 300
# What mail clients turn into links: a URL scheme (`https:`, `javascript:`...) before `//`, and a dot between
# a letter or digit and a letter, as in `evil.example` or `www.evil` (Gmail links bare domains too).
SCHEME = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*):(?=//)")
HOST_DOT = re.compile(r"(?<=[A-Za-z0-9])\.(?=[A-Za-z])")


def plain(text: str) -> str:
    """Untrusted text as one inert line of the email: controls and line breaks a space, at most MAX_FIELD
    characters, and defanged (`https://evil.example` becomes `https[:]//evil[.]example`) so that nothing in
    it is a link; numbers such as 0.93 keep their dot."""
    return HOST_DOT.sub("[.]", SCHEME.sub(r"\1[:]", one_line(text, MAX_FIELD)))


@dataclass(frozen=True)
class DeployEvidence:
    """What the deploy into the previous environment showed: where it ran and its endpoint metrics."""

    env: str
    metrics: Mapping[str, float | None]
    period: str
    # Set when a batch-inference job of the live version completed there (promotion/batch_events.py).
    batch: BatchFigures | None = None


def review_link(review_url: str, token: str) -> str:
    return f"{review_url}?{urlencode({'token': token})}"


def threshold_text(config: OrgConfig, model: str, env: str, metric: str) -> str:
    """The environment's bounds on `metric`, e.g. `min 0.8`, or `none`."""
    threshold = config.requirements(model, env).metrics.get(metric)
    return threshold.text() if threshold is not None else "none"


def lineage_lines(package: PackageInfo) -> list[tuple[str, str]]:
    """The registered lineage, as the email and the review page show it: known entries only."""
    return [(label.capitalize(), plain(value)) for label, value in package.lineage.entries() if value]


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
        # Who registered is what AWS recorded (CreatedBy, the session's source identity), not registrant text:
        # kept whole, an address, only made one line.
        f"Registered by: {one_line(package.lineage.registered_by or 'unknown', MAX_FIELD)} at {created}",
        f"Description: {plain(package.description) or 'none'}",
    ]
    project = config.model(package.group).datazone_project
    if project:
        lines.append(f"DataZone project: {project}")
    if evidence is not None and evidence.batch is not None:
        lines += ["", f"It is live in {plain(evidence.env)}, and a batch-inference job of it there completed:"]
        lines += [f"  {label}: {plain(value)}" for label, value in evidence.batch.lines()]
    elif evidence is not None:
        lines += ["", f"It is live in {plain(evidence.env)}. Endpoint metrics there ({plain(evidence.period)}):"]
        lines += [
            f"  {plain(name)}: {'no data' if value is None else f'{value:g}'}"
            for name, value in evidence.metrics.items()
        ]
    lines += ["", f"Metrics ({plain(package.metrics_source)}):"]
    if package.metrics:
        lines += [
            f"  {plain(name)}: {value:g} ({env} threshold: {threshold_text(config, package.group, env, name)})"
            for name, value in sorted(package.metrics.items())
        ]
    else:
        lines.append("  none registered")
    lines += ["", "Lineage:"]
    lines += [f"  {label}: {value}" for label, value in lineage_lines(package)] or ["  none registered"]
    card = package.model_card_status
    lines += ["", f"Model card: {plain(card) if card else 'none'}"]
    lines += [
        "",
        f"Review and decide as {approver}. This link is yours alone, works once, and expires "
        f"{expires_at.astimezone(UTC).strftime('%Y-%m-%d %H:%M UTC')}:",
        link,
        "",
        "Opening the link changes nothing; only the Approve or Reject button on the page records a decision.",
    ]
    return "\n".join(lines) + "\n"
