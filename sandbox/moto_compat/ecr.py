"""ECR where moto differs from AWS: an image of another account's registry, named by registryId, and the error
for moving an immutable tag."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.core.exceptions import ServiceException
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


def _put_refusing_a_moved_immutable_tag(
    inner: Callable[..., Any],
    self: Any,
    repository_name: str,
    image_manifest: str,
    image_tag: str,
    *args: Any,
    **kwargs: Any,
) -> Any:
    """PutImage of a tag an image already carries, with other bytes, in an IMMUTABLE repository: AWS says
    ImageTagAlreadyExistsException ("The specified image is tagged with a tag that already exists. The
    repository is configured for tag immutability."); moto says ImageAlreadyExistsException, which AWS keeps
    for a push of the same manifest and tag again. The same push again still gets moto's answer."""
    repository = self.repositories.get(repository_name)
    if repository is not None and image_tag and repository.is_tag_immutable():
        # By manifest, not digest: moto derives a digest from the layers alone (see the README's known limits).
        tagged = [image for image in repository.images if image_tag in image.image_tags]
        if tagged and all(image.image_manifest != image_manifest for image in tagged):
            raise ImageTagAlreadyExistsException(
                f"The image tag '{image_tag}' already exists in the '{repository_name}' repository and cannot be "
                "overwritten because the repository is immutable."
            )
    return inner(self, repository_name, image_manifest, image_tag, *args, **kwargs)


class ImageTagAlreadyExistsException(ServiceException):
    """AWS's error for moving an immutable tag (PutImage errors, botocore's ECR model)."""

    code = "ImageTagAlreadyExistsException"


def install_immutable_tags() -> None:
    """Refuse moving an immutable tag with AWS's error code."""
    wrap(ECRBackend, "put_image", _put_refusing_a_moved_immutable_tag)
