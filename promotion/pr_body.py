"""The promotion PR's title and body: what a reviewer needs to decide, in GitHub markdown.

The body carries the metrics of the proposed version against the one it replaces (with the
environment's thresholds), the approval record, the lineage, the model card's state, the ARN live in the
previous environment, and the manifest diff. Text that people typed (reasons, descriptions) is escaped so
it cannot break the tables or inject markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from accounts.config import OrgConfig
from promotion.gates import version_label
from promotion.registry import PackageInfo


@dataclass(frozen=True)
class PullRequest:
    title: str
    body: str


def escape(text: str) -> str:
    """One line of user text made inert in markdown: no table breaks, no HTML, no code fences."""
    flattened = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"([\\`*_{}\[\]<>|#!])", r"\\\1", flattened)


def _metric(package: PackageInfo | None, name: str) -> float | None:
    return None if package is None else package.metrics.get(name)


def _format(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def _change(new: float | None, old: float | None) -> str:
    if new is None or old is None:
        return ""
    delta = new - old
    return " (=)" if delta == 0 else f" ({delta:+g})"


def metrics_table(config: OrgConfig, model: str, env: str, proposed: PackageInfo, replaced: PackageInfo | None) -> str:
    """Every metric either version reports, with the environment's bound where one is configured."""
    gate = config.model(model).gates.get(env)
    thresholds = gate.metrics if gate is not None else {}
    names = sorted(set(proposed.metrics) | set(replaced.metrics if replaced else {}) | set(thresholds))
    old_label = replaced.label if replaced is not None else "nothing"
    lines = [
        f"| metric | {env} requires | replaced ({escape(old_label)}) | proposed ({escape(proposed.label)}) |",
        "| --- | --- | --- | --- |",
    ]
    for name in names:
        threshold = thresholds.get(name)
        bound = []
        if threshold is not None and threshold.min is not None:
            bound.append(f"≥ {threshold.min:g}")
        if threshold is not None and threshold.max is not None:
            bound.append(f"≤ {threshold.max:g}")
        new, old = _metric(proposed, name), _metric(replaced, name)
        required = ", ".join(bound) or "—"
        lines.append(f"| {escape(name)} | {required} | {_format(old)} | {_format(new)}{_change(new, old)} |")
    return "\n".join(lines)


def approval_lines(package: PackageInfo) -> list[str]:
    lines = [f"- status: **{package.status}**"]
    if package.approval_description:
        lines.append(f"- latest decision: {escape(package.approval_description)}")
    for approval in package.approvals.values():
        decided = f"{escape(approval.decision)} by {escape(approval.by)} at {escape(approval.at)}"
        lines.append(f"- {escape(approval.env)}: {decided}")
    return lines


def lineage_lines(package: PackageInfo) -> list[str]:
    lineage = package.lineage
    rows = [
        ("source commit", lineage.source_commit),
        ("training job", lineage.training_job),
        ("artifact", lineage.artifact),
        ("image", lineage.image),
        ("registered by", lineage.registered_by),
        ("model card", package.model_card_status),
    ]
    lines = [f"- {name}: `{value}`" if value else f"- {name}: none" for name, value in rows]
    if package.model_card_summary:
        lines.append(f"- model card summary: {escape(package.model_card_summary)}")
    return lines


def build(
    *,
    config: OrgConfig,
    model: str,
    env: str,
    proposed: PackageInfo,
    replaced_arn: str | None,
    replaced: PackageInfo | None,
    previous_env: str | None,
    previous_live: str | None,
    diff: str,
    rollback: bool,
) -> PullRequest:
    """Title and body of the promotion (or rollback) PR."""
    version = version_label(proposed.arn)
    if rollback:
        title = f"Roll back {model} in {env} to {version}"
        intro = f"Rolls **{model}** in **{env}** back from {version_label(replaced_arn)} to {version}."
    else:
        title = f"Promote {model} {version} to {env}"
        intro = f"Promotes **{model}** in **{env}** from {version_label(replaced_arn)} to {version}."
    there = previous_live or "nothing"
    if previous_env is None:
        chain = f"{env} is the first environment of the chain."
    elif rollback:
        chain = f"Rolls back to a version live in {env} before; {previous_env} runs `{there}`."
    else:
        chain = f"{previous_env} runs `{there}`."
    sections = [
        f"## {title}",
        intro,
        "",
        "| | ARN |",
        "| --- | --- |",
        f"| replaced | `{replaced_arn or 'nothing'}` |",
        f"| proposed | `{proposed.arn}` |",
        "",
        "### Metrics",
        metrics_table(config, model, env, proposed, replaced),
        "",
        "### Approval",
        *approval_lines(proposed),
        "",
        "### Lineage",
        *lineage_lines(proposed),
        "",
        "### Live in the previous environment",
        chain,
        "",
        "### Manifest change",
        "```diff",
        diff.rstrip("\n"),
        "```",
        "",
        f"Generated by `modelops {'rollback' if rollback else 'promote'}`; the gates are checked again by "
        "`modelops verify` on this PR.",
    ]
    return PullRequest(title=title, body="\n".join(sections) + "\n")
