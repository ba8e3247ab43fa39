"""policies/cfn-execution-policy.json and cfn-execution-keys-policy.json, the CloudFormation execution
policies for workload accounts (`cdk bootstrap --cloudformation-execution-policies`), are valid managed
policies, name only real actions of the services the workload stacks (Environment, Endpoint-<model>) use,
scope and condition what AWS lets them, and together cover every resource type those stacks deploy."""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from policy_sentry.querying.actions import get_action_data

from accounts import naming
from policies.cfn_execution import CFN_EXECUTION_POLICIES, stack_requests
from policies.iam import Context, Policy, PolicyKind, Principal, Request, Resource, evaluate
from tests.conftest import Synth

ALLOWED_SERVICES = {"application-autoscaling", "cloudwatch", "iam", "kms", "s3", "sagemaker", "ssm"}
MANAGED_POLICY_MAX_CHARS = 6144  # IAM's limit, whitespace excluded
WORKLOAD_STACKS = [
    "ModelOps-qa/Environment",
    "ModelOps-qa/Endpoint-churn-model",
    "ModelOps-prod/Environment",
    "ModelOps-prod/Endpoint-churn-model",
]

# What CloudFormation calls to create, update and delete each resource type the workload stacks use
# (from the resource providers' handler permissions, narrowed to the properties those stacks set).
# A new resource type in the stacks fails test_every_resource_type_is_covered until it is added here
# and to the policy.
TYPE_ACTIONS = {
    "AWS::IAM::Role": [
        "iam:CreateRole",
        "iam:PutRolePermissionsBoundary",
        "iam:GetRole",
        "iam:PutRolePolicy",
        "iam:GetRolePolicy",
        "iam:DeleteRolePolicy",
        "iam:UpdateAssumeRolePolicy",
        "iam:DeleteRole",
    ],
    "AWS::KMS::Key": [
        "kms:CreateKey",
        "kms:TagResource",
        "kms:EnableKeyRotation",
        "kms:PutKeyPolicy",
        "kms:DescribeKey",
        "kms:ScheduleKeyDeletion",
    ],
    # The alias's handler: Create/Update/DeleteAlias on the alias and on its key, ListAliases to read it.
    "AWS::KMS::Alias": ["kms:CreateAlias", "kms:ListAliases", "kms:UpdateAlias", "kms:DeleteAlias"],
    "AWS::S3::Bucket": [
        "s3:CreateBucket",
        "s3:PutEncryptionConfiguration",
        "s3:PutBucketVersioning",
        "s3:PutBucketPublicAccessBlock",
        "s3:PutBucketOwnershipControls",
        "s3:PutBucketLogging",
        "s3:DeleteBucket",
    ],
    "AWS::S3::BucketPolicy": ["s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:DeleteBucketPolicy"],
    "AWS::CloudWatch::Alarm": ["cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms"],
    "AWS::SageMaker::Model": ["iam:PassRole", "sagemaker:CreateModel", "sagemaker:AddTags", "sagemaker:DeleteModel"],
    "AWS::SageMaker::EndpointConfig": [
        "sagemaker:CreateEndpointConfig",
        "kms:DescribeKey",
        "sagemaker:DeleteEndpointConfig",
    ],
    "AWS::SageMaker::Endpoint": [
        "sagemaker:CreateEndpoint",
        "sagemaker:DescribeEndpoint",
        "sagemaker:UpdateEndpoint",
        "sagemaker:DeleteEndpoint",
    ],
    "AWS::ApplicationAutoScaling::ScalableTarget": [
        "application-autoscaling:RegisterScalableTarget",
        "application-autoscaling:DescribeScalableTargets",
        "iam:CreateServiceLinkedRole",
        "application-autoscaling:DeregisterScalableTarget",
    ],
    "AWS::ApplicationAutoScaling::ScalingPolicy": [
        "application-autoscaling:PutScalingPolicy",
        "application-autoscaling:DescribeScalingPolicies",
        "application-autoscaling:DeleteScalingPolicy",
    ],
}


@pytest.fixture(scope="module")
def policy() -> dict[str, Any]:
    """Both execution policies' statements, as one document: IAM allows what either allows."""
    documents = [json.loads(path.read_text()) for path in CFN_EXECUTION_POLICIES.values()]
    return {"Version": "2012-10-17", "Statement": [s for document in documents for s in document["Statement"]]}


def statements(policy: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from policy["Statement"]


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def arn_matches(pattern: str, arn: str) -> bool:
    """IAM's ARN match: segment by segment, `*` and `?` globs within a segment, case-sensitive."""
    if pattern == "*":
        return True
    pattern_parts, arn_parts = pattern.split(":", 5), arn.split(":", 5)
    return len(pattern_parts) == len(arn_parts) and all(
        fnmatch.fnmatchcase(part, glob) for glob, part in zip(pattern_parts, arn_parts, strict=True)
    )


def allowing(policy: dict[str, Any], action: str, arn: str | None = None) -> list[str]:
    """Sids of the statements that allow `action` (on `arn`, if given), conditions aside."""
    return [
        s["Sid"]
        for s in statements(policy)
        if action in as_list(s["Action"]) and (arn is None or any(arn_matches(p, arn) for p in as_list(s["Resource"])))
    ]


def action_rows(action: str) -> list[dict[str, Any]]:
    service, name = action.split(":")
    rows: list[dict[str, Any]] = get_action_data(service, name).get(service, [])
    return rows


def test_is_a_managed_policy_document_of_allow_statements(policy: dict[str, Any]) -> None:
    assert policy["Version"] == "2012-10-17"
    sids = [s["Sid"] for s in statements(policy)]
    assert len(sids) == len(set(sids))
    for s in statements(policy):
        assert set(s) <= {"Sid", "Effect", "Action", "Resource", "Condition"}, s["Sid"]
        assert s["Effect"] == "Allow", s["Sid"]
    for path in CFN_EXECUTION_POLICIES.values():
        assert json.loads(path.read_text())["Version"] == "2012-10-17"
        assert len(re.sub(r"\s", "", path.read_text())) <= MANAGED_POLICY_MAX_CHARS, path.name


def test_no_action_is_a_wildcard(policy: dict[str, Any]) -> None:
    wildcards = [a for s in statements(policy) for a in as_list(s["Action"]) if "*" in a or "?" in a]
    assert wildcards == []


def test_every_action_is_a_real_action_of_an_allowed_service(policy: dict[str, Any]) -> None:
    actions = [a for s in statements(policy) for a in as_list(s["Action"])]
    assert sorted({a.split(":")[0] for a in actions}) == sorted(ALLOWED_SERVICES)
    assert [a for a in actions if not action_rows(a)] == []


def test_every_condition_key_applies_to_every_action_of_its_statement(policy: dict[str, Any]) -> None:
    for s in statements(policy):
        keys = [key for operator in s.get("Condition", {}).values() for key in operator]
        for action in as_list(s["Action"]):
            supported = {key for row in action_rows(action) for key in row["condition_keys"] or []}
            # `aws:RequestTag/${TagKey}` in the reference stands for every tag key.
            patterns = [re.compile(re.sub(r"\\\$\\\{\w+\\\}", ".+", re.escape(key)) + "$") for key in supported]
            unsupported = {key for key in keys if not any(pattern.match(key) for pattern in patterns)}
            assert unsupported == set(), f"{s['Sid']}: {action} does not support {unsupported}"


def test_a_resource_wildcard_is_used_only_where_aws_allows_nothing_narrower_or_under_a_condition(
    policy: dict[str, Any],
) -> None:
    for s in statements(policy):
        if "*" not in as_list(s["Resource"]) or "Condition" in s:
            continue
        for action in as_list(s["Action"]):
            formats = {row["resource_arn_format"] for row in action_rows(action)}
            assert formats == {"*"}, f"{s['Sid']}: {action} supports {formats - {'*'}}; scope it"


def test_roles_may_be_passed_only_to_sagemaker_and_only_endpoint_execution_roles(policy: dict[str, Any]) -> None:
    passing = [s for s in statements(policy) if "iam:PassRole" in as_list(s["Action"])]
    assert passing == [
        {
            "Sid": "PassExecutionRolesToSageMaker",
            "Effect": "Allow",
            "Action": ["iam:PassRole"],
            "Resource": "arn:aws:iam::*:role/modelops-exec-*",
            "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        }
    ]


def test_no_managed_policy_can_be_attached_to_a_role_and_no_boundary_removed(policy: dict[str, Any]) -> None:
    risky = {
        "iam:AttachRolePolicy",
        "iam:DetachRolePolicy",
        "iam:DeleteRolePermissionsBoundary",
        "iam:CreatePolicy",
        "iam:CreatePolicyVersion",
    }
    assert [a for s in statements(policy) for a in as_list(s["Action"]) if a in risky] == []


def test_every_role_changing_action_requires_the_workload_boundary(policy: dict[str, Any]) -> None:
    changing = {a for s in statements(policy) for a in as_list(s["Action"]) if a.startswith("iam:")} - {
        "iam:GetRole",
        "iam:GetRolePolicy",
        "iam:ListAttachedRolePolicies",
        "iam:ListRolePolicies",
        "iam:PassRole",
        "iam:CreateServiceLinkedRole",
        "iam:TagRole",
    }
    assert allowing(policy, "iam:PutRolePolicy") == ["BoundedModelOpsRoles"]
    bounded = next(s for s in statements(policy) if s["Sid"] == "BoundedModelOpsRoles")
    assert sorted(changing) == bounded["Action"]
    assert bounded["Condition"] == {
        "StringEquals": {
            "iam:PermissionsBoundary": "arn:aws:iam::${aws:PrincipalAccount}:policy/modelops-workload-boundary"
        }
    }


def test_tag_role_is_allowed_only_on_execution_roles_and_no_other_iam_tagging(policy: dict[str, Any]) -> None:
    """CreateRole with Tags needs iam:TagRole: the execution roles carry `modelops:model`. The tag grants nothing
    by itself: the only policies that read it bind it to the role's own name (shared_services/bucket_policy.py)."""
    assert allowing(policy, "iam:TagRole") == ["TagExecutionRoles"]
    tagging = next(s for s in statements(policy) if s["Sid"] == "TagExecutionRoles")
    assert tagging["Resource"] == "arn:aws:iam::*:role/modelops-exec-*"
    iam_tagging = {a for s in statements(policy) for a in as_list(s["Action"]) if a.startswith("iam:") and "Tag" in a}
    assert iam_tagging == {"iam:TagRole"}


def test_every_resource_type_the_endpoints_stacks_deploy_is_covered(policy: dict[str, Any], synth: Synth) -> None:
    types = {
        resource["Type"]
        for path in WORKLOAD_STACKS
        for resource in synth.template(path).to_json()["Resources"].values()
    }
    assert sorted(types - set(TYPE_ACTIONS)) == [], "add these types to TYPE_ACTIONS and to the policy"
    missing = [(t, a) for t in sorted(types) for a in TYPE_ACTIONS[t] if not allowing(policy, a)]
    assert missing == []


def test_the_prod_stacks_named_resources_are_within_the_policys_scope(policy: dict[str, Any], synth: Synth) -> None:
    resources = [
        resource
        for path in ("ModelOps-prod/Environment", "ModelOps-prod/Endpoint-churn-model")
        for resource in synth.template(path).to_json()["Resources"].values()
    ]
    role_names = sorted(r["Properties"]["RoleName"] for r in resources if r["Type"] == "AWS::IAM::Role")
    alarm_names = sorted(r["Properties"]["AlarmName"] for r in resources if r["Type"] == "AWS::CloudWatch::Alarm")
    assert role_names == ["modelops-batch-prod", "modelops-exec-prod-churn-model", "modelops-operator"]
    for name in role_names:
        assert allowing(policy, "iam:CreateRole", f"arn:aws:iam::555555555555:role/{name}") == ["BoundedModelOpsRoles"]
    assert allowing(policy, "iam:PassRole", "arn:aws:iam::555555555555:role/modelops-exec-prod-churn-model") == [
        "PassExecutionRolesToSageMaker"
    ]
    assert allowing(policy, "iam:PassRole", "arn:aws:iam::555555555555:role/modelops-operator") == []
    assert allowing(policy, "iam:PassRole", "arn:aws:iam::555555555555:role/modelops-batch-prod") == []
    for name in alarm_names:
        arn = f"arn:aws:cloudwatch:eu-west-1:555555555555:alarm:{name}"
        assert allowing(policy, "cloudwatch:PutMetricAlarm", arn) == ["RollbackAndScalingAlarms"]
    # The capture and batch buckets are named; CloudFormation names their access-log buckets after the stack.
    buckets = sorted(r["Properties"].get("BucketName", "") for r in resources if r["Type"] == "AWS::S3::Bucket")
    assert buckets == ["", "", "modelops-batch-555555555555-eu-west-1", "modelops-data-capture-555555555555-eu-west-1"]
    logs = "arn:aws:s3:::modelops-prod-environment-datacaptureaccesslogs1a2b3c4d-1a2b3c4d5e6f"
    batch = "arn:aws:s3:::modelops-batch-555555555555-eu-west-1"
    for bucket in ("arn:aws:s3:::modelops-data-capture-555555555555-eu-west-1", batch, logs):
        assert allowing(policy, "s3:CreateBucket", bucket) == ["DataCaptureBuckets"]
    alias = "arn:aws:kms:eu-west-1:555555555555:alias/modelops-endpoints-prod"
    assert allowing(policy, "kms:CreateAlias", alias) == ["EndpointKeyAliases"]
    assert allowing(policy, "kms:CreateAlias", "arn:aws:kms:eu-west-1:555555555555:alias/payments") == []
    assert allowing(policy, "s3:CreateBucket", "arn:aws:s3:::payments-ledger") == []
    assert allowing(policy, "iam:CreateRole", "arn:aws:iam::555555555555:role/payments-admin") == []


def test_every_role_the_endpoints_stacks_create_carries_the_workload_boundary(synth: Synth) -> None:
    for path in WORKLOAD_STACKS:
        account = str(synth.stacks[path].account)
        resources = synth.template_json(path)["Resources"].values()
        boundaries = {r["Properties"]["PermissionsBoundary"] for r in resources if r["Type"] == "AWS::IAM::Role"}
        assert boundaries == {naming.workload_boundary_arn(account)}


def test_what_the_endpoints_stacks_create_change_and_delete_is_allowed_by_the_evaluator(synth: Synth) -> None:
    """The attacks on the same policy are denied in test_cfn_execution_escalation.py."""
    exec_policies = [
        Policy(name, json.loads(path.read_text()), PolicyKind.IDENTITY) for name, path in CFN_EXECUTION_POLICIES.items()
    ]
    refused: list[tuple[str, str, str]] = []
    count = 0
    for path in WORKLOAD_STACKS:
        stack = synth.stacks[path]
        account, region = str(stack.account), str(stack.region)
        principal = Principal.role(naming.cdk_role_arn("cfn-exec", account, region), identity_policies=exec_policies)
        root = {
            "Effect": "Allow",
            "Principal": {"AWS": naming.account_root_arn(account)},
            "Action": "kms:*",
            "Resource": "*",
        }
        key_policy = Policy("key", {"Version": "2012-10-17", "Statement": [root]}, PolicyKind.KMS_KEY)
        for action, arn, context in stack_requests(account, region, synth.template_json(path)):
            resource = Resource(arn, account, key_policy if arn.startswith("arn:aws:kms:") else None)
            decision = evaluate(Request(principal, action, resource, Context(context)))
            count += 1
            if not decision.allowed:
                refused.append((path, action, decision.reason))
    assert refused == []
    # per environment: three roles (the execution role tagged), one key, its alias (ListAliases, three calls on
    # alias and key), a model, config and endpoint (which also updates); and qa's soak reader (prod's soak gate
    # reads qa's alarms; prod, the last environment, has none)
    assert count == 2 * (3 * 5 + 1 + 6 + 7 + 3 * 3 + 1) + 5
