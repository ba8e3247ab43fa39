"""CloudFormation acting as a stack's execution role: each resource it creates or updates is authorized,
as AWS authorizes the resource handler's calls made with that role ("AWS CloudFormation service role":
"CloudFormation uses the role's credentials to make calls on your behalf").

For the types the workload stacks deploy, the requests are those of `policies.cfn_execution` (actions
narrowed to the properties set, the resource's ARN, its condition keys). A stack deployed without an
execution role acts with its caller's credentials, which the gate judged on CreateStack; other types
are not judged resource by resource (README, "Where the sandbox and AWS agree").
A refusal fails the resource as CloudFormation reports a handler's AccessDenied, and the stack rolls back.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from moto.cloudformation import parsing as _parsing
from moto.core.exceptions import ServiceException

from policies.cfn_execution import alias_target_tags, resource_requests
from policies.iam import Policy, PolicyKind
from sandbox.authorization.callers import role_caller
from sandbox.authorization.catalog import Check
from sandbox.authorization.decide import judge
from sandbox.authorization.gate import TALLY
from sandbox.moto_compat.wrapping import wrap

parsing: Any = _parsing
SESSION_NAME = "AWSCloudFormation"


class HandlerAccessDenied(ServiceException):
    """The handler's call was refused: CloudFormation records it as HandlerErrorCode AccessDenied."""

    code = "AccessDenied"


def _checks(
    account: str, region: str, kind: str, properties: dict[str, Any], key_tags: dict[str, str]
) -> list[Check] | None:
    requests = resource_requests(account, region, kind, properties, key_tags)
    if requests is None:
        return None
    return [Check(action, arn, account, context) for action, arn, context in requests]


def _key_policy(properties: dict[str, Any]) -> Policy | None:
    document = properties.get("KeyPolicy")
    if not isinstance(document, dict):
        return None
    return Policy("the key policy the template sets", json.loads(json.dumps(document)), PolicyKind.KMS_KEY)


def authorize(resources_map: Any, resource_json: dict[str, Any], account: str, region: str) -> None:
    """Refuse (HandlerAccessDenied) a resource the stack's execution role may not create or update."""
    stack = getattr(resources_map, "compat_stack", None)
    role = getattr(stack, "role_arn", None)
    if not role:
        return
    try:
        properties = parsing.clean_json(copy.deepcopy(resource_json.get("Properties", {})), resources_map)
    except Exception:  # unresolvable yet: moto's own creation reports it
        return
    template = getattr(resources_map, "_template", {}) or {}
    key_tags = alias_target_tags(template.get("Resources", {}), resource_json.get("Properties", {}))
    checks = _checks(account, region, resource_json["Type"], properties, key_tags)
    if not checks:
        return
    caller = role_caller(str(role), SESSION_NAME)
    verdict = judge(caller, checks, region=region, key_policy=_key_policy(properties))
    TALLY.count(verdict, f"cloudformation:{resource_json['Type']}")
    if not verdict.allowed:
        raise HandlerAccessDenied(verdict.message)


def _authorized_first(
    inner: Callable[..., Any],
    logical_id: str,
    resource_json: dict[str, Any],
    resources_map: Any,
    account_id: str,
    region_name: str,
) -> Any:
    """moto's creation or update of one resource, after the execution role is authorized for it."""
    authorize(resources_map, resource_json, account_id, region_name)
    return inner(logical_id, resource_json, resources_map, account_id, region_name)


def install() -> None:
    """Every resource CloudFormation creates or updates with an execution role is authorized first."""
    wrap(parsing, "parse_and_create_resource", _authorized_first)
    wrap(parsing, "parse_and_update_resource", _authorized_first)
