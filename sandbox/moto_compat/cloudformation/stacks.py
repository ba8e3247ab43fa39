"""CreateStack and UpdateStack outcomes as AWS reports them: a failing resource is recorded on the stack and
rolled back instead of failing the API call, and an update that changes nothing is refused."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from moto.cloudformation import models as _cfn_models
from moto.cloudformation import parsing as _parsing
from moto.cloudformation import responses as _cfn_responses
from moto.cloudformation.exceptions import AlreadyExistsException
from moto.cloudformation.exceptions import ValidationError as CfnValidationError
from moto.cloudformation.utils import generate_stack_id

from policies.quota_limits import MAX_RESOURCES
from sandbox.moto_compat.cloudformation import retention
from sandbox.moto_compat.cloudformation.failures import (
    ResourceFailed,
    failure_reason,
    physical_id_of,
    resource_event,
)
from sandbox.moto_compat.wrapping import wrap

# moto's modules are patched at run time; typed as Any so the replaced attributes type-check.
cfn_models: Any = _cfn_models
parsing: Any = _parsing
cfn_responses: Any = _cfn_responses


def _parse_and_create_resource(
    inner: Callable[..., Any],
    logical_id: str,
    resource_json: dict[str, Any],
    resources_map: Any,
    account_id: str,
    region_name: str,
) -> Any:
    """moto's creation of one resource, recording its event and turning a failure into ResourceFailed."""
    resource_type = resource_json["Type"]
    try:
        resource = inner(logical_id, resource_json, resources_map, account_id, region_name)
    except ResourceFailed:
        raise
    except Exception as exc:
        raise ResourceFailed(logical_id, resource_type, failure_reason(exc)) from exc
    stack = getattr(resources_map, "compat_stack", None)
    if resource is not None and stack is not None:
        resource_event(stack, logical_id, resource_type, "CREATE_COMPLETE", physical_id=physical_id_of(resource))
    return resource


def stack_create_resources(self: Any) -> None:
    """Create every resource; on a failure record it, delete what was made, end in ROLLBACK_COMPLETE."""
    self.status = "CREATE_IN_PROGRESS"
    self.resource_map.compat_stack = self
    try:
        ready = self.resource_map.create(self.template_dict)
    except ResourceFailed as failure:
        resource_event(self, failure.logical_id, failure.resource_type, failure.status, reason=failure.reason)
        self._add_stack_event(
            "ROLLBACK_IN_PROGRESS",
            resource_status_reason=f"The following resource(s) failed to create: [{failure.logical_id}]. "
            "Rollback requested by user.",
        )
        rmap = self.resource_map
        for logical_id in reversed(list(_created_resources(rmap))):
            retention.delete_resource(
                rmap, rmap._parsed_resources.pop(logical_id), rmap._resource_json_map[logical_id], creating=True
            )
        # A rolled-back stack has no resources and no outputs; moto would create them again on first read.
        rmap._resource_json_map = {}
        self.output_map = cfn_models.OutputMap(rmap, {}, self.stack_id)
        self._add_stack_event("ROLLBACK_COMPLETE")
        self.status = "ROLLBACK_COMPLETE"
        return
    self.description = self.template_dict.get("Description")
    if ready:
        self.mark_creation_complete()


def _created_resources(rmap: Any) -> Iterator[str]:
    for logical_id in rmap._resource_json_map:
        if rmap._parsed_resources.get(logical_id) is not None:
            yield logical_id


def stack_update(
    self: Any,
    template: str,
    role_arn: str | None = None,
    parameters: dict[str, Any] | None = None,
    tags: dict[str, str] | None = None,
) -> None:
    """UpdateStack: on a resource failure, roll back and end in UPDATE_ROLLBACK_COMPLETE."""
    self._add_stack_event("UPDATE_IN_PROGRESS", resource_status_reason="User Initiated")
    self.resource_map.compat_stack = self
    previous_template = self.template
    self.template = template
    self._parse_template()
    try:
        self.resource_map.update(self.template_dict, parameters)
    except ResourceFailed as failure:
        resource_event(self, failure.logical_id, failure.resource_type, failure.status, reason=failure.reason)
        self._add_stack_event(
            "UPDATE_ROLLBACK_IN_PROGRESS",
            resource_status_reason=f"The following resource(s) failed to update: [{failure.logical_id}].",
        )
        self.template = previous_template
        self._parse_template()
        self.output_map = self._create_output_map()
        self.status = "UPDATE_ROLLBACK_FAILED" if failure.rollback_error else "UPDATE_ROLLBACK_COMPLETE"
        self._add_stack_event(self.status, resource_status_reason=failure.rollback_error)
        return
    self.output_map = self._create_output_map()
    self._add_stack_event("UPDATE_COMPLETE")
    self.status = "UPDATE_COMPLETE"
    self.role_arn = role_arn
    if parameters:
        self.parameters = parameters
    if tags is not None:
        self.tags = tags


def backend_create_stack(self: Any, name: str, template: str, parameters: dict[str, Any], **kwargs: Any) -> Any:
    """CreateStack accepts the request and reports resource failures through the stack, as AWS does;
    exports are published only by a stack that completed."""
    if any(stack.name == name for stack in self.stacks.values()):
        raise AlreadyExistsException(f"Stack [{name}] already exists")
    stack_id = generate_stack_id(name, self.region_name, self.account_id)
    stack = cfn_models.Stack(
        stack_id=stack_id,
        name=name,
        template=template,
        parameters=parameters,
        account_id=self.account_id,
        region_name=self.region_name,
        cross_stack_resources=self.exports,
        **kwargs,
    )
    self.stacks[stack_id] = stack
    stack._add_stack_event("CREATE_IN_PROGRESS", resource_status_reason="User Initiated")
    stack.create_resources()
    if stack.status == "CREATE_COMPLETE":
        self._validate_export_uniqueness(stack)
        for export in stack.exports:
            self.exports[export.name] = export
    return stack


def validate_different_update(
    self: Any, incoming_params: list[dict[str, Any]] | None, stack_body: str, old_stack: Any
) -> None:
    """UpdateStack with the same template and parameter values: "No updates are to be performed."."""
    new_params = self._get_param_values(incoming_params or [], old_stack.parameters)
    if stack_body == old_stack.template and new_params == (old_stack.parameters or {}):
        raise CfnValidationError(old_stack.name, message="No updates are to be performed.")


def install_create_rollback() -> None:
    """CreateStack: a failing resource is recorded and the stack rolled back; resource events recorded."""
    wrap(parsing, "parse_and_create_resource", _parse_and_create_resource)
    cfn_models.Stack.create_resources = stack_create_resources
    cfn_models.CloudFormationBackend.create_stack = backend_create_stack


def install_update_rollback() -> None:
    """UpdateStack: a failing resource is recorded and the stack ends UPDATE_ROLLBACK_COMPLETE."""
    cfn_models.Stack.update = stack_update


def install_unchanged_update_refused() -> None:
    """UpdateStack with the template and parameters the stack has: "No updates are to be performed."."""
    cfn_responses.CloudFormationResponse._validate_different_update = validate_different_update


# -- the 500-resource quota ----------------------------------------------------------------------------------

# "Resources: Maximum number of resources that you can declare in your CloudFormation template: 500"
# (CloudFormation quotas, https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html).
# MAX_RESOURCES, shared with the static check (policies/quotas.py).


def check_resource_count(template: str) -> None:
    """A template declaring more than 500 resources fails validation, before any stack changes."""
    try:
        resources = cfn_models.Stack.parse_template(template).get("Resources") or {}
    except Exception:  # an unparsable template is moto's to report, as before
        return
    if len(resources) > MAX_RESOURCES:
        raise CfnValidationError(
            message=f"Template format error: Number of resources, {len(resources)}, is greater than maximum "
            f"allowed, {MAX_RESOURCES}"
        )


def _create_stack_within_quota(
    inner: Callable[..., Any], self: Any, name: str, template: str, *args: Any, **kwargs: Any
) -> Any:
    check_resource_count(template)
    return inner(self, name, template, *args, **kwargs)


def _update_stack_within_quota(
    inner: Callable[..., Any], self: Any, name: str, template: str, *args: Any, **kwargs: Any
) -> Any:
    check_resource_count(template)
    return inner(self, name, template, *args, **kwargs)


def _change_set_within_quota(
    inner: Callable[..., Any],
    self: Any,
    stack_name: str,
    change_set_name: str,
    template: str,
    *args: Any,
    **kwargs: Any,
) -> Any:
    check_resource_count(template)
    return inner(self, stack_name, change_set_name, template, *args, **kwargs)


def install_resource_quota() -> None:
    """CreateStack, UpdateStack and CreateChangeSet refuse a template of more than 500 resources."""
    backend = cfn_models.CloudFormationBackend
    wrap(backend, "create_stack", _create_stack_within_quota)
    wrap(backend, "update_stack", _update_stack_within_quota)
    wrap(backend, "create_change_set", _change_set_within_quota)
