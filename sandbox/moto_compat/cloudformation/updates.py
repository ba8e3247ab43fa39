"""UpdateStack as CloudFormation performs it: resolved properties compared, dependency order, replacements
created before the old resource is deleted in the cleanup phase, and a rollback when a resource fails."""

from __future__ import annotations

import copy
import re
from typing import Any

from moto.cloudformation import parsing as _parsing
from moto.cloudformation.exceptions import ValidationError as CfnValidationError

from sandbox.moto_compat.cfn_resources.sagemaker import REPLACE_ON_CHANGE, REPLACE_ON_PROPERTY_CHANGE
from sandbox.moto_compat.cloudformation import retention
from sandbox.moto_compat.cloudformation.failures import (
    ResourceFailed,
    failure_reason,
    physical_id_of,
    resource_event,
)

# moto's module is patched at run time; typed as Any so the replaced attributes type-check.
parsing: Any = _parsing

_SUB_VARIABLE = re.compile(r"\$\{(?!!)([A-Za-z0-9_:]+)(?:\.[A-Za-z0-9_.]+)?\}")


def _references(node: Any) -> set[str]:
    """Logical ids a template fragment refers to through Ref, Fn::GetAtt and Fn::Sub."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value[0] if isinstance(value, list) else str(value).split(".")[0])
            elif key == "Fn::Sub":
                text, variables = (value[0], value[1]) if isinstance(value, list) else (value, {})
                found |= set(_SUB_VARIABLE.findall(text)) - set(variables)
            found |= _references(value)
    elif isinstance(node, list):
        for item in node:
            found |= _references(item)
    return found


def _dependency_order(resources: dict[str, Any]) -> list[str]:
    """Logical ids so that each comes after what it references or DependsOn (template order otherwise)."""
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(logical_id: str) -> None:
        if state.get(logical_id) == "done":
            return
        if state.get(logical_id) == "visiting":
            raise CfnValidationError(message=f"Circular dependency between resources: [{logical_id}]")
        state[logical_id] = "visiting"
        resource = resources[logical_id]
        depends = resource.get("DependsOn", [])
        for dependency in sorted(_references(resource) | set([depends] if isinstance(depends, str) else depends)):
            if dependency in resources:
                visit(dependency)
        state[logical_id] = "done"
        order.append(logical_id)

    for logical_id in resources:
        visit(logical_id)
    return order


_UNRESOLVED = object()


def _resolved(rmap: Any, resource_json: dict[str, Any]) -> Any:
    """The resource's properties with every intrinsic function resolved, as CloudFormation compares them.

    A value moto cannot resolve compares unequal to everything, so the resource is updated.
    """
    try:
        return parsing.clean_json(copy.deepcopy(resource_json.get("Properties", {})), rmap)
    except ResourceFailed:
        raise
    except Exception:
        return _UNRESOLVED


def _enabled(rmap: Any, resource_json: dict[str, Any]) -> bool:
    condition = resource_json.get("Condition")
    return not condition or bool(rmap.lazy_condition_map[condition])


def _load_template(rmap: Any, template: dict[str, Any], parameters: dict[str, Any] | None) -> None:
    rmap._template = template
    if parameters:
        rmap.input_parameters = parameters
    rmap.load_mapping()
    rmap.load_parameters()
    rmap.load_conditions()
    rmap._resource_json_map = template["Resources"]


def _needs_replacement(resource_type: str, old: Any, new: Any) -> bool:
    """Whether a changed resource of `resource_type` changed a property whose update requires replacement."""
    if resource_type not in REPLACE_ON_PROPERTY_CHANGE or old is _UNRESOLVED or new is _UNRESOLVED:
        return False
    _name, properties = REPLACE_ON_PROPERTY_CHANGE[resource_type]
    return any(old.get(name) != new.get(name) for name in properties)


class _Update:
    """One stack update: apply in dependency order, roll back on failure, clean up on success."""

    def __init__(self, rmap: Any, stack: Any) -> None:
        self.rmap = rmap
        self.stack = stack
        self.account = rmap._account_id
        self.region = rmap._region_name
        self.created: list[tuple[str, Any, dict[str, Any]]] = []
        self.replaced: list[tuple[str, Any, dict[str, Any], Any, dict[str, Any]]] = []
        self.updated: list[tuple[str, dict[str, Any]]] = []

    def run(self, template: dict[str, Any], parameters: dict[str, Any] | None) -> None:
        rmap = self.rmap
        old_template, old_inputs = rmap._template, dict(rmap.input_parameters)
        old_resources = dict(rmap._resource_json_map)
        old_resolved = {
            lid: _resolved(rmap, body) for lid, body in old_resources.items() if rmap._parsed_resources.get(lid)
        }
        _load_template(rmap, template, parameters)
        try:
            for logical_id in _dependency_order(rmap._resource_json_map):
                self._apply(logical_id, old_resources, old_resolved)
        except ResourceFailed as failure:
            failure.rollback_error = self._roll_back(old_template, old_inputs)
            raise
        self._clean_up(old_resources)

    def _apply(self, logical_id: str, old_resources: dict[str, Any], old_resolved: dict[str, Any]) -> None:
        rmap = self.rmap
        body = rmap._resource_json_map[logical_id]
        if not _enabled(rmap, body):
            return
        existing = rmap._parsed_resources.get(logical_id)
        if existing is None or logical_id not in old_resources:
            created = rmap[logical_id]  # moto creates lazily on first access
            if created is not None:
                self.created.append((logical_id, created, body))
            return
        old_body = old_resources[logical_id]
        old, new = old_resolved.get(logical_id, _UNRESOLVED), _resolved(rmap, body)
        if old_body["Type"] == body["Type"] and old is not _UNRESOLVED and old == new:
            return
        if body["Type"] in REPLACE_ON_CHANGE:
            self._replace(logical_id, existing, old_body, body, REPLACE_ON_CHANGE[body["Type"]])
        elif _needs_replacement(body["Type"], old, new):
            self._replace(logical_id, existing, old_body, body, REPLACE_ON_PROPERTY_CHANGE[body["Type"]][0])
        else:
            self._update_in_place(logical_id, body, old_body)

    def _replace(
        self, logical_id: str, existing: Any, old_body: dict[str, Any], body: dict[str, Any], name_property: str
    ) -> None:
        name = body.get("Properties", {}).get(name_property)
        if name is not None and name == old_body.get("Properties", {}).get(name_property):
            raise ResourceFailed(
                logical_id,
                body["Type"],
                "CloudFormation cannot update a stack when a custom-named resource requires replacing. "
                f"Rename {name} and update the stack again.",
                status="UPDATE_FAILED",
            )
        try:
            new = parsing.parse_and_create_resource(logical_id, body, self.rmap, self.account, self.region)
        except ResourceFailed as failure:
            failure.status = "UPDATE_FAILED"
            raise
        self.rmap._parsed_resources[logical_id] = new
        self.replaced.append((logical_id, existing, old_body, new, body))

    def _update_in_place(self, logical_id: str, body: dict[str, Any], old_body: dict[str, Any]) -> None:
        try:
            updated = parsing.parse_and_update_resource(logical_id, body, self.rmap, self.account, self.region)
        except Exception as exc:
            raise ResourceFailed(logical_id, body["Type"], failure_reason(exc), status="UPDATE_FAILED") from exc
        if updated is not None:
            self.rmap._parsed_resources[logical_id] = updated
        self.updated.append((logical_id, old_body))
        resource_event(self.stack, logical_id, body["Type"], "UPDATE_COMPLETE", physical_id=physical_id_of(updated))

    def _roll_back(self, old_template: dict[str, Any], old_inputs: dict[str, Any]) -> str | None:
        """Return every resource to its previous state; the new ones go last, as in AWS's cleanup.

        Returns the reason the rollback failed (UPDATE_ROLLBACK_FAILED), or None.
        """
        rmap = self.rmap
        _load_template(rmap, old_template, old_inputs)
        for logical_id, old, _old_body, _new, _body in self.replaced:
            rmap._parsed_resources[logical_id] = old
        for logical_id, _created, _body in self.created:
            rmap._parsed_resources.pop(logical_id, None)
        for logical_id, old_body in reversed(self.updated):
            try:
                restored = parsing.parse_and_update_resource(logical_id, old_body, rmap, self.account, self.region)
            except Exception as exc:
                return f"{logical_id}: {failure_reason(exc)}"
            if restored is not None:
                rmap._parsed_resources[logical_id] = restored
        discarded = [(new, body) for _lid, _old, _ob, new, body in self.replaced] + [
            (created, body) for _lid, created, body in self.created
        ]
        for resource, body in reversed(discarded):
            retention.delete_resource(rmap, resource, body, creating=True)
        return None

    def _clean_up(self, old_resources: dict[str, Any]) -> None:
        """Delete what the new template no longer has and the resources that were replaced."""
        rmap = self.rmap
        removed = [
            (lid, body)
            for lid, body in old_resources.items()
            if (lid not in rmap._resource_json_map or not _enabled(rmap, rmap._resource_json_map[lid]))
            and rmap._parsed_resources.get(lid) is not None
        ]
        for logical_id, body in reversed(removed):
            rmap._delete_resource(rmap._parsed_resources.pop(logical_id), body)
        for _lid, old, old_body, _new, _body in reversed(self.replaced):
            retention.delete_replaced(rmap, old, old_body)


def resource_map_update(self: Any, template: dict[str, Any], parameters: dict[str, Any] | None = None) -> None:
    """ResourceMap.update as CloudFormation performs it (see the module docstring)."""
    _Update(self, getattr(self, "compat_stack", None)).run(template, parameters)


def install_update_engine() -> None:
    """moto's ResourceMap.update replaced by the engine above."""
    parsing.ResourceMap.update = resource_map_update
