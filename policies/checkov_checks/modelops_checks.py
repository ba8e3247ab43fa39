"""checkov checks (CloudFormation) for the invariants this repository promises its security reviewers.

    CKV_MODELOPS_1  no Allow statement grants `*` or `<service>:*`, or uses NotAction
    CKV_MODELOPS_2  no Allow statement names principal `*` (or NotPrincipal) without a scoping condition,
                    but the approval API's `ReviewPagesArePublic` (PUBLIC_BY_DESIGN)
    CKV_MODELOPS_3  every web-identity trust has conditions; GitHub OIDC pins `aud` and an exact `sub`
                    (a pull-request subject may leave only the pull request's number open)
    CKV_MODELOPS_4  every SageMaker endpoint deploys blue/green (canary or linear) with rollback alarms

checkov runs in its own venv (.tools/checkov) and imports this file by path, so it is one
self-contained module: a sibling helper module could not be imported the same way in both venvs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from checkov.cloudformation.checks.resource.base_resource_check import (  # type: ignore[import-not-found]
    BaseResourceCheck,
)
from checkov.common.models.enums import CheckCategories, CheckResult  # type: ignore[import-not-found]

# Resource types and the properties holding their policy documents. IAM::Role, User and Group
# also carry inline documents under `Policies[*].PolicyDocument`.
DOCUMENT_PROPERTIES: dict[str, tuple[str, ...]] = {
    "AWS::IAM::Policy": ("PolicyDocument",),
    "AWS::IAM::ManagedPolicy": ("PolicyDocument",),
    "AWS::IAM::RolePolicy": ("PolicyDocument",),
    "AWS::IAM::UserPolicy": ("PolicyDocument",),
    "AWS::IAM::GroupPolicy": ("PolicyDocument",),
    "AWS::IAM::Role": ("AssumeRolePolicyDocument",),
    "AWS::IAM::User": (),
    "AWS::IAM::Group": (),
    "AWS::S3::BucketPolicy": ("PolicyDocument",),
    "AWS::S3::AccessPoint": ("Policy",),
    "AWS::KMS::Key": ("KeyPolicy",),
    "AWS::KMS::ReplicaKey": ("KeyPolicy",),
    "AWS::SageMaker::ModelPackageGroup": ("ModelPackageGroupPolicy",),
    "AWS::SNS::TopicPolicy": ("PolicyDocument",),
    "AWS::SNS::TopicInlinePolicy": ("PolicyDocument",),
    "AWS::SQS::QueuePolicy": ("PolicyDocument",),
    "AWS::SQS::QueueInlinePolicy": ("PolicyDocument",),
    "AWS::ApiGateway::RestApi": ("Policy",),
    "AWS::ECR::Repository": ("RepositoryPolicyText",),
    "AWS::Logs::ResourcePolicy": ("PolicyDocument",),
    "AWS::SecretsManager::ResourcePolicy": ("ResourcePolicy",),
}
# Identity policies name no principal; every other document above does (a trust policy included).
IDENTITY_POLICY_TYPES = frozenset(
    f"AWS::IAM::{name}"
    for name in ("Policy", "ManagedPolicy", "RolePolicy", "UserPolicy", "GroupPolicy", "User", "Group")
)
RESOURCE_POLICY_TYPES = (
    *sorted(set(DOCUMENT_PROPERTIES) - IDENTITY_POLICY_TYPES),
    "AWS::Events::EventBusPolicy",
)

# Condition keys that tie a `*` principal to this organisation, account, caller or source resource.
SCOPING_KEYS = frozenset(
    key.lower()
    for key in (
        "aws:PrincipalOrgID",
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
        "aws:SourceArn",
        "aws:SourceAccount",
        "aws:SourceOrgID",
    )
)
# Operators that must match for access; negated, IfExists, Null and ForAllValues forms pass when
# the key is absent, so they scope nothing.
SCOPING_OPERATOR = re.compile(r"(ForAnyValue:)?(StringEquals|StringEqualsIgnoreCase|StringLike|ArnEquals|ArnLike)")

# (resource type, Sid) of the one statement that may admit everyone unscoped, and the one action it may allow.
# The approval API's browser pages have no API Gateway authorization (an approver's browser carries no AWS
# credentials): each checks a single-use signed review link and the OpenID Connect sign-in itself. Once the API
# has a resource policy, API Gateway denies such a method unless the policy allows it explicitly
# ("How API Gateway resource policies affect authorization workflow"), so the policy must say `*` there.
PUBLIC_BY_DESIGN = frozenset({("AWS::ApiGateway::RestApi", "ReviewPagesArePublic")})
PUBLIC_ACTION = "execute-api:invoke"

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_AUDIENCE = "sts.amazonaws.com"
WEB_IDENTITY_ACTION = "sts:assumerolewithwebidentity"
# The one wildcard a GitHub subject may carry, under StringLike: a pull-request job runs at
# `refs/pull/<number>/merge`, so its subject (job_workflow_ref at that ref) ends so; nothing else is open.
PULL_REQUEST_SUBJECT = re.compile(r"^repo:[^*?:]+:pull_request:job_workflow_ref:[^*?:]+@refs/pull/\*/merge$")


def as_list(value: Any) -> list[Any]:
    """A policy field that may be one value or a list, as a list."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def policy_documents(conf: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(checkov key path, document) for every policy document of a resource."""
    properties = conf.get("Properties")
    if not isinstance(properties, dict):
        return
    if conf.get("Type") == "AWS::Events::EventBusPolicy":  # one statement, or its legacy flat form
        statement = properties.get("Statement") or {"Effect": "Allow", **properties}
        yield "Properties", {"Statement": as_list(statement)}
        return
    for name in DOCUMENT_PROPERTIES.get(str(conf.get("Type")), ()):
        document = _as_document(properties.get(name))
        if document is not None:
            yield f"Properties/{name}", document
    for index, inline in enumerate(as_list(properties.get("Policies"))):
        document = _as_document(inline.get("PolicyDocument")) if isinstance(inline, dict) else None
        if document is not None:
            yield f"Properties/Policies/[{index}]/PolicyDocument", document


def _as_document(value: Any) -> dict[str, Any] | None:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return None
    return value if isinstance(value, dict) else None


def allow_statements(document: dict[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(index, statement) for every Allow statement of a document."""
    for index, statement in enumerate(as_list(document.get("Statement"))):
        if isinstance(statement, dict) and statement.get("Effect") == "Allow":
            yield index, statement


def is_service_wide(action: Any) -> bool:
    """`*`, `*:*` or `<service>:*`: every action of a service, or of all services."""
    return isinstance(action, str) and action.split(":", 1)[-1] == "*"


def has_wildcard_principal(statement: dict[str, Any]) -> bool:
    """Principal `*`, any `{"<kind>": "*"}`, or NotPrincipal (which grants everyone else)."""
    if "NotPrincipal" in statement:
        return True
    principal = statement.get("Principal")
    if principal == "*":
        return True
    return isinstance(principal, dict) and any("*" in as_list(value) for value in principal.values())


def is_public_by_design(resource_type: str, statement: dict[str, Any]) -> bool:
    """The statement is PUBLIC_BY_DESIGN's: its type and Sid, an `*` Principal (not NotPrincipal), and
    `execute-api:Invoke` as its only action."""
    actions = [str(action).lower() for action in as_list(statement.get("Action"))]
    return (
        (resource_type, statement.get("Sid")) in PUBLIC_BY_DESIGN
        and "NotPrincipal" not in statement
        and "NotAction" not in statement
        and actions == [PUBLIC_ACTION]
    )


def is_scoped(condition: Any) -> bool:
    """True when the condition requires a scoping key to match a value that is not `*`."""
    if not isinstance(condition, dict):
        return False
    for operator, tests in condition.items():
        if not SCOPING_OPERATOR.fullmatch(str(operator)) or not isinstance(tests, dict):
            continue
        for key, values in tests.items():
            allowed = as_list(values)
            if str(key).lower() in SCOPING_KEYS and allowed and "*" not in allowed:
                return True
    return False


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _condition_tests(condition: Any, operator: str) -> dict[str, list[Any]]:
    """The tests under one operator, with condition keys lower-cased (IAM compares them so)."""
    tests = condition.get(operator) if isinstance(condition, dict) else None
    if not isinstance(tests, dict):
        return {}
    return {str(key).lower(): as_list(values) for key, values in tests.items()}


def is_github_trust(statement: dict[str, Any]) -> bool:
    """The statement trusts GitHub's OIDC provider, by principal ARN or by its condition keys."""
    principal = statement.get("Principal")
    federated = principal.get("Federated") if isinstance(principal, dict) else None
    if any(GITHUB_OIDC_HOST in text for text in _strings(federated)):
        return True
    condition = statement.get("Condition")
    tests = condition.values() if isinstance(condition, dict) else []
    return any(
        str(key).lower().startswith(GITHUB_OIDC_HOST) for test in tests if isinstance(test, dict) for key in test
    )


def github_trust_problem(statement: dict[str, Any]) -> str | None:
    """Why a GitHub OIDC trust statement is not pinned, or None when it is."""
    condition = statement.get("Condition")
    equals = _condition_tests(condition, "StringEquals")
    like = _condition_tests(condition, "StringLike")
    audiences = [values for key, values in equals.items() if key.startswith(GITHUB_OIDC_HOST) and key.endswith(":aud")]
    exact = [values for key, values in equals.items() if key.startswith(GITHUB_OIDC_HOST) and key.endswith(":sub")]
    patterns = [values for key, values in like.items() if key.startswith(GITHUB_OIDC_HOST) and key.endswith(":sub")]
    if audiences != [[GITHUB_AUDIENCE]]:
        return f"StringEquals on {GITHUB_OIDC_HOST}:aud must be exactly {GITHUB_AUDIENCE}"
    subjects = exact + patterns
    if len(subjects) != 1 or not subjects[0]:
        return f"exactly one StringEquals (or pull-request StringLike) on {GITHUB_OIDC_HOST}:sub is needed"
    if exact and any(not isinstance(subject, str) or "*" in subject or "?" in subject for subject in exact[0]):
        return f"{GITHUB_OIDC_HOST}:sub must name exact subjects, without wildcards"
    if patterns and any(not isinstance(s, str) or PULL_REQUEST_SUBJECT.fullmatch(s) is None for s in patterns[0]):
        return f"StringLike on {GITHUB_OIDC_HOST}:sub may leave open only a pull request's number (@refs/pull/*/merge)"
    return None


class NoServiceWideAllow(BaseResourceCheck):  # type: ignore[misc]
    """CKV_MODELOPS_1: Allow statements list their actions; no `*`, `<service>:*` or NotAction."""

    def __init__(self) -> None:
        super().__init__(
            name="Ensure no Allow statement grants '*' or '<service>:*' actions, or uses NotAction",
            id="CKV_MODELOPS_1",
            categories=(CheckCategories.IAM,),
            supported_resources=tuple(sorted(DOCUMENT_PROPERTIES)),
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        for path, document in policy_documents(conf):
            for index, statement in allow_statements(document):
                if "NotAction" in statement or any(map(is_service_wide, as_list(statement.get("Action")))):
                    self.evaluated_keys = [f"{path}/Statement/[{index}]"]
                    return CheckResult.FAILED
        return CheckResult.PASSED


class NoUnscopedWildcardPrincipal(BaseResourceCheck):  # type: ignore[misc]
    """CKV_MODELOPS_2: a `*` principal in an Allow needs an org, account, principal or source condition."""

    def __init__(self) -> None:
        super().__init__(
            name="Ensure no Allow statement names principal '*' without a scoping condition "
            "(aws:PrincipalOrgID, PrincipalAccount, PrincipalArn, SourceArn, SourceAccount, SourceOrgID)",
            id="CKV_MODELOPS_2",
            categories=(CheckCategories.IAM,),
            supported_resources=(*RESOURCE_POLICY_TYPES, "AWS::Lambda::Permission"),
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        if conf.get("Type") == "AWS::Lambda::Permission":
            return self._scan_lambda_permission(conf.get("Properties") or {})
        for path, document in policy_documents(conf):
            for index, statement in allow_statements(document):
                if is_public_by_design(str(conf.get("Type")), statement):
                    continue
                if has_wildcard_principal(statement) and not is_scoped(statement.get("Condition")):
                    self.evaluated_keys = [f"{path}/Statement/[{index}]"]
                    return CheckResult.FAILED
        return CheckResult.PASSED

    def _scan_lambda_permission(self, properties: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["Properties/Principal"]
        if properties.get("Principal") != "*":
            return CheckResult.PASSED
        scoped = any(properties.get(key) for key in ("SourceArn", "SourceAccount", "PrincipalOrgID"))
        return CheckResult.PASSED if scoped else CheckResult.FAILED


class PinnedWebIdentityTrust(BaseResourceCheck):  # type: ignore[misc]
    """CKV_MODELOPS_3: GitHub OIDC trusts pin `aud` and an exact `sub`; web-identity trusts are never bare."""

    def __init__(self) -> None:
        super().__init__(
            name=f"Ensure every role trusting {GITHUB_OIDC_HOST} has StringEquals on :aud = "
            f"{GITHUB_AUDIENCE} and on :sub without wildcards (and no web-identity trust lacks conditions)",
            id="CKV_MODELOPS_3",
            categories=(CheckCategories.IAM,),
            supported_resources=("AWS::IAM::Role",),
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        properties = conf.get("Properties") or {}
        document = _as_document(properties.get("AssumeRolePolicyDocument")) or {}
        for index, statement in allow_statements(document):
            actions = [str(action).lower() for action in as_list(statement.get("Action"))]
            if not any(action in (WEB_IDENTITY_ACTION, "sts:*", "*") for action in actions):
                continue
            self.evaluated_keys = [f"Properties/AssumeRolePolicyDocument/Statement/[{index}]"]
            if not statement.get("Condition"):
                return CheckResult.FAILED
            if is_github_trust(statement) and github_trust_problem(statement) is not None:
                return CheckResult.FAILED
        return CheckResult.PASSED


class EndpointBlueGreenWithRollback(BaseResourceCheck):  # type: ignore[misc]
    """CKV_MODELOPS_4: endpoints shift traffic canary or linear, and roll back on CloudWatch alarms."""

    def __init__(self) -> None:
        super().__init__(
            name="Ensure every SageMaker endpoint deploys blue/green with CANARY or LINEAR traffic routing "
            "and auto-rollback alarms",
            id="CKV_MODELOPS_4",
            categories=(CheckCategories.GENERAL_SECURITY,),
            supported_resources=("AWS::SageMaker::Endpoint",),
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        properties = conf.get("Properties") or {}
        deployment = properties.get("DeploymentConfig") or {}
        blue_green = deployment.get("BlueGreenUpdatePolicy") or {}
        routing = blue_green.get("TrafficRoutingConfiguration") or {}
        alarms = (deployment.get("AutoRollbackConfiguration") or {}).get("Alarms")
        self.evaluated_keys = ["Properties/DeploymentConfig"]
        if routing.get("Type") not in ("CANARY", "LINEAR"):
            return CheckResult.FAILED
        named = isinstance(alarms, list) and all(isinstance(alarm, dict) and alarm.get("AlarmName") for alarm in alarms)
        return CheckResult.PASSED if alarms and named else CheckResult.FAILED


checks = (
    NoServiceWideAllow(),
    NoUnscopedWildcardPrincipal(),
    PinnedWebIdentityTrust(),
    EndpointBlueGreenWithRollback(),
)
