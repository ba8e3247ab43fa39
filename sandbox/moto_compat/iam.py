"""IAM policies in the sandbox: AWS managed policies exist, and no policy is half-evaluated.

- moto loads either none of AWS's managed policies or all of them (about two seconds per account). The
  sandbox attaches two (AdministratorAccess, ReadOnlyAccess: what `cdk bootstrap` attaches), so those are
  loaded from moto's own copy of AWS's policy data, and only those.
- moto evaluates S3 bucket policies on object requests but drops their conditions, so the TLS-only
  statement every modelops bucket carries (Deny when aws:SecureTransport is false) denies every request.
  IAM applies a statement only when its Condition matches. The sandbox evaluates no policy at all, like
  moto everywhere else; access is proven statically by the policy tests.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any

from moto.iam import aws_managed_policies as _aws_managed
from moto.iam import models as _iam_models
from moto.iam.access_control import PermissionResult
from moto.s3 import models as _s3_models

from sandbox.moto_compat.wrapping import wrap

iam_models: Any = _iam_models
s3_models: Any = _s3_models

MANAGED_POLICIES = ("AdministratorAccess", "ReadOnlyAccess")


@cache
def _policy_data() -> dict[str, Any]:
    every = json.loads(_aws_managed.aws_managed_policies_data)
    return {name: every[name] for name in MANAGED_POLICIES}


def _init_aws_policies(inner: Callable[..., list[Any]], self: Any) -> list[Any]:
    """IAMBackend._init_aws_policies: AWS's own policies present in the account, loaded selectively."""
    loaded = inner(self)
    if loaded:  # moto was told to load every AWS managed policy; nothing to add
        return loaded
    return [
        iam_models.AWSManagedPolicy.from_data(name, self.account_id, self.region_name, data)
        for name, data in _policy_data().items()
    ]


def bucket_permission(self: Any, action: str, resource: str) -> Any:
    """FakeBucket.get_permission: the bucket policy neither allows nor denies (it is not evaluated)."""
    return PermissionResult.NEUTRAL


def install_aws_managed_policies() -> None:
    """The AWS managed policies the sandbox attaches exist in every account."""
    wrap(iam_models.IAMBackend, "_init_aws_policies", _init_aws_policies)


def install_bucket_policy_not_evaluated() -> None:
    """Bucket policies are stored, not evaluated (moto's evaluation drops their conditions)."""
    s3_models.FakeBucket.get_permission = bucket_permission
