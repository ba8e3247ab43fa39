"""The workflows pass zizmor and GitHub's workflow schema, and deploy.yml is shaped as the design says: chain
order, one GitHub Environment and one OIDC role per target, pinned actions, pinned CDK CLI, least permissions.

The workflows are those of a repository of the two_env test organisation: the committed, hand-written ones
under .github/workflows and the deploy.yml synth generates for two_env (the committed deploy.yml is the
shipped organisation's; tests/test_shipped_organisation.py holds it equal to a fresh synth)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from deployment.github_pipeline import CDK_CLI_VERSION
from deployment.workflow_patches import PINNED_ACTIONS
from tests.conftest import REPO_ROOT, Synth

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
ZIZMOR_CONFIG = REPO_ROOT / ".github" / "zizmor.yml"
VENV_BIN = REPO_ROOT / ".venv" / "bin"
DEPLOY_ROLE = "arn:aws:iam::333333333333:role/modelops-github-deploy-{}"


def load_workflow(text: str) -> dict[str, Any]:
    """A workflow as GitHub reads it: YAML 1.1 would turn the `on:` key into True."""
    loaded: dict[Any, Any] = yaml.safe_load(text)
    if True in loaded:
        loaded["on"] = loaded.pop(True)
    return {str(key): value for key, value in loaded.items()}


def run_tool(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False, cwd=REPO_ROOT)


@pytest.fixture(scope="module")
def workflows(synth: Synth, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A .github/workflows folder: the committed hand-written workflows and the deploy.yml of the session synth."""
    folder = tmp_path_factory.mktemp("repository") / ".github" / "workflows"
    folder.mkdir(parents=True)
    for path in sorted(WORKFLOWS.glob("*.yml")):
        if path.name != "deploy.yml":
            shutil.copyfile(path, folder / path.name)
    shutil.copyfile(synth.workflow_path, folder / "deploy.yml")
    return folder


@pytest.fixture(scope="module")
def zizmor_findings(workflows: Path) -> list[dict[str, Any]]:
    completed = run_tool(
        str(VENV_BIN / "zizmor"),
        "--offline",
        "--config",
        str(ZIZMOR_CONFIG),
        "--format",
        "json",
        str(workflows),
    )
    # zizmor exits 0 without findings, 10-14 by the highest severity found; anything else is zizmor failing.
    if completed.returncode not in (0, 10, 11, 12, 13, 14):
        pytest.fail(f"zizmor exited {completed.returncode}: {completed.stderr.strip()[-2000:]}")
    findings: list[dict[str, Any]] = json.loads(completed.stdout)
    return findings


def describe(finding: dict[str, Any]) -> str:
    where = finding["locations"][0]["symbolic"]["key"]["Local"]["verbatim_path"]
    row = finding["locations"][0]["concrete"]["location"]["start_point"]["row"] + 1
    return f"{finding['ident']} ({finding['determinations']['severity']}) at {where}:{row}"


@pytest.fixture(scope="module")
def deploy(synth: Synth) -> dict[str, Any]:
    return load_workflow(synth.workflow_path.read_text())


def test_zizmor_finds_nothing_high_or_medium(zizmor_findings: list[dict[str, Any]]) -> None:
    serious = [describe(f) for f in zizmor_findings if f["determinations"]["severity"] in ("High", "Medium")]
    assert serious == [], "fix these in the workflow (or deployment/github_pipeline.py for deploy.yml)"


def test_zizmor_findings_are_only_the_pinned_cdk_cli_installs(zizmor_findings: list[dict[str, Any]]) -> None:
    findings = {
        (
            f["ident"],
            f["determinations"]["severity"],
            *sorted(
                {
                    command
                    for location in f["locations"]
                    for command in re.findall(r"npm install [^\n]*", location["concrete"]["feature"] or "")
                }
            ),
        )
        for f in zizmor_findings
    }
    assert findings == {("adhoc-packages", "Low", f"npm install --global aws-cdk@{CDK_CLI_VERSION}")}
    # The synth job, each target's base stack's job, and one matrix job per target.
    assert len(zizmor_findings) == 7


def test_every_zizmor_suppression_says_why() -> None:
    config = yaml.safe_load(ZIZMOR_CONFIG.read_text())
    lines = ZIZMOR_CONFIG.read_text().splitlines()
    for rule in config["rules"]:
        index = next(i for i, line in enumerate(lines) if line.strip() == f"{rule}:")
        assert lines[index - 1].strip().startswith("#"), f"{ZIZMOR_CONFIG}: rule {rule!r} has no reason above it"
    assert config == {"rules": {}}


@pytest.mark.parametrize("workflow", ["deploy.yml", "checks.yml"])
def test_workflow_is_valid_against_githubs_schema(workflows: Path, workflow: str) -> None:
    completed = run_tool(
        str(VENV_BIN / "check-jsonschema"),
        "--output-format",
        "json",
        "--builtin-schema",
        "vendor.github-workflows",
        str(workflows / workflow),
    )
    report = json.loads(completed.stdout)
    assert (report["status"], report["errors"], report.get("parse_errors", [])) == ("ok", [], [])


@pytest.mark.parametrize("workflow", ["deploy.yml", "checks.yml"])
def test_every_action_is_pinned_to_a_release_commit_named_in_a_comment(workflows: Path, workflow: str) -> None:
    uses = [line.strip() for line in (workflows / workflow).read_text().splitlines() if "uses:" in line]
    assert uses, f"{workflow} uses no action"
    for line in uses:
        match = re.fullmatch(
            r"(- )?uses: (?P<action>[\w.-]+/[\w.-]+)@(?P<sha>[0-9a-f]{40}) # (?P<version>v[\d.]+)", line
        )
        assert match is not None, f"{workflow}: {line!r} is not `uses: owner/repo@<40-hex sha> # vX.Y.Z`"
        pin = PINNED_ACTIONS[match["action"]]
        assert (match["sha"], match["version"]) == (pin.sha, pin.version), f"{workflow}: {line!r}"


def test_deploy_runs_on_push_to_the_configured_branch_and_by_hand(deploy: dict[str, Any]) -> None:
    assert deploy["on"] == {
        "push": {"branches": ["main"]},
        "workflow_dispatch": {
            "inputs": {
                "all": {
                    "description": "Deploy every stack, not only those changed by the last commit",
                    "type": "boolean",
                    "default": False,
                }
            }
        },
    }
    assert deploy["concurrency"] == {"group": "deploy", "cancel-in-progress": False}


SHARED_BASE, SHARED_MODELS = "ModelOps-SharedServices-SharedServices-Deploy", "ModelOps-SharedServices-Models-Deploy"
QA_BASE, QA_MODELS = "ModelOps-qa-Environment-Deploy", "ModelOps-qa-Models-Deploy"
PROD_BASE, PROD_MODELS = "ModelOps-prod-Environment-Deploy", "ModelOps-prod-Models-Deploy"


def run_if(target: str, what: str) -> str:
    return (
        "${{ !cancelled() && needs.Build-Synth.result == 'success' && !contains(needs.*.result, 'failure') "
        f"&& !contains(needs.*.result, 'cancelled') && fromJSON(needs.Build-Synth.outputs.plan)['{target}'].{what} }}}}"
    )


def test_deploy_jobs_follow_the_chain_each_after_every_one_before(deploy: dict[str, Any]) -> None:
    """Each job waits for every earlier one, so that it sees a failure anywhere before it, even behind a skip."""
    needs = {job_id: job.get("needs", []) for job_id, job in deploy["jobs"].items()}
    assert needs == {
        "Build-Synth": [],
        SHARED_BASE: ["Build-Synth"],
        SHARED_MODELS: ["Build-Synth", SHARED_BASE],
        QA_BASE: ["Build-Synth", SHARED_BASE, SHARED_MODELS],
        QA_MODELS: ["Build-Synth", SHARED_BASE, SHARED_MODELS, QA_BASE],
        PROD_BASE: ["Build-Synth", SHARED_BASE, SHARED_MODELS, QA_BASE, QA_MODELS],
        PROD_MODELS: ["Build-Synth", SHARED_BASE, SHARED_MODELS, QA_BASE, QA_MODELS, PROD_BASE],
    }


def test_a_job_runs_only_when_the_plan_has_work_for_it_and_nothing_before_failed(deploy: dict[str, Any]) -> None:
    conditions = {job_id: job.get("if") for job_id, job in deploy["jobs"].items()}
    assert conditions == {
        "Build-Synth": None,
        SHARED_BASE: run_if("shared-services", "base"),
        SHARED_MODELS: run_if("shared-services", "models"),
        QA_BASE: run_if("qa", "base"),
        QA_MODELS: run_if("qa", "models"),
        PROD_BASE: run_if("prod", "base"),
        PROD_MODELS: run_if("prod", "models"),
    }


def test_matrix_jobs_run_the_plans_batches_and_a_failed_batch_stops_no_other(deploy: dict[str, Any]) -> None:
    strategies = {job_id: job.get("strategy") for job_id, job in deploy["jobs"].items()}
    assert strategies == {
        "Build-Synth": None,
        SHARED_BASE: None,
        QA_BASE: None,
        PROD_BASE: None,
        **{
            job_id: {
                "fail-fast": False,
                "matrix": {"batch": f"${{{{ fromJSON(needs.Build-Synth.outputs.plan)['{target}'].batches }}}}"},
            }
            for job_id, target in ((SHARED_MODELS, "shared-services"), (QA_MODELS, "qa"), (PROD_MODELS, "prod"))
        },
    }
    assert deploy["jobs"]["Build-Synth"]["outputs"] == {
        "plan": "${{ steps.Plan.outputs.plan }}",
        "changed_from": "${{ steps.Plan.outputs.changed_from }}",
    }


def test_each_deploy_job_runs_in_its_targets_environment_with_its_targets_role(
    deploy: dict[str, Any],
) -> None:
    placement = {}
    for job_id, job in deploy["jobs"].items():
        roles = [
            step["with"]["role-to-assume"] for step in job["steps"] if step.get("name") == "Authenticate Via OIDC Role"
        ]
        placement[job_id] = (job.get("environment"), roles)
    assert placement == {
        "Build-Synth": (None, []),
        SHARED_BASE: ("shared-services", [DEPLOY_ROLE.format("shared-services")]),
        SHARED_MODELS: ("shared-services", [DEPLOY_ROLE.format("shared-services")]),
        QA_BASE: ("qa", [DEPLOY_ROLE.format("qa")]),
        QA_MODELS: ("qa", [DEPLOY_ROLE.format("qa")]),
        PROD_BASE: ("prod", [DEPLOY_ROLE.format("prod")]),
        PROD_MODELS: ("prod", [DEPLOY_ROLE.format("prod")]),
    }


def test_the_base_stacks_job_publishes_its_own_stacks_assets_then_deploys_with_that_accounts_cdk_roles(
    deploy: dict[str, Any],
) -> None:
    job = deploy["jobs"][SHARED_BASE]
    assert [step.get("name", step.get("id")) for step in job["steps"]] == [
        "Download cdk.out",
        "Set up Node",
        "Install the CDK CLI",
        "Authenticate Via OIDC Role",
        "Publish assets",
        "Locate the template",
        "Assume CDK Deploy Role",
        "Deploy",
    ]
    steps = {step.get("name", step.get("id")): step for step in job["steps"]}
    assert steps["Publish assets"]["run"] == (
        "cdk publish-assets --unstable=publish-assets --no-notices --app cdk.out "
        "--exclusively ModelOps-SharedServices/SharedServices"
    )
    assert steps["Assume CDK Deploy Role"]["with"]["role-to-assume"] == (
        "arn:aws:iam::111111111111:role/cdk-hnb659fds-deploy-role-111111111111-eu-west-1"
    )
    deploy_with = steps["Deploy"]["with"]
    assert (
        deploy_with["role-arn"] == "arn:aws:iam::111111111111:role/cdk-hnb659fds-cfn-exec-role-111111111111-eu-west-1"
    )
    assert deploy_with["template"] == "${{ steps.TemplateUrl.outputs.url }}"
    assert (deploy_with["name"], deploy_with["capabilities"]) == (
        "ModelOps-SharedServices-SharedServices",
        "CAPABILITY_NAMED_IAM",
    )


@pytest.mark.parametrize(("job_id", "artifact"), [(SHARED_BASE, "ModelOpsSharedServices425A36BC")])
def test_deploy_job_finds_the_template_cloudformation_must_deploy(
    deploy: dict[str, Any], synth: Synth, tmp_path: Path, job_id: str, artifact: str
) -> None:
    (step,) = [step for step in deploy["jobs"][job_id]["steps"] if step.get("id") == "TemplateUrl"]
    output = tmp_path / "github-output"
    completed = subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=synth.workdir,
        env={"PATH": os.environ["PATH"], "GITHUB_OUTPUT": str(output)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    # The URL the assembly records for the stack's template (s3://bucket/key), as an HTTPS URL.
    manifests = list(synth.outdir.glob(f"assembly-*/{artifact}.template.json"))
    assembly = json.loads((manifests[0].parent / "manifest.json").read_text())
    bucket, key = assembly["artifacts"][artifact]["properties"]["stackTemplateAssetObjectUrl"][5:].split("/", 1)
    assert output.read_text() == f"url=https://{bucket}.s3.eu-west-1.amazonaws.com/{key}\n"


def test_only_jobs_that_assume_a_role_may_request_an_oidc_token(deploy: dict[str, Any]) -> None:
    assert deploy["permissions"] == {}
    assert {job_id: job["permissions"] for job_id, job in deploy["jobs"].items()} == {
        "Build-Synth": {"contents": "read", "actions": "read"},  # reads the GitHub settings back
        SHARED_BASE: {"contents": "read", "id-token": "write"},
        SHARED_MODELS: {"contents": "read", "id-token": "write"},
        QA_BASE: {"contents": "read", "id-token": "write"},
        QA_MODELS: {"contents": "read", "id-token": "write"},
        PROD_BASE: {"contents": "read", "id-token": "write"},
        PROD_MODELS: {"contents": "read", "id-token": "write"},
    }


def test_checks_workflow_may_only_read_the_repository() -> None:
    checks = load_workflow((WORKFLOWS / "checks.yml").read_text())
    assert checks["permissions"] == {"contents": "read"}
    # The gates job reads AWS through OIDC (tests/test_verifier_role.py); the others inherit `contents: read`.
    assert [job.get("permissions") for job in checks["jobs"].values()] == [
        None,
        None,
        {"contents": "read", "id-token": "write"},
    ]
    assert checks["on"] == {"pull_request": {"branches": ["main"]}}


@pytest.mark.parametrize("workflow", ["deploy.yml", "checks.yml"])
def test_no_checkout_leaves_the_token_behind_and_no_node_setup_caches(workflow: str, synth: Synth) -> None:
    path = synth.workflow_path if workflow == "deploy.yml" else WORKFLOWS / workflow
    steps = [step for job in load_workflow(path.read_text())["jobs"].values() for step in job["steps"]]
    checkouts = [step["with"] for step in steps if step.get("uses", "").startswith("actions/checkout@")]
    node_setups = [step["with"] for step in steps if step.get("uses", "").startswith("actions/setup-node@")]
    assert checkouts
    assert node_setups
    # fetch-depth 0 only where a job diffs against an earlier commit (checks.yml `gates`; in deploy.yml the synth
    # job's plan, and the environments' `verify --changed-from`).
    assert all(
        with_ in ({"persist-credentials": False}, {"persist-credentials": False, "fetch-depth": 0})
        for with_ in checkouts
    )
    assert all(with_ == {"node-version": "22", "package-manager-cache": False} for with_ in node_setups)


def test_cdk_cli_is_installed_at_the_version_the_makefile_pins(synth: Synth) -> None:
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert f"CDK_CLI_VERSION := {CDK_CLI_VERSION}\n" in makefile
    installs = re.findall(r"npm install [^\n]*", synth.workflow_path.read_text())
    assert installs == [f"npm install --global aws-cdk@{CDK_CLI_VERSION}"] * 7


def test_credentials_last_the_hour_iam_allows_a_chained_role(deploy: dict[str, Any]) -> None:
    durations = [
        step["with"]["role-duration-seconds"]
        for job in deploy["jobs"].values()
        for step in job["steps"]
        if step.get("uses", "").startswith("aws-actions/configure-aws-credentials@")
    ]
    # A base stack's job: the target's OIDC role, then the CDK deploy role chained from it (2 each for shared
    # services, qa and prod). A matrix job: the OIDC role (the CDK CLI chains the CDK roles itself), and in an
    # environment once more for the post-deploy step (1 for shared services, 2 each for qa and prod).
    assert durations == [3600] * 11


def test_deploy_jobs_run_on_a_fixed_runner_image(deploy: dict[str, Any]) -> None:
    assert {job["runs-on"] for job in deploy["jobs"].values()} == {"ubuntu-24.04"}
