"""ECR where moto differs from AWS: an image of another account's registry, named by registryId, the error for
moving an immutable tag, and a CloudFormation repository's policy and configurations."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from moto.core.exceptions import ServiceException
from moto.ecr import models as _ecr_models
from moto.ecr.models import ECRBackend

from sandbox.moto_compat.wrapping import wrap

# moto's module is patched at run time; typed as Any so the replaced attributes type-check.
ecr_models: Any = _ecr_models


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


def _api_configuration(properties: dict[str, Any]) -> dict[str, Any]:
    """An AWS::ECR::Repository's configurations in the API's shape (CloudFormation capitalises the keys)."""
    translated = dict(properties)
    scanning = properties.get("ImageScanningConfiguration")
    if isinstance(scanning, dict) and "ScanOnPush" in scanning:
        translated["ImageScanningConfiguration"] = {"scanOnPush": bool(scanning["ScanOnPush"])}
    encryption = properties.get("EncryptionConfiguration")
    if isinstance(encryption, dict) and "EncryptionType" in encryption:
        api = {"encryptionType": encryption["EncryptionType"]}
        if encryption.get("KmsKey"):
            api["kmsKey"] = encryption["KmsKey"]
        translated["EncryptionConfiguration"] = api
    return translated


def _set_policy(repository: Any, properties: dict[str, Any]) -> None:
    """Put the template's RepositoryPolicyText (a JSON object, or a string of one) on the repository."""
    policy = properties.get("RepositoryPolicyText")
    if policy is not None:
        text = policy if isinstance(policy, str) else json.dumps(policy)
        backend = ecr_models.ecr_backends[repository.account_id][repository.region_name]
        backend.set_repository_policy(repository.registry_id, repository.name, text)


def install_repository_from_template() -> None:
    """Create (and update) a CloudFormation repository with its policy, scanning and encryption configuration."""
    create = ecr_models.Repository.create_from_cloudformation_json  # bound to the class: a classmethod
    update = ecr_models.Repository.update_from_cloudformation_json

    def create_from_cloudformation_json(
        cls: type[Any],
        /,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        properties = _api_configuration(cloudformation_json.get("Properties", {}))
        repository = create(
            resource_name, {**cloudformation_json, "Properties": properties}, account_id, region_name, **kwargs
        )
        _set_policy(repository, properties)
        return repository

    def update_from_cloudformation_json(
        cls: type[Any],
        /,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> Any:
        properties = _api_configuration(cloudformation_json.get("Properties", {}))
        repository = update(
            original_resource,
            new_resource_name,
            {**cloudformation_json, "Properties": properties},
            account_id,
            region_name,
        )
        _set_policy(repository, properties)
        return repository

    ecr_models.Repository.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)
    ecr_models.Repository.update_from_cloudformation_json = classmethod(update_from_cloudformation_json)
