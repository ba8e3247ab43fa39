"""IAM policies in the sandbox: AWS managed policies exist, and no policy is half-evaluated.

- moto loads either none of AWS's managed policies or all of them (about two seconds per account). The
  sandbox attaches two (AdministratorAccess, ReadOnlyAccess: what `cdk bootstrap` attaches), so those are
  loaded from moto's own copy of AWS's policy data, and only those.
- moto's AWS::IAM::Role ignores ManagedPolicyArns, and its update changes only the description: a new
  trust or permissions policy in the template never reaches the role. CloudFormation attaches the managed
  policies and updates trust, inline and managed policies in place ("Update requires: No interruption";
  a new RoleName replaces the role).
- moto evaluates S3 bucket policies on object requests but drops their conditions, so the TLS-only
  statement every modelops bucket carries (Deny when aws:SecureTransport is false) denies every request.
  IAM applies a statement only when its Condition matches. The sandbox evaluates no policy at all, like
  moto everywhere else; access is proven statically by the policy tests.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from moto.iam import aws_managed_policies as _aws_managed
from moto.iam import models as _iam_models
from moto.iam.access_control import PermissionResult
from moto.s3 import models as _s3_models
from moto.utilities.utils import get_partition

iam_models: Any = _iam_models
s3_models: Any = _s3_models

MANAGED_POLICIES = ("AdministratorAccess", "ReadOnlyAccess")

_original: dict[str, Any] = {}


@cache
def _policy_data() -> dict[str, Any]:
    every = json.loads(_aws_managed.aws_managed_policies_data)
    return {name: every[name] for name in MANAGED_POLICIES}


def init_aws_policies(self: Any) -> list[Any]:
    """IAMBackend._init_aws_policies: AWS's own policies present in the account, loaded selectively."""
    loaded: list[Any] = _original["init_aws_policies"](self)
    if loaded:  # moto was told to load every AWS managed policy; nothing to add
        return loaded
    return [
        iam_models.AWSManagedPolicy.from_data(name, self.account_id, self.region_name, data)
        for name, data in _policy_data().items()
    ]


def _document(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _sync_role_policies(backend: Any, role_name: str, properties: dict[str, Any]) -> None:
    """Make the role's inline and managed policies exactly those of `properties`."""
    role = backend.get_role(role_name)
    inline = {p["PolicyName"]: _document(p["PolicyDocument"]) for p in properties.get("Policies", [])}
    for name in set(role.policies) - set(inline):
        backend.delete_role_policy(role_name, name)
    for name, document in inline.items():
        backend.put_role_policy(role_name, name, document)
    managed = set(properties.get("ManagedPolicyArns", []))
    for arn in set(role.managed_policies) - managed:
        backend.detach_role_policy(arn, role_name)
    for arn in sorted(managed - set(role.managed_policies)):
        backend.attach_role_policy(arn, role_name)


def role_from_cfn(
    cls: Any, /, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
) -> Any:
    """AWS::IAM::Role with its inline policies and ManagedPolicyArns."""
    role = _original["role_create"](resource_name, cloudformation_json, account_id, region_name, **kwargs)
    backend = iam_models.iam_backends[account_id][get_partition(region_name)]
    _sync_role_policies(backend, role.name, cloudformation_json["Properties"])
    return role


def role_update_from_cfn(
    cls: Any,
    /,
    original_resource: Any,
    new_resource_name: str,
    cloudformation_json: Any,
    account_id: str,
    region_name: str,
) -> Any:
    """AWS::IAM::Role updated in place (trust, description, session duration, policies); a new RoleName
    is a replacement."""
    properties = cloudformation_json["Properties"]
    backend = iam_models.iam_backends[account_id][get_partition(region_name)]
    name = properties.get("RoleName", original_resource.name)
    if name != original_resource.name:
        created = role_from_cfn(cls, new_resource_name, cloudformation_json, account_id, region_name)
        cls.delete_from_cloudformation_json(original_resource.name, cloudformation_json, account_id, region_name)
        return created
    backend.update_assume_role_policy(name, _document(properties["AssumeRolePolicyDocument"]))
    backend.update_role(name, properties.get("Description", ""), properties.get("MaxSessionDuration", 3600))
    _sync_role_policies(backend, name, properties)
    return backend.get_role(name)


def bucket_permission(self: Any, action: str, resource: str) -> Any:
    """FakeBucket.get_permission: the bucket policy neither allows nor denies (it is not evaluated)."""
    return PermissionResult.NEUTRAL


def apply() -> None:
    """Install the IAM patches (idempotent)."""
    if _original:
        return
    _original["init_aws_policies"] = iam_models.IAMBackend._init_aws_policies
    iam_models.IAMBackend._init_aws_policies = init_aws_policies
    s3_models.FakeBucket.get_permission = bucket_permission
    _original["role_create"] = iam_models.Role.create_from_cloudformation_json
    iam_models.Role.create_from_cloudformation_json = classmethod(role_from_cfn)
    iam_models.Role.update_from_cloudformation_json = classmethod(role_update_from_cfn)
