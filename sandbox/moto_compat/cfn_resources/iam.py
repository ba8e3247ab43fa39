"""IAM through CloudFormation: AWS::IAM::Role as CloudFormation manages it, and AWS::IAM::OIDCProvider.

moto's AWS::IAM::Role ignores ManagedPolicyArns, and its update changes only the description: a new trust or
permissions policy in the template never reaches the role. CloudFormation attaches the managed policies and
updates trust, inline and managed policies in place ("Update requires: No interruption"; a new RoleName
replaces the role). moto's CloudFormation skips AWS::IAM::OIDCProvider.
"""

from __future__ import annotations

from typing import Any

from moto.iam import models as _iam_models
from moto.utilities.utils import get_partition

from policies.quota_limits import sent_policy_text
from sandbox.moto_compat.cfn_resources.base import BackendResource

iam_models: Any = _iam_models
iam_backends: Any = _iam_models.iam_backends

# moto's own Role creation, which role_from_cfn extends; kept by install_role_handlers (run once).
_original: dict[str, Any] = {}


def _document(value: Any) -> str:
    return sent_policy_text(value)


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


class OidcProviderResource(BackendResource):
    """AWS::IAM::OIDCProvider: Ref and GetAtt Arn return `arn:aws:iam::<account>:oidc-provider/<host>`."""

    resource_type = "AWS::IAM::OIDCProvider"

    @classmethod
    def make(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> str:
        provider = iam_backends[account_id][get_partition(region_name)].create_open_id_connect_provider(
            properties["Url"], properties.get("ThumbprintList", []), properties.get("ClientIdList", []), []
        )
        return str(provider.arn)

    def remove(self) -> None:
        iam_backends[self.account_id][get_partition(self.region_name)].delete_open_id_connect_provider(self.physical_id)


def install_role_handlers() -> None:
    """moto's AWS::IAM::Role with its managed policies, updated in place."""
    _original["role_create"] = iam_models.Role.create_from_cloudformation_json
    iam_models.Role.create_from_cloudformation_json = classmethod(role_from_cfn)
    iam_models.Role.update_from_cloudformation_json = classmethod(role_update_from_cfn)
