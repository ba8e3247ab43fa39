"""The custom checkov checks in policies/checkov_checks, each proven on a passing and a failing template.

Every case is a one-resource CloudFormation template; one checkov run covers all of them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.test_checkov import Results, run_checkov

CUSTOM_CHECK_IDS = ("CKV_MODELOPS_1", "CKV_MODELOPS_2", "CKV_MODELOPS_3", "CKV_MODELOPS_4")
GITHUB_PROVIDER = "arn:aws:iam::333333333333:oidc-provider/token.actions.githubusercontent.com"
ORG_ID = "o-a1b2c3d4e5"


def statement(effect: str = "Allow", **fields: Any) -> dict[str, Any]:
    return {"Effect": effect, **fields}


def document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def identity_policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {
        "Type": "AWS::IAM::Policy",
        "Properties": {"PolicyName": "p", "Roles": ["r"], "PolicyDocument": document(*statements)},
    }


def bucket_policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {"Bucket": "b", "PolicyDocument": document(*statements)},
    }


def topic_policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {
        "Type": "AWS::SNS::TopicPolicy",
        "Properties": {"Topics": ["t"], "PolicyDocument": document(*statements)},
    }


def rest_api(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "api", "Policy": document(*statements)}}


PUBLIC_PAGES: dict[str, Any] = {
    "Principal": {"AWS": "*"},
    "Action": "execute-api:Invoke",
    "Resource": "execute-api:/v1/GET/review",
}


def role(trust: dict[str, Any], inline: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    properties: dict[str, Any] = {"AssumeRolePolicyDocument": document(trust)}
    if inline is not None:
        properties["Policies"] = [{"PolicyName": "inline", "PolicyDocument": document(*inline)}]
    return {"Type": "AWS::IAM::Role", "Properties": properties}


def github_trust(condition: dict[str, Any] | None, federated: Any = GITHUB_PROVIDER) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "Principal": {"Federated": federated},
        "Action": "sts:AssumeRoleWithWebIdentity",
    }
    if condition is not None:
        fields["Condition"] = condition
    return role(statement(**fields))


def endpoint(deployment_config: dict[str, Any] | None) -> dict[str, Any]:
    properties: dict[str, Any] = {"EndpointConfigName": "config"}
    if deployment_config is not None:
        properties["DeploymentConfig"] = deployment_config
    return {"Type": "AWS::SageMaker::Endpoint", "Properties": properties}


def blue_green(routing: str, alarms: list[dict[str, str]] | None) -> dict[str, Any]:
    traffic: dict[str, Any] = {"Type": routing, "WaitIntervalInSeconds": 300}
    if routing == "CANARY":
        traffic["CanarySize"] = {"Type": "CAPACITY_PERCENT", "Value": 10}
    if routing == "LINEAR":
        traffic["LinearStepSize"] = {"Type": "CAPACITY_PERCENT", "Value": 25}
    config: dict[str, Any] = {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": traffic}}
    if alarms is not None:
        config["AutoRollbackConfiguration"] = {"Alarms": alarms}
    return config


TLS_DENY = statement(
    "Deny",
    Principal={"AWS": "*"},
    Action="s3:*",
    Resource="arn:aws:s3:::b/*",
    Condition={"Bool": {"aws:SecureTransport": "false"}},
)
PUBLISH = {"Action": "sns:Publish", "Resource": "arn:aws:sns:eu-west-1:111111111111:t"}
ALARMS = [{"AlarmName": "churn-5xx"}, {"AlarmName": "churn-latency"}]
SERVICE_TRUST = statement(Principal={"Service": "sagemaker.amazonaws.com"}, Action="sts:AssumeRole")

# case name -> (the template's one resource, the check it exercises, the expected result)
CASES: dict[str, tuple[dict[str, Any], str, str]] = {
    # CKV_MODELOPS_1: actions are named; partial wildcards such as s3:Get* are allowed
    "named_actions_pass": (
        identity_policy(statement(Action=["s3:GetObject", "s3:List*"], Resource="arn:aws:s3:::b/*")),
        "CKV_MODELOPS_1",
        "PASSED",
    ),
    "star_action_fails": (identity_policy(statement(Action="*", Resource="*")), "CKV_MODELOPS_1", "FAILED"),
    "service_wide_action_in_key_policy_fails": (
        {
            "Type": "AWS::KMS::Key",
            "Properties": {
                "EnableKeyRotation": True,
                "KeyPolicy": document(
                    statement(Principal={"AWS": "arn:aws:iam::111111111111:root"}, Action="kms:*", Resource="*")
                ),
            },
        },
        "CKV_MODELOPS_1",
        "FAILED",
    ),
    "service_wide_action_in_inline_role_policy_fails": (
        role(SERVICE_TRUST, inline=[statement(Action="logs:*", Resource="*")]),
        "CKV_MODELOPS_1",
        "FAILED",
    ),
    "not_action_allow_fails": (
        bucket_policy(statement(Principal={"AWS": "arn:aws:iam::1:root"}, NotAction="s3:Delete*", Resource="*")),
        "CKV_MODELOPS_1",
        "FAILED",
    ),
    "service_wide_deny_passes": (bucket_policy(TLS_DENY), "CKV_MODELOPS_1", "PASSED"),
    # CKV_MODELOPS_2: "*" principals in an Allow carry a positive scoping condition
    "tls_deny_with_star_principal_passes": (bucket_policy(TLS_DENY), "CKV_MODELOPS_2", "PASSED"),
    "star_principal_scoped_to_organisation_passes": (
        topic_policy(
            statement(Principal={"AWS": "*"}, Condition={"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}, **PUBLISH)
        ),
        "CKV_MODELOPS_2",
        "PASSED",
    ),
    "star_principal_without_condition_fails": (
        topic_policy(statement(Principal="*", **PUBLISH)),
        "CKV_MODELOPS_2",
        "FAILED",
    ),
    "star_principal_with_negated_condition_fails": (
        topic_policy(
            statement(
                Principal={"AWS": "*"},
                Condition={"StringNotEquals": {"aws:PrincipalOrgID": ORG_ID}},
                **PUBLISH,
            )
        ),
        "CKV_MODELOPS_2",
        "FAILED",
    ),
    "star_principal_with_if_exists_condition_fails": (
        topic_policy(
            statement(
                Principal={"AWS": "*"},
                Condition={"StringEqualsIfExists": {"aws:SourceAccount": "111111111111"}},
                **PUBLISH,
            )
        ),
        "CKV_MODELOPS_2",
        "FAILED",
    ),
    "star_principal_in_model_package_group_policy_fails": (
        {
            "Type": "AWS::SageMaker::ModelPackageGroup",
            "Properties": {
                "ModelPackageGroupName": "churn-model",
                "ModelPackageGroupPolicy": document(
                    statement(
                        Principal={"AWS": ["arn:aws:iam::444444444444:root", "*"]},
                        Action="sagemaker:Describe*",
                    )
                ),
            },
        },
        "CKV_MODELOPS_2",
        "FAILED",
    ),
    "star_principal_in_trust_policy_fails": (
        role(statement(Principal={"AWS": "*"}, Action="sts:AssumeRole")),
        "CKV_MODELOPS_2",
        "FAILED",
    ),
    "event_bus_policy_for_the_organisation_passes": (
        {
            "Type": "AWS::Events::EventBusPolicy",
            "Properties": {
                "StatementId": "org",
                "Statement": statement(
                    Principal="*",
                    Action="events:PutEvents",
                    Resource="arn:aws:events:eu-west-1:111111111111:event-bus/default",
                    Condition={"StringEquals": {"aws:PrincipalOrgID": ORG_ID}},
                ),
            },
        },
        "CKV_MODELOPS_2",
        "PASSED",
    ),
    "event_bus_policy_for_anyone_fails": (
        {
            "Type": "AWS::Events::EventBusPolicy",
            "Properties": {"StatementId": "all", "Action": "events:PutEvents", "Principal": "*"},
        },
        "CKV_MODELOPS_2",
        "FAILED",
    ),
    "lambda_permission_for_a_service_passes": (
        {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": "f",
                "Principal": "events.amazonaws.com",
                "SourceArn": "arn:aws:events:eu-west-1:111111111111:rule/r",
            },
        },
        "CKV_MODELOPS_2",
        "PASSED",
    ),
    "lambda_permission_for_anyone_fails": (
        {
            "Type": "AWS::Lambda::Permission",
            "Properties": {"Action": "lambda:InvokeFunction", "FunctionName": "f", "Principal": "*"},
        },
        "CKV_MODELOPS_2",
        "FAILED",
    ),
    "approval_api_public_pages_pass": (
        rest_api(statement(Sid="ReviewPagesArePublic", **PUBLIC_PAGES)),
        "CKV_MODELOPS_2",
        "PASSED",
    ),
    "approval_api_star_principal_under_another_sid_fails": (
        rest_api(statement(Sid="Everyone", **PUBLIC_PAGES)),
        "CKV_MODELOPS_2",
        "FAILED",
    ),
    "approval_api_public_pages_with_another_action_fails": (
        rest_api(
            statement(Sid="ReviewPagesArePublic", **{**PUBLIC_PAGES, "Action": ["execute-api:Invoke", "s3:GetObject"]})
        ),
        "CKV_MODELOPS_2",
        "FAILED",
    ),
    "public_pages_sid_on_a_topic_policy_fails": (
        topic_policy(statement(Sid="ReviewPagesArePublic", Principal="*", Action="execute-api:Invoke")),
        "CKV_MODELOPS_2",
        "FAILED",
    ),
    # CKV_MODELOPS_3: the GitHub OIDC trust pins aud and an exact sub
    "github_trust_pinned_to_environment_passes": (
        github_trust(
            {
                "StringEquals": {
                    "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                    "token.actions.githubusercontent.com:sub": "repo:acme/modelops:environment:qa",
                }
            }
        ),
        "CKV_MODELOPS_3",
        "PASSED",
    ),
    "github_trust_with_wildcard_sub_fails": (
        github_trust(
            {
                "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                "StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/modelops:*"},
            },
            federated={"Ref": "GitHubProvider"},
        ),
        "CKV_MODELOPS_3",
        "FAILED",
    ),
    "github_trust_pinned_to_workflow_file_and_branch_passes": (
        github_trust(
            {
                "StringEquals": {
                    "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                    "token.actions.githubusercontent.com:sub": "repo:acme/modelops:environment:qa:job_workflow_ref:"
                    "acme/modelops/.github/workflows/deploy.yml@refs/heads/main",
                }
            }
        ),
        "CKV_MODELOPS_3",
        "PASSED",
    ),
    "github_trust_open_only_in_the_pull_request_number_passes": (
        github_trust(
            {
                "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                "StringLike": {
                    "token.actions.githubusercontent.com:sub": "repo:acme/modelops:pull_request:job_workflow_ref:"
                    "acme/modelops/.github/workflows/checks.yml@refs/pull/*/merge"
                },
            }
        ),
        "CKV_MODELOPS_3",
        "PASSED",
    ),
    "github_trust_open_in_the_workflow_file_fails": (
        github_trust(
            {
                "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                "StringLike": {
                    "token.actions.githubusercontent.com:sub": "repo:acme/modelops:pull_request:job_workflow_ref:"
                    "acme/modelops/.github/workflows/*@refs/pull/*/merge"
                },
            }
        ),
        "CKV_MODELOPS_3",
        "FAILED",
    ),
    "github_trust_open_in_the_environment_fails": (
        github_trust(
            {
                "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                "StringLike": {
                    "token.actions.githubusercontent.com:sub": "repo:acme/modelops:environment:*:job_workflow_ref:"
                    "acme/modelops/.github/workflows/deploy.yml@refs/pull/*/merge"
                },
            }
        ),
        "CKV_MODELOPS_3",
        "FAILED",
    ),
    "github_trust_with_star_in_equals_sub_fails": (
        github_trust(
            {
                "StringEquals": {
                    "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                    "token.actions.githubusercontent.com:sub": ["repo:acme/*:environment:qa"],
                }
            }
        ),
        "CKV_MODELOPS_3",
        "FAILED",
    ),
    "github_trust_without_audience_fails": (
        github_trust(
            {"StringEquals": {"token.actions.githubusercontent.com:sub": "repo:acme/modelops:environment:qa"}}
        ),
        "CKV_MODELOPS_3",
        "FAILED",
    ),
    "web_identity_trust_without_conditions_fails": (
        github_trust(None, federated={"Ref": "GitHubProvider"}),
        "CKV_MODELOPS_3",
        "FAILED",
    ),
    "service_trust_passes": (role(SERVICE_TRUST), "CKV_MODELOPS_3", "PASSED"),
    # CKV_MODELOPS_4: endpoints deploy blue/green, canary or linear, with rollback alarms
    "canary_with_alarms_passes": (endpoint(blue_green("CANARY", ALARMS)), "CKV_MODELOPS_4", "PASSED"),
    "linear_with_alarms_passes": (endpoint(blue_green("LINEAR", ALARMS)), "CKV_MODELOPS_4", "PASSED"),
    "all_at_once_fails": (endpoint(blue_green("ALL_AT_ONCE", ALARMS)), "CKV_MODELOPS_4", "FAILED"),
    "canary_without_alarms_fails": (endpoint(blue_green("CANARY", None)), "CKV_MODELOPS_4", "FAILED"),
    "canary_with_empty_alarms_fails": (endpoint(blue_green("CANARY", [])), "CKV_MODELOPS_4", "FAILED"),
    "no_deployment_config_fails": (endpoint(None), "CKV_MODELOPS_4", "FAILED"),
}


@pytest.fixture(scope="module")
def results_by_case(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str], list[str]]:
    """Write every case as a template, run checkov once with only the custom checks, index the results."""
    directory = tmp_path_factory.mktemp("checkov-cases")
    files = []
    for name, (resource, _, _) in CASES.items():
        template = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"Subject": resource}}
        files.append(directory / f"{name}.json")
        files[-1].write_text(json.dumps(template, indent=1))
    results: Results = run_checkov(files, "--check", ",".join(CUSTOM_CHECK_IDS))
    assert results["parsing_errors"] == []

    def lookup(case: str, check_id: str) -> list[str]:
        return [
            result["check_result"]["result"]
            for key in ("passed_checks", "failed_checks")
            for result in results[key]
            if Path(result["file_abs_path"]).stem == case and result["check_id"] == check_id
        ]

    return lookup


@pytest.mark.parametrize(
    ("case", "check_id", "expected"),
    [(name, check_id, expected) for name, (_, check_id, expected) in CASES.items()],
    ids=list(CASES),
)
def test_each_custom_check_passes_and_fails_exactly_the_templates_it_should(
    results_by_case: Callable[[str, str], list[str]], case: str, check_id: str, expected: str
) -> None:
    assert results_by_case(case, check_id) == [expected]
