"""Edits applied to the workflow that cdk-pipelines-github generates: pinned actions, per-target roles.

The library emits floating action tags (`actions/checkout@v6`) and one AWS role for the whole
workflow. These pure functions compute RFC 6902 patches over the parsed workflow, so that the
library's own `YamlFile.patch` applies them, plus the one text edit a JSON patch cannot make (the
`# vX.Y.Z` comment that tells a reviewer which release a commit SHA is).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal


class WorkflowGenerationError(RuntimeError):
    """The generated workflow cannot be made safe as it stands; the message says what to change."""


@dataclass(frozen=True)
class ActionPin:
    """A release of an action, by the commit its tag points to."""

    sha: str
    version: str

    @property
    def major(self) -> str:
        return self.version.split(".")[0]


# Every action any workflow of this repository may use, pinned to a release commit. The majors are
# those cdk-pipelines-github 0.4.140 emits; a library upgrade that moves a major fails loudly below.
# Update a pin with `git ls-remote https://github.com/<action> refs/tags/<version>`.
PINNED_ACTIONS: dict[str, ActionPin] = {
    "actions/checkout": ActionPin("df4cb1c069e1874edd31b4311f1884172cec0e10", "v6.0.3"),
    "actions/setup-node": ActionPin("48b55a011bda9f5d6aeb4c2d9c7362e8dae4041e", "v6.4.0"),
    "actions/setup-python": ActionPin("a309ff8b426b58ec0e2a45f0f869d46889d02405", "v6.2.0"),
    "actions/upload-artifact": ActionPin("043fb46d1a93c77aae656e7c1c64a875d1fc6a0a", "v7.0.1"),
    "actions/download-artifact": ActionPin("3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c", "v8.0.1"),
    "aws-actions/configure-aws-credentials": ActionPin("e6de054238d6b7531b4efff3b6587d9aade6a06c", "v6.2.3"),
    "aws-actions/aws-cloudformation-github-deploy": ActionPin("64bde66a4001208fc0917038be8846d99c9d0585", "v2.1.0"),
    # Used by .github/workflows/promote.yml to open the promotion PR.
    "peter-evans/create-pull-request": ActionPin("5f6978faf089d4d20b00c7766989d076bb2fc7f1", "v8.1.1"),
}


@dataclass(frozen=True)
class Patch:
    """One RFC 6902 operation."""

    op: Literal["add", "replace", "remove"]
    path: str
    value: Any = None


def pointer(*parts: str | int) -> str:
    """A JSON pointer to `parts`, escaped as RFC 6901 requires."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def pinned(uses: str) -> str:
    """`owner/repo@<sha>` for a `uses:` value; WorkflowGenerationError for an unknown action or major."""
    action, _, ref = uses.partition("@")
    pin = PINNED_ACTIONS.get(action)
    if pin is None:
        raise WorkflowGenerationError(
            f"uses: {uses}: action {action!r} has no pinned commit; add it to PINNED_ACTIONS "
            "in deployment/workflow_patches.py"
        )
    if ref not in (pin.major, pin.sha):
        raise WorkflowGenerationError(
            f"uses: {uses}: the pinned commit is {pin.version}, expected the workflow to ask for "
            f"{pin.major}; pin a {ref} release in deployment/workflow_patches.py"
        )
    return f"{action}@{pin.sha}"


_PINNED_USES_LINE = re.compile(r"^(?P<line>\s*(?:- )?uses: (?P<action>[\w.-]+/[\w.-]+)@(?P<sha>[0-9a-f]{40}))$")


def annotate_pins(text: str) -> str:
    """Append `# vX.Y.Z` to each pinned `uses:` line, so reviewers see which release a SHA is."""
    lines = []
    for line in text.split("\n"):
        match = _PINNED_USES_LINE.match(line)
        if match is not None:
            pin = PINNED_ACTIONS[match["action"]]
            if pin.sha != match["sha"]:
                raise WorkflowGenerationError(f"{line.strip()}: not the pinned commit {pin.sha} ({pin.version})")
            line = f"{match['line']} # {pin.version}"
        lines.append(line)
    return "\n".join(lines)


def diff_patches(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Patch]:
    """Patches that turn workflow `before` into `after`, one whole job or top-level key at a time.

    New top-level keys are placed before `jobs`, where a reader looks for them (`permissions:`).
    """
    patches = _top_level_patches(before, after)
    before_jobs, after_jobs = before["jobs"], after["jobs"]
    kept = [job_id for job_id in before_jobs if job_id in after_jobs]
    appended = [*kept, *(job_id for job_id in after_jobs if job_id not in before_jobs)]
    if any(key not in before for key in after) or appended != list(after_jobs):
        # JSON patch appends added keys and jobs; re-adding `jobs` moves it back after the keys, and puts the
        # jobs in the order a reader follows them (the deploy order).
        return [*patches, Patch("remove", pointer("jobs")), Patch("add", pointer("jobs"), after_jobs)]
    return patches + _job_patches(before_jobs, after_jobs)


def _top_level_patches(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Patch]:
    """Removed, changed and then added top-level keys; `jobs` is diffed job by job, not here."""
    patches: list[Patch] = []
    for key in before:
        if key not in after:
            patches.append(Patch("remove", pointer(key)))
        elif key != "jobs" and before[key] != after[key]:
            patches.append(Patch("replace", pointer(key), after[key]))
    patches.extend(Patch("add", pointer(key), after[key]) for key in after if key not in before)
    return patches


def _job_patches(before_jobs: Mapping[str, Any], after_jobs: Mapping[str, Any]) -> list[Patch]:
    """Removed and changed jobs, then added ones, each replaced whole."""
    patches: list[Patch] = []
    for job_id, job in before_jobs.items():
        if job_id not in after_jobs:
            patches.append(Patch("remove", pointer("jobs", job_id)))
        elif job != after_jobs[job_id]:
            patches.append(Patch("replace", pointer("jobs", job_id), after_jobs[job_id]))
    patches.extend(
        Patch("add", pointer("jobs", job_id), job) for job_id, job in after_jobs.items() if job_id not in before_jobs
    )
    return patches
