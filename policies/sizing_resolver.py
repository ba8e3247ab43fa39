"""A template's documents as CloudFormation will send them, for measuring their size before a deploy.

Pseudo parameters become the stack's real account, region and partition, and `Ref`/`Fn::GetAtt` of a resource
with an explicit name become that name or its ARN, as the proof's StackResolver resolves them. Two
approximations remain, both stated where the sizes are reported (policies/quotas.py):

- A name CloudFormation generates (no explicit name) is measured at the length of CloudFormation's generated
  names, `<stack name>-<logical id>-<13 random characters>`, capped at the type's longest name; a KMS key id at
  36 characters (a UUID), an API Gateway id at 10. The characters are stand-ins; only the length is meant.
- What cannot be resolved at all (`Fn::ImportValue`, `Fn::If`, an attribute the resolver does not know) stays the
  reviewed files' placeholder (`${Ref:X}`, `${X.Attr}`, policies/render_intrinsics.py), measured as written.
"""

from __future__ import annotations

from typing import Any, Protocol

from policies.cloud_assembly import StackTemplate
from policies.iam.cloudformation.resolver import StackResolver, TemplateError
from policies.render_intrinsics import IntrinsicRenderer

GENERATED_SUFFIX = 13  # CloudFormation's random suffix, e.g. `MyStack-MyBucket-1A2B3C4D5E6F7`
# The longest name each name property allows (each type's CloudFormation reference); 64 for the rest.
NAME_LENGTHS = {
    "BucketName": 63,
    "RoleName": 64,
    "FunctionName": 64,
    "TopicName": 256,
    "QueueName": 80,
    "TableName": 255,
    "LogGroupName": 512,
    "ModelPackageGroupName": 63,
    "EndpointName": 63,
    "EndpointConfigName": 63,
    "ModelName": 63,
}
KEY_ID_LENGTH = 36  # a KMS key id is a UUID
REST_API_ID_LENGTH = 10  # an API Gateway REST API id, e.g. `a1b2c3d4e5`


class SizingResolver(StackResolver):
    """Resolves a stack's intrinsics to strings of the length CloudFormation will send; see the module doc."""

    def __init__(self, stack: StackTemplate) -> None:
        super().__init__(stack)
        self._renderer = IntrinsicRenderer(stack)

    def resolve(self, value: Any, where: str) -> Any:
        """`value` with every intrinsic resolved, or kept as its reviewed placeholder when it cannot be."""
        if isinstance(value, dict) and len(value) == 1 and _is_intrinsic(next(iter(value))):
            try:
                return super().resolve(value, where)
            except TemplateError:
                return self._renderer.render(value)
        return super().resolve(value, where)

    def name(self, logical_id: str, resource: dict[str, Any], prop: str) -> str:
        """The explicit name, or a stand-in as long as the name CloudFormation would generate."""
        if resource.get("Properties", {}).get(prop) is not None:
            return super().name(logical_id, resource, prop)
        return self.generated_name(logical_id, NAME_LENGTHS.get(prop, 64))

    def bucket_name(self, logical_id: str, resource: dict[str, Any]) -> str:
        """The explicit bucket name, or a lower-case stand-in as long as a generated one."""
        if resource.get("Properties", {}).get("BucketName") is not None:
            return super().bucket_name(logical_id, resource)
        return self.generated_name(logical_id, NAME_LENGTHS["BucketName"]).lower()

    def generated_name(self, logical_id: str, longest: int) -> str:
        """`<stack name>-<logical id>-<13 characters>`, cut at `longest`: what CloudFormation generates."""
        return f"{self.stack.stack_name}-{logical_id}-{'X' * GENERATED_SUFFIX}"[:longest]

    def _ref(self, target: Any, where: str) -> str:
        kind = self.stack.resources.get(target, {}).get("Type") if isinstance(target, str) else None
        if kind == "AWS::KMS::Key":
            return "k" * KEY_ID_LENGTH
        if kind == "AWS::ApiGateway::RestApi":
            return "a" * REST_API_ID_LENGTH
        return super()._ref(target, where)

    def _get_att(self, argument: Any, where: str) -> str:
        logical_id, _, attribute = (argument if isinstance(argument, str) else ".".join(map(str, argument))).partition(
            "."
        )
        kind = self.stack.resources.get(logical_id, {}).get("Type")
        if kind == "AWS::KMS::Key" and attribute in ("Arn", "KeyId"):
            key_id = "k" * KEY_ID_LENGTH
            return self.arn("kms", f"key/{key_id}") if attribute == "Arn" else key_id
        if kind == "AWS::ApiGateway::RestApi" and attribute == "RootResourceId":
            return "r" * REST_API_ID_LENGTH
        return super()._get_att(argument, where)

    def _sub(self, argument: Any, where: str) -> str:
        # `${!Literal}` is CloudFormation's escape for a literal `${Literal}` (an IAM policy variable).
        return super()._sub(argument, where).replace("${!", "${")


def _is_intrinsic(key: str) -> bool:
    return key == "Ref" or key.startswith("Fn::")


class Resolver(Protocol):
    """What measuring needs of a resolver: a template value with its intrinsics resolved."""

    def resolve(self, value: Any, where: str) -> Any:
        """`value` resolved; `where` names it in an error."""
        ...


class PlaceholderResolver:
    """An environment-agnostic stack's resolver (no account or region to resolve against): placeholders only."""

    def __init__(self, stack: StackTemplate) -> None:
        self._renderer = IntrinsicRenderer(stack)

    def resolve(self, value: Any, where: str) -> Any:
        """`value` with every intrinsic as its reviewed placeholder; `where` is unused (nothing fails)."""
        return self._renderer.render(value)


def sizing_resolver(stack: StackTemplate) -> Resolver:
    """The resolver that measures `stack`'s documents."""
    if stack.account is None or stack.region is None:
        return PlaceholderResolver(stack)
    return SizingResolver(stack)
