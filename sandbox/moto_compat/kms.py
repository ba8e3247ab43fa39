"""AWS::KMS::Key's Tags in CloudFormation, and the key policy size limit.

CloudFormation's AWS::KMS::Key takes Tags as a list of `{Key, Value}` (the resource's Tag type, AWS
CloudFormation Template Reference, "AWS::KMS::Key Tag"). moto 5.2.5 hands that list unchanged to its
CreateKey, which reads the API's `{TagKey, TagValue}` (KMS API Reference, "Tag"), so any stack with a
tagged key fails with the handler error `'TagKey'`. The sandbox translates the CloudFormation shape into
the API's before moto creates the key.

A key policy is at most 32 KB: PutKeyPolicy's and CreateKey's Policy has "Length Constraints: Minimum length of
1. Maximum length of 32768" (KMS API Reference, API_PutKeyPolicy and API_CreateKey), and the KMS quotas page
lists "Key policy document size: 32 KB (32,768 bytes)". moto stores a policy of any size. The sandbox refuses
a larger one with LimitExceededException ("The request was rejected because a quota was exceeded", KMS API
Reference, PutKeyPolicy Errors), measured in UTF-8 bytes (the stricter reading); CloudFormation's
AWS::KMS::Key creates its key through the same CreateKey, so an oversized KeyPolicy fails the resource. AWS
documents the limit and the code, not the message: the message is the sandbox's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.kms import models as _kms_models

from policies.quota_limits import KEY_POLICY_LIMIT, key_policy_bytes
from sandbox.moto_compat.wrapping import wrap

kms_models: Any = _kms_models


def _api_tags(tags: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{"TagKey": tag["Key"], "TagValue": tag["Value"]} for tag in tags]


def install_key_tags() -> None:
    """Create a CloudFormation key with its Tags, read in CloudFormation's `{Key, Value}` shape."""
    inner = kms_models.Key.create_from_cloudformation_json  # bound to the class: a classmethod

    def create_from_cloudformation_json(
        cls: type[Any],
        /,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        properties = cloudformation_json.get("Properties", {})
        if properties.get("Tags"):
            properties = {**properties, "Tags": _api_tags(properties["Tags"])}
            cloudformation_json = {**cloudformation_json, "Properties": properties}
        return inner(resource_name, cloudformation_json, account_id, region_name, **kwargs)

    kms_models.Key.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)


class KeyPolicyTooLarge(JsonRESTError):
    """A key policy over 32 KB: LimitExceededException (HTTP 400)."""

    code = 400

    def __init__(self, size: int) -> None:
        super().__init__(
            "LimitExceededException",
            f"The key policy is {size} bytes; a key policy can be at most {KEY_POLICY_LIMIT} bytes (32 KB).",
        )


def check_key_policy(policy: Any) -> None:
    """A key policy over 32,768 bytes is refused (a template's policy object measured as compact JSON)."""
    if policy is not None:
        size = key_policy_bytes(policy)
        if size > KEY_POLICY_LIMIT:
            raise KeyPolicyTooLarge(size)


def _create_key(inner: Callable[..., Any], self: Any, policy: Any, *args: Any, **kwargs: Any) -> Any:
    check_key_policy(policy)
    return inner(self, policy, *args, **kwargs)


def _put_key_policy(inner: Callable[..., None], self: Any, key_id: str, policy: str) -> None:
    check_key_policy(policy)
    inner(self, key_id, policy)


def install_key_policy_limit() -> None:
    """CreateKey and PutKeyPolicy refuse a key policy over 32 KB."""
    wrap(kms_models.KmsBackend, "create_key", _create_key)
    wrap(kms_models.KmsBackend, "put_key_policy", _put_key_policy)
