"""How moto's CloudFormation finds a resource type's class, with the types the compat layer emulates.

moto silently skips types it does not know (the stack still reports complete) and fails a stack on any
GetAtt of a skipped type. The lookup returns the emulated class for the types in `EMULATED`, and for any
other AWS type moto lacks, `AcceptedResource`, so references to it resolve and the stack lists it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.cloudformation import parsing as _parsing
from moto.core.common_models import CloudFormationModel
from moto.utilities.utils import get_partition

from sandbox.moto_compat.cfn_resources.base import DeclaredResource
from sandbox.moto_compat.wrapping import wrap

# moto's module is patched at run time; typed as Any so the replaced attributes type-check.
parsing: Any = _parsing

# The emulated types by CloudFormation type; each is added by its own entry in the registry of patches.
EMULATED: dict[str, type[DeclaredResource]] = {}


class AcceptedResource(CloudFormationModel):
    """A type no moto backend holds and the compat layer does not emulate (for example AWS::ApiGateway::Stage).

    It is recorded, not emulated: the stack lists it, Ref returns its physical name, and GetAtt returns
    `arn:<partition>:<service>:<region>:<account>:<name>` for attributes ending in Arn and the name for
    any other, so templates that reference it deploy. These values are not the ones AWS would assign;
    nothing in the sandbox reads them back. The policy tests, not the sandbox, prove what such
    resources allow.
    """

    def __init__(self, resource_type: str, name: str, properties: dict[str, Any], account_id: str, region: str) -> None:
        self.resource_type = resource_type
        self.name = name
        self.properties = properties
        self.account_id = account_id
        self.region_name = region

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Modelops::Accepted"  # never matched: instances are made per type by the compat layer

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return True

    @property
    def physical_resource_id(self) -> str:
        return self.name

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name.endswith("Arn"):
            service = self.resource_type.split("::")[1].lower()
            partition = get_partition(self.region_name)
            return f"arn:{partition}:{service}:{self.region_name}:{self.account_id}:{self.name}"
        return self.name

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> AcceptedResource:
        return cls(
            cloudformation_json["Type"],
            resource_name,
            cloudformation_json["Properties"],
            account_id,
            region_name,
        )

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: AcceptedResource,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> AcceptedResource:
        original_resource.properties = cloudformation_json["Properties"]
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        return None

    def delete(self, account_id: str, region_name: str) -> None:
        return None

    def is_created(self) -> bool:
        return True


def emulate(resource: type[DeclaredResource]) -> Callable[[], None]:
    """The installer that makes moto's CloudFormation create `resource`'s type through `resource`."""

    def install() -> None:
        EMULATED[resource.resource_type] = resource

    return install


def _resource_class_from_type(inner: Callable[[str], Any], resource_type: str) -> Any:
    """moto's lookup, with the emulated types and, for any other AWS type it skips, AcceptedResource."""
    if resource_type in EMULATED:
        return EMULATED[resource_type]
    if resource_type.startswith("AWS::") and resource_type not in parsing.NULL_MODELS:
        return parsing.get_model_map().get(resource_type, AcceptedResource)
    return inner(resource_type)


def _resource_name_property_from_type(inner: Callable[[str], str | None], resource_type: str) -> str | None:
    """moto's lookup of the property that names a resource, knowing the emulated types."""
    if resource_type in EMULATED:
        return EMULATED[resource_type].cloudformation_name_type() or None
    return inner(resource_type)


def install_type_lookup() -> None:
    """moto's CloudFormation finds the emulated types, and accepts the AWS types it lacks."""
    wrap(parsing, "resource_class_from_type", _resource_class_from_type)
    wrap(parsing, "resource_name_property_from_type", _resource_name_property_from_type)
