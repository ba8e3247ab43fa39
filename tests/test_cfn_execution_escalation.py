"""The workload CloudFormation execution policy cannot escalate: each attack a template could try through
CloudFormation's execution role is denied by the project's evaluator, and the permissions boundary every
`modelops-*` role must carry caps what such a role could do.

IAM's condition-key reference (Service Authorization Reference, "Actions, resources, and condition keys
for AWS Identity and Access Management", https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html)
lists `iam:PermissionsBoundary` for CreateRole, PutRolePolicy, DeleteRolePolicy, UpdateAssumeRolePolicy,
PutRolePermissionsBoundary, DeleteRole and UpdateRole: on CreateRole and PutRolePermissionsBoundary it is
the boundary requested, on the others the boundary the role already carries ("Permissions boundaries for
IAM entities", https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html). A role
without the boundary therefore can be neither given a policy nor a new trust by CloudFormation.

The evaluator does not model permissions boundaries, so a bounded role's request is allowed here when its
identity policy and the boundary (evaluated as an identity policy of its own) both allow it, which is
AWS's rule for a same-account identity-based grant ("Policy evaluation logic", boundaries).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from accounts import naming
from policies.cfn_execution import CFN_EXECUTION_POLICIES
from policies.iam import Context, Effect, Policy, PolicyKind, Principal, Request, Resource, evaluate
from tests.conftest import REPO_ROOT

ACCOUNT = "555555555555"
OTHER_ACCOUNT = "111111111111"
REGION = "eu-west-1"
BOUNDARY_FILE = REPO_ROOT / "policies" / "workload-boundary-policy.json"
MANAGED_POLICY_MAX_CHARS = 6144  # IAM quotas: a managed policy, whitespace not counted
BOUNDARY = naming.workload_boundary_arn(ACCOUNT)
MANAGED = {f"aws:RequestTag/{naming.MANAGED_TAG_KEY}": naming.MANAGED_TAG_VALUE}
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _document(path: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text())
    return document


@pytest.fixture(scope="module")
def cfn_exec() -> Principal:
    """CloudFormation's execution role in a workload account, with the README's two execution policies."""
    policies = [Policy(name, _document(path), PolicyKind.IDENTITY) for name, path in CFN_EXECUTION_POLICIES.items()]
    return Principal.role(
        naming.cdk_role_arn("cfn-exec", ACCOUNT, REGION), session="AWSCloudFormation", identity_policies=policies
    )


@pytest.fixture(scope="module")
def boundary() -> Policy:
    return Policy(naming.WORKLOAD_BOUNDARY_POLICY, _document(BOUNDARY_FILE), PolicyKind.IDENTITY)


def _key_policy() -> Policy:
    """The endpoint key's administration statement (and a default key policy's): the account decides."""
    statement = {"Effect": "Allow", "Principal": {"AWS": naming.account_root_arn(ACCOUNT)}, "Action": "kms:*"}
    return Policy("key", {"Version": "2012-10-17", "Statement": [{**statement, "Resource": "*"}]}, PolicyKind.KMS_KEY)


def _decide(principal: Principal, action: str, arn: str, context: dict[str, Any] | None = None) -> Effect:
    policy = _key_policy() if arn.startswith("arn:aws:kms:") else None
    # Shared services' resources (artifacts, images, registry) are another account's; the rest are this one's.
    resource = Resource(arn, OTHER_ACCOUNT if OTHER_ACCOUNT in arn else ACCOUNT, policy)
    return evaluate(Request(principal, action, resource, Context(context or {}))).effect


def _role(name: str) -> str:
    return naming.role_arn(ACCOUNT, name)


def _endpoint(name: str) -> str:
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/{name}"


# --- the attacks of issue 10, each denied ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "context"),
    [
        ("iam:CreateRole", {}),  # no boundary at all
        ("iam:CreateRole", {"iam:PermissionsBoundary": naming.workload_boundary_arn(OTHER_ACCOUNT)}),
        ("iam:CreateRole", {"iam:PermissionsBoundary": "arn:aws:iam::aws:policy/AdministratorAccess"}),
        ("iam:CreateRole", {"iam:PermissionsBoundary": f"arn:aws:iam::{ACCOUNT}:policy/modelops-workload-boundary2"}),
        ("iam:PutRolePermissionsBoundary", {"iam:PermissionsBoundary": "arn:aws:iam::aws:policy/AdministratorAccess"}),
    ],
)
def test_a_modelops_role_cannot_be_created_or_rebounded_without_the_workload_boundary(
    cfn_exec: Principal, action: str, context: dict[str, str]
) -> None:
    assert _decide(cfn_exec, action, _role("modelops-x"), context) is Effect.IMPLICIT_DENY


@pytest.mark.parametrize(
    "action",
    ["iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:DeleteRolePolicy", "iam:UpdateRole", "iam:DeleteRole"],
)
def test_a_role_without_the_boundary_gets_no_policy_no_trust_and_no_change(cfn_exec: Principal, action: str) -> None:
    # For an existing role, iam:PermissionsBoundary is the boundary it carries: none here.
    assert _decide(cfn_exec, action, _role("modelops-operator")) is Effect.IMPLICIT_DENY
    assert _decide(cfn_exec, action, _role("modelops-operator"), {"iam:PermissionsBoundary": BOUNDARY}) is Effect.ALLOW


@pytest.mark.parametrize(
    "action",
    [
        "iam:DeleteRolePermissionsBoundary",
        "iam:AttachRolePolicy",
        "iam:DetachRolePolicy",
        "iam:CreatePolicy",
        "iam:CreatePolicyVersion",
        "iam:TagRole",
    ],
)
def test_no_boundary_can_be_removed_and_no_managed_policy_attached(cfn_exec: Principal, action: str) -> None:
    context = {"iam:PermissionsBoundary": BOUNDARY}
    assert _decide(cfn_exec, action, _role("modelops-operator"), context) is Effect.IMPLICIT_DENY


def test_roles_outside_modelops_are_out_of_reach_even_with_the_boundary(cfn_exec: Principal) -> None:
    context = {"iam:PermissionsBoundary": BOUNDARY}
    assert _decide(cfn_exec, "iam:CreateRole", _role("payments-admin"), context) is Effect.IMPLICIT_DENY
    assert (
        _decide(cfn_exec, "iam:PutRolePolicy", _role("OrganizationAccountAccessRole"), context) is Effect.IMPLICIT_DENY
    )


@pytest.mark.parametrize(
    "action",
    ["kms:ScheduleKeyDeletion", "kms:PutKeyPolicy", "kms:DisableKey", "kms:UntagResource", "kms:CreateGrant"],
)
def test_a_key_modelops_did_not_tag_cannot_be_deleted_repolicied_or_granted(cfn_exec: Principal, action: str) -> None:
    grant = {"kms:GrantIsForAWSResource": True, "kms:ViaService": f"sagemaker.{REGION}.amazonaws.com"}
    assert _decide(cfn_exec, action, KEY, grant) is Effect.IMPLICIT_DENY
    other_tag = {f"aws:ResourceTag/{naming.MANAGED_TAG_KEY}": "false", **grant}
    assert _decide(cfn_exec, action, KEY, other_tag) is Effect.IMPLICIT_DENY


def test_a_key_without_the_managed_tag_cannot_be_created(cfn_exec: Principal) -> None:
    symmetric = {"kms:KeySpec": "SYMMETRIC_DEFAULT", "kms:KeyUsage": "ENCRYPT_DECRYPT"}
    assert _decide(cfn_exec, "kms:CreateKey", "*", symmetric) is Effect.IMPLICIT_DENY
    assert _decide(cfn_exec, "kms:CreateKey", "*", {**symmetric, **MANAGED}) is Effect.ALLOW


@pytest.mark.parametrize(
    ("action", "arn"),
    [
        ("sagemaker:DeleteEndpoint", _endpoint("other-endpoint")),
        ("sagemaker:UpdateEndpoint", _endpoint("other-endpoint")),
        ("sagemaker:DeleteEndpointConfig", f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint-config/other-config"),
        ("sagemaker:DeleteModel", f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/other-model"),
    ],
)
def test_a_sagemaker_resource_modelops_did_not_tag_cannot_be_deleted_or_updated(
    cfn_exec: Principal, action: str, arn: str
) -> None:
    assert _decide(cfn_exec, action, arn) is Effect.IMPLICIT_DENY


def test_the_managed_tag_cannot_be_put_on_an_existing_endpoint_to_bring_it_in_reach(cfn_exec: Principal) -> None:
    # AddTags called directly carries no sagemaker:TaggingAction (that key names the creating API).
    assert _decide(cfn_exec, "sagemaker:AddTags", _endpoint("other-endpoint"), MANAGED) is Effect.IMPLICIT_DENY
    on_create = {**MANAGED, "sagemaker:TaggingAction": "CreateEndpoint"}
    assert _decide(cfn_exec, "sagemaker:AddTags", _endpoint("churn-model"), on_create) is Effect.ALLOW


@pytest.mark.parametrize("action", ["kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"])
def test_only_modelops_endpoint_aliases_on_modelops_keys_can_be_created_moved_or_deleted(
    cfn_exec: Principal, action: str
) -> None:
    """KMS authorizes an alias operation on the alias and on its key ("Controlling access to aliases",
    https://docs.aws.amazon.com/kms/latest/developerguide/alias-access.html): neither side alone suffices."""
    tagged = {f"aws:ResourceTag/{naming.MANAGED_TAG_KEY}": naming.MANAGED_TAG_VALUE}
    alias = f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/modelops-endpoints-qa"
    other = f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/payments"
    assert (_decide(cfn_exec, action, alias), _decide(cfn_exec, action, KEY, tagged)) == (Effect.ALLOW, Effect.ALLOW)
    assert _decide(cfn_exec, action, KEY) is Effect.IMPLICIT_DENY  # a key modelops did not tag
    assert _decide(cfn_exec, action, other) is Effect.IMPLICIT_DENY  # another team's alias


def test_an_endpoint_without_the_managed_tag_cannot_be_created(cfn_exec: Principal) -> None:
    assert _decide(cfn_exec, "sagemaker:CreateEndpoint", _endpoint("churn-model")) is Effect.IMPLICIT_DENY
    assert _decide(cfn_exec, "sagemaker:CreateEndpoint", _endpoint("churn-model"), MANAGED) is Effect.ALLOW


def test_each_execution_policy_fits_in_a_managed_policy() -> None:
    for path in CFN_EXECUTION_POLICIES.values():
        assert len("".join(path.read_text().split())) <= MANAGED_POLICY_MAX_CHARS, path.name
    assert len("".join(BOUNDARY_FILE.read_text().split())) <= MANAGED_POLICY_MAX_CHARS


# --- the boundary: what a bounded role can do at most ------------------------------------------------------


def _bounded(boundary: Policy, action: str, arn: str, context: dict[str, Any] | None = None) -> Effect:
    """The identity side of a request by a `modelops-*` role whose inline policy allowed everything: what the
    boundary lets through. (Another account's resource policy must allow a cross-account request too; that
    is its own matter, so every resource counts as the role's account here and carries no resource policy,
    except a KMS key: it carries a key policy that delegates to the account, since without one "IAM policies
    that allow permissions have no effect" (Key policies in AWS KMS,
    https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html).)"""
    role = Principal.role(naming.role_arn(ACCOUNT, "modelops-x"), identity_policies=[boundary])
    resource = Resource(arn, ACCOUNT, _key_policy() if arn.startswith("arn:aws:kms:") else None)
    return evaluate(Request(role, action, resource, Context(context or {}))).effect


@pytest.mark.parametrize(
    ("action", "arn"),
    [
        ("iam:CreateRole", _role("modelops-y")),
        ("iam:PutRolePolicy", _role("modelops-operator")),
        ("iam:DeleteRolePermissionsBoundary", _role("modelops-x")),
        ("iam:PutRolePermissionsBoundary", _role("modelops-x")),
        ("sts:AssumeRole", naming.role_arn(OTHER_ACCOUNT, "modelops-promoter")),
        ("sts:AssumeRole", naming.role_arn(ACCOUNT, "OrganizationAccountAccessRole")),
        ("organizations:LeaveOrganization", "*"),
    ],
)
def test_the_boundary_denies_iam_role_chains_and_organizations(boundary: Policy, action: str, arn: str) -> None:
    assert _bounded(boundary, action, arn) is Effect.EXPLICIT_DENY


@pytest.mark.parametrize(
    ("action", "arn"),
    [
        ("kms:ScheduleKeyDeletion", KEY),
        ("sagemaker:DeleteEndpoint", _endpoint("churn-model")),
        ("sagemaker:UpdateModelPackage", f"arn:aws:sagemaker:{REGION}:{OTHER_ACCOUNT}:model-package/churn-model/3"),
        ("s3:PutObject", "arn:aws:s3:::modelops-artifacts-111111111111-eu-west-1/artifacts/churn-model/model.tar.gz"),
        ("s3:DeleteObject", "arn:aws:s3:::modelops-prod-endpoints-datacapture/datacapture/churn-model/1.jsonl"),
        ("ssm:PutParameter", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/cdk-bootstrap/hnb659fds/version"),
        ("kms:Encrypt", KEY),  # an untagged key
    ],
)
def test_the_boundary_allows_nothing_an_endpoint_or_the_operator_does_not_need(
    boundary: Policy, action: str, arn: str
) -> None:
    assert _bounded(boundary, action, arn) is Effect.IMPLICIT_DENY


@pytest.mark.parametrize(
    ("action", "arn", "context"),
    [
        (
            "s3:GetObject",
            "arn:aws:s3:::modelops-artifacts-111111111111-eu-west-1/artifacts/churn-model/model.tar.gz",
            {},
        ),
        (
            "kms:Decrypt",
            "arn:aws:kms:eu-west-1:111111111111:key/artifact",
            {"kms:ViaService": "s3.eu-west-1.amazonaws.com", "kms:ResourceAliases": ["alias/modelops-artifacts"]},
        ),
        (
            "s3:PutObject",
            "arn:aws:s3:::modelops-prod-endpoints-datacapturebucket-1a2b/datacapture/churn-model/1.jsonl",
            {},
        ),
        ("kms:GenerateDataKey", KEY, {f"aws:ResourceTag/{naming.MANAGED_TAG_KEY}": "true"}),
        ("ecr:BatchGetImage", "arn:aws:ecr:eu-west-1:111111111111:repository/churn-model", {}),
        ("ecr:GetAuthorizationToken", "*", {}),
        (
            "logs:PutLogEvents",
            f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/sagemaker/Endpoints/churn-model:log-stream:x",
            {},
        ),
        ("cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": naming.ENDPOINT_INSTANCE_NAMESPACE}),
        ("cloudwatch:GetMetricData", "*", {}),
        (
            "cloudwatch:DescribeAlarms",
            f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:modelops-churn-model-5xx-errors",
            {},
        ),
        ("sagemaker:InvokeEndpoint", _endpoint("churn-model"), {}),
        ("sagemaker:DescribeEndpoint", _endpoint("churn-model"), {}),
        ("ssm:PutParameter", naming.ssm_parameter_arn(REGION, ACCOUNT, naming.live_arn_parameter("churn-model")), {}),
    ],
)
def test_the_boundary_allows_what_an_endpoint_and_the_operator_need(
    boundary: Policy, action: str, arn: str, context: dict[str, Any]
) -> None:
    assert _bounded(boundary, action, arn, context) is Effect.ALLOW
