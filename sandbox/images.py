"""An image in the sandbox's ECR, as an organisation's image build would push it before registration.

The shared-services stack creates the models' repository, `modelops-models` (shared_services/images.py), with
immutable tags; images are built and pushed by the organisation's own CI (or by data science, whom the
repository's policy lets push). The sandbox stands in for that push, so that registration resolves a tag to
its digest through ECR as it does in AWS. Tests that run without the stacks may still let the push create a
repository of its own (`create_repository=True`).
"""

from __future__ import annotations

import json
import re

import boto3
from botocore.exceptions import ClientError

IMAGE = re.compile(
    r"^(?P<registry>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<repository>[^:@]+):(?P<tag>.+)$"
)


def image_manifest(tag: str) -> str:
    """A minimal Docker image manifest, one per tag (its config digest names the tag), so each tag has its
    own digest."""
    config_digest = "sha256:" + tag.encode().hex().ljust(64, "0")[:64]
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 2,
                "digest": config_digest,
            },
            "layers": [],
        }
    )


def push_image(session: boto3.Session, image: str, *, create_repository: bool = True) -> str:
    """Push `image` (`<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>`) with `session`; returns its
    digest. Pushing a tag that is there already, with the same manifest, changes nothing. With
    `create_repository` False the repository must exist (the stack's): RepositoryNotFoundException otherwise."""
    match = IMAGE.fullmatch(image)
    if match is None:
        raise ValueError(f"{image} is not an ECR image with a tag")
    ecr = session.client("ecr", region_name=match["region"])
    if create_repository:
        try:
            ecr.create_repository(repositoryName=match["repository"])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "RepositoryAlreadyExistsException":
                raise
    try:
        pushed = ecr.put_image(
            repositoryName=match["repository"], imageManifest=image_manifest(match["tag"]), imageTag=match["tag"]
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ImageAlreadyExistsException":
            raise
        described = ecr.describe_images(repositoryName=match["repository"], imageIds=[{"imageTag": match["tag"]}])
        return str(described["imageDetails"][0]["imageDigest"])
    return str(pushed["image"]["imageId"]["imageDigest"])
