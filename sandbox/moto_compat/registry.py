"""SageMaker Model Registry behaviour that AWS documents and moto 5.2.5 lacks.

Each patch names the operation and the API reference behaviour it follows; tests/test_moto_compat.py
proves each one. Resource policies are stored and returned, never evaluated: moto evaluates no
policies at all, so access is proven statically by the policy tests, not here.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.events import models as _events_models
from moto.sagemaker import models as _sm_models
from moto.sagemaker import responses as _sm_responses
from moto.sagemaker.exceptions import ValidationError

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

_original: dict[str, Any] = {}


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
    """Put the "SageMaker Model Package State Change" event on the registry account's default bus."""
    described = package.gen_response_object()
    detail = {key: _iso(described[key]) for key in _EVENT_DETAIL_KEYS if described.get(key) is not None}
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


def describe_model_package_group(self: Any, model_package_group_name: str) -> Any:
    """DescribeModelPackageGroup accepts the group's name or its ARN (another account's, too)."""
    backend, name = owner_backend(self, model_package_group_name)
    return _original["describe_model_package_group"](backend, _group_name(name))


# -- model packages ---------------------------------------------------------------------------------


def create_model_package(self: Any, **kwargs: Any) -> str:
    """CreateModelPackage: a versioned package defaults to PendingManualApproval, keeps its ModelCard,
    may name its group by ARN (the registry in another account), and emits a state-change event."""
    model_card = kwargs.pop("model_card", None)
    group = kwargs.get("model_package_group_name")
    backend = self
    if group:
        backend, _ = owner_backend(self, group)
        kwargs["model_package_group_name"] = _group_name(group)
        if kwargs.get("model_approval_status") is None:
            kwargs["model_approval_status"] = "PendingManualApproval"
    arn = _original["create_model_package"](backend, **kwargs)
    package = backend.model_packages[arn]
    package.model_card = model_card
    if group:
        emit_state_change(backend, package)
    return str(arn)


def describe_model_package(self: Any, model_package_name: str) -> Any:
    """DescribeModelPackage by ARN is served by the account that owns the package."""
    backend, name = owner_backend(self, model_package_name)
    return _original["describe_model_package"](backend, name)


def list_model_packages(self: Any, **kwargs: Any) -> Any:
    """ListModelPackages with ModelPackageGroupName given as another account's group ARN lists that group."""
    group = kwargs.get("model_package_group_name")
    backend = owner_backend(self, group)[0] if group else self
    return _original["list_model_packages"](backend, **kwargs)


def update_model_package(
    self: Any,
    model_package_arn: str,
    model_approval_status: str | None = None,
    approval_description: str | None = None,
    customer_metadata_properties: dict[str, str] | None = None,
    customer_metadata_properties_to_remove: list[str] | None = None,
    additional_inference_specifications_to_add: list[Any] | None = None,
    model_card: dict[str, Any] | None = None,
) -> str:
    """UpdateModelPackage changes only what the request carries: a status-only update keeps the metadata,
    a metadata-only update keeps the status, CustomerMetadataProperties are merged key by key and
    CustomerMetadataPropertiesToRemove deletes keys. A status change emits a state-change event."""
    backend, name = owner_backend(self, model_package_arn)
    package = _original["describe_model_package"](backend, name)
    previous_status = package.model_approval_status
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
    if model_card is not None:
        package.model_card = model_card
    package.modifications_done()
    if package.model_package_group_name and package.model_approval_status != previous_status:
        emit_state_change(backend, package)
    return str(package.arn)


def package_response(self: Any) -> dict[str, Any]:
    """DescribeModelPackage returns ModelCard when the package has one."""
    response: dict[str, Any] = _original["package_response"](self)
    model_card = getattr(self, "model_card", None)
    if model_card is not None:
        response["ModelCard"] = model_card
    return response


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
        model_card=self._get_param("ModelCard"),
    )
    return ActionResult({"ModelPackageArn": arn})


def apply() -> None:
    """Install the registry patches (idempotent)."""
    if _original:
        return
    _original["describe_model_package_group"] = SageMakerBackend.describe_model_package_group
    _original["create_model_package"] = SageMakerBackend.create_model_package
    _original["describe_model_package"] = SageMakerBackend.describe_model_package
    _original["list_model_packages"] = SageMakerBackend.list_model_packages
    _original["package_response"] = ModelPackage.gen_response_object

    for name, function in {
        "put_model_package_group_policy": put_model_package_group_policy,
        "get_model_package_group_policy": get_model_package_group_policy,
        "delete_model_package_group_policy": delete_model_package_group_policy,
        "describe_model_package_group": describe_model_package_group,
        "create_model_package": create_model_package,
        "describe_model_package": describe_model_package,
        "list_model_packages": list_model_packages,
        "update_model_package": update_model_package,
    }.items():
        setattr(SageMakerBackend, name, function)
    ModelPackage.gen_response_object = package_response
    for name, function in {
        "put_model_package_group_policy": _response_put_model_package_group_policy,
        "get_model_package_group_policy": _response_get_model_package_group_policy,
        "delete_model_package_group_policy": _response_delete_model_package_group_policy,
        "create_model_package": _response_create_model_package,
        "update_model_package": _response_update_model_package,
    }.items():
        setattr(Response, name, function)
