"""checkov 3.3 (built-in and this repository's checks) passes on every synthesized template.

A finding is fixed in the stack, or skipped on the resource with its reason:
`cfn.add_metadata("checkov", {"skip": [{"id": "CKV_AWS_117", "comment": "why"}]})`.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from policies.cloud_assembly import StackTemplate, load_assembly
from tests.conftest import REPO_ROOT, Synth

CHECKOV = REPO_ROOT / ".tools" / "checkov" / "bin" / "checkov"
CUSTOM_CHECKS = REPO_ROOT / "policies" / "checkov_checks"
NO_COMMENT = "No comment provided"  # what checkov records for a skip without a comment

Results = dict[str, list[dict[str, Any]]]


def run_checkov(files: list[Path], *options: str) -> Results:
    """checkov's results for CloudFormation `files`, in one process: `passed_checks`, `failed_checks`,
    `skipped_checks` and `parsing_errors`."""
    if not CHECKOV.exists():
        pytest.fail(f"{CHECKOV} not found: run `make {CHECKOV.relative_to(REPO_ROOT)}`")
    command = [str(CHECKOV), "--framework", "cloudformation", "--skip-download", "--output", "json"]
    command += ["--external-checks-dir", str(CUSTOM_CHECKS), *options]
    for file in files:
        command += ["--file", str(file)]
    completed = subprocess.run(command, capture_output=True, text=True, check=False, cwd=REPO_ROOT)
    if completed.returncode not in (0, 1):  # 1 means "some check failed"; anything else is checkov failing
        pytest.fail(f"checkov exited {completed.returncode}: {completed.stderr.strip()[-2000:]}")
    report = json.loads(completed.stdout)
    results: dict[str, Any] = report.get("results", {})  # a run with no resources has a summary only
    return {key: results.get(key, []) for key in ("passed_checks", "failed_checks", "skipped_checks", "parsing_errors")}


def describe(result: dict[str, Any], stacks: dict[str, StackTemplate]) -> str:
    """`CKV_AWS_117 AWS::Lambda::Function.Handler in ModelOps-qa/Environment (file)`."""
    stack = stacks.get(result["file_abs_path"])
    where = stack.path if stack else "?"
    return f"{result['check_id']} {result['resource']} in {where} ({result['file_abs_path']})"


@pytest.fixture(scope="module")
def stacks(synth: Synth) -> dict[str, StackTemplate]:
    """The session's synthesized stacks by absolute template path."""
    return {str(stack.template_file.resolve()): stack for stack in load_assembly(synth.outdir)}


@pytest.fixture(scope="module")
def results(stacks: dict[str, StackTemplate]) -> Results:
    return run_checkov([Path(path) for path in stacks])


def test_checkov_parses_every_synthesized_template(results: Results) -> None:
    assert results["parsing_errors"] == []


def test_no_checkov_check_fails_on_the_synthesized_templates(
    results: Results, stacks: dict[str, StackTemplate]
) -> None:
    failures = sorted(describe(result, stacks) for result in results["failed_checks"])
    assert failures == [], "checkov failures (fix the stack, or skip with a reason):\n" + "\n".join(failures)


def test_every_skipped_check_states_its_reason(results: Results, stacks: dict[str, StackTemplate]) -> None:
    unexplained = sorted(
        describe(result, stacks)
        for result in results["skipped_checks"]
        if result["check_result"].get("suppress_comment", "").strip() in ("", NO_COMMENT)
    )
    assert unexplained == [], "checkov skips without a comment:\n" + "\n".join(unexplained)
