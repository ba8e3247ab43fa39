"""AWS::S3::BucketPolicy, which moto's CloudFormation skips."""

from __future__ import annotations

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
