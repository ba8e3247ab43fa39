"""Each environment's deploy job checks the promotion gates before it changes anything, and runs the
post-deploy step (`modelops record-deploy`) after its stack deployed; the shared-services job runs neither."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from deployment.workflow_patches import PINNED_ACTIONS
from tests.conftest import Synth
from tests.test_workflow_lint import load_workflow

ENV_JOBS = {"qa": "ModelOps-qa-Endpoints-Deploy", "prod": "ModelOps-prod-Endpoints-Deploy"}
SHARED_JOB = "ModelOps-SharedServices-SharedServices-Deploy"
VERIFY_RUN = 'echo "started=$(date -u +%Y-%m-%dT%H:%M:%SZ)" >> "$GITHUB_OUTPUT"\nmodelops verify'
INSTALL_RUN = (
    "python -m pip install --quiet --requirement requirements.lock\n"
    "python -m pip install --quiet --no-deps --editable ."
)


def uses(action: str) -> str:
    return f"{action}@{PINNED_ACTIONS[action].sha}"


@pytest.fixture(scope="module")
def jobs(synth: Synth) -> dict[str, Any]:
    jobs: dict[str, Any] = load_workflow(synth.workflow_path.read_text())["jobs"]
    return jobs


def names(job: dict[str, Any]) -> list[str]:
    return [step.get("name", step.get("id")) for step in job["steps"]]


@pytest.mark.parametrize("env", ["qa", "prod"])
def test_gates_come_before_any_change_and_the_post_deploy_step_after_the_deploy(jobs: dict[str, Any], env: str) -> None:
    assert names(jobs[ENV_JOBS[env]]) == [
        "Checkout",
        "Download cdk.out",
        "Set up Node",
        "Install the CDK CLI",
        "Set up Python",
        "Install modelops",
        "Authenticate Via OIDC Role",
        "Check the promotion gates",
        "Publish assets",
        "Locate the template",
        "Assume CDK Deploy Role",
        "Deploy",
        "Authenticate Via OIDC Role for the post-deploy step",
        "Record the deploy and notify the next approvers",
    ]


@pytest.mark.parametrize("env", ["qa", "prod"])
def test_modelops_steps_run_exactly_these_commands(jobs: dict[str, Any], env: str) -> None:
    steps = {step.get("name", step.get("id")): step for step in jobs[ENV_JOBS[env]]["steps"]}
    assert steps["Checkout"] == {
        "name": "Checkout",
        "uses": uses("actions/checkout"),
        "with": {"persist-credentials": False},
    }
    assert steps["Set up Python"] == {
        "name": "Set up Python",
        "uses": uses("actions/setup-python"),
        "with": {"python-version": "3.11"},
    }
    assert steps["Install modelops"] == {"name": "Install modelops", "run": INSTALL_RUN}
    assert steps["Check the promotion gates"] == {
        "id": "Verify",
        "name": "Check the promotion gates",
        "run": VERIFY_RUN,
    }
    assert steps["Record the deploy and notify the next approvers"] == {
        "name": "Record the deploy and notify the next approvers",
        "env": {"DEPLOY_STARTED": "${{ steps.Verify.outputs.started }}"},
        "run": f'modelops record-deploy {env} --since "$DEPLOY_STARTED"',
    }


@pytest.mark.parametrize("env", ["qa", "prod"])
def test_the_post_deploy_step_runs_as_the_environments_oidc_role_not_the_cdk_deploy_role(
    jobs: dict[str, Any], env: str
) -> None:
    steps = {step.get("name", step.get("id")): step for step in jobs[ENV_JOBS[env]]["steps"]}
    # Through GitHub OIDC again: no key inputs, so the CDK deploy role's credentials are not chained from.
    assert steps["Authenticate Via OIDC Role for the post-deploy step"] == {
        "name": "Authenticate Via OIDC Role for the post-deploy step",
        "uses": uses("aws-actions/configure-aws-credentials"),
        "with": {
            "aws-region": "eu-west-1",
            "role-duration-seconds": 3600,
            "role-skip-session-tagging": True,
            "role-to-assume": f"arn:aws:iam::333333333333:role/modelops-github-deploy-{env}",
            "role-session-name": "modelops-${{ github.run_id }}-${{ github.run_attempt }}",
        },
    }
    assert (
        steps["Authenticate Via OIDC Role for the post-deploy step"]["with"]
        == (steps["Authenticate Via OIDC Role"]["with"])
    )


def test_the_shared_services_job_runs_no_modelops_step(jobs: dict[str, Any]) -> None:
    assert names(jobs[SHARED_JOB]) == [
        "Download cdk.out",
        "Set up Node",
        "Install the CDK CLI",
        "Authenticate Via OIDC Role",
        "Publish assets",
        "Locate the template",
        "Assume CDK Deploy Role",
        "Deploy",
    ]
    assert [step["run"] for step in jobs[SHARED_JOB]["steps"] if "modelops" in step.get("run", "")] == []


def test_the_gates_step_notes_the_deploy_start_in_utc_as_record_deploy_reads_it(
    jobs: dict[str, Any], tmp_path: Path
) -> None:
    (step,) = [step for step in jobs[ENV_JOBS["qa"]]["steps"] if step.get("id") == "Verify"]
    note_start = step["run"].splitlines()[0]
    output = tmp_path / "github-output"
    before = datetime.now(UTC).replace(microsecond=0)
    subprocess.run(["bash", "-e", "-c", note_start], env={"GITHUB_OUTPUT": str(output)}, check=True)
    after = datetime.now(UTC)
    key, _, value = output.read_text().rstrip("\n").partition("=")
    started = datetime.fromisoformat(value)
    assert key == "started"
    assert started.utcoffset() == timedelta(0)
    assert before <= started <= after


def test_synth_reads_the_github_settings_back_before_any_deploy_job_can_assume_a_role(jobs: dict[str, Any]) -> None:
    synth = jobs["Build-Synth"]
    check = next(step for step in synth["steps"] if step["name"] == "Check the GitHub settings the roles trust")

    assert names(synth)[:6] == [
        "Checkout",
        "Set up Node",
        "Set up Python",
        "Install",
        "Check the GitHub settings the roles trust",
        "Build",
    ]
    assert check == {
        "name": "Check the GitHub settings the roles trust",
        "env": {"GITHUB_TOKEN": "${{ github.token }}"},
        "run": ".venv/bin/modelops github configure --check",
    }
    assert synth["permissions"] == {"contents": "read", "actions": "read"}
    deploy_jobs = [job for job_id, job in jobs.items() if job_id != "Build-Synth"]
    assert all("Build-Synth" in job["needs"] for job in deploy_jobs)
