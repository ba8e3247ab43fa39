"""Where moto 5.2.5 differs from what AWS documents, the sandbox follows AWS: the patches live here.

- `registry`: model package group policies, non-destructive UpdateModelPackage, PendingManualApproval
  as the default status, ModelCard, cross-account access by ARN, the EventBridge state-change event.
- `iam`: AWS managed policies exist; bucket policies are not half-evaluated (moto drops their conditions).
- `events`: EventBridge rules with Lambda targets record the event instead of failing the call.
- `endpoints`: CreateModel's model package check, UpdateEndpoint, the endpoint's deployment configuration.
- `cfn_resources`: the resource types moto skips or gets wrong (AWS::IAM::Role attaches ManagedPolicyArns
  and updates in place; SageMaker hosting honours its names), one module per service.
- `cloudformation`: AWS's create, update, replacement and rollback semantics for stacks.

moto is pinned (pyproject.toml) because these patches replace its internals by name. Every patch has a
test in tests/test_moto_compat.py naming the AWS behaviour it follows.
"""

from __future__ import annotations

from sandbox.moto_compat import cloudformation, endpoints, events, iam, registry


def apply() -> None:
    """Patch moto's in-process backends; call before the server handles its first request. Idempotent."""
    iam.apply()
    registry.apply()
    events.apply()
    endpoints.apply()
    cloudformation.apply()
