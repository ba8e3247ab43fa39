"""moto's CloudFormation, brought to the deploy semantics AWS documents for the stacks modelops deploys.

What moto 5.2.5 does, and what AWS does instead (AWS CloudFormation User Guide, "Update behaviors of
stack resources" and "Stack status codes"):
- A failing resource raises out of CreateStack/UpdateStack as an API error. AWS accepts the request,
  records `CREATE_FAILED`/`UPDATE_FAILED` on the resource with the reason, and rolls the stack back
  (`ROLLBACK_COMPLETE`, `UPDATE_ROLLBACK_COMPLETE`), so the previous resources keep serving.
- An update diffs the raw template, so a resource whose properties resolve to a new value through a
  Ref or GetAtt (an EndpointConfig naming a replaced Model) is not updated. AWS compares resolved
  properties and updates every dependent resource, in dependency order.
- A replacement deletes the old resource before creating the new one. AWS creates the new one first and
  deletes the old one in the cleanup phase, after every resource has updated.
- SageMaker: EndpointName, ModelName and EndpointConfigName are ignored, Containers fails, DeploymentConfig
  is dropped and an endpoint update deletes and recreates the endpoint. AWS honours the names, and an
  EndpointConfigName change is an in-place UpdateEndpoint ("Update requires: No interruption").
- UpdateStack with an unchanged template and no parameters runs anyway. AWS answers ValidationError
  "No updates are to be performed."
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

from moto.cloudformation import models as _cfn_models
from moto.cloudformation import parsing as _parsing
from moto.cloudformation import responses as _cfn_responses
from moto.cloudformation.exceptions import AlreadyExistsException
from moto.cloudformation.exceptions import ValidationError as CfnValidationError
from moto.cloudformation.utils import generate_stack_id
from moto.core.exceptions import ServiceException
from moto.sagemaker import models as _sm_models

from sandbox.moto_compat import cfn_resources

# moto's modules are patched at run time; typed as Any so the replaced attributes type-check.
cfn_models: Any = _cfn_models
parsing: Any = _parsing
cfn_responses: Any = _cfn_responses
sm_models: Any = _sm_models

_original: dict[str, Any] = {}

# Types whose every property change is a replacement, created before the old resource is deleted.
REPLACE_ON_CHANGE = {
    "AWS::SageMaker::Model": "ModelName",
    "AWS::SageMaker::EndpointConfig": "EndpointConfigName",
}
_NAME_PROPERTY = {**REPLACE_ON_CHANGE, "AWS::SageMaker::Endpoint": "EndpointName"}
_SUB_VARIABLE = re.compile(r"\$\{(?!!)([A-Za-z0-9_:]+)(?:\.[A-Za-z0-9_.]+)?\}")


class ResourceFailed(Exception):
    """A resource's handler failed; carries what CloudFormation records on the resource event."""

    def __init__(self, logical_id: str, resource_type: str, reason: str, status: str = "CREATE_FAILED") -> None:
        super().__init__(f"{logical_id} ({resource_type}): {reason}")
        self.logical_id = logical_id
        self.resource_type = resource_type
        self.reason = reason
        self.status = status
        self.rollback_error: str | None = None


def _reason(exc: BaseException) -> str:
    """The resource event's status reason, shaped as CloudFormation's resource handlers report it."""
    if isinstance(exc, ServiceException):
        code, message = exc.code, exc.message
    else:  # moto's older REST errors carry error_type; anything else is a moto limitation, named as such
        code = getattr(exc, "error_type", type(exc).__name__)
        message = getattr(exc, "message", None) or str(exc)
    return f'Resource handler returned message: "{message}" (HandlerErrorCode: {code})'


# -- events -----------------------------------------------------------------------------------------


def _resource_event(
    stack: Any,
    logical_id: str,
    resource_type: str,
    status: str,
    *,
    physical_id: str = "",
    reason: str | None = None,
) -> None:
    if stack is None:  # a change set applied outside a stack update records no resource events
        return
    stack.events.append(
        cfn_models.Event(
            stack_id=stack.stack_id,
            stack_name=stack.name,
            logical_resource_id=logical_id,
            physical_resource_id=physical_id,
            resource_type=resource_type,
            resource_status=status,
            resource_status_reason=reason,
            resource_properties=None,
        )
    )


def _physical_id(resource: Any) -> str:
    return str(getattr(resource, "physical_resource_id", "") or "")


# -- resource creation: names, failures, skipped types ------------------------------------------------


def resource_class_from_type(resource_type: str) -> Any:
    """moto's lookup, with the implemented types and, for any other AWS type it skips, AcceptedResource."""
    if resource_type in cfn_resources.IMPLEMENTED:
        return cfn_resources.IMPLEMENTED[resource_type]
    if resource_type.startswith("AWS::") and resource_type not in parsing.NULL_MODELS:
        return parsing.get_model_map().get(resource_type, cfn_resources.AcceptedResource)
    return _original["resource_class_from_type"](resource_type)


def resource_name_property_from_type(resource_type: str) -> str | None:
    if resource_type in _NAME_PROPERTY:
        return _NAME_PROPERTY[resource_type]
    if resource_type in cfn_resources.IMPLEMENTED:
        return cfn_resources.IMPLEMENTED[resource_type].cloudformation_name_type() or None
    return _original["resource_name_property_from_type"](resource_type)  # type: ignore[no-any-return]


def parse_and_create_resource(
    logical_id: str, resource_json: dict[str, Any], resources_map: Any, account_id: str, region_name: str
) -> Any:
    """moto's creation of one resource, recording its event and turning a failure into ResourceFailed."""
    resource_type = resource_json["Type"]
    try:
        resource = _original["parse_and_create_resource"](
            logical_id, resource_json, resources_map, account_id, region_name
        )
    except ResourceFailed:
        raise
    except Exception as exc:
        raise ResourceFailed(logical_id, resource_type, _reason(exc)) from exc
    stack = getattr(resources_map, "compat_stack", None)
    if resource is not None and stack is not None:
        _resource_event(stack, logical_id, resource_type, "CREATE_COMPLETE", physical_id=_physical_id(resource))
    return resource


# -- SageMaker hosting through CloudFormation ------------------------------------------------------------


def _model_from_cfn(
    cls: Any,
    /,
    resource_name: str,
    cloudformation_json: Any,
    account_id: str,
    region_name: str,
    **kwargs: Any,
) -> Any:
    """AWS::SageMaker::Model with PrimaryContainer or Containers (moto requires PrimaryContainer)."""
    properties = cloudformation_json["Properties"]
    return sm_models.sagemaker_backends[account_id][region_name].create_model(
        model_name=resource_name,
        execution_role_arn=properties["ExecutionRoleArn"],
        primary_container=properties.get("PrimaryContainer"),
        vpc_config=properties.get("VpcConfig", {}),
        containers=properties.get("Containers", []),
        tags=properties.get("Tags", []),
    )


def _endpoint_from_cfn(
    cls: Any,
    /,
    resource_name: str,
    cloudformation_json: Any,
    account_id: str,
    region_name: str,
    **kwargs: Any,
) -> Any:
    """AWS::SageMaker::Endpoint honouring EndpointName (via the name property) and DeploymentConfig."""
    properties = cloudformation_json["Properties"]
    return sm_models.sagemaker_backends[account_id][region_name].create_endpoint(
        endpoint_name=resource_name,
        endpoint_config_name=properties["EndpointConfigName"],
        tags=properties.get("Tags", []),
        deployment_config=properties.get("DeploymentConfig"),
    )


def _endpoint_update_from_cfn(
    cls: Any,
    /,
    original_resource: Any,
    new_resource_name: str,
    cloudformation_json: Any,
    account_id: str,
    region_name: str,
) -> Any:
    """A new EndpointConfigName or DeploymentConfig is an UpdateEndpoint under the same name; a new
    EndpointName is a replacement."""
    backend = sm_models.sagemaker_backends[account_id][region_name]
    if new_resource_name != original_resource.endpoint_name:
        created = _endpoint_from_cfn(cls, new_resource_name, cloudformation_json, account_id, region_name)
        backend.delete_endpoint(original_resource.endpoint_name)
        return created
    properties = cloudformation_json["Properties"]
    backend.update_endpoint(
        endpoint_name=original_resource.endpoint_name,
        endpoint_config_name=properties["EndpointConfigName"],
        deployment_config=properties.get("DeploymentConfig"),
    )
    return original_resource


# -- the stack engine -------------------------------------------------------------------------------


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
            self._replace(logical_id, existing, old_body, body)
        else:
            self._update_in_place(logical_id, body, old_body)

    def _replace(self, logical_id: str, existing: Any, old_body: dict[str, Any], body: dict[str, Any]) -> None:
        name_property = REPLACE_ON_CHANGE[body["Type"]]
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
            raise ResourceFailed(logical_id, body["Type"], _reason(exc), status="UPDATE_FAILED") from exc
        if updated is not None:
            self.rmap._parsed_resources[logical_id] = updated
        self.updated.append((logical_id, old_body))
        _resource_event(self.stack, logical_id, body["Type"], "UPDATE_COMPLETE", physical_id=_physical_id(updated))

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
                return f"{logical_id}: {_reason(exc)}"
            if restored is not None:
                rmap._parsed_resources[logical_id] = restored
        discarded = [(new, body) for _lid, _old, _ob, new, body in self.replaced] + [
            (created, body) for _lid, created, body in self.created
        ]
        for resource, body in reversed(discarded):
            rmap._delete_resource(resource, body)
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
            rmap._delete_resource(old, old_body)


def resource_map_update(self: Any, template: dict[str, Any], parameters: dict[str, Any] | None = None) -> None:
    """ResourceMap.update as CloudFormation performs it (see the module docstring)."""
    _Update(self, getattr(self, "compat_stack", None)).run(template, parameters)


def stack_create_resources(self: Any) -> None:
    """Create every resource; on a failure record it, delete what was made, end in ROLLBACK_COMPLETE."""
    self.status = "CREATE_IN_PROGRESS"
    self.resource_map.compat_stack = self
    try:
        ready = self.resource_map.create(self.template_dict)
    except ResourceFailed as failure:
        _resource_event(self, failure.logical_id, failure.resource_type, failure.status, reason=failure.reason)
        self._add_stack_event(
            "ROLLBACK_IN_PROGRESS",
            resource_status_reason=f"The following resource(s) failed to create: [{failure.logical_id}]. "
            "Rollback requested by user.",
        )
        rmap = self.resource_map
        for logical_id in reversed(list(_created_resources(rmap))):
            rmap._delete_resource(rmap._parsed_resources.pop(logical_id), rmap._resource_json_map[logical_id])
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
        _resource_event(self, failure.logical_id, failure.resource_type, failure.status, reason=failure.reason)
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


def apply() -> None:
    """Install the CloudFormation patches (idempotent)."""
    if _original:
        return
    _original["resource_class_from_type"] = parsing.resource_class_from_type
    _original["resource_name_property_from_type"] = parsing.resource_name_property_from_type
    _original["parse_and_create_resource"] = parsing.parse_and_create_resource
    parsing.resource_class_from_type = resource_class_from_type
    parsing.resource_name_property_from_type = resource_name_property_from_type
    parsing.parse_and_create_resource = parse_and_create_resource
    parsing.ResourceMap.update = resource_map_update
    cfn_models.Stack.create_resources = stack_create_resources
    cfn_models.Stack.update = stack_update
    cfn_models.CloudFormationBackend.create_stack = backend_create_stack
    cfn_responses.CloudFormationResponse._validate_different_update = validate_different_update

    sm_models.Model.create_from_cloudformation_json = classmethod(_model_from_cfn)
    sm_models.FakeEndpoint.create_from_cloudformation_json = classmethod(_endpoint_from_cfn)
    sm_models.FakeEndpoint.update_from_cloudformation_json = classmethod(_endpoint_update_from_cfn)
