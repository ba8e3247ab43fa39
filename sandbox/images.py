"""An image in the sandbox's ECR, as an organisation's image build would push it before registration.

The stacks create no ECR repository (see the README's known limits): images are built and pushed by the
organisation's own CI. The sandbox stands in for that push, so that registration can resolve a tag to its
digest through ECR as it does in AWS.
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


def repository_policy(data_science_role: str) -> str:
    """The grant the README asks of an organisation's image repository: the data-science role resolves a
    tag to its digest (registration's ecr:DescribeImages), cross-account, as the repository policy must
    allow ("Private repository policies", Amazon ECR user guide)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DataScienceResolvesDigests",
                    "Effect": "Allow",
                    "Principal": {"AWS": data_science_role},
                    "Action": "ecr:DescribeImages",
                }
            ],
        }
    )


def push_image(session: boto3.Session, image: str, *, readers: str | None = None) -> str:
    """Push `image` (`<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>`) with `session`, the image
    account's, letting role `readers` resolve its digest; returns its digest. Pushing a tag that is there
    already changes nothing."""
    match = IMAGE.fullmatch(image)
    if match is None:
        raise ValueError(f"{image} is not an ECR image with a tag")
    ecr = session.client("ecr", region_name=match["region"])
    try:
        ecr.create_repository(repositoryName=match["repository"])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "RepositoryAlreadyExistsException":
            raise
    if readers is not None:
        ecr.set_repository_policy(repositoryName=match["repository"], policyText=repository_policy(readers))
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
