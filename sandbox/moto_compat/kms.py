"""AWS::KMS::Key's Tags in CloudFormation.

CloudFormation's AWS::KMS::Key takes Tags as a list of `{Key, Value}` (the resource's Tag type, AWS
CloudFormation Template Reference, "AWS::KMS::Key Tag"). moto 5.2.5 hands that list unchanged to its
CreateKey, which reads the API's `{TagKey, TagValue}` (KMS API Reference, "Tag"), so any stack with a
tagged key fails with the handler error `'TagKey'`. The sandbox translates the CloudFormation shape into
the API's before moto creates the key.
"""

from __future__ import annotations

from typing import Any

from moto.kms import models as _kms_models

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
