"""The read-only path of `modelops verify`: pull-request checks reach the registry, the live records and the
history through `modelops-github-verify` (deployment account, GitHub OIDC, pull_request subject only) and
then `modelops-verifier` (shared services), which can read what the gates need and change nothing. The
environment deploy roles reach the same verifier for their pre-deploy gate check.

Expected documents are written out in full for the two_env test organisation (shared 111111111111, deployment
333333333333, eu-west-1, chain qa -> prod, churn-model).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from accounts import naming
from accounts.config import OrgConfig
from deployment import ci_settings
from deployment.ci_settings import verify_settings
from tests.conftest import REPO_ROOT, Synth

SHARED = "ModelOps-SharedServices/SharedServices"
ROLES_STACK = "ModelOps-DeploymentRoles"
VERIFIER = "arn:aws:iam::111111111111:role/modelops-verifier"
GITHUB_VERIFY = "arn:aws:iam::333333333333:role/modelops-github-verify"
ASSUME = ["sts:AssumeRole", "sts:SetSourceIdentity"]
SSM = "arn:aws:ssm:eu-west-1:111111111111:parameter/modelops/models/*"
WRITE_VERBS = ("Put", "Update", "Create", "Delete")


def load_workflow(text: str) -> dict[str, Any]:
    """A workflow as GitHub reads it: YAML 1.1 would turn the `on:` key into True."""
    loaded: dict[Any, Any] = yaml.safe_load(text)
    loaded["on"] = loaded.pop(True, loaded.get("on"))
    return {str(key): value for key, value in loaded.items()}


def roles_of(synth: Synth, stack: str) -> dict[str, dict[str, Any]]:
    resources = synth.template_json(stack)["Resources"]
    return {r["Properties"]["RoleName"]: r["Properties"] for r in resources.values() if r["Type"] == "AWS::IAM::Role"}


def sso_trust(sid: str, permission_set: str) -> dict[str, Any]:
    return {
        "Sid": sid,
        "Action": ASSUME,
        "Condition": {
            "ArnLike": {
                "aws:PrincipalArn": [
                    "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/"
                    f"AWSReservedSSO_{permission_set}_????????????????",
                    "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/"
                    f"*/AWSReservedSSO_{permission_set}_????????????????",
                ]
            }
        },
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
    }


@pytest.fixture(scope="module")
def verifier(synth: Synth) -> dict[str, Any]:
    return roles_of(synth, SHARED)["modelops-verifier"]


@pytest.fixture(scope="module")
def github_verify(synth: Synth) -> dict[str, Any]:
    return roles_of(synth, ROLES_STACK)["modelops-github-verify"]


@pytest.fixture(scope="module")
def gates_job() -> dict[str, Any]:
    checks = load_workflow((REPO_ROOT / ".github" / "workflows" / "checks.yml").read_text())
    job: dict[str, Any] = checks["jobs"]["gates"]
    return job


# -- modelops-verifier (shared services) ------------------------------------------------------------


def test_verifier_is_assumable_by_the_environment_deploy_roles_the_pr_checks_role_and_two_permission_sets(
    verifier: dict[str, Any],
) -> None:
    assert verifier["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Sid": "GitHubDeployRoles",
            "Action": ASSUME,
            "Effect": "Allow",
            "Principal": {
                "AWS": [
                    "arn:aws:iam::333333333333:role/modelops-github-deploy-prod",
                    "arn:aws:iam::333333333333:role/modelops-github-deploy-qa",
                ]
            },
        },
        {
            "Sid": "GitHubPullRequestChecks",
            "Action": ASSUME,
            "Effect": "Allow",
            "Principal": {"AWS": GITHUB_VERIFY},
        },
        sso_trust("PlatformPermissionSet", "ModelOpsPlatform"),
        sso_trust("ApproversPermissionSet", "ModelOpsApprover"),
    ]


def test_verifier_reads_the_registry_the_live_records_the_ledger_and_the_soak_alarms_and_nothing_else(
    verifier: dict[str, Any],
) -> None:
    assert verifier["Policies"] == [
        {
            "PolicyName": "modelops-verifier",
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "ReadRegistry",
                        "Action": [
                            "sagemaker:DescribeModelPackage",
                            "sagemaker:DescribeModelPackageGroup",
                            "sagemaker:ListModelPackages",
                        ],
                        "Effect": "Allow",
                        "Resource": [
                            "arn:aws:sagemaker:eu-west-1:111111111111:model-package-group/*",
                            "arn:aws:sagemaker:eu-west-1:111111111111:model-package/*/*",
                        ],
                    },
                    {
                        # HeadObject: the content gate's current version id (no KMS key: no bytes).
                        "Sid": "ReadArtifactVersions",
                        "Action": "s3:GetObject",
                        "Effect": "Allow",
                        "Resource": "arn:aws:s3:::modelops-artifacts-111111111111-eu-west-1/artifacts/*/*",
                    },
                    # The metric gates read evaluation reports (the registered S3 version); model artifacts
                    # stay undecryptable.
                    {
                        "Sid": "ReadEvaluationReportVersions",
                        "Action": "s3:GetObjectVersion",
                        "Effect": "Allow",
                        "Resource": (
                            "arn:aws:s3:::modelops-artifacts-111111111111-eu-west-1/artifacts/*/*/evaluation.json"
                        ),
                    },
                    {
                        "Sid": "DecryptEvaluationReports",
                        "Action": "kms:Decrypt",
                        "Condition": {
                            "StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"},
                            "StringLike": {
                                "kms:EncryptionContext:aws:s3:arn": (
                                    "arn:aws:s3:::modelops-artifacts-111111111111-eu-west-1/artifacts/*/evaluation.json"
                                )
                            },
                            "ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/modelops-artifacts"},
                        },
                        "Effect": "Allow",
                        "Resource": "arn:aws:kms:eu-west-1:111111111111:key/*",
                    },
                    {
                        "Sid": "ReadLiveVersions",
                        "Action": ["ssm:GetParameter", "ssm:GetParameters"],
                        "Effect": "Allow",
                        "Resource": [f"{SSM}/live/prod", f"{SSM}/live/qa"],
                    },
                    {
                        "Sid": "ReadLedger",
                        "Action": "dynamodb:Query",
                        "Condition": {
                            "ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["*/*"]},
                            "Null": {"dynamodb:LeadingKeys": "false"},
                        },
                        "Effect": "Allow",
                        "Resource": "arn:aws:dynamodb:eu-west-1:111111111111:table/modelops-ledger",
                    },
                    {
                        "Sid": "UseLedgerKeyThroughDynamoDB",
                        "Action": ["kms:Decrypt", "kms:DescribeKey"],
                        "Condition": {
                            "ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/modelops-approval"},
                            "StringEquals": {"kms:ViaService": "dynamodb.eu-west-1.amazonaws.com"},
                        },
                        "Effect": "Allow",
                        "Resource": "arn:aws:kms:eu-west-1:111111111111:key/*",
                    },
                    {
                        # The soak gate reads qa's alarms before prod, through qa's read-only soak reader.
                        "Sid": "ReadSoakAlarms",
                        "Action": "sts:AssumeRole",
                        "Effect": "Allow",
                        "Resource": "arn:aws:iam::444444444444:role/modelops-soak-reader",
                    },
                ],
            },
        }
    ]


def test_verifier_reads_the_registry_exactly_as_the_promoter_does(synth: Synth, verifier: dict[str, Any]) -> None:
    promoter = roles_of(synth, SHARED)["modelops-promoter"]

    def read_registry(role: dict[str, Any]) -> list[dict[str, Any]]:
        statements = role["Policies"][0]["PolicyDocument"]["Statement"]
        return [s for s in statements if s["Sid"] == "ReadRegistry"]

    assert read_registry(verifier) == read_registry(promoter)
    assert len(read_registry(verifier)) == 1


def test_no_verifier_action_writes(verifier: dict[str, Any]) -> None:
    actions = [
        action
        for policy in verifier["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    ]
    writes = [action for action in actions if action.split(":", 1)[1].startswith(WRITE_VERBS) or "*" in action]
    assert actions
    assert writes == []
    assert {s["Effect"] for p in verifier["Policies"] for s in p["PolicyDocument"]["Statement"]} == {"Allow"}


# -- modelops-github-verify (deployment account) ----------------------------------------------------


def test_pr_checks_role_trusts_only_pull_request_jobs_of_this_repositorys_checks_yml(
    github_verify: dict[str, Any],
) -> None:
    assert github_verify["AssumeRolePolicyDocument"] == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": {"Fn::GetAtt": ["GitHubProvider", "Arn"]}},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                    # A pull request's number is the one part left open; the role reaches only the verifier.
                    "StringLike": {
                        "token.actions.githubusercontent.com:sub": "repo:example-org/modelops:pull_request:"
                        "job_workflow_ref:example-org/modelops/.github/workflows/checks.yml@refs/pull/*/merge"
                    },
                },
            }
        ],
    }
    assert github_verify["MaxSessionDuration"] == 3600


def test_pr_checks_role_may_assume_only_the_verifier(github_verify: dict[str, Any]) -> None:
    assert github_verify["Policies"] == [
        {
            "PolicyName": "AssumeVerifier",
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {"Sid": "AssumeVerifier", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": VERIFIER}
                ],
            },
        }
    ]


@pytest.mark.parametrize(("target", "may_assume"), [("shared-services", False), ("qa", True), ("prod", True)])
def test_environment_deploy_roles_may_assume_the_verifier_for_their_pre_deploy_gate_check(
    synth: Synth, target: str, may_assume: bool
) -> None:
    role = roles_of(synth, ROLES_STACK)[f"modelops-github-deploy-{target}"]
    (statement,) = role["Policies"][0]["PolicyDocument"]["Statement"]
    assert (statement["Action"], VERIFIER in statement["Resource"]) == ("sts:AssumeRole", may_assume)


def test_the_names_the_cli_and_the_workflow_use_are_the_roles_deployed(synth: Synth, config: OrgConfig) -> None:
    assert (naming.verifier_role_arn(config), naming.github_verify_role_arn(config)) == (VERIFIER, GITHUB_VERIFY)
    assert synth.stacks[SHARED].account == "111111111111"
    assert synth.stacks[ROLES_STACK].account == "333333333333"


# -- .github/workflows/checks.yml `gates` -----------------------------------------------------------
# The same file serves every fork: it reads the region and the verify role from the base branch's accounts.yaml.


def test_gates_job_reads_the_organisation_from_the_base_branch_then_checks_the_changed_manifests(
    gates_job: dict[str, Any],
) -> None:
    assert gates_job["steps"][2:] == [
        {
            "name": "Install modelops",
            "run": "pip install -r requirements.lock && pip install --no-deps -e .",
        },
        {
            "name": "Read the organisation",
            "id": "organisation",
            "env": {"BASE_REF": "${{ github.base_ref }}"},
            "run": 'git show "origin/$BASE_REF:accounts/accounts.yaml" > "$RUNNER_TEMP/accounts.yaml"\n'
            'python -m deployment.ci_settings verify "$RUNNER_TEMP/accounts.yaml" >> "$GITHUB_OUTPUT"\n',
        },
        {
            "name": "Authenticate Via OIDC Role",
            "uses": "aws-actions/configure-aws-credentials@e6de054238d6b7531b4efff3b6587d9aade6a06c",
            "with": {
                "aws-region": "${{ steps.organisation.outputs.region }}",
                "role-to-assume": "${{ steps.organisation.outputs.role }}",
                "role-session-name": "verify-${{ github.run_id }}",
                "role-duration-seconds": 900,
            },
        },
        {
            "name": "Check the gates of the changed manifests",
            "env": {"BASE_REF": "${{ github.base_ref }}"},
            "run": 'modelops verify --changed-from "origin/$BASE_REF"',
        },
    ]


def test_the_gates_job_settings_are_the_region_and_verify_role_of_the_organisation(
    config: OrgConfig, tmp_path: Path
) -> None:
    path = tmp_path / "accounts.yaml"
    path.write_text(yaml.safe_dump(config.model_dump(mode="json", exclude_none=True)))
    assert verify_settings(path) == ("region=eu-west-1\nrole=arn:aws:iam::333333333333:role/modelops-github-verify\n")


def test_a_bad_organisation_file_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "accounts.yaml"
    path.write_text("organization: [\n")
    assert ci_settings.main(["verify", str(path)]) == 2
    err = capsys.readouterr().err
    assert (err.count("\n"), err.startswith(f"error: {path}")) == (1, True)


def test_gates_job_alone_may_request_an_oidc_token(gates_job: dict[str, Any]) -> None:
    assert gates_job["permissions"] == {"contents": "read", "id-token": "write"}
    assert "environment" not in gates_job  # an environment would change the OIDC subject the role trusts


def test_gates_job_authenticates_with_the_same_pinned_action_as_the_deploy_jobs(
    synth: Synth, gates_job: dict[str, Any]
) -> None:
    deploy = load_workflow(synth.workflow_path.read_text())
    deploy_pins = {
        step["uses"]
        for job in deploy["jobs"].values()
        for step in job["steps"]
        if step.get("uses", "").startswith("aws-actions/configure-aws-credentials@")
    }
    gates_pins = {
        step["uses"]
        for step in gates_job["steps"]
        if step.get("uses", "").startswith("aws-actions/configure-aws-credentials@")
    }
    assert (
        gates_pins == deploy_pins == {"aws-actions/configure-aws-credentials@e6de054238d6b7531b4efff3b6587d9aade6a06c"}
    )
