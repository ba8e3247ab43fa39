"""The promotion PR's title and body: what a reviewer needs to decide, in GitHub markdown.

The body carries the bytes the manifest pins (artifact version, SHA-256, image digest), the metrics of the
proposed version against the one it replaces (with the
environment's thresholds), the approval record, the model card as sections, the lineage, the ARN live in the
previous environment, and the manifest diff. Every value modelops did not write itself (lineage, metric
names, descriptions, decision reasons, ARNs read back from the registry or SSM) is shown one way: as an
inline code span it cannot leave (`code`, or `cell` inside a table), where no heading, link, autolink,
@mention, HTML comment or emphasis is interpreted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from accounts.config import OrgConfig
from promotion.card_review import package_card_sections
from promotion.gates import version_label
from promotion.registry import PackageInfo
from promotion.untrusted import one_line

PLAIN_WORDS = re.compile(r"[A-Za-z0-9 /]+")


@dataclass(frozen=True)
class PullRequest:
    title: str
    body: str


def code(text: str) -> str:
    """Text shown verbatim as an inline code span that it cannot leave: one line, and a fence of more
    backticks than any run inside it (CommonMark's rule), padded so edge backticks stay literal."""
    flattened = one_line(text)
    longest = max((len(run) for run in re.findall(r"`+", flattened)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {flattened} {fence}" if longest else f"{fence}{flattened}{fence}"


def cell(text: str) -> str:
    """`code` for a table cell: GitHub splits table cells at every unescaped `|`, code spans included, and
    reads `\\|` as a literal pipe there (GFM spec, "Tables (extension)")."""
    return code(text).replace("|", "\\|")


def fenced(text: str, info: str) -> list[str]:
    """A fenced code block holding `text`, its fence longer than any backtick run in it (CommonMark)."""
    longest = max((len(run) for run in re.findall(r"`{3,}", text)), default=2)
    fence = "`" * (longest + 1)
    return [f"{fence}{info}", text.rstrip("\n"), fence]


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
    thresholds = config.requirements(model, env).metrics
    names = sorted(set(proposed.metrics) | set(replaced.metrics if replaced else {}) | set(thresholds))
    old_label = replaced.label if replaced is not None else "nothing"
    lines = [
        f"| metric | {env} requires | replaced {cell(old_label)} | proposed {cell(proposed.label)} |",
        "| --- | --- | --- | --- |",
    ]
    for name in names:
        threshold = thresholds.get(name)
        new, old = _metric(proposed, name), _metric(replaced, name)
        required = threshold.text() if threshold is not None else "—"
        lines.append(f"| {cell(name)} | {required} | {_format(old)} | {_format(new)}{_change(new, old)} |")
    return "\n".join(lines)


def approval_lines(package: PackageInfo) -> list[str]:
    lines = [f"- status: **{package.status}**"]
    if package.approval_description:
        lines.append(f"- latest decision: {code(package.approval_description)}")
    for record in package.decisions.values():
        lines.append(f"- {code(record.env)}: {code(record.summary())}")
    return lines


def lineage_lines(package: PackageInfo) -> list[str]:
    rows = [
        *package.lineage.entries(),
        ("registered by", package.lineage.registered_by),
        ("model card", package.model_card_status),
    ]
    # Lineage is whatever the registrant sent (MetadataProperties, the container): shown, never interpreted.
    lines = [f"- {name}: {code(value)}" if value else f"- {name}: none" for name, value in rows]
    if package.model_card_summary:
        lines.append(f"- model card summary: {code(package.model_card_summary)}")
    return lines


def datazone_lines(config: OrgConfig, model: str) -> list[str]:
    """The DataZone project governing the model's data, when accounts.yaml names one (the group carries it)."""
    project = config.model(model).datazone_project
    return [f"- DataZone project: {code(project)}"] if project else []


def card_lines(package: PackageInfo) -> list[str]:
    """The model card as readable sections: each title in bold, then `- label: value` lines, every value an
    inert code span (the card is text the registrant wrote)."""
    sections = package_card_sections(package)
    if not sections:
        return ["No model card was registered."]
    lines: list[str] = []
    for section in sections:
        lines.append(f"**{_words(section.title)}**")
        lines += [f"- {_words(label)}: {code(value)}" for label, value in section.lines]
    return lines


def _words(text: str) -> str:
    """A card title or label as is when it is plain words (the schema's own), else an inert code span: an
    evaluation's name or a custom detail's key is the registrant's text."""
    return text if PLAIN_WORDS.fullmatch(text) else code(text)


def content_table(package: PackageInfo) -> list[str]:
    """What the manifest pins beside the ARN: the registered artifact (URI, S3 version, SHA-256) and image
    digest, exactly as the gates compare them."""
    content = package.content
    if content is None:
        return ["The version records no registered content; the gates refuse it."]
    rows = [
        ("artifact", content.artifact),
        ("artifact S3 version", content.artifact_version),
        ("artifact SHA-256", content.artifact_sha256),
        ("image", content.image),
    ]
    return ["| pinned | value |", "| --- | --- |", *(f"| {name} | {_cell(code(value))} |" for name, value in rows)]


def _cell(text: str) -> str:
    # GitHub splits table cells at `|` even inside a code span, unless it is escaped.
    return text.replace("|", "\\|")


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
        chain = f"Rolls back to a version live in {env} before; {previous_env} runs {code(there)}."
    else:
        chain = f"{previous_env} runs {code(there)}."
    sections = [
        f"## {title}",
        intro,
        "",
        "| | ARN |",
        "| --- | --- |",
        f"| replaced | {cell(replaced_arn or 'nothing')} |",
        f"| proposed | {cell(proposed.arn)} |",
        "",
        "### Content",
        *content_table(proposed),
        "",
        "### Metrics",
        metrics_table(config, model, env, proposed, replaced),
        "",
        f"The proposed version's metrics are {code(proposed.metrics_source)}.",
        "",
        "### Approval",
        *approval_lines(proposed),
        "",
        "### Model card",
        *card_lines(proposed),
        "",
        "### Lineage",
        *lineage_lines(proposed),
        *datazone_lines(config, model),
        "",
        "### Live in the previous environment",
        chain,
        "",
        "### Manifest change",
        *fenced(diff, "diff"),
        "",
        f"Generated by `modelops {'rollback' if rollback else 'promote'}`; the gates are checked again by "
        "`modelops verify` on this PR.",
    ]
    return PullRequest(title=title, body="\n".join(sections) + "\n")
