"""What a live endpoint runs, read back as AWS exposes it: endpoint → config → model → container."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient


@dataclass(frozen=True)
class LiveEndpoint:
    """An endpoint's status and the ModelPackage ARN behind each of its production variants."""

    name: str
    status: str
    config_name: str
    packages: tuple[str, ...]
    # What each variant's model container names besides its package (DescribeModel's Image and
    # ModelDataUrl), where SageMaker reports them: what the model actually loads.
    served: tuple[tuple[str | None, str | None], ...] = ()
    # Why the last update or creation failed, when SageMaker says (an auto-rollback may leave it empty).
    failure_reason: str | None = None
    # The SageMaker Model behind each variant (CloudFormation names them): what a transform job runs.
    models: tuple[str, ...] = ()

    @property
    def package(self) -> str | None:
        """The one ARN every variant runs, or None while variants differ (mid-deployment) or none is set."""
        distinct = set(self.packages)
        return distinct.pop() if len(distinct) == 1 else None


def _missing(exc: ClientError) -> bool:
    error = exc.response.get("Error", {})
    return str(error.get("Code", "")) in {"ValidationException", "ValidationError", "ResourceNotFound"} and (
        "could not find" in str(error.get("Message", "")).lower()
        or "not found" in str(error.get("Message", "")).lower()
        or "does not exist" in str(error.get("Message", "")).lower()
    )


def read_endpoint(client: SageMakerClient, endpoint: str) -> LiveEndpoint | None:
    """The endpoint `endpoint` in the client's account, or None when it does not exist."""
    try:
        described = client.describe_endpoint(EndpointName=endpoint)
    except ClientError as exc:
        if _missing(exc):
            return None
        raise
    config_name = described["EndpointConfigName"]
    config = client.describe_endpoint_config(EndpointConfigName=config_name)
    packages: list[str] = []
    served: list[tuple[str | None, str | None]] = []
    models: list[str] = []
    for variant in config.get("ProductionVariants", []):
        model = client.describe_model(ModelName=variant["ModelName"])
        models.append(str(variant["ModelName"]))
        containers = [model["PrimaryContainer"]] if "PrimaryContainer" in model else model.get("Containers", [])
        packages.append(str(containers[0].get("ModelPackageName", "")) if containers else "")
        first = containers[0] if containers else {}
        served.append((first.get("Image"), first.get("ModelDataUrl")))
    return LiveEndpoint(
        name=endpoint,
        status=str(described.get("EndpointStatus", "")),
        config_name=config_name,
        packages=tuple(packages),
        served=tuple(served),
        failure_reason=described.get("FailureReason") or None,
        models=tuple(models),
    )
