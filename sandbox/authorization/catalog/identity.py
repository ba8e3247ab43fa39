"""STS and IAM: who may assume a role (with a source identity and session tags), and who may change IAM.

AssumeRole is authorized as sts:AssumeRole on the role, with sts:SetSourceIdentity when the request sets
one and sts:TagSession when it passes tags ("Permissions for passing session tags", "Permissions required
to set source identity", IAM user guide); the role's trust policy is the resource policy. Context keys:
sts:RoleSessionName, sts:SourceIdentity, sts:ExternalId, aws:RequestTag/<key>, aws:TagKeys,
sts:TransitiveTagKeys. GetCallerIdentity needs no permission ("GetCallerIdentity", STS API reference).
"""

from __future__ import annotations

from typing import Any

from moto.iam.models import iam_backends

from sandbox.authorization.calls import Call
from sandbox.authorization.catalog.common import Check, Mapper, Scope, arn_account, param, request_tags


def assume_role(call: Call, scope: Scope) -> list[Check]:
    """sts:AssumeRole on the role, with SetSourceIdentity and TagSession when the request needs them."""
    role = param(call, "RoleArn")
    account = arn_account(role)
    context: dict[str, Any] = {"sts:RoleSessionName": param(call, "RoleSessionName")}
    if call.params.get("ExternalId") is not None:
        context["sts:ExternalId"] = call.params["ExternalId"]
    checks = []
    source = call.params.get("SourceIdentity")
    if source is not None:
        context["sts:SourceIdentity"] = source
    tags = request_tags(call.params.get("Tags") or [])
    context.update(tags)
    if call.params.get("TransitiveTagKeys"):
        context["sts:TransitiveTagKeys"] = list(call.params["TransitiveTagKeys"])
    checks.append(Check("sts:AssumeRole", role, account, context))
    if source is not None:
        checks.append(Check("sts:SetSourceIdentity", role, account, context))
    if tags:
        checks.append(Check("sts:TagSession", role, account, context))
    return checks


def no_permission(_call: Call, _scope: Scope) -> list[Check]:
    """An operation IAM does not authorize (GetCallerIdentity)."""
    return []


def _role_arn(scope: Scope, name: str, path: str | None = None) -> str:
    if path is None:
        role = _find_role(scope, name)
        path = role.path if role is not None else "/"
    return f"arn:{scope.partition}:iam::{scope.account}:role{path}{name}"


def _find_role(scope: Scope, name: str) -> Any:
    for role in iam_backends[scope.account][scope.partition].roles.values():
        if role.name == name:
            return role
    return None


def role_action(action: str) -> Mapper:
    """IAM role operations on the role's ARN (its path looked up), with the boundary or policy they set."""

    def mapper(call: Call, scope: Scope) -> list[Check]:
        name = param(call, "RoleName")
        path = call.params.get("Path") if call.operation == "CreateRole" else None
        context = request_tags(call.params.get("Tags") or [])
        arn = _role_arn(scope, name, path)
        checks = [Check(action, arn, scope.account, context)]
        if call.params.get("PermissionsBoundary"):
            boundary = {"iam:PermissionsBoundary": call.params["PermissionsBoundary"]}
            checks = [Check(action, arn, scope.account, {**context, **boundary})]
        if call.operation == "AttachRolePolicy":
            checks = [Check(action, arn, scope.account, {"iam:PolicyARN": param(call, "PolicyArn")})]
        return checks

    return mapper


def user_action(action: str) -> Mapper:
    """IAM user operations on the user's ARN."""

    def mapper(call: Call, scope: Scope) -> list[Check]:
        path = call.params.get("Path") if call.operation == "CreateUser" else None
        name = param(call, "UserName")
        if path is None:
            user = iam_backends[scope.account][scope.partition].users.get(name)
            path = user.path if user is not None else "/"
        return [Check(action, f"arn:{scope.partition}:iam::{scope.account}:user{path}{name}", scope.account)]

    return mapper


def policy_action(action: str) -> Mapper:
    """IAM managed policy operations on the policy's ARN."""

    def mapper(call: Call, scope: Scope) -> list[Check]:
        if "PolicyArn" in call.params:
            arn = call.params["PolicyArn"]
        else:
            path = call.params.get("Path") or "/"
            arn = f"arn:{scope.partition}:iam::{scope.account}:policy{path}{param(call, 'PolicyName')}"
        return [Check(action, arn, scope.account)]

    return mapper


def provider_action(action: str, kind: str, key: str) -> Mapper:
    """IAM identity provider operations on the provider's ARN."""

    def mapper(call: Call, scope: Scope) -> list[Check]:
        if key.endswith("Arn"):
            arn = param(call, key)
        elif kind == "oidc-provider":
            arn = (
                f"arn:{scope.partition}:iam::{scope.account}:oidc-provider/{param(call, key).removeprefix('https://')}"
            )
        else:
            arn = f"arn:{scope.partition}:iam::{scope.account}:{kind}/{param(call, key)}"
        return [Check(action, arn, scope.account)]

    return mapper


def pass_role(role_arn: str, service: str) -> Check:
    """iam:PassRole of `role_arn` to `service` ("Granting a user permissions to pass a role to an AWS service")."""
    return Check("iam:PassRole", role_arn, arn_account(role_arn), {"iam:PassedToService": service})


STS: dict[str, Mapper] = {
    "AssumeRole": assume_role,
    "GetCallerIdentity": no_permission,
}

IAM: dict[str, Mapper] = {
    **{
        operation: role_action(f"iam:{operation}")
        for operation in (
            "CreateRole",
            "GetRole",
            "DeleteRole",
            "AttachRolePolicy",
            "DetachRolePolicy",
            "PutRolePolicy",
            "GetRolePolicy",
            "DeleteRolePolicy",
            "ListAttachedRolePolicies",
            "ListRolePolicies",
            "UpdateAssumeRolePolicy",
            "TagRole",
            "PutRolePermissionsBoundary",
        )
    },
    **{
        operation: policy_action(f"iam:{operation}")
        for operation in (
            "CreatePolicy",
            "GetPolicy",
            "GetPolicyVersion",
            "CreatePolicyVersion",
            "DeletePolicy",
            "ListPolicyVersions",
            "DeletePolicyVersion",
            "SetDefaultPolicyVersion",
        )
    },
    "GetOpenIDConnectProvider": provider_action(
        "iam:GetOpenIDConnectProvider", "oidc-provider", "OpenIDConnectProviderArn"
    ),
    "CreateOpenIDConnectProvider": provider_action("iam:CreateOpenIDConnectProvider", "oidc-provider", "Url"),
    "CreateSAMLProvider": provider_action("iam:CreateSAMLProvider", "saml-provider", "Name"),
    **{
        operation: user_action(f"iam:{operation}")
        for operation in ("CreateUser", "GetUser", "DeleteUser", "CreateAccessKey", "DeleteAccessKey", "PutUserPolicy")
    },
    "ListRoles": lambda call, scope: [Check("iam:ListRoles", "*", scope.account)],
    "ListPolicies": lambda call, scope: [Check("iam:ListPolicies", "*", scope.account)],
}
