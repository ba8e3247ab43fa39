"""AWS::S3::BucketPolicy, which moto's CloudFormation skips, and the AWS::S3::Bucket properties it drops."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from moto.s3 import models as _s3_models
from moto.utilities.utils import get_partition

from sandbox.moto_compat.cfn_resources.base import DeclaredResource, policy_text

s3_backends: Any = _s3_models.s3_backends


class BucketPolicyResource(DeclaredResource):
    """AWS::S3::BucketPolicy: puts the policy on the bucket (moto skips the type)."""

    resource_type = "AWS::S3::BucketPolicy"
    name_property = ""
    attributes = ()

    def __init__(self, name: str, bucket: str, account_id: str, region_name: str) -> None:
        self.name = name
        self.bucket = bucket
        self.account_id = account_id
        self.region_name = region_name

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @staticmethod
    def _backend(account_id: str, region_name: str) -> Any:
        return s3_backends[account_id][get_partition(region_name)]

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> BucketPolicyResource:
        properties = cloudformation_json["Properties"]
        bucket = properties["Bucket"]
        cls._backend(account_id, region_name).put_bucket_policy(
            bucket, policy_text(properties["PolicyDocument"]).encode()
        )
        return cls(resource_name, bucket, account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> BucketPolicyResource:
        if cloudformation_json["Properties"]["Bucket"] != original_resource.bucket:
            original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(original_resource.name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        cls._backend(account_id, region_name).delete_bucket_policy(cloudformation_json["Properties"]["Bucket"])

    def delete(self, account_id: str, region_name: str) -> None:
        self._backend(account_id, region_name).delete_bucket_policy(self.bucket)

    def is_created(self) -> bool:
        return True


def _bucket_with_versioning_and_object_lock(
    inner: Callable[..., Any],
    cls: Any,
    resource_name: str,
    cloudformation_json: Any,
    account_id: str,
    region_name: str,
    **kwargs: Any,
) -> Any:
    """AWS::S3::Bucket applies VersioningConfiguration, ObjectLockEnabled and ObjectLockConfiguration's
    default retention (moto's CloudFormation drops all three)."""
    bucket = inner(resource_name, cloudformation_json, account_id, region_name, **kwargs)
    properties = cloudformation_json.get("Properties", {})
    backend = s3_backends[account_id][get_partition(region_name)]
    status = (properties.get("VersioningConfiguration") or {}).get("Status")
    if status:
        backend.put_bucket_versioning(bucket.name, status)
    if properties.get("ObjectLockEnabled") in (True, "true", "True"):
        rule = ((properties.get("ObjectLockConfiguration") or {}).get("Rule") or {}).get("DefaultRetention") or {}
        backend.put_bucket_versioning(bucket.name, "Enabled")  # Object Lock implies versioning
        backend.put_object_lock_configuration(
            bucket.name,
            lock_enabled=True,
            mode=rule.get("Mode"),
            days=int(rule.get("Days", 0)),  # moto adds both; AWS takes one of the two
            years=int(rule.get("Years", 0)),
        )
    return bucket


def install_bucket_versioning_and_object_lock() -> None:
    """Make moto's AWS::S3::Bucket honour versioning and Object Lock."""
    original = _s3_models.FakeBucket.__dict__["create_from_cloudformation_json"].__func__

    def create(cls: Any, *args: Any, **kwargs: Any) -> Any:
        return _bucket_with_versioning_and_object_lock(functools.partial(original, cls), cls, *args, **kwargs)

    _s3_models.FakeBucket.create_from_cloudformation_json = classmethod(create)  # type: ignore[method-assign,assignment]
