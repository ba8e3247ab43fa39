"""SageMaker Model Registry behaviour that AWS documents and moto 5.2.5 lacks.

Each `install_*` function is one entry of the registry of patches (`patches.py`), which names the API
reference behaviour it follows and the test in tests/test_moto_compat.py that proves it. Several of them
add to the same moto function (CreateModelPackage, UpdateModelPackage) through `wrap`, so each can be
removed on its own. Patches that need the request itself (its ModelLifeCycle, or the credentials that
signed it, for CreatedBy and LastModifiedBy) wrap the HTTP handlers instead. Resource policies are stored
and returned, never evaluated: moto evaluates no policies at all, so access is proven statically by the
policy tests, not here.

Events arrive at least once. "SageMaker may send multiple events to EventBridge for each state change"
(SageMaker Developer Guide, "Amazon SageMaker events and EventBridge"), so the sandbox puts each "SageMaker
Model Package State Change" event more than once by default, and the handlers downstream must be idempotent
to pass its tests. The knob, read once when this module is imported (the sandbox starting):

    MODELOPS_SANDBOX_STATE_CHANGE_COPIES=<n>   each state-change event is put n times (a whole number >= 1;
                                               default 2, deterministic so tests are stable; 1 turns the
                                               duplicates off)

A test changes `state_change_copies` itself (the moto server runs in the test's process). Each copy is a
separate PutEvents entry, so each has its own event id, as separate events from SageMaker would. Only the
sandbox duplicates: production code has no such setting.

The event is put on registration and when ModelApprovalStatus changes, and on nothing else: whether a
metadata-only UpdateModelPackage (a later environment's approval of an already Approved version) emits one
is undocumented (aws-facts.md, "Events"), so the sandbox emits none and nothing may depend on it.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.events import models as _events_models
from moto.sagemaker import models as _sm_models
from moto.sagemaker import responses as _sm_responses
from moto.sagemaker.exceptions import ValidationError

from policies.quota_limits import GROUP_POLICY_LIMIT
from sandbox.moto_compat import sts
from sandbox.moto_compat.wrapping import wrap

# moto's classes are patched at run time; typed as Any so the new attributes type-check.
events_backends: Any = _events_models.events_backends
sm_models: Any = _sm_models
sm_responses: Any = _sm_responses

SageMakerBackend: Any = sm_models.SageMakerModelBackend
ModelPackage: Any = sm_models.ModelPackage
Response: Any = sm_responses.SageMakerResponse

_SAGEMAKER_ARN = re.compile(r"^arn:aws[a-z-]*:sagemaker:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):(?P<rest>.+)$")

# The documented "SageMaker Model Package State Change" detail: the package as DescribeModelPackage shows it.
# https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html#eventbridge-model-package
STATE_CHANGE_DETAIL_TYPE = "SageMaker Model Package State Change"
_EVENT_DETAIL_KEYS = (
    "ModelPackageGroupName",
    "ModelPackageVersion",
    "ModelPackageArn",
    "ModelPackageDescription",
    "CreationTime",
    "InferenceSpecification",
    "ModelPackageStatus",
    "ModelPackageStatusDetails",
    "CertifyForMarketplace",
    "ModelApprovalStatus",
    "ApprovalDescription",
    "MetadataProperties",
    "ModelMetrics",
    "CustomerMetadataProperties",
    "LastModifiedTime",
)


STATE_CHANGE_COPIES_VARIABLE = "MODELOPS_SANDBOX_STATE_CHANGE_COPIES"
DEFAULT_STATE_CHANGE_COPIES = 2


def state_change_copies_from(environ: Mapping[str, str]) -> int:
    """How many times each state-change event is put, from MODELOPS_SANDBOX_STATE_CHANGE_COPIES (default 2)."""
    text = environ.get(STATE_CHANGE_COPIES_VARIABLE, "").strip()
    if not text:
        return DEFAULT_STATE_CHANGE_COPIES
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{STATE_CHANGE_COPIES_VARIABLE} must be a whole number of at least 1, got {text!r}")
    return int(text)


# Read once: the Lambda runner swaps the process environment (MODELOPS_* removed) while a function runs, and a
# function's own UpdateModelPackage must see the same setting as everyone else's.
state_change_copies: int = state_change_copies_from(os.environ)


def owner_backend(caller: Any, name_or_arn: str) -> tuple[Any, str]:
    """The backend that owns `name_or_arn` and the plain name to use there.

    A name means the caller's own account. An ARN names the owner's account and region, and AWS serves
    the request there (subject to the resource policy, which moto does not evaluate).
    """
    match = _SAGEMAKER_ARN.match(name_or_arn or "")
    if match is None:
        return caller, name_or_arn
    owner = sm_models.sagemaker_backends[match["account"]][match["region"]]
    return owner, name_or_arn


def _group_name(name_or_arn: str) -> str:
    return name_or_arn.rsplit("/", 1)[-1] if name_or_arn.startswith("arn:") else name_or_arn


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso(v) for v in value]
    return value


def emit_state_change(backend: Any, package: Any) -> None:
    """Put the "SageMaker Model Package State Change" event on the registry account's default bus,
    `state_change_copies` times (AWS may send several events for one state change; see the module doc)."""
    described = package.gen_response_object()
    detail = {key: _iso(described[key]) for key in _EVENT_DETAIL_KEYS if described.get(key) is not None}
    for _copy in range(state_change_copies):
        events_backends[backend.account_id][backend.region_name].put_events(
            [
                {
                    "Source": "aws.sagemaker",
                    "DetailType": STATE_CHANGE_DETAIL_TYPE,
                    "Detail": json.dumps(detail),
                    "Resources": [package.arn],
                    # moto takes the backend-level Time as Unix seconds (its HTTP layer converts the API value).
                    "Time": datetime.now(UTC).timestamp(),
                }
            ]
        )


# -- model package groups: resource policies ----------------------------------------------------------


def put_model_package_group_policy(self: Any, model_package_group_name: str, resource_policy: str) -> str:
    """PutModelPackageGroupPolicy: attach a resource policy to a group; returns the group ARN."""
    backend, name = owner_backend(self, model_package_group_name)
    group = backend.describe_model_package_group(_group_name(name))
    group.resource_policy = resource_policy
    return str(group.arn)


def get_model_package_group_policy(self: Any, model_package_group_name: str) -> str:
    """GetModelPackageGroupPolicy: the group's resource policy, as the JSON string that was put."""
    backend, name = owner_backend(self, model_package_group_name)
    group = backend.describe_model_package_group(_group_name(name))
    policy = getattr(group, "resource_policy", None)
    if policy is None:
        raise ValidationError(f"Cannot find resource policy for model package group {group.arn}.")
    return str(policy)


def delete_model_package_group_policy(self: Any, model_package_group_name: str) -> None:
    """DeleteModelPackageGroupPolicy: remove the group's resource policy."""
    backend, name = owner_backend(self, model_package_group_name)
    group = backend.describe_model_package_group(_group_name(name))
    group.resource_policy = None


# PutModelPackageGroupPolicy's ResourcePolicy: "Length Constraints: Minimum length of 1. Maximum length of 20480."
# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_PutModelPackageGroupPolicy.html
# GROUP_POLICY_LIMIT, shared with the static check (policies/quotas.py).


def _put_group_policy_within_limit(
    inner: Callable[..., str], self: Any, model_package_group_name: str, resource_policy: str
) -> str:
    """PutModelPackageGroupPolicy refuses a policy outside 1..20,480 characters, and keeps the group's policy."""
    violations = [
        _violation(resource_policy, "resourcePolicy", constraint)
        for constraint in _length_and_pattern(resource_policy or "", 1, GROUP_POLICY_LIMIT, True, "")
    ]
    if violations:
        raise _validation_error(violations)
    return inner(self, model_package_group_name, resource_policy)


def install_group_policy_limit() -> None:
    """A model package group policy over 20,480 characters is refused with ValidationException."""
    wrap(SageMakerBackend, "put_model_package_group_policy", _put_group_policy_within_limit)


def install_group_policies() -> None:
    """Put/Get/DeleteModelPackageGroupPolicy, which moto has no handler for."""
    SageMakerBackend.put_model_package_group_policy = put_model_package_group_policy
    SageMakerBackend.get_model_package_group_policy = get_model_package_group_policy
    SageMakerBackend.delete_model_package_group_policy = delete_model_package_group_policy
    Response.put_model_package_group_policy = _response_put_model_package_group_policy
    Response.get_model_package_group_policy = _response_get_model_package_group_policy
    Response.delete_model_package_group_policy = _response_delete_model_package_group_policy


# -- model packages: UpdateModelPackage changes only what the request carries ---------------------------


def update_model_package(
    self: Any,
    model_package_arn: str,
    model_approval_status: str | None = None,
    approval_description: str | None = None,
    customer_metadata_properties: dict[str, str] | None = None,
    customer_metadata_properties_to_remove: list[str] | None = None,
    additional_inference_specifications_to_add: list[Any] | None = None,
    inference_specification: dict[str, Any] | None = None,
) -> str:
    """UpdateModelPackage changes only what the request carries: a status-only update keeps the metadata,
    a metadata-only update keeps the status, CustomerMetadataProperties are merged key by key and
    CustomerMetadataPropertiesToRemove deletes keys; an InferenceSpecification replaces the package's (AWS
    allows it since 2024-02, which is why a pinned ARN is not pinned content)."""
    package = self.describe_model_package(model_package_arn)
    if model_approval_status is not None:
        package.set_model_approval_status(model_approval_status)
    if approval_description is not None:
        package.approval_description = approval_description
    if customer_metadata_properties:
        package.customer_metadata_properties = {
            **(package.customer_metadata_properties or {}),
            **customer_metadata_properties,
        }
    for key in customer_metadata_properties_to_remove or []:
        (package.customer_metadata_properties or {}).pop(key, None)
    if additional_inference_specifications_to_add:
        package.add_additional_inference_specifications(additional_inference_specifications_to_add)
    if inference_specification is not None:
        package.inference_specification = inference_specification
    package.modifications_done()
    return str(package.arn)


def install_partial_update() -> None:
    """Replace moto's UpdateModelPackage, which overwrites every field with the request's (None if absent).

    It replaces rather than wraps, so it is installed before the patches that wrap UpdateModelPackage.
    """
    SageMakerBackend.update_model_package = update_model_package


# -- the registry by ARN, from another account ----------------------------------------------------------


def _describe_group_in_owner_account(inner: Callable[..., Any], self: Any, model_package_group_name: str) -> Any:
    """DescribeModelPackageGroup accepts the group's name or its ARN (another account's, too)."""
    backend, name = owner_backend(self, model_package_group_name)
    return inner(backend, _group_name(name))


def _describe_in_owner_account(inner: Callable[..., Any], self: Any, model_package_name: str) -> Any:
    """DescribeModelPackage by ARN is served by the account that owns the package."""
    backend, name = owner_backend(self, model_package_name)
    return inner(backend, name)


def _list_in_owner_account(inner: Callable[..., Any], self: Any, **kwargs: Any) -> Any:
    """ListModelPackages with ModelPackageGroupName given as another account's group ARN lists that group."""
    group = kwargs.get("model_package_group_name")
    backend = owner_backend(self, group)[0] if group else self
    return inner(backend, **kwargs)


def _create_in_group_account(inner: Callable[..., str], self: Any, **kwargs: Any) -> str:
    """CreateModelPackage with the group's ARN creates the version in the group's account."""
    group = kwargs.get("model_package_group_name")
    if not group:
        return inner(self, **kwargs)
    backend, _ = owner_backend(self, group)
    return inner(backend, **{**kwargs, "model_package_group_name": _group_name(group)})


def _update_in_owner_account(inner: Callable[..., str], self: Any, model_package_arn: str, **kwargs: Any) -> str:
    """UpdateModelPackage by ARN is served by the account that owns the package."""
    backend, name = owner_backend(self, model_package_arn)
    return inner(backend, name, **kwargs)


def install_access_by_arn() -> None:
    """Create, describe, list and update in the account a model package or group ARN names."""
    wrap(SageMakerBackend, "describe_model_package_group", _describe_group_in_owner_account)
    wrap(SageMakerBackend, "describe_model_package", _describe_in_owner_account)
    wrap(SageMakerBackend, "list_model_packages", _list_in_owner_account)
    wrap(SageMakerBackend, "create_model_package", _create_in_group_account)
    wrap(SageMakerBackend, "update_model_package", _update_in_owner_account)


# -- PendingManualApproval by default ---------------------------------------------------------------------


def _create_pending_manual_approval(inner: Callable[..., str], self: Any, **kwargs: Any) -> str:
    """A versioned package (one in a group) created without ModelApprovalStatus is PendingManualApproval."""
    if kwargs.get("model_package_group_name") and kwargs.get("model_approval_status") is None:
        kwargs = {**kwargs, "model_approval_status": "PendingManualApproval"}
    return inner(self, **kwargs)


def install_pending_manual_approval() -> None:
    """CreateModelPackage's default approval status for a versioned package."""
    wrap(SageMakerBackend, "create_model_package", _create_pending_manual_approval)


# -- ModelCard --------------------------------------------------------------------------------------------


def _package(caller: Any, arn: str) -> Any:
    """The model package `arn` names, from the backend of the account that owns it."""
    return owner_backend(caller, arn)[0].model_packages[arn]


# The model *package* card schema: its model_overview holds only these, and it has no model_package_details
# (SageMaker Developer Guide, "Model package model card schema",
# https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-details.html; the other sections follow
# "Model card JSON schema", https://docs.aws.amazon.com/sagemaker/latest/dg/model-cards-json-schema.html).
PACKAGE_CARD_OVERVIEW_KEYS = ("model_artifact", "model_creator")
PACKAGE_CARD_EXCLUDED_SECTIONS = ("model_package_details",)


def package_card_violation(content: str) -> str | None:
    """Why ModelCardContent breaks the model package card schema, or None when it follows it.

    AWS documents the schema, not the wording of its refusal: the message is the sandbox's."""
    prefix = "ModelCardContent does not follow the model package card schema"
    try:
        document = json.loads(content)
    except json.JSONDecodeError:
        return f"{prefix}: it is not JSON"
    if not isinstance(document, dict):
        return f"{prefix}: it is not a JSON object"
    excluded = [section for section in PACKAGE_CARD_EXCLUDED_SECTIONS if section in document]
    if excluded:
        return f"{prefix}: it has no {excluded[0]} section"
    overview = document.get("model_overview")
    if overview is None:
        return None
    if not isinstance(overview, dict):
        return f"{prefix}: model_overview must be an object"
    extra = sorted(set(overview) - set(PACKAGE_CARD_OVERVIEW_KEYS))
    if extra:
        allowed = " and ".join(PACKAGE_CARD_OVERVIEW_KEYS)
        return f"{prefix}: model_overview holds only {allowed}, not {', '.join(extra)}"
    return None


def _check_package_card(model_card: dict[str, Any] | None) -> None:
    content = (model_card or {}).get("ModelCardContent")
    violation = None if content is None else package_card_violation(str(content))
    if violation is not None:
        raise ValidationError(violation)


def _create_with_model_card(
    inner: Callable[..., str], self: Any, *, model_card: dict[str, Any] | None = None, **kwargs: Any
) -> str:
    """CreateModelPackage keeps the request's ModelCard; a card outside the package card schema creates nothing."""
    _check_package_card(model_card)
    arn = inner(self, **kwargs)
    _package(self, arn).model_card = model_card
    return arn


def _update_with_model_card(
    inner: Callable[..., str],
    self: Any,
    model_package_arn: str,
    *,
    model_card: dict[str, Any] | None = None,
    **kwargs: Any,
) -> str:
    """UpdateModelPackage replaces the ModelCard when the request carries one; a card outside the package card
    schema changes nothing."""
    _check_package_card(model_card)
    arn = inner(self, model_package_arn, **kwargs)
    if model_card is not None:
        _package(self, arn).model_card = model_card
    return arn


def _response_with_model_card(inner: Callable[..., dict[str, Any]], self: Any) -> dict[str, Any]:
    """DescribeModelPackage returns ModelCard when the package has one."""
    response = inner(self)
    model_card = getattr(self, "model_card", None)
    if model_card is not None:
        response["ModelCard"] = model_card
    return response


def install_model_card() -> None:
    """ModelCard through CreateModelPackage, UpdateModelPackage and DescribeModelPackage."""
    wrap(SageMakerBackend, "create_model_package", _create_with_model_card)
    wrap(SageMakerBackend, "update_model_package", _update_with_model_card)
    wrap(ModelPackage, "gen_response_object", _response_with_model_card)
    # moto's handlers drop the request's ModelCard; these pass every parameter on.
    Response.create_model_package = _response_create_model_package
    Response.update_model_package = _response_update_model_package


# -- the "SageMaker Model Package State Change" event ------------------------------------------------------


def _create_emitting_state_change(inner: Callable[..., str], self: Any, **kwargs: Any) -> str:
    """Registering a versioned package emits the state-change event."""
    arn = inner(self, **kwargs)
    if kwargs.get("model_package_group_name"):
        backend = owner_backend(self, arn)[0]
        emit_state_change(backend, backend.model_packages[arn])
    return arn


def _update_emitting_state_change(inner: Callable[..., str], self: Any, model_package_arn: str, **kwargs: Any) -> str:
    """An UpdateModelPackage that changes a versioned package's approval status emits the event; one that
    changes only metadata (CustomerMetadataProperties, ApprovalDescription, ModelLifeCycle, ModelCard, or
    ModelApprovalStatus to the status it already has) emits nothing: AWS does not document an event for it
    (aws-facts.md: "Whether a metadata-only update ... emits an event is undocumented. Don't depend on it.")."""
    backend, name = owner_backend(self, model_package_arn)
    package = backend.describe_model_package(name)
    previous_status = package.model_approval_status
    arn = inner(self, model_package_arn, **kwargs)
    if package.model_package_group_name and package.model_approval_status != previous_status:
        emit_state_change(backend, package)
    return arn


def install_state_change_events() -> None:
    """The state-change event on CreateModelPackage and on an approval status change."""
    wrap(SageMakerBackend, "create_model_package", _create_emitting_state_change)
    wrap(SageMakerBackend, "update_model_package", _update_emitting_state_change)


# -- validation failures, worded as AWS words them -------------------------------------------------------


def _violation(value: Any, path: str, constraint: str) -> str:
    shown = "null" if value is None else f"'{value}'"
    return f"Value {shown} at '{path}' failed to satisfy constraint: {constraint}"


def _validation_error(violations: list[str]) -> ValidationError:
    """One ValidationException listing every violated constraint, as AWS's request validation does."""
    noun = "validation error" if len(violations) == 1 else "validation errors"
    return ValidationError(f"{len(violations)} {noun} detected: " + "; ".join(violations))


def _length_and_pattern(text: str, min_length: int, max_length: int, matches: bool, pattern: str) -> list[str]:
    """The constraints of a string member that `text` violates, in AWS's order (length, then pattern)."""
    constraints = []
    if len(text) < min_length:
        constraints.append(f"Member must have length greater than or equal to {min_length}")
    if len(text) > max_length:
        constraints.append(f"Member must have length less than or equal to {max_length}")
    if not matches:
        constraints.append(f"Member must satisfy regular expression pattern: {pattern}")
    return constraints


def _string_violations(value: str, path: str, min_length: int, max_length: int, pattern: str) -> list[str]:
    matches = re.fullmatch(pattern, value) is not None
    return [
        _violation(value, path, constraint)
        for constraint in _length_and_pattern(value, min_length, max_length, matches, pattern)
    ]


# -- ModelLifeCycle ---------------------------------------------------------------------------------------

# Stage and StageStatus are 1-63 characters of this pattern; StageDescription is up to 1,024 characters of
# `.{0,1024}` (no line break). https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ModelLifeCycle.html
_STAGE_PATTERN = "[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
_STAGE_DESCRIPTION_PATTERN = ".{0,1024}"
_LIFE_CYCLE_MEMBERS = (("Stage", "stage"), ("StageStatus", "stageStatus"))


def _life_cycle_violations(life_cycle: dict[str, Any]) -> list[str]:
    """What in a request's ModelLifeCycle breaks the API reference's constraints; empty when it is valid."""
    violations = []
    for member, path in _LIFE_CYCLE_MEMBERS:
        value = life_cycle.get(member)
        if value is None:
            violations.append(_violation(None, f"modelLifeCycle.{path}", "Member must not be null"))
        else:
            violations += _string_violations(value, f"modelLifeCycle.{path}", 1, 63, _STAGE_PATTERN)
    description = life_cycle.get("StageDescription")
    if description is not None:
        path = "modelLifeCycle.stageDescription"
        violations += _string_violations(description, path, 0, 1024, _STAGE_DESCRIPTION_PATTERN)
    return violations


def _requested_life_cycle(request: Any) -> dict[str, str] | None:
    """The request's ModelLifeCycle (Stage, StageStatus, StageDescription), or None; invalid -> ValidationException."""
    life_cycle: dict[str, Any] | None = request._get_param("ModelLifeCycle")
    if life_cycle is None:
        return None
    violations = _life_cycle_violations(life_cycle)
    if violations:
        raise _validation_error(violations)
    return {key: life_cycle[key] for key in ("Stage", "StageStatus", "StageDescription") if key in life_cycle}


def _response_create_with_life_cycle(inner: Callable[..., Any], self: Any) -> Any:
    """CreateModelPackage keeps the request's ModelLifeCycle; an invalid one creates nothing."""
    life_cycle = _requested_life_cycle(self)
    result = inner(self)
    _package(self.sagemaker_backend, result.result["ModelPackageArn"]).model_life_cycle = life_cycle
    return result


def _response_update_with_life_cycle(inner: Callable[..., Any], self: Any) -> Any:
    """UpdateModelPackage replaces the ModelLifeCycle when the request carries one; an invalid one changes nothing."""
    life_cycle = _requested_life_cycle(self)
    result = inner(self)
    if life_cycle is not None:
        _package(self.sagemaker_backend, result.result["ModelPackageArn"]).model_life_cycle = life_cycle
    return result


def _response_with_life_cycle(inner: Callable[..., dict[str, Any]], self: Any) -> dict[str, Any]:
    """DescribeModelPackage, and each ListModelPackages summary (moto builds both from this), carry ModelLifeCycle."""
    response = inner(self)
    life_cycle = getattr(self, "model_life_cycle", None)
    if life_cycle is not None:
        response["ModelLifeCycle"] = life_cycle
    return response


def install_life_cycle() -> None:
    """ModelLifeCycle through CreateModelPackage, UpdateModelPackage, DescribeModelPackage and ListModelPackages.

    It wraps the HTTP handlers, which read the request, so it is installed after the ModelCard patch
    replaces them."""
    wrap(Response, "create_model_package", _response_create_with_life_cycle)
    wrap(Response, "update_model_package", _response_update_with_life_cycle)
    wrap(ModelPackage, "gen_response_object", _response_with_life_cycle)


# -- CreatedBy and LastModifiedBy: the caller, from the request's credentials ------------------------------


def _user_context(request: Any) -> dict[str, Any]:
    """The UserContext of the principal that signed `request`: its IamIdentity (a Studio user profile
    only when the call comes from Studio, which the sandbox has none of)."""
    return {"IamIdentity": sts.caller(request.get_access_key(), request.partition).iam_identity()}


def _response_create_recording_creator(inner: Callable[..., Any], self: Any) -> Any:
    """CreateModelPackage records its caller as CreatedBy."""
    result = inner(self)
    _package(self.sagemaker_backend, result.result["ModelPackageArn"]).created_by = _user_context(self)
    return result


def _response_update_recording_modifier(inner: Callable[..., Any], self: Any) -> Any:
    """UpdateModelPackage records its caller as LastModifiedBy (LastModifiedTime is moto's own)."""
    result = inner(self)
    _package(self.sagemaker_backend, result.result["ModelPackageArn"]).last_modified_by = _user_context(self)
    return result


def install_caller_identity() -> None:
    """CreatedBy and LastModifiedBy name the IAM identity that called; moto fills in a made-up Studio user.

    It wraps the HTTP handlers, which see the request's credentials, so it is installed after the
    ModelCard patch replaces them."""
    wrap(Response, "create_model_package", _response_create_recording_creator)
    wrap(Response, "update_model_package", _response_update_recording_modifier)


# -- CustomerMetadataProperties: AWS's limits -------------------------------------------------------------

# CustomerMetadataMap: 1 to 50 entries; keys of 1-128 and values of 1-256 characters matching this pattern
# (UpdateModelPackage and CreateModelPackage references). A package holds at most 50 after an update.
MAX_METADATA_ENTRIES = 50
_METADATA_PATTERN = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*"
_METADATA_PUNCTUATION = frozenset("_.:/=+-@")


def _metadata_text_matches(text: str) -> bool:
    # Python's re has no \p{...} classes: a letter, separator or number is a Unicode category L*, Z* or N*.
    return all(char in _METADATA_PUNCTUATION or unicodedata.category(char)[0] in "LZN" for char in text)


def _java_map(metadata: dict[str, str]) -> str:
    # AWS shows a map that fails validation as Java prints one.
    return "{" + ", ".join(f"{key}={value}" for key, value in metadata.items()) + "}"


def _metadata_violations(metadata: dict[str, str]) -> list[str]:
    """What in a request's CustomerMetadataProperties breaks the API reference's constraints; empty when valid."""
    path, shown = "customerMetadataProperties", _java_map(metadata)
    violations = []
    if len(metadata) < 1:
        violations.append(_violation(shown, path, "Member must have length greater than or equal to 1"))
    if len(metadata) > MAX_METADATA_ENTRIES:
        violations.append(
            _violation(shown, path, f"Member must have length less than or equal to {MAX_METADATA_ENTRIES}")
        )
    for part, texts, max_length in (("keys", list(metadata), 128), ("value", list(metadata.values()), 256)):
        # each violated constraint once, however many keys (or values) break it
        constraints = dict.fromkeys(
            constraint
            for text in texts
            for constraint in _length_and_pattern(text, 1, max_length, _metadata_text_matches(text), _METADATA_PATTERN)
        )
        if constraints:
            listed = ", ".join(constraints)
            violations.append(_violation(shown, path, f"Map {part} must satisfy constraint: [{listed}]"))
    return violations


def _check_metadata(metadata: dict[str, str] | None) -> None:
    violations = [] if metadata is None else _metadata_violations(metadata)
    if violations:
        raise _validation_error(violations)


def _create_checking_metadata(inner: Callable[..., str], self: Any, **kwargs: Any) -> str:
    """CreateModelPackage rejects CustomerMetadataProperties outside AWS's limits."""
    _check_metadata(kwargs.get("customer_metadata_properties"))
    return inner(self, **kwargs)


def _update_checking_metadata(inner: Callable[..., str], self: Any, model_package_arn: str, **kwargs: Any) -> str:
    """UpdateModelPackage rejects CustomerMetadataProperties outside AWS's limits, and an update after which
    the package would hold more than 50 entries (the keys it keeps, adds and does not remove)."""
    added: dict[str, str] | None = kwargs.get("customer_metadata_properties")
    _check_metadata(added)
    if added:
        backend, name = owner_backend(self, model_package_arn)
        after = {**(backend.describe_model_package(name).customer_metadata_properties or {}), **added}
        for key in kwargs.get("customer_metadata_properties_to_remove") or []:
            after.pop(key, None)
        if len(after) > MAX_METADATA_ENTRIES:
            raise ValidationError(
                f"A model package can have at most {MAX_METADATA_ENTRIES} CustomerMetadataProperties; "
                f"after this update it would have {len(after)}."
            )
    return inner(self, model_package_arn, **kwargs)


def install_metadata_limits() -> None:
    """CustomerMetadataProperties within AWS's limits on CreateModelPackage and UpdateModelPackage."""
    wrap(SageMakerBackend, "create_model_package", _create_checking_metadata)
    wrap(SageMakerBackend, "update_model_package", _update_checking_metadata)


# ApprovalDescription: 0 to 1,024 characters of `.*` (UpdateModelPackage reference). Counted here in code points;
# whether AWS counts UTF-16 code units is unverified (promotion/decisions.py measures in those, to fit either).
MAX_APPROVAL_DESCRIPTION = 1024
_APPROVAL_DESCRIPTION_PATTERN = ".*"


def _update_checking_approval_description(
    inner: Callable[..., str], self: Any, model_package_arn: str, **kwargs: Any
) -> str:
    """UpdateModelPackage rejects an ApprovalDescription over 1,024 characters, or one with a line break."""
    description: str | None = kwargs.get("approval_description")
    if description is not None:
        path = "approvalDescription"
        violations = _string_violations(description, path, 0, MAX_APPROVAL_DESCRIPTION, _APPROVAL_DESCRIPTION_PATTERN)
        if violations:
            raise _validation_error(violations)
    return inner(self, model_package_arn, **kwargs)


def install_approval_description_limit() -> None:
    """ApprovalDescription within AWS's limits on UpdateModelPackage."""
    wrap(SageMakerBackend, "update_model_package", _update_checking_approval_description)


# -- the HTTP layer: operations moto has no handler for, and parameters it drops ----------------------


def _response_put_model_package_group_policy(self: Any) -> Any:
    arn = self.sagemaker_backend.put_model_package_group_policy(
        self._get_param("ModelPackageGroupName"), self._get_param("ResourcePolicy")
    )
    return ActionResult({"ModelPackageGroupArn": arn})


def _response_get_model_package_group_policy(self: Any) -> Any:
    policy = self.sagemaker_backend.get_model_package_group_policy(self._get_param("ModelPackageGroupName"))
    return ActionResult({"ResourcePolicy": policy})


def _response_delete_model_package_group_policy(self: Any) -> Any:
    self.sagemaker_backend.delete_model_package_group_policy(self._get_param("ModelPackageGroupName"))
    return EmptyResult()


def _response_create_model_package(self: Any) -> Any:
    arn = self.sagemaker_backend.create_model_package(
        model_package_name=self._get_param("ModelPackageName"),
        model_package_group_name=self._get_param("ModelPackageGroupName"),
        model_package_description=self._get_param("ModelPackageDescription"),
        inference_specification=self._get_param("InferenceSpecification"),
        validation_specification=self._get_param("ValidationSpecification"),
        source_algorithm_specification=self._get_param("SourceAlgorithmSpecification"),
        certify_for_marketplace=self._get_param("CertifyForMarketplace", False),
        tags=self._get_param("Tags"),
        model_approval_status=self._get_param("ModelApprovalStatus"),
        metadata_properties=self._get_param("MetadataProperties"),
        model_metrics=self._get_param("ModelMetrics"),
        client_token=self._get_param("ClientToken"),
        customer_metadata_properties=self._get_param("CustomerMetadataProperties"),
        drift_check_baselines=self._get_param("DriftCheckBaselines"),
        domain=self._get_param("Domain"),
        task=self._get_param("Task"),
        sample_payload_url=self._get_param("SamplePayloadUrl"),
        additional_inference_specifications=self._get_param("AdditionalInferenceSpecifications"),
        model_card=self._get_param("ModelCard"),
    )
    return ActionResult({"ModelPackageArn": arn})


def _response_update_model_package(self: Any) -> Any:
    arn = self.sagemaker_backend.update_model_package(
        model_package_arn=self._get_param("ModelPackageArn"),
        model_approval_status=self._get_param("ModelApprovalStatus"),
        approval_description=self._get_param("ApprovalDescription"),
        customer_metadata_properties=self._get_param("CustomerMetadataProperties"),
        customer_metadata_properties_to_remove=self._get_param("CustomerMetadataPropertiesToRemove"),
        additional_inference_specifications_to_add=self._get_param("AdditionalInferenceSpecificationsToAdd"),
        inference_specification=self._get_param("InferenceSpecification"),
        model_card=self._get_param("ModelCard"),
    )
    return ActionResult({"ModelPackageArn": arn})
