"""What CloudFormation records when a resource fails, and the resource events moto does not record."""

from __future__ import annotations

from typing import Any

from moto.cloudformation import models as _cfn_models
from moto.core.exceptions import ServiceException

cfn_models: Any = _cfn_models


class ResourceFailed(Exception):
    """A resource's handler failed; carries what CloudFormation records on the resource event."""

    def __init__(self, logical_id: str, resource_type: str, reason: str, status: str = "CREATE_FAILED") -> None:
        super().__init__(f"{logical_id} ({resource_type}): {reason}")
        self.logical_id = logical_id
        self.resource_type = resource_type
        self.reason = reason
        self.status = status
        self.rollback_error: str | None = None


def handler_error_code(service_code: str) -> str:
    """The handler error code CloudFormation reports for a service's error ("Resource type handler error
    codes", CloudFormation CLI user guide: AccessDenied, ServiceLimitExceeded, InvalidRequest, NotFound,
    AlreadyExists, Throttling, GeneralServiceException, ...)."""
    lowered = service_code.lower()
    for fragment, code in _HANDLER_CODES:
        if fragment in lowered:
            return code
    return "GeneralServiceException"


_HANDLER_CODES = (
    ("accessdenied", "AccessDenied"),
    ("limitexceeded", "ServiceLimitExceeded"),
    ("toolarge", "ServiceLimitExceeded"),
    ("quota", "ServiceLimitExceeded"),
    ("notfound", "NotFound"),
    ("nosuch", "NotFound"),
    ("alreadyexists", "AlreadyExists"),
    ("throttl", "Throttling"),
    ("validation", "InvalidRequest"),
    ("invalid", "InvalidRequest"),
    ("malformed", "InvalidRequest"),
)


def failure_reason(exc: BaseException) -> str:
    """The resource event's status reason, shaped as CloudFormation's resource handlers report it: the
    service's message and the handler error code its error maps to (AWS adds a RequestToken; the sandbox
    does not)."""
    if isinstance(exc, ServiceException):
        code, message = exc.code, exc.message
    else:  # moto's older REST errors carry error_type; anything else is a moto limitation, named as such
        code = getattr(exc, "error_type", type(exc).__name__)
        message = getattr(exc, "message", None) or str(exc)
    return f'Resource handler returned message: "{message}" (HandlerErrorCode: {handler_error_code(str(code))})'


def resource_event(
    stack: Any,
    logical_id: str,
    resource_type: str,
    status: str,
    *,
    physical_id: str = "",
    reason: str | None = None,
) -> None:
    """Record one resource event on `stack`, as DescribeStackEvents lists it."""
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


def physical_id_of(resource: Any) -> str:
    """The resource's physical id, "" when it has none."""
    return str(getattr(resource, "physical_resource_id", "") or "")
