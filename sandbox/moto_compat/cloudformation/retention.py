"""DeletionPolicy and UpdateReplacePolicy as CloudFormation honours them: a retained resource outlives its
removal from the template, its replacement and its stack.

From "DeletionPolicy attribute" and "UpdateReplacePolicy attribute" (CloudFormation user guide):
- `DeletionPolicy: Retain` keeps the resource when it leaves the template, when its stack is deleted and
  when a failed creation rolls back; `RetainExceptOnCreate` keeps it except in that rollback;
- `UpdateReplacePolicy: Retain` keeps the old resource when an update replaces it;
- CloudFormation reports each kept resource as DELETE_SKIPPED.
moto deletes every one of them.
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation import parsing as _parsing

from sandbox.moto_compat.cloudformation.failures import physical_id_of, resource_event

parsing: Any = _parsing

RETAINED = frozenset({"Retain", "RetainExceptOnCreate"})
_delete: Any = None  # moto's own ResourceMap._delete_resource, kept by `install_retention`


def _skip(rmap: Any, resource: Any, body: dict[str, Any]) -> None:
    logical_id = getattr(resource, "logical_resource_id", None) or ""
    stack = getattr(rmap, "compat_stack", None)
    resource_event(stack, logical_id, str(body.get("Type", "")), "DELETE_SKIPPED", physical_id=physical_id_of(resource))


def delete_resource(rmap: Any, resource: Any, body: dict[str, Any], *, creating: bool = False) -> None:
    """Delete a resource that leaves its stack, unless its DeletionPolicy keeps it (`creating`: the rollback
    of a failed creation, where RetainExceptOnCreate deletes)."""
    policy = body.get("DeletionPolicy")
    if policy == "Retain" or (policy == "RetainExceptOnCreate" and not creating):
        _skip(rmap, resource, body)
        return
    _delete(rmap, resource, body)


def delete_replaced(rmap: Any, resource: Any, body: dict[str, Any]) -> None:
    """Delete the resource an update replaced, unless its UpdateReplacePolicy keeps it."""
    if body.get("UpdateReplacePolicy") == "Retain":
        _skip(rmap, resource, body)
        return
    _delete(rmap, resource, body)


def _honouring_deletion_policy(self: Any, parsed_resource: Any, resource_json: dict[str, Any]) -> None:
    delete_resource(self, parsed_resource, resource_json)


def install_retention() -> None:
    """ResourceMap._delete_resource honours DeletionPolicy (stack deletion, removal from the template)."""
    global _delete
    if _delete is None:
        _delete = parsing.ResourceMap._delete_resource
    parsing.ResourceMap._delete_resource = _honouring_deletion_policy
