"""Where moto 5.2.5 differs from what AWS documents, the sandbox follows AWS: the patches live here.

`patches.PATCHES` is the one registry: each entry names the moto behaviour it replaces, the AWS
documentation it follows, the test that proves it and when it can be removed, and `apply()` installs
exactly those entries. The code is grouped by service:

- `registry`: model package group policies, non-destructive UpdateModelPackage, PendingManualApproval
  as the default status, ModelCard, cross-account access by ARN, the EventBridge state-change event,
  ModelLifeCycle, CreatedBy and LastModifiedBy naming the caller, CustomerMetadataProperties limits.
- `sts`: role sessions keep their SourceIdentity (down a role chain, too); who holds an access key.
- `iam`: AWS managed policies exist; bucket policies are not half-evaluated (moto drops their conditions).
- `events`: EventBridge rules with Lambda targets record the event instead of failing the call.
- `endpoints`: CreateModel's model package checks (it exists, and is Approved), UpdateEndpoint, the
  endpoint's deployment configuration.
- `sns`: email subscriptions receive only what their filter policy matches, and are recorded.
- `ssm`, `s3`: the Standard parameter value limit (4 KB) and the bucket policy limit (20 KB).
- `iam_quotas`: IAM's policy size quotas (role inline policies 10,240 characters together, managed policy
  6,144, trust policy 2,048; whitespace not counted) and 10 managed policies per role, for the API and for
  CloudFormation's IAM types. `kms`: the 32 KB key policy limit. `registry`: the 20,480-character group policy.
  `endpoints`: endpoint ARNs are lower case. `cloudformation`: 500 resources per stack.
- `cfn_resources`: the resource types moto skips or gets wrong (AWS::IAM::Role attaches ManagedPolicyArns
  and updates in place; SageMaker hosting honours its names), one module per service.
- `cloudformation`: AWS's create, update, replacement and rollback semantics for stacks.

moto is pinned (pyproject.toml) because these patches replace its internals by name.
"""

from __future__ import annotations

from sandbox.moto_compat import patches


def apply() -> None:
    """Patch moto's in-process backends with every entry of `patches.PATCHES`; call before the server
    handles its first request. Idempotent."""
    patches.install()
