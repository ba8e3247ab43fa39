"""Each environment's deploy job checks the promotion gates before it changes anything, and runs the
post-deploy step (`modelops record-deploy`) for the models of its batch after their stacks deployed; the
shared-services jobs run neither. The scripts the jobs run are run here too, with stand-ins for cdk and
modelops: a batch's failed stack leaves the others deployed and recorded, and the plan compares with the
previous tip only when it can."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from deployment.workflow_patches import PINNED_ACTIONS
from tests.conftest import Synth
from tests.test_workflow_lint import load_workflow

ENV_JOBS = {"qa": "ModelOps-qa-Models-Deploy", "prod": "ModelOps-prod-Models-Deploy"}
SHARED_JOB = "ModelOps-SharedServices-SharedServices-Deploy"
SHARED_MODELS_JOB = "ModelOps-SharedServices-Models-Deploy"
VERIFY_RUN = (
    'echo "started=$(date -u +%Y-%m-%dT%H:%M:%SZ)" >> "$GITHUB_OUTPUT"\n'
    'modelops verify ${CHANGED_FROM:+--changed-from "$CHANGED_FROM"}'
)
POST_DEPLOY_IF = "${{ !cancelled() && steps.Deploy.outputs.deployed > 0 }}"
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
        "Deploy the batch's stacks",
        "Authenticate Via OIDC Role for the post-deploy step",
        "Record the deploy and notify the next approvers",
    ]


@pytest.mark.parametrize("env", ["qa", "prod"])
def test_modelops_steps_run_exactly_these_commands(jobs: dict[str, Any], env: str) -> None:
    steps = {step.get("name", step.get("id")): step for step in jobs[ENV_JOBS[env]]["steps"]}
    assert steps["Checkout"] == {
        "name": "Checkout",
        "uses": uses("actions/checkout"),
        "with": {"persist-credentials": False, "fetch-depth": 0},
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
        "env": {"CHANGED_FROM": "${{ needs.Build-Synth.outputs.changed_from }}"},
        "run": VERIFY_RUN,
    }
    assert steps["Record the deploy and notify the next approvers"] == {
        "name": "Record the deploy and notify the next approvers",
        "if": POST_DEPLOY_IF,
        "env": {
            "DEPLOY_STARTED": "${{ steps.Verify.outputs.started }}",
            "DEPLOYED_MODELS": "${{ steps.Deploy.outputs.models }}",
        },
        "run": "models=()\n"
        'for model in $DEPLOYED_MODELS; do\n  models+=(--model "$model")\ndone\n'
        f'modelops record-deploy {env} --since "$DEPLOY_STARTED" "${{models[@]}}"',
    }


@pytest.mark.parametrize("env", ["qa", "prod"])
def test_the_post_deploy_step_runs_as_the_environments_oidc_role_not_the_cdk_deploy_role(
    jobs: dict[str, Any], env: str
) -> None:
    steps = {step.get("name", step.get("id")): step for step in jobs[ENV_JOBS[env]]["steps"]}
    # Through GitHub OIDC again: no key inputs, so the CDK deploy role's credentials are not chained from.
    assert steps["Authenticate Via OIDC Role for the post-deploy step"] == {
        "name": "Authenticate Via OIDC Role for the post-deploy step",
        "if": POST_DEPLOY_IF,
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


def test_the_shared_services_jobs_run_no_modelops_step(jobs: dict[str, Any]) -> None:
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
    assert names(jobs[SHARED_MODELS_JOB]) == [
        "Download cdk.out",
        "Set up Node",
        "Install the CDK CLI",
        "Authenticate Via OIDC Role",
        "Deploy the batch's stacks",
    ]
    shared_steps = jobs[SHARED_JOB]["steps"] + jobs[SHARED_MODELS_JOB]["steps"]
    assert [step["run"] for step in shared_steps if "modelops" in step.get("run", "")] == []


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

    assert names(synth) == [
        "Checkout",
        "Set up Node",
        "Set up Python",
        "Install",
        "Check the GitHub settings the roles trust",
        "Build",
        "Plan the stacks this push changed",
        "Upload cdk.out",
    ]
    assert check == {
        "name": "Check the GitHub settings the roles trust",
        "env": {"GITHUB_TOKEN": "${{ github.token }}"},
        "run": ".venv/bin/modelops github configure --check",
    }
    assert synth["permissions"] == {"contents": "read", "actions": "read"}
    deploy_jobs = [job for job_id, job in jobs.items() if job_id != "Build-Synth"]
    assert all("Build-Synth" in job["needs"] for job in deploy_jobs)


def step_run(job: dict[str, Any], name: str) -> tuple[str, dict[str, str]]:
    (step,) = [step for step in job["steps"] if step.get("name") == name]
    return step["run"], step.get("env", {})


def stand_in(folder: Path, name: str, script: str) -> None:
    """An executable `name` in `folder` that logs its arguments to the file $CALLS names, then runs `script`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f'#!/bin/bash\necho "{name} $*" >> "$CALLS"\n{script}\n')
    path.chmod(0o755)


def run_step(run: str, cwd: Path, bin_dir: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A step's script as GitHub runs it (`bash -e`), with the stand-ins first on PATH; they log to calls.log
    beside `bin_dir`."""
    path = f"{bin_dir}:/usr/bin:/bin"
    return subprocess.run(
        ["bash", "-e", "-c", run],
        cwd=cwd,
        env={**env, "PATH": path, "CALLS": str(bin_dir.parent / "calls.log")},
        capture_output=True,
        text=True,
        check=False,
    )


def outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


def test_a_batchs_failed_stack_leaves_the_others_deployed_and_only_theirs_recorded(
    jobs: dict[str, Any], tmp_path: Path
) -> None:
    batch = [{"path": f"ModelOps-qa/Endpoint-{model}", "model": model} for model in ("churn", "fraud", "credit")]
    plan = {"targets": {"qa": {"base": None, "batches": [[{"path": "x", "model": "x"}], batch]}}}
    (tmp_path / "cdk.out").mkdir()
    (tmp_path / "cdk.out" / "deploy-plan.json").write_text(json.dumps(plan))
    bin_dir = tmp_path / "bin"
    stand_in(bin_dir, "cdk", 'case "${@: -1}" in *fraud) echo "fraud: UPDATE_ROLLBACK_COMPLETE"; exit 1;; esac')
    stand_in(bin_dir, "modelops", "")
    github_output = tmp_path / "github-output"
    deploy_run, deploy_env = step_run(jobs[ENV_JOBS["qa"]], "Deploy the batch's stacks")
    assert deploy_env == {"TARGET": "qa", "BATCH": "${{ matrix.batch }}"}

    deployed = run_step(
        deploy_run, tmp_path, bin_dir, {"TARGET": "qa", "BATCH": "1", "GITHUB_OUTPUT": str(github_output)}
    )

    assert deployed.returncode == 1
    assert "::error::ModelOps-qa/Endpoint-fraud failed to deploy; the others went on" in deployed.stdout
    assert (
        "::group::ModelOps-qa/Endpoint-fraud: failed\nfraud: UPDATE_ROLLBACK_COMPLETE\n::endgroup::" in deployed.stdout
    )
    assert outputs(github_output) == {"deployed": "2", "models": "churn credit"}
    cdk_calls = sorted((tmp_path / "calls.log").read_text().splitlines())
    assert cdk_calls == [
        "cdk deploy --app cdk.out --exclusively --require-approval never --no-notices --ci "
        f"ModelOps-qa/Endpoint-{model}"
        for model in ("churn", "credit", "fraud")
    ]

    record_run, _ = step_run(jobs[ENV_JOBS["qa"]], "Record the deploy and notify the next approvers")
    (tmp_path / "calls.log").unlink()
    recorded = run_step(
        record_run,
        tmp_path,
        bin_dir,
        {"DEPLOYED_MODELS": "churn credit", "DEPLOY_STARTED": "2026-12-05T08:00:00Z"},
    )
    assert recorded.returncode == 0, recorded.stderr
    assert (tmp_path / "calls.log").read_text() == (
        "modelops record-deploy qa --since 2026-12-05T08:00:00Z --model churn --model credit\n"
    )


def test_a_stack_naming_no_model_deploys_and_the_post_deploy_step_records_every_model(
    jobs: dict[str, Any], tmp_path: Path
) -> None:
    """Before the stacks are split per model, an environment's one Endpoints stack holds every model."""
    plan = {"targets": {"prod": {"base": None, "batches": [[{"path": "ModelOps-prod/Endpoints", "model": None}]]}}}
    (tmp_path / "cdk.out").mkdir()
    (tmp_path / "cdk.out" / "deploy-plan.json").write_text(json.dumps(plan))
    bin_dir = tmp_path / "bin"
    stand_in(bin_dir, "cdk", "")
    stand_in(bin_dir, "modelops", "")
    github_output = tmp_path / "github-output"
    deploy_run, _ = step_run(jobs[ENV_JOBS["prod"]], "Deploy the batch's stacks")
    record_run, _ = step_run(jobs[ENV_JOBS["prod"]], "Record the deploy and notify the next approvers")

    deployed = run_step(
        deploy_run, tmp_path, bin_dir, {"TARGET": "prod", "BATCH": "0", "GITHUB_OUTPUT": str(github_output)}
    )
    recorded = run_step(
        record_run, tmp_path, bin_dir, {"DEPLOYED_MODELS": "", "DEPLOY_STARTED": "2026-12-05T08:00:00Z"}
    )

    assert (deployed.returncode, recorded.returncode) == (0, 0)
    assert outputs(github_output) == {"deployed": "1", "models": ""}
    assert (tmp_path / "calls.log").read_text().splitlines()[-1] == (
        "modelops record-deploy prod --since 2026-12-05T08:00:00Z"
    )


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def repository(tmp_path: Path) -> tuple[Path, str, str]:
    """A checkout with two commits (their SHAs returned), a stand-in .venv/bin/python and an empty cdk.out."""
    checkout = tmp_path / "repo"
    checkout.mkdir()
    git(checkout, "init", "--quiet", "--initial-branch=main")
    for commit in ("first", "second"):
        (checkout / "file").write_text(commit)
        git(checkout, "add", "file")
        git(checkout, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "-m", commit)
    stand_in(checkout / ".venv" / "bin", "python", "")
    (checkout / "cdk.out").mkdir()
    return checkout, git(checkout, "rev-parse", "HEAD^"), git(checkout, "rev-parse", "HEAD")


PLAN_ARGS = (
    "-m deployment.plan --target shared-services=ModelOps-SharedServices --target qa=ModelOps-qa "
    "--target prod=ModelOps-prod --output cdk.out/deploy-plan.json --github-output {output}"
)


@pytest.mark.parametrize(
    ("event", "before", "all_", "synthesizes", "compared"),
    [
        ("push", "first", "", True, True),
        ("push", "0" * 40, "", True, False),  # the branch's first push
        ("push", "1" * 40, "", True, False),  # a force-push: the old tip is no ancestor
        ("push", "", "", True, False),
        ("push", "first", "", False, False),  # the old tip does not synthesize with today's dependencies
        ("workflow_dispatch", "", "false", True, True),  # by hand: what the last commit changed
        ("workflow_dispatch", "", "true", True, False),  # by hand, `all`
    ],
)
def test_the_plan_compares_with_the_previous_tip_only_when_it_can(
    jobs: dict[str, Any],
    repository: tuple[Path, str, str],
    event: str,
    before: str,
    all_: str,
    synthesizes: bool,
    compared: bool,
) -> None:
    checkout, first, _ = repository
    bin_dir = checkout.parent / "bin"
    stand_in(bin_dir, "cdk", "" if synthesizes else "exit 1")
    run, env = step_run(jobs["Build-Synth"], "Plan the stacks this push changed")
    assert env == {
        "EVENT": "${{ github.event_name }}",
        "BEFORE": "${{ github.event.before }}",
        "ALL": "${{ inputs.all }}",
    }
    github_output = checkout.parent / "github-output"
    github_output.touch()

    completed = run_step(
        run,
        checkout,
        bin_dir,
        {
            "EVENT": event,
            "BEFORE": first if before == "first" else before,
            "ALL": all_,
            "GITHUB_OUTPUT": str(github_output),
        },
    )

    assert completed.returncode == 0, completed.stderr
    calls = (checkout.parent / "calls.log").read_text().splitlines()
    plan_call = "python " + PLAN_ARGS.format(output=github_output)
    if compared:
        assert calls == [
            "cdk synth --no-validation --quiet --output ../before.out",
            f"{plan_call} ../before.out cdk.out",
        ]
        assert outputs(github_output) == {"changed_from": first}
        assert git(checkout.parent / "before", "rev-parse", "HEAD") == first
    else:
        assert calls[-1] == f"{plan_call} --all cdk.out"
        assert github_output.read_text() == ""
    if not synthesizes:
        assert completed.stdout == f"::warning::{first} did not synthesize; planning every stack\n"


def plan_after_commit(jobs: dict[str, Any], repository: tuple[Path, str, str], files: dict[str, str]) -> list[str]:
    """Commit `files` (path -> text) on top of the repository's second commit, run the Plan step for that push,
    and return the commands it ran (the stand-ins' log)."""
    checkout, _, second = repository
    for path, text in files.items():
        (checkout / path).parent.mkdir(parents=True, exist_ok=True)
        (checkout / path).write_text(text)
    git(checkout, "add", *files)
    git(checkout, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "-m", "change")
    bin_dir = checkout.parent / "bin"
    stand_in(bin_dir, "cdk", "")
    run, _ = step_run(jobs["Build-Synth"], "Plan the stacks this push changed")
    github_output = checkout.parent / "github-output"
    github_output.touch()
    completed = run_step(
        run, checkout, bin_dir, {"EVENT": "push", "BEFORE": second, "ALL": "", "GITHUB_OUTPUT": str(github_output)}
    )
    assert completed.returncode == 0, completed.stderr
    return (checkout.parent / "calls.log").read_text().splitlines()


def test_a_push_that_only_pins_manifests_synthesizes_and_compares_only_those_models_stacks(
    jobs: dict[str, Any], repository: tuple[Path, str, str]
) -> None:
    """A promotion changes `workloads/<env>/<model>.yaml` alone: only that model's stacks and the constant ones
    can differ (deployment/cdk_app.py, `modelops:models`), so the previous tip is synthesized for the promoted
    models alone and the plan compares only their stacks."""
    manifests = ("workloads/prod/churn-model.yaml", "workloads/qa/fraud-model.yaml", "workloads/prod/fraud-model.yaml")

    calls = plan_after_commit(jobs, repository, dict.fromkeys(manifests, "model_package_arn: x\n"))

    github_output = repository[0].parent / "github-output"
    plan_call = "python " + PLAN_ARGS.format(output=github_output) + " --models churn-model,fraud-model"
    assert calls == [
        "cdk synth --no-validation --quiet --output ../before.out -c modelops:models=churn-model,fraud-model",
        f"{plan_call} ../before.out cdk.out",
    ]


def test_a_push_that_changes_anything_besides_manifests_synthesizes_the_whole_previous_tip(
    jobs: dict[str, Any], repository: tuple[Path, str, str]
) -> None:
    files = {"workloads/qa/churn-model.yaml": "model_package_arn: x\n", "accounts/accounts.yaml": "models: []\n"}

    calls = plan_after_commit(jobs, repository, files)

    github_output = repository[0].parent / "github-output"
    assert calls == [
        "cdk synth --no-validation --quiet --output ../before.out",
        "python " + PLAN_ARGS.format(output=github_output) + " ../before.out cdk.out",
    ]
