"""SageMaker hosting behaviour that AWS documents and moto 5.2.5 lacks: CreateModel's checks that its
model package exists and is Approved, UpdateEndpoint, and the endpoint's deployment configuration."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.sagemaker import models as _sm_models
from moto.sagemaker import responses as _sm_responses
from moto.sagemaker.exceptions import ValidationError

from sandbox.moto_compat.registry import owner_backend
from sandbox.moto_compat.wrapping import wrap

# moto's classes are patched at run time; typed as Any so the new attributes type-check.
SageMakerBackend: Any = _sm_models.SageMakerModelBackend
FakeEndpoint: Any = _sm_models.FakeEndpoint
Response: Any = _sm_responses.SageMakerResponse


def _package(backend: Any, name_or_arn: str) -> Any:
    """The model package `name_or_arn` names (in its own account, or the one its ARN names), or None."""
    owner, name = owner_backend(backend, name_or_arn)
    mapped = owner.model_package_name_mapping.get(name, name)
    return owner.model_packages.get(mapped)


def _package_exists(backend: Any, name_or_arn: str) -> bool:
    return _package(backend, name_or_arn) is not None


def _packages_of(kwargs: dict[str, Any]) -> list[str]:
    containers = [kwargs.get("primary_container") or {}, *(kwargs.get("containers") or [])]
    return [container["ModelPackageName"] for container in containers if container.get("ModelPackageName")]


def _create_model(inner: Callable[..., Any], self: Any, **kwargs: Any) -> Any:
    """CreateModel fails with ValidationException when a container names a model package that does not
    exist (in its own account, or in the account its ARN names)."""
    for package in _packages_of(kwargs):
        if not _package_exists(self, package):
            raise ValidationError(f"ModelPackage {package} does not exist.")
    return inner(self, **kwargs)


def _create_model_from_approved(inner: Callable[..., Any], self: Any, **kwargs: Any) -> Any:
    """CreateModel fails with ValidationException when a container names a versioned model package that
    is not Approved: "For versioned models, the value of [ModelApprovalStatus] must be set to Approved to
    deploy the model" (CreateModelPackage reference). AWS documents the rule, not its message: the wording
    below is the sandbox's. Unversioned packages (no group) have no approval status, so are not checked."""
    for name in _packages_of(kwargs):
        package = _package(self, name)
        if package is None or not package.model_package_group_name:
            continue  # a missing package is the existence check's to refuse
        status = package.model_approval_status
        if status != "Approved":
            raise ValidationError(
                f"ModelPackage {name} has ModelApprovalStatus {status}: "
                "a versioned model package must be Approved to deploy the model."
            )
    return inner(self, **kwargs)


def _create_endpoint(
    inner: Callable[..., Any],
    self: Any,
    endpoint_name: str,
    endpoint_config_name: str,
    tags: list[dict[str, str]] | None,
    deployment_config: dict[str, Any] | None = None,
) -> Any:
    """CreateEndpoint keeps its DeploymentConfig; DescribeEndpoint returns it as LastDeploymentConfig."""
    endpoint = inner(self, endpoint_name, endpoint_config_name, tags)
    endpoint.last_deployment_config = deployment_config or None
    return endpoint


def update_endpoint(
    self: Any,
    endpoint_name: str,
    endpoint_config_name: str,
    deployment_config: dict[str, Any] | None = None,
    retain_deployment_config: bool = False,
) -> str:
    """UpdateEndpoint switches a live endpoint to another endpoint configuration under the same name.

    AWS shifts traffic as DeploymentConfig says and ends InService on the new configuration (or rolls
    back on an alarm); moto has no traffic, so the switch completes at once.
    """
    endpoint = self.endpoints.get(endpoint_name)
    if endpoint is None:
        arn = FakeEndpoint.arn_formatter(endpoint_name, self.account_id, self.region_name)
        raise ValidationError(f"Could not find endpoint '{arn}'.")
    config = self.describe_endpoint_config(endpoint_config_name)
    endpoint.endpoint_config_name = endpoint_config_name
    endpoint.production_variants = endpoint._process_production_variants(config["ProductionVariants"])
    endpoint.data_capture_config = config.get("DataCaptureConfig")
    if not retain_deployment_config:
        endpoint.last_deployment_config = deployment_config or None
    endpoint.endpoint_status = "InService"
    endpoint.last_modified_time = utcnow()
    return str(endpoint.arn)


def _response_create_endpoint(self: Any) -> Any:
    endpoint = self.sagemaker_backend.create_endpoint(
        endpoint_name=self._get_param("EndpointName"),
        endpoint_config_name=self._get_param("EndpointConfigName"),
        tags=self._get_param("Tags"),
        deployment_config=self._get_param("DeploymentConfig"),
    )
    return ActionResult({"EndpointArn": endpoint.arn})


def _response_update_endpoint(self: Any) -> Any:
    arn = self.sagemaker_backend.update_endpoint(
        endpoint_name=self._get_param("EndpointName"),
        endpoint_config_name=self._get_param("EndpointConfigName"),
        deployment_config=self._get_param("DeploymentConfig"),
        retain_deployment_config=bool(self._get_param("RetainDeploymentConfig", False)),
    )
    return ActionResult({"EndpointArn": arn})


def install_create_model_check() -> None:
    """CreateModel's check that each container's model package exists."""
    wrap(SageMakerBackend, "create_model", _create_model)


def install_create_model_approved_only() -> None:
    """CreateModel's check that each container's versioned model package is Approved."""
    wrap(SageMakerBackend, "create_model", _create_model_from_approved)


def install_update_endpoint() -> None:
    """UpdateEndpoint, and DeploymentConfig kept by CreateEndpoint and UpdateEndpoint."""
    wrap(SageMakerBackend, "create_endpoint", _create_endpoint)
    SageMakerBackend.update_endpoint = update_endpoint
    Response.create_endpoint = _response_create_endpoint
    Response.update_endpoint = _response_update_endpoint


# -- endpoint ARNs are lower case --------------------------------------------------------------------------

_moto_endpoint_arn = FakeEndpoint.arn_formatter  # the staticmethod's function, as moto defines it


def lower_case_endpoint_arn(name: str, account_id: str, region_name: str) -> str:
    """FakeEndpoint.arn_formatter: the endpoint's ARN names it in lower case, as SageMaker does."""
    return str(_moto_endpoint_arn(name.lower(), account_id, region_name))


def _resource_from_arn(inner: Callable[..., Any], self: Any, arn: str) -> Any:
    """A lower-case endpoint ARN finds the endpoint whatever the case of its name (AddTags, ListTags...)."""
    resource_type, _, name = arn.split(":")[-1].partition("/")
    if resource_type == "endpoint" and name not in self.endpoints:
        for endpoint_name, endpoint in self.endpoints.items():
            if endpoint_name.lower() == name:
                return endpoint
    return inner(self, arn)


def install_lower_case_endpoint_arns() -> None:
    """Endpoint ARNs lower-case the endpoint name (CreateEndpoint and AWS::SageMaker::Endpoint alike)."""
    FakeEndpoint.arn_formatter = staticmethod(lower_case_endpoint_arn)
    wrap(SageMakerBackend, "_get_resource_from_arn", _resource_from_arn)
