"""IAM's policy size and attachment quotas, which moto 5.2.5 does not enforce.

IAM and AWS STS quotas (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html):
- "Role policy size": all the inline policies of a role together, at most 10,240 characters;
- "Managed policy size": 6,144 characters;
- "Role trust policy length": 2,048 characters;
- "Managed policies per role": 10 by default.
"IAM doesn't count white space when calculating the size of a policy against these limits", so a document is
measured as its JSON with the whitespace outside strings removed (`policy_characters`, in policies/quota_limits.py,
which the static check of a synthesized assembly, policies/quotas.py, shares).

AWS answers each with the error code LimitExceeded (HTTP 409). AWS documents the quota, not the message: the
messages here are those AWS's IAM returns as reported in public error reports ("Maximum policy size of 10240
bytes exceeded for role <name>", "Cannot exceed quota for PolicySize: 6144", "Cannot exceed quota for
ACLSizePerRole: 2048", "Cannot exceed quota for PoliciesPerRole: 10"); a divergence to confirm on AWS.

The backend calls are checked (PutRolePolicy, CreatePolicy, CreatePolicyVersion, CreateRole,
UpdateAssumeRolePolicy, AttachRolePolicy), and so are CloudFormation's AWS::IAM::Role, AWS::IAM::Policy and
AWS::IAM::ManagedPolicy, before they create anything: a resource over a quota fails, and its stack rolls back
without leaving a half-made role or policy behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from moto.iam import models as _iam_models
from moto.iam.exceptions import LimitExceededException
from moto.utilities.utils import get_partition

from policies.quota_limits import (
    MANAGED_POLICIES_PER_ROLE,
    MANAGED_POLICY_LIMIT,
    ROLE_INLINE_POLICIES_LIMIT,
    TRUST_POLICY_LIMIT,
    policy_characters,
)
from sandbox.moto_compat.wrapping import wrap

iam_models: Any = _iam_models


def check_managed_policy(document: Any) -> None:
    """A managed policy (or a version of one) over 6,144 characters is refused."""
    if policy_characters(document) > MANAGED_POLICY_LIMIT:
        raise LimitExceededException(f"Cannot exceed quota for PolicySize: {MANAGED_POLICY_LIMIT}")


def check_trust_policy(document: Any) -> None:
    """A role trust policy over 2,048 characters is refused."""
    if policy_characters(document) > TRUST_POLICY_LIMIT:
        raise LimitExceededException(f"Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_LIMIT}")


def check_inline_policies(role_name: str, documents: Iterable[Any]) -> None:
    """A role whose inline policies together would exceed 10,240 characters is refused."""
    if sum(policy_characters(document) for document in documents) > ROLE_INLINE_POLICIES_LIMIT:
        raise LimitExceededException(
            f"Maximum policy size of {ROLE_INLINE_POLICIES_LIMIT} bytes exceeded for role {role_name}"
        )


def check_managed_policy_count(count: int) -> None:
    """A role that would have more than 10 managed policies attached is refused."""
    if count > MANAGED_POLICIES_PER_ROLE:
        raise LimitExceededException(f"Cannot exceed quota for PoliciesPerRole: {MANAGED_POLICIES_PER_ROLE}")


def _inline_with(role: Any, policies: Mapping[str, Any]) -> list[Any]:
    """The role's inline documents once `policies` (name -> document) are put: same names are replaced."""
    return [document for name, document in role.policies.items() if name not in policies] + list(policies.values())


def check_role_properties(role_name: str, properties: Mapping[str, Any]) -> None:
    """An AWS::IAM::Role's trust, inline policies and ManagedPolicyArns, checked before the role is made."""
    check_trust_policy(properties["AssumeRolePolicyDocument"])
    check_inline_policies(role_name, [policy["PolicyDocument"] for policy in properties.get("Policies", [])])
    check_managed_policy_count(len(set(properties.get("ManagedPolicyArns", []))))


# -- the backend calls -------------------------------------------------------------------------------------


def _put_role_policy(inner: Callable[..., None], self: Any, role_name: str, policy_name: str, policy_json: str) -> None:
    check_inline_policies(role_name, _inline_with(self.get_role(role_name), {policy_name: policy_json}))
    inner(self, role_name, policy_name, policy_json)


def _create_policy(inner: Callable[..., Any], self: Any, *args: Any, **kwargs: Any) -> Any:
    document = kwargs["policy_document"] if "policy_document" in kwargs else args[2]
    check_managed_policy(document)
    return inner(self, *args, **kwargs)


def _create_policy_version(
    inner: Callable[..., Any], self: Any, policy_arn: str, policy_document: str, set_as_default: bool
) -> Any:
    check_managed_policy(policy_document)
    return inner(self, policy_arn, policy_document, set_as_default)


def _create_role(inner: Callable[..., Any], self: Any, *args: Any, **kwargs: Any) -> Any:
    document = kwargs["assume_role_policy_document"] if "assume_role_policy_document" in kwargs else args[1]
    check_trust_policy(document)
    return inner(self, *args, **kwargs)


def _update_assume_role_policy(inner: Callable[..., None], self: Any, role_name: str, policy_document: str) -> None:
    check_trust_policy(policy_document)
    inner(self, role_name, policy_document)


def _attach_role_policy(inner: Callable[..., None], self: Any, policy_arn: str, role_name: str) -> None:
    attached = set(self.get_role(role_name).managed_policies)
    check_managed_policy_count(len(attached | {policy_arn}))
    inner(self, policy_arn, role_name)


def install_iam_policy_quotas() -> None:
    """IAM's API refuses a policy, trust or attachment over its quota with LimitExceeded."""
    backend = iam_models.IAMBackend
    wrap(backend, "put_role_policy", _put_role_policy)
    wrap(backend, "create_policy", _create_policy)
    wrap(backend, "create_policy_version", _create_policy_version)
    wrap(backend, "create_role", _create_role)
    wrap(backend, "update_assume_role_policy", _update_assume_role_policy)
    wrap(backend, "attach_role_policy", _attach_role_policy)


# -- CloudFormation: check before anything is created -----------------------------------------------------


def _backend(account_id: str, region_name: str) -> Any:
    return iam_models.iam_backends[account_id][get_partition(region_name)]


def _check_inline_policy_resource(backend: Any, properties: Mapping[str, Any]) -> None:
    """AWS::IAM::Policy: its document joins each of its roles' inline policies."""
    for role_name in properties.get("Roles") or []:
        role = backend.get_role(role_name)
        check_inline_policies(role_name, _inline_with(role, {properties["PolicyName"]: properties["PolicyDocument"]}))


def _check_managed_policy_resource(backend: Any, properties: Mapping[str, Any], arn: str | None) -> None:
    """AWS::IAM::ManagedPolicy: its size, and the attachment count of each of its roles."""
    check_managed_policy(properties.get("PolicyDocument"))
    for role_name in properties.get("Roles") or []:
        attached = set(backend.get_role(role_name).managed_policies)
        check_managed_policy_count(len(attached | ({arn} if arn else {"(new policy)"})))


def install_iam_cloudformation_quotas() -> None:
    """CloudFormation's IAM types check the quotas before they create or update anything."""
    inline_create = iam_models.InlinePolicy.create_from_cloudformation_json
    inline_update = iam_models.InlinePolicy.update_from_cloudformation_json
    managed_create = iam_models.ManagedPolicy.create_from_cloudformation_json
    # The role handlers of cfn_resources.iam (installed before this), bound to the class.
    role_create = iam_models.Role.create_from_cloudformation_json
    role_update = iam_models.Role.update_from_cloudformation_json

    def create_inline(
        cls: Any, /, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> Any:
        _check_inline_policy_resource(_backend(account_id, region_name), cloudformation_json.get("Properties", {}))
        return inline_create(resource_name, cloudformation_json, account_id, region_name, **kwargs)

    def update_inline(
        cls: Any,
        /,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> Any:
        backend = _backend(account_id, region_name)
        properties = cloudformation_json.get("Properties", {})
        for role_name in properties.get("Roles") or []:
            role = backend.get_role(role_name)
            # The policy's previous document on this role is replaced, whatever its name was.
            others = {n: d for n, d in role.policies.items() if n != original_resource.policy_name}
            documents = [d for n, d in others.items() if n != properties["PolicyName"]]
            check_inline_policies(role_name, [*documents, properties["PolicyDocument"]])
        return inline_update(original_resource, new_resource_name, cloudformation_json, account_id, region_name)

    def create_managed(
        cls: Any, /, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> Any:
        _check_managed_policy_resource(
            _backend(account_id, region_name), cloudformation_json.get("Properties", {}), None
        )
        return managed_create(resource_name, cloudformation_json, account_id, region_name, **kwargs)

    def create_role(
        cls: Any, /, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> Any:
        properties = cloudformation_json["Properties"]
        check_role_properties(properties.get("RoleName", resource_name), properties)
        return role_create(resource_name, cloudformation_json, account_id, region_name, **kwargs)

    def update_role(
        cls: Any,
        /,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> Any:
        properties = cloudformation_json["Properties"]
        check_role_properties(properties.get("RoleName", original_resource.name), properties)
        return role_update(original_resource, new_resource_name, cloudformation_json, account_id, region_name)

    iam_models.Role.create_from_cloudformation_json = classmethod(create_role)
    iam_models.Role.update_from_cloudformation_json = classmethod(update_role)
    iam_models.InlinePolicy.create_from_cloudformation_json = classmethod(create_inline)
    iam_models.InlinePolicy.update_from_cloudformation_json = classmethod(update_inline)
    iam_models.ManagedPolicy.create_from_cloudformation_json = classmethod(create_managed)
