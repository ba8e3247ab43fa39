"""cfn-lint finds nothing in the synthesized templates.

E-level rules: 0 findings, never ignored. W-level rules: 0 findings, except rules ignored in
.cfnlintrc.yaml, each with its reason written there.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from policies.cloud_assembly import load_assembly
from tests.conftest import REPO_ROOT, Synth

CFN_LINT = Path(sys.executable).with_name("cfn-lint")
CONFIG = REPO_ROOT / ".cfnlintrc.yaml"


@pytest.fixture(scope="module")
def findings(synth: Synth) -> list[dict[str, Any]]:
    """cfn-lint's findings on every stack template, in one process, against the stacks' regions."""
    stacks = load_assembly(synth.outdir)
    regions = sorted({stack.region for stack in stacks if stack.region})
    command = [
        str(CFN_LINT),
        "--config-file",
        str(CONFIG),
        "--format",
        "json",
        "--non-zero-exit-code",
        "none",
    ]
    command += ["--regions", *regions, "--", *(str(stack.template_file) for stack in stacks)]
    completed = subprocess.run(command, capture_output=True, text=True, check=False, cwd=REPO_ROOT)
    if completed.returncode != 0:
        pytest.fail(f"cfn-lint exited {completed.returncode}: {completed.stderr.strip()[-2000:]}")
    result: list[dict[str, Any]] = json.loads(completed.stdout)
    return result


def describe(finding: dict[str, Any]) -> str:
    path = "/".join(str(part) for part in finding["Location"]["Path"])
    return f"{finding['Rule']['Id']} {finding['Filename']} {path}: {finding['Message']}"


def test_cfn_lint_reports_no_errors(findings: list[dict[str, Any]]) -> None:
    errors = [describe(finding) for finding in findings if finding["Level"] == "Error"]
    assert errors == [], "cfn-lint errors:\n" + "\n".join(errors)


def test_cfn_lint_reports_no_warnings_beyond_those_ignored_with_a_reason(
    findings: list[dict[str, Any]],
) -> None:
    warnings = [describe(finding) for finding in findings if finding["Level"] != "Error"]
    assert warnings == [], "cfn-lint warnings (fix them, or ignore the rule in .cfnlintrc.yaml with a reason):\n" + (
        "\n".join(warnings)
    )


def test_only_warning_rules_are_ignored_and_each_has_a_reason() -> None:
    text = CONFIG.read_text()
    ignored: list[str] = yaml.safe_load(text)["ignore_checks"]
    without_reason = [rule for rule in ignored if not re.search(rf"#[^\n]*\n\s*-\s*{re.escape(rule)}\s*(\n|$)", text)]
    assert [rule for rule in ignored if not rule.startswith("W")] == []
    assert without_reason == []
