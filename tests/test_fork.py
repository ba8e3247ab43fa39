"""A fork works on day one: adapt accounts.yaml, run the generate step, and `make test` and `make demo` pass.

The test copies this repository, replaces the sample organisation with another one (its own chain,
models, accounts, region and people), writes a manifest for it, runs `python -m deployment.generate`,
then runs the whole test suite inside the copy, and then the demo. It takes minutes, so it is its own
tier: `make test-fork` runs it, and `.ci/run` runs that after `make test`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.repository_copy import copy_repository

pytestmark = pytest.mark.fork

SHARED, DATA_SCIENCE, DEPLOYMENT = "210987654321", "310987654321", "410987654321"
REGION = "us-east-2"
# Another organisation in every respect the configuration has: a three-environment chain with other
# names, two models with other names and gates, other accounts, region, teams and people.
FORK: dict[str, Any] = {
    "organization": {"id": "o-bankfork01", "region": REGION},
    "accounts": {"shared_services": SHARED, "data_science": DATA_SCIENCE, "deployment": DEPLOYMENT},
    "approver_groups": {
        "model-validation": {"github_team": "@bank/model-validation", "members": ["val@bank.example"]},
        "model-risk-committee": {
            "github_team": "@bank/model-risk-committee",
            "members": ["risk.one@bank.example", "risk.two@bank.example"],
        },
    },
    "approvals": {
        "link_hours": 12,
        "sign_in": {
            "issuer": f"https://cognito-idp.{REGION}.amazonaws.com/{REGION}_BankFork01",
            "authorization_endpoint": f"https://bank-modelops.auth.{REGION}.amazoncognito.com/oauth2/authorize",
            "token_endpoint": f"https://bank-modelops.auth.{REGION}.amazoncognito.com/oauth2/token",
            "client_id": "4n0th3rcl13nt1dfr0mc0gn1t0",
        },
    },
    "environments": [
        {"name": "dev", "account": "510987654321", "approver_group": "model-validation", "requires_review": False},
        {"name": "staging", "account": "610987654321", "approver_group": "model-validation", "requires_review": True},
        {"name": "live", "account": "710987654321", "approver_group": "model-risk-committee", "requires_review": True},
    ],
    "teams": {"platform": "@bank/ml-platform", "security": "@bank/cloud-security"},
    "people": {"data_scientists": ["quant@bank.example"], "platform_engineers": ["ml.platform@bank.example"]},
    "pipeline": {"engine": "github-actions", "repository": "bank/ml-gitops", "branch": "trunk"},
    "models": [
        {
            "name": "fraud-score",
            "description": "Scores card transactions for fraud.",
            "gates": {"live": {"metrics": {"recall": {"min": 0.9}}, "model_card_required": True}},
        },
        {"name": "credit-limit", "description": "Proposes credit limits."},
    ],
}
MANIFEST = f"""\
model: fraud-score
model_package_arn: arn:aws:sagemaker:{REGION}:{SHARED}:model-package/fraud-score/1
instance_type: ml.m5.large
instance_count: 1
rollout:
  strategy: canary
  step_percent: 10
  wait_minutes: 5
  termination_wait_minutes: 5
alarms:
  max_5xx_errors: 5
  max_model_latency_ms: 1500
"""


def _run(fork: Path, *args: str, timeout: int) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_", "AWS_"))}
    return subprocess.run(
        [sys.executable, *args],
        cwd=fork,
        env={**environment, "PYTHONPATH": str(fork)},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_a_fork_that_adapts_accounts_yaml_and_runs_the_generate_step_passes_the_whole_test_suite_and_the_demo(
    tmp_path: Path,
) -> None:
    fork = tmp_path / "fork"
    copy_repository(fork)
    (fork / "accounts" / "accounts.yaml").write_text(yaml.safe_dump(FORK, sort_keys=False))
    for folder in (fork / "workloads").iterdir():
        if folder.is_dir() and not folder.name.startswith(("_", ".")):
            shutil.rmtree(folder)
    (fork / "workloads" / "dev").mkdir()
    (fork / "workloads" / "dev" / "fraud-score.yaml").write_text(MANIFEST)

    generated = _run(fork, "-m", "deployment.generate", timeout=600)
    assert generated.returncode == 0, generated.stderr
    assert "wrote .github/workflows/deploy.yml" in generated.stdout
    assert "wrote .github/CODEOWNERS" in generated.stdout
    assert "wrote policies/access.yaml" in generated.stdout

    checked = _run(fork, "-m", "deployment.generate", "--check", timeout=600)
    assert (checked.returncode, checked.stdout.splitlines()[-1]) == (0, "generated files are current")

    suite = _run(
        fork,
        "-m",
        "pytest",
        "-q",
        "-n",
        "2",
        "--dist",
        "loadfile",
        "-m",
        "not fork",
        "-p",
        "no:cacheprovider",
        timeout=1800,
    )
    lines = suite.stdout.strip().splitlines()
    summary = lines[-1] if lines else suite.stderr[-2000:]
    print(f"fork suite: {summary}")
    failures = [line for line in lines if line.startswith(("FAILED", "ERROR", "E   "))]
    assert suite.returncode == 0, "\n".join([summary, *failures[:40]])
    assert re.fullmatch(r"\d+ passed(, \d+ (deselected|skipped|warnings?))* in .*", summary), summary

    # The demo follows the fork too: fraud-score along dev -> staging -> live, with the fork's people.
    demo = _run(fork, "-m", "demo", timeout=900)
    demo_lines = demo.stdout.strip().splitlines()
    print(f"fork demo: {demo_lines[-1] if demo_lines else demo.stderr[-2000:]}")
    assert demo.returncode == 0, "\n".join([*demo_lines[-40:], demo.stderr[-2000:]])
    assert re.fullmatch(r"demo complete in \d+\.\d s", demo_lines[-1]), demo_lines[-1]
