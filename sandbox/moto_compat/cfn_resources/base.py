"""The two shapes of an emulated CloudFormation resource type: declared by class attributes, and, for types
one backend call creates and another removes, with those two calls only."""

from __future__ import annotations

from typing import Any

from moto.core.common_models import CloudFormationModel

from policies.quota_limits import sent_policy_text


def policy_text(policy: Any) -> str:
    """A policy document as the JSON string the APIs take (templates may carry it as an object); the static
    quota check counts the same text (policies/quota_limits.py)."""
    return sent_policy_text(policy)


class DeclaredResource(CloudFormationModel):
    """A resource type the compat layer emulates, declared by its type, name property and GetAtt attributes.

    moto looks its types up among CloudFormationModel's direct subclasses; subclasses of this class are
    not among them, so only the compat layer's lookup (`cfn_resources.lookup`) finds them.
    """

    resource_type = ""
    name_property = ""  # the property that names the resource, "" when CloudFormation generates no name
    attributes: tuple[str, ...] = ()

    @classmethod
    def cloudformation_name_type(cls) -> str:
        return cls.name_property

    @classmethod
    def cloudformation_type(cls) -> str:
        return cls.resource_type

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in cls.attributes


class BackendResource(DeclaredResource):
    """A resource made by one backend call and removed by another; updates replace it."""

    attributes = ("Arn",)

    def __init__(self, physical_id: str, properties: dict[str, Any], account_id: str, region_name: str) -> None:
        self.physical_id = physical_id
        self.properties = properties
        self.account_id = account_id
        self.region_name = region_name

    @property
    def physical_resource_id(self) -> str:
        return self.physical_id

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        return self.physical_id

    @classmethod
    def make(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> str:
        """Create the resource in its backend; return its physical id (Ref and GetAtt Arn)."""
        raise NotImplementedError

    def remove(self) -> None:
        """Remove the resource from its backend."""
        raise NotImplementedError

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> BackendResource:
        properties = cloudformation_json["Properties"]
        return cls(cls.make(resource_name, properties, account_id, region_name), properties, account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> BackendResource:
        original_resource.remove()
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        return None  # removed through the instance (`delete`)

    def delete(self, account_id: str, region_name: str) -> None:
        self.remove()

    def is_created(self) -> bool:
        return True
