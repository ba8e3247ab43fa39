"""The shapes every service module shares: one authorization check, and what a module may look up."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sandbox.authorization.calls import Call


class NotModelled(ValueError):
    """The sandbox cannot say which actions, resources or context keys AWS would authorize for a call."""


@dataclass(frozen=True)
class Check:
    """One authorization AWS makes for a call: `action` on `resource` (an ARN owned by `account`), in the
    request context `context` (keys as AWS spells them; a list for a multivalued key)."""

    action: str
    resource: str
    account: str
    context: Mapping[str, str | Sequence[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Scope:
    """Where a call is made: the caller's account and the call's region, with the partition."""

    account: str
    region: str
    partition: str = "aws"

    def arn(self, service: str, resource: str, *, account: str | None = None, region: str | None = None) -> str:
        """`arn:<partition>:<service>:<region>:<account>:<resource>` (this scope's region and account by default)."""
        region = self.region if region is None else region
        account = self.account if account is None else account
        return f"arn:{self.partition}:{service}:{region}:{account}:{resource}"


Mapper = Callable[[Call, Scope], list[Check]]


def arn_account(arn: str) -> str:
    """The account field of an ARN (empty for S3 buckets and objects)."""
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 else ""


def param(call: Call, name: str) -> Any:
    """A required request parameter; botocore's model makes it present, so a missing one is not a call AWS takes."""
    value = call.params.get(name)
    if value is None:
        raise NotModelled(f"{call.service}:{call.operation} without {name}")
    return value


def simple(action: str, resource: Callable[[Call, Scope], tuple[str, str]]) -> Mapper:
    """A call authorized as one action on one resource, with no request-specific context keys."""

    def mapper(call: Call, scope: Scope) -> list[Check]:
        arn, account = resource(call, scope)
        return [Check(action, arn, account)]

    return mapper


def everywhere(action: str) -> Mapper:
    """A call that names no resource type: IAM authorizes it on `*` in the caller's account."""

    def mapper(call: Call, scope: Scope) -> list[Check]:
        return [Check(action, "*", scope.account)]

    return mapper


def request_tags(tags: Any) -> dict[str, str | list[str]]:
    """aws:RequestTag/<key> and aws:TagKeys of the tags a call creates (a list of Key/Value, or a map)."""
    pairs = (
        [(tag["Key"], tag["Value"]) for tag in tags]
        if isinstance(tags, list)
        else list(tags.items())
        if isinstance(tags, dict)
        else []
    )
    if not pairs:
        return {}
    context: dict[str, str | list[str]] = {f"aws:RequestTag/{key}": value for key, value in pairs}
    context["aws:TagKeys"] = [key for key, _value in pairs]
    return context
