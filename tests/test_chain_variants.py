"""Any promotion chain works: the four_env test organisation (dev -> test -> uat -> prod, churn-model live in
dev and test) synthesizes, and the workflow, the OIDC roles, the endpoints and CODEOWNERS follow it."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from accounts.config import OrgConfig
from deployment.codeowners import render_codeowners
from policies.iam.cloudformation.reader import load_deployment
from policies.proof.invariants import INVARIANTS, Governance
from policies.proof.universe import build_universe
from tests.conftest import Synth, synthesize
from tests.orgs import load_org, workloads_root
from tests.untraced import untraced

CHAIN = [("dev", "666666666666"), ("test", "777777777777"), ("uat", "888888888888"), ("prod", "999999999999")]


@pytest.fixture(scope="module")
def four_stage_config() -> OrgConfig:
    return load_org("four_env")


@pytest.fixture(scope="module")
def four_stage(four_stage_config: OrgConfig, tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synthesize(four_stage_config, tmp_path_factory.mktemp("synth-four-stage"), workloads_root("four_env"))


@pytest.fixture(scope="module")
def workflow(four_stage: Synth) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(four_stage.workflow_path.read_text())
    return loaded


def test_every_environment_of_the_chain_has_its_environment_stack_and_a_stack_per_endpoint(four_stage: Synth) -> None:
    workload = {
        path: stack.account
        for path, stack in four_stage.stacks.items()
        if path.endswith("/Environment") or "/Endpoint-" in path
    }
    assert workload == {
        **{f"ModelOps-{name}/Environment": account for name, account in CHAIN},
        "ModelOps-dev/Endpoint-churn-model": "666666666666",
        "ModelOps-test/Endpoint-churn-model": "777777777777",
    }


def test_only_the_environments_with_a_manifest_run_an_endpoint_each_of_its_pinned_version(four_stage: Synth) -> None:
    pinned = {
        name: [
            body["Properties"]["PrimaryContainer"]["ModelPackageName"]
            for path in four_stage.stacks
            if path.startswith(f"ModelOps-{name}/Endpoint-")
            for body in four_stage.template(path).find_resources("AWS::SageMaker::Model").values()
        ]
        for name, _ in CHAIN
    }
    assert pinned == {
        "dev": ["arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-model/3"],
        "test": ["arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-model/2"],
        "uat": [],
        "prod": [],
    }


def test_workflow_deploys_shared_services_then_the_chain_in_order(workflow: dict[str, Any]) -> None:
    """Each deploy job waits for every earlier one: shared services, then each environment of the chain in order,
    each target's base stack before its per-model stacks."""
    waits_for = {
        job_id: [dep for dep in job.get("needs", []) if dep != "Build-Synth"]
        for job_id, job in workflow["jobs"].items()
        if job_id != "Build-Synth"
    }
    order = sorted(waits_for, key=lambda job_id: len(waits_for[job_id]))
    assert [waits_for[job_id] for job_id in order] == [order[:index] for index in range(len(order))]
    assert [workflow["jobs"][job_id]["environment"] for job_id in order] == [
        "shared-services",
        "shared-services",
        "dev",
        "dev",
        "test",
        "test",
        "uat",
        "uat",
        "prod",
        "prod",
    ]


def test_each_job_assumes_its_own_environments_role(workflow: dict[str, Any]) -> None:
    roles = {
        job["environment"]: step["with"]["role-to-assume"]
        for job in workflow["jobs"].values()
        for step in job["steps"]
        if step.get("name") == "Authenticate Via OIDC Role"
    }
    assert roles == {
        target: f"arn:aws:iam::333333333333:role/modelops-github-deploy-{target}"
        for target in ["shared-services", "dev", "test", "uat", "prod"]
    }


def test_deployment_account_has_a_role_per_target_of_the_chain(four_stage: Synth) -> None:
    resources = four_stage.template_json("ModelOps-DeploymentRoles")["Resources"]
    assert isinstance(resources, dict)
    subjects = {
        r["Properties"]["RoleName"]: {
            operator: test["token.actions.githubusercontent.com:sub"]
            for operator, test in r["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Condition"].items()
            if "token.actions.githubusercontent.com:sub" in test
        }
        for r in resources.values()
        if r["Type"] == "AWS::IAM::Role"
    }
    workflows = "job_workflow_ref:example-org/modelops/.github/workflows"
    assert subjects == {
        **{
            f"modelops-github-deploy-{target}": {
                "StringEquals": f"repo:example-org/modelops:environment:{target}:{workflows}/deploy.yml@refs/heads/main"
            }
            for target in ["shared-services", "dev", "test", "uat", "prod"]
        },
        "modelops-github-promote": {
            "StringEquals": f"repo:example-org/modelops:environment:promotion:{workflows}/promote.yml@refs/heads/main"
        },
        "modelops-github-verify": {
            "StringLike": f"repo:example-org/modelops:pull_request:{workflows}/checks.yml@refs/pull/*/merge"
        },
    }


def test_codeowners_gives_each_environment_its_approvers(four_stage_config: OrgConfig) -> None:
    lines = render_codeowners(four_stage_config).splitlines()
    assert [line.split() for line in lines if line.startswith("/workloads/")] == [
        ["/workloads/dev/", "@example-org/ml-leads"],
        ["/workloads/test/", "@example-org/ml-leads"],
        ["/workloads/uat/", "@example-org/model-risk"],
        ["/workloads/prod/", "@example-org/model-risk"],
    ]


def test_the_governance_invariants_hold_over_four_environments_with_outsiders_outside_them(
    four_stage_config: OrgConfig, four_stage: Synth
) -> None:
    with untraced():  # the sweep's hot loops (tests/untraced.py)
        universe = build_universe(four_stage_config, load_deployment(four_stage.outdir))
        verdicts = Governance(universe).check()
    # The organisation uses 888888888888 and 999999999999, the proof's usual outsider accounts: it takes others.
    assert (universe.outside, [(v.name, v.violations) for v in verdicts]) == (
        ("555555555555", "444444444444"),
        [(invariant.name, []) for invariant in INVARIANTS],
    )
