"""S3's bucket policy size limit, which moto 5.2.5 does not enforce.

"Bucket policies are limited to 20 KB in size" (Amazon S3 User Guide, "Bucket policies and user policies").
moto stores a policy of any size. The sandbox refuses PutBucketPolicy with a policy over 20,480 bytes, counted
as sent; CloudFormation's AWS::S3::BucketPolicy (emulated in cfn_resources/s3.py) puts its policy through the
same backend call, so an oversized one fails the resource and the stack rolls back.

AWS does not document the error this returns. The code and message are those S3-compatible stores return
for it (PolicyTooLarge, "Policy exceeds the maximum allowed document size."): a divergence to confirm on AWS.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.s3 import models as _s3_models
from moto.s3.exceptions import S3ClientError

from policies.quota_limits import BUCKET_POLICY_LIMIT, sent_policy_bytes
from sandbox.moto_compat.wrapping import wrap

s3_models: Any = _s3_models


class PolicyTooLarge(S3ClientError):
    """A bucket policy over 20 KB (HTTP 400)."""

    code = "PolicyTooLarge"

    def __init__(self) -> None:
        super().__init__("PolicyTooLarge", "Policy exceeds the maximum allowed document size.")


def _put_bucket_policy(inner: Callable[..., None], self: Any, bucket_name: str, policy: bytes) -> None:
    """PutBucketPolicy refuses a policy over 20 KB and leaves the bucket's policy as it was."""
    if sent_policy_bytes(policy) > BUCKET_POLICY_LIMIT:
        raise PolicyTooLarge()
    inner(self, bucket_name, policy)


def install_bucket_policy_limit() -> None:
    """Refuse a bucket policy over 20 KB."""
    wrap(s3_models.S3Backend, "put_bucket_policy", _put_bucket_policy)
