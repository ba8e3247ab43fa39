"""ECR where moto differs from AWS: an image of another account's registry, named by registryId."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.ecr import models as ecr_models
from moto.ecr.models import ECRBackend

from sandbox.moto_compat.wrapping import wrap


def _describe_in_registry_account(
    inner: Callable[..., Any],
    self: Any,
    repository_name: str,
    registry_id: str | None = None,
    image_ids: list[dict[str, str]] | None = None,
) -> Any:
    """DescribeImages with another account's registryId is served by that account's registry (subject to the
    repository policy in AWS, which moto does not evaluate: the proof covers who may)."""
    backend = self
    if registry_id and registry_id != self.account_id:
        backend = ecr_models.ecr_backends[registry_id][self.region_name]
    return inner(backend, repository_name, registry_id, image_ids)


def install_cross_account_describe_images() -> None:
    """Serve DescribeImages from the account its registryId names."""
    wrap(ECRBackend, "describe_images", _describe_in_registry_account)
