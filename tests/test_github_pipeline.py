"""The GitHub Actions engine: synth writes one workflow, the OIDC roles trust exactly one repository
environment each and reach only their target's roles (the promotion role only the promoter), and the workflow
refuses to be generated from unpinned or unknown actions. (That the committed deploy.yml is what synth
generates is checked in tests/test_shipped_organisation.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from accounts.config import OrgConfig
from deployment.github_pipeline import StackTarget, secure_workflow
from deployment.workflow_patches import (
    Patch,
    WorkflowGenerationError,
    annotate_pins,
    diff_patches,
    pinned,
)
from tests.conftest import Synth

ROLES_STACK = "ModelOps-DeploymentRoles"
SHARED_STACK = "ModelOps-SharedServices/SharedServices"
PROMOTER = "arn:aws:iam::111111111111:role/modelops-promoter"
VERIFIER = "arn:aws:iam::111111111111:role/modelops-verifier"
CHECKOUT_SHA = "df4cb1c069e1874edd31b4311f1884172cec0e10"


def test_synth_writes_nothing_outside_its_outdir(synth: Synth) -> None:
    assert sorted(p.name for p in synth.workdir.iterdir()) == ["cdk.out"]
    assert synth.workflow_path.is_file()


def _roles(synth: Synth) -> dict[str, dict[str, object]]:
    resources = synth.template_json(ROLES_STACK)["Resources"]
    assert isinstance(resources, dict)
    return {
        props["RoleName"]: props
        for props in (r["Properties"] for r in resources.values() if r["Type"] == "AWS::IAM::Role")
    }


def test_deployment_account_has_the_github_oidc_provider_without_a_lambda(synth: Synth) -> None:
    resources = synth.template_json(ROLES_STACK)["Resources"]
    assert isinstance(resources, dict)
    assert sorted({r["Type"] for r in resources.values()}) == ["AWS::IAM::OIDCProvider", "AWS::IAM::Role"]
    providers = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::IAM::OIDCProvider"]
    assert providers == [{"ClientIdList": ["sts.amazonaws.com"], "Url": "https://token.actions.githubusercontent.com"}]
    assert synth.stacks[ROLES_STACK].account == "333333333333"


def test_one_deploy_role_per_target_and_one_promotion_role(synth: Synth) -> None:
    assert sorted(_roles(synth)) == [
        "modelops-github-deploy-prod",
        "modelops-github-deploy-qa",
        "modelops-github-deploy-shared-services",
        "modelops-github-promote",
        "modelops-github-verify",
    ]


@pytest.mark.parametrize("target", ["shared-services", "qa", "prod"])
def test_deploy_role_trusts_only_deploy_yml_on_the_pipeline_branch_in_the_targets_environment(
    synth: Synth, target: str
) -> None:
    role = _roles(synth)[f"modelops-github-deploy-{target}"]
    assert role["AssumeRolePolicyDocument"] == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": {"Fn::GetAtt": ["GitHubProvider", "Arn"]}},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                        "token.actions.githubusercontent.com:sub": (
                            f"repo:example-org/modelops:environment:{target}:job_workflow_ref:"
                            "example-org/modelops/.github/workflows/deploy.yml@refs/heads/main"
                        ),
                    }
                },
            }
        ],
    }
    assert role["MaxSessionDuration"] == 3600


@pytest.mark.parametrize(
    ("target", "account", "operator", "verifier"),
    [
        ("shared-services", "111111111111", [], []),
        # The environment's batch-inference role too (workloads/batch.py): the example job after the deploy.
        (
            "qa",
            "444444444444",
            ["operator", "batch-qa"],
            [VERIFIER, "arn:aws:iam::111111111111:role/modelops-recorder-qa"],
        ),
        (
            "prod",
            "555555555555",
            ["operator", "batch-prod"],
            [VERIFIER, "arn:aws:iam::111111111111:role/modelops-recorder-prod"],
        ),
    ],
)
def test_deploy_role_may_assume_only_its_targets_cdk_roles_operator_the_promoter_and_its_verifier_and_recorder(
    synth: Synth, target: str, account: str, operator: list[str], verifier: list[str]
) -> None:
    role = _roles(synth)[f"modelops-github-deploy-{target}"]
    cdk = [
        f"arn:aws:iam::{account}:role/cdk-hnb659fds-{kind}-role-{account}-eu-west-1"
        for kind in ("deploy", "file-publishing", "image-publishing", "lookup")
    ]
    assert role["Policies"] == [
        {
            "PolicyName": "AssumeTargetRoles",
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "AssumeTargetRoles",
                        "Effect": "Allow",
                        "Action": "sts:AssumeRole",
                        # Sorted, as the @aws-cdk/aws-iam:minimizePolicies feature flag writes them.
                        "Resource": sorted(
                            [
                                *cdk,
                                *[f"arn:aws:iam::{account}:role/modelops-{name}" for name in operator],
                                PROMOTER,
                                *verifier,
                            ]
                        ),
                    }
                ],
            },
        }
    ]


def test_promotion_role_trusts_only_promote_yml_on_the_default_branch_in_the_promotion_environment(
    synth: Synth,
) -> None:
    role = _roles(synth)["modelops-github-promote"]
    assert role["AssumeRolePolicyDocument"] == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": {"Fn::GetAtt": ["GitHubProvider", "Arn"]}},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                        "token.actions.githubusercontent.com:sub": (
                            "repo:example-org/modelops:environment:promotion:job_workflow_ref:"
                            "example-org/modelops/.github/workflows/promote.yml@refs/heads/main"
                        ),
                    }
                },
            }
        ],
    }
    assert role["MaxSessionDuration"] == 3600


def test_promotion_role_may_assume_only_the_promoter(synth: Synth) -> None:
    role = _roles(synth)["modelops-github-promote"]
    assert role["Policies"] == [
        {
            "PolicyName": "AssumePromoter",
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {"Sid": "AssumePromoter", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": PROMOTER}
                ],
            },
        }
    ]


def test_the_promoter_trusts_the_promotion_role_this_stack_creates(synth: Synth) -> None:
    """The shared-services trust names the role by ARN, so it must be exactly the role deployed here."""
    assert "modelops-github-promote" in _roles(synth)
    resources = synth.template_json(SHARED_STACK)["Resources"]
    assert isinstance(resources, dict)
    statements = [
        statement
        for r in resources.values()
        if r["Type"] == "AWS::IAM::Role" and r["Properties"]["RoleName"] == "modelops-promoter"
        for statement in r["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        if statement.get("Sid") == "GitHubPromotionWorkflow"
    ]
    account = synth.stacks[ROLES_STACK].account
    assert [s["Principal"] for s in statements] == [{"AWS": f"arn:aws:iam::{account}:role/modelops-github-promote"}]


def test_an_action_without_a_pin_is_refused() -> None:
    with pytest.raises(WorkflowGenerationError) as error:
        pinned("docker/login-action@v4")
    assert str(error.value) == (
        "uses: docker/login-action@v4: action 'docker/login-action' has no pinned commit; "
        "add it to PINNED_ACTIONS in deployment/workflow_patches.py"
    )


def test_a_library_upgrade_to_another_major_is_refused_until_the_pin_follows() -> None:
    with pytest.raises(WorkflowGenerationError) as error:
        pinned("actions/checkout@v7")
    assert str(error.value) == (
        "uses: actions/checkout@v7: the pinned commit is v6.0.3, expected the workflow to ask for v6; "
        "pin a v7 release in deployment/workflow_patches.py"
    )


def test_pinned_actions_carry_their_release_in_a_comment() -> None:
    text = f"    steps:\n      - uses: actions/checkout@{CHECKOUT_SHA}\n        with: {{}}"
    assert annotate_pins(text) == (
        f"    steps:\n      - uses: actions/checkout@{CHECKOUT_SHA} # v6.0.3\n        with: {{}}"
    )


def test_a_sha_that_is_not_the_pinned_one_is_refused() -> None:
    with pytest.raises(WorkflowGenerationError) as error:
        annotate_pins("      - uses: actions/checkout@" + "0" * 40)
    assert str(error.value) == (f"- uses: actions/checkout@{'0' * 40}: not the pinned commit {CHECKOUT_SHA} (v6.0.3)")


def test_a_new_top_level_key_is_patched_in_before_the_jobs() -> None:
    before = {"name": "deploy", "jobs": {"a": {"x": 1}, "b": {"x": 2}}}
    after = {"name": "deploy", "permissions": {}, "jobs": {"a": {"x": 1}}}
    assert diff_patches(before, after) == [
        Patch("add", "/permissions", {}),
        Patch("remove", "/jobs"),
        Patch("add", "/jobs", {"a": {"x": 1}}),
    ]


def test_changed_and_dropped_jobs_are_patched_one_job_at_a_time() -> None:
    before = {"name": "deploy", "jobs": {"a/b": {"x": 1}, "c": {"x": 2}, "d": {"x": 3}}}
    after = {"name": "deploy", "jobs": {"a/b": {"x": 9}, "d": {"x": 3}, "e": {}}}
    assert diff_patches(before, after) == [
        Patch("replace", "/jobs/a~1b", {"x": 9}),
        Patch("remove", "/jobs/c"),
        Patch("add", "/jobs/e", {}),
    ]


def test_jobs_added_between_others_are_patched_as_one_jobs_block_in_their_order() -> None:
    before = {"name": "deploy", "jobs": {"a": {"x": 1}, "b": {"x": 2}}}
    after = {"name": "deploy", "jobs": {"a": {"x": 1}, "a2": {"x": 3}, "b": {"x": 2}}}
    assert diff_patches(before, after) == [
        Patch("remove", "/jobs"),
        Patch("add", "/jobs", {"a": {"x": 1}, "a2": {"x": 3}, "b": {"x": 2}}),
    ]


def library_deploy_job(stage: str, stack_id: str, target: str, needs: list[str]) -> dict[str, Any]:
    """A deploy job as cdk-pipelines-github generates it for one stack."""
    return {
        "name": f"Deploy {stage}{stack_id}",
        "environment": target,
        "needs": needs,
        "permissions": {"contents": "read", "id-token": "write"},
        "runs-on": "ubuntu-latest",
        "steps": [
            {"name": "Authenticate Via OIDC Role", "uses": "aws-actions/configure-aws-credentials@v6", "with": {}},
            {"name": "Assume CDK Deploy Role", "uses": "aws-actions/configure-aws-credentials@v6", "with": {}},
            {
                "id": "Deploy",
                "uses": "aws-actions/aws-cloudformation-github-deploy@v2",
                "with": {"name": f"{stage}-{stack_id}", "template": "x"},
            },
        ],
    }


def stack_target(target: str, stage: str, stack_id: str) -> StackTarget:
    return StackTarget(target, f"{stage}/{stack_id}", f"assembly-{stage}/{stack_id}.assets.json", f"{stack_id}.json")


def test_split_stages_get_a_base_job_and_a_matrix_job_each_whatever_their_stacks(config: OrgConfig) -> None:
    """Stages split as issue 13 splits them (a base stack and a stack per model): the library's job per stack
    becomes one job for the base stack and one matrix job per target, each after every earlier one."""
    layout = [
        ("shared-services", "ModelOps-SharedServices", ["SharedServices", "Model-churn", "Model-fraud"]),
        ("qa", "ModelOps-qa", ["Environment", "Endpoint-churn", "Endpoint-fraud"]),
        ("prod", "ModelOps-prod", ["Environment"]),
    ]
    synth_job = {
        "name": "Synthesize",
        "permissions": {"contents": "write"},
        "runs-on": "ubuntu-latest",
        "steps": [
            {"name": "Checkout", "uses": "actions/checkout@v6"},
            {"name": "Install", "run": "pip install"},
            {"name": "Build", "run": "cdk synth --no-validation"},
        ],
    }
    jobs: dict[str, Any] = {"Build-Synth": synth_job}
    stacks: dict[str, StackTarget] = {}
    for target, stage, ids in layout:
        for stack_id in ids:
            jobs[f"{stage}-{stack_id}-Deploy"] = library_deploy_job(stage, stack_id, target, ["Build-Synth"])
            stacks[f"{stage}-{stack_id}"] = stack_target(target, stage, stack_id)
    generated = {"name": "deploy", "on": {"push": {}, "workflow_dispatch": {}}, "jobs": jobs}

    secured = secure_workflow(config, generated, stacks, [(target, stage) for target, stage, _ in layout])

    shape = {job_id: (job.get("environment"), job.get("needs", [])) for job_id, job in secured["jobs"].items()}
    assert shape == {
        "Build-Synth": (None, []),
        "ModelOps-SharedServices-SharedServices-Deploy": ("shared-services", ["Build-Synth"]),
        "ModelOps-SharedServices-Models-Deploy": (
            "shared-services",
            ["Build-Synth", "ModelOps-SharedServices-SharedServices-Deploy"],
        ),
        "ModelOps-qa-Environment-Deploy": (
            "qa",
            ["Build-Synth", "ModelOps-SharedServices-SharedServices-Deploy", "ModelOps-SharedServices-Models-Deploy"],
        ),
        "ModelOps-qa-Models-Deploy": (
            "qa",
            [
                "Build-Synth",
                "ModelOps-SharedServices-SharedServices-Deploy",
                "ModelOps-SharedServices-Models-Deploy",
                "ModelOps-qa-Environment-Deploy",
            ],
        ),
        "ModelOps-prod-Environment-Deploy": (
            "prod",
            [
                "Build-Synth",
                "ModelOps-SharedServices-SharedServices-Deploy",
                "ModelOps-SharedServices-Models-Deploy",
                "ModelOps-qa-Environment-Deploy",
                "ModelOps-qa-Models-Deploy",
            ],
        ),
        "ModelOps-prod-Models-Deploy": (
            "prod",
            [
                "Build-Synth",
                "ModelOps-SharedServices-SharedServices-Deploy",
                "ModelOps-SharedServices-Models-Deploy",
                "ModelOps-qa-Environment-Deploy",
                "ModelOps-qa-Models-Deploy",
                "ModelOps-prod-Environment-Deploy",
            ],
        ),
    }
    # An environment's base stack holds no model's endpoint: its job checks the gates and records nothing.
    base_steps = [
        step.get("name", step.get("id")) for step in secured["jobs"]["ModelOps-qa-Environment-Deploy"]["steps"]
    ]
    assert "Check the promotion gates" in base_steps
    assert [name for name in base_steps if "Record" in name or "post-deploy" in name] == []
    assert secured["jobs"]["ModelOps-qa-Environment-Deploy"]["if"] == (
        "${{ !cancelled() && needs.Build-Synth.result == 'success' && !contains(needs.*.result, 'failure') "
        "&& !contains(needs.*.result, 'cancelled') && fromJSON(needs.Build-Synth.outputs.plan)['qa'].base }}"
    )


def test_a_target_the_library_made_no_job_for_is_refused(config: OrgConfig) -> None:
    generated = {
        "name": "deploy",
        "on": {},
        "jobs": {
            "Build-Synth": {"name": "Synthesize", "steps": []},
            "ModelOps-qa-Environment-Deploy": library_deploy_job("ModelOps-qa", "Environment", "qa", ["Build-Synth"]),
        },
    }
    stacks = {"ModelOps-qa-Environment": stack_target("qa", "ModelOps-qa", "Environment")}

    with pytest.raises(WorkflowGenerationError) as error:
        secure_workflow(
            config, generated, stacks, [("shared-services", "ModelOps-SharedServices"), ("qa", "ModelOps-qa")]
        )

    assert str(error.value) == "target shared-services: the library generated no job for stage ModelOps-SharedServices"
