"""Reading one registered version for the approval Lambdas, through the promotion engine's registry model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from promotion.registry import PackageInfo, package_from_description

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient


@dataclass(frozen=True)
class Described:
    """A version as the engine models it, plus the model card content the engine does not keep."""

    package: PackageInfo
    model_card: str | None


def _not_found(exc: ClientError) -> bool:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    message = str(error.get("Message", "")).lower()
    return code in {"ResourceNotFound", "ResourceNotFoundException"} or (
        code in {"ValidationException", "ValidationError"} and ("does not exist" in message or "not found" in message)
    )


def describe(sagemaker: SageMakerClient, arn: str) -> Described | None:
    """The version at `arn`, or None when the registry has no such version."""
    try:
        response = sagemaker.describe_model_package(ModelPackageName=arn)
    except ClientError as exc:
        if _not_found(exc):
            return None
        raise
    card = response.get("ModelCard") or {}
    content = card.get("ModelCardContent")
    return Described(package=package_from_description(response), model_card=str(content) if content else None)
