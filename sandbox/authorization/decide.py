"""One call judged: every check the catalog lists must be allowed by the project's evaluator.

Beyond the identity and resource policies the evaluator weighs, a role's permissions boundary and its
session policy must allow too ("Policy evaluation logic", IAM user guide: within an account, an allow
from identity policies is limited by both). The global keys every request carries are added:
aws:SecureTransport (the sandbox listens on plain HTTP on loopback; AWS's endpoints are HTTPS, so the
request is judged as the same call over TLS would be), aws:RequestedRegion, aws:ResourceAccount (and
s3:ResourceAccount), and the session's aws:SourceIdentity.
"""

from __future__ import annotations

from dataclasses import dataclass

from policies.iam import (
    AccessDecision,
    Context,
    Effect,
    Policy,
    Principal,
    PrincipalKind,
    Request,
    Resource,
    UnsupportedPolicyError,
    evaluate,
)
from policies.iam.policy import PolicyKind
from sandbox.authorization import errors
from sandbox.authorization.callers import Caller
from sandbox.authorization.catalog import Check
from sandbox.authorization.resource_policies import resource_policy

RESOURCE_POLICY_KINDS = (PolicyKind.RESOURCE, PolicyKind.KMS_KEY, PolicyKind.TRUST)


@dataclass(frozen=True)
class Verdict:
    """Allowed, or refused with AWS's message."""

    allowed: bool
    message: str = ""
    action: str = ""
    detail: str = ""  # the evaluator's explanation: which statements decided (the tally's, never the caller's)


ALLOWED = Verdict(True)


def judge(
    caller: Caller,
    checks: list[Check],
    *,
    region: str,
    source_identity: str | None = None,
    key_policy: Policy | None = None,
) -> Verdict:
    """Allowed when every check is; else the first refusal. `key_policy` stands for the key policy of a key
    the call creates (CloudFormation's calls on a key it is making), which the sandbox does not hold yet."""
    for check in checks:
        verdict = _judge_one(caller, check, region, source_identity, key_policy)
        if not verdict.allowed:
            return verdict
    return ALLOWED


def _context(check: Check, region: str, source_identity: str | None) -> Context:
    values = dict(check.context)
    values.setdefault("aws:SecureTransport", "true")
    values.setdefault("aws:RequestedRegion", region)
    values.setdefault("aws:ResourceAccount", check.account)
    if check.action.startswith("s3:"):
        values.setdefault("s3:ResourceAccount", check.account)
    if source_identity is not None:
        values.setdefault("aws:SourceIdentity", source_identity)
    return Context(values)


def _judge_one(
    caller: Caller, check: Check, region: str, source_identity: str | None, key_policy: Policy | None = None
) -> Verdict:
    service = check.action.partition(":")[0]
    try:
        policy = resource_policy(service, check.resource, check.account)
        if policy is None and key_policy is not None and service == "kms" and ":key/" in check.resource:
            policy = key_policy
        resource = Resource(check.resource, check.account, policy)
        context = _context(check, region, source_identity)
        decision = evaluate(Request(caller.principal, check.action, resource, context))
        if decision.allowed and caller.limits:
            limited = _limited(caller, check, resource, context)
            if limited is not None:
                return limited
    except (UnsupportedPolicyError, ValueError) as error:
        # The evaluator refuses what it does not model; the sandbox then refuses the call: no silent allow.
        text = errors.message(
            caller.arn, check.action, check.resource, f"because the sandbox cannot evaluate it: {error}"
        )
        return Verdict(False, text, check.action)
    if decision.allowed:
        return ALLOWED
    text = errors.message(caller.arn, check.action, check.resource, _why(caller, check, decision))
    return Verdict(False, text, check.action, f"{decision} [context {dict(context.items())}]")


def _limited(caller: Caller, check: Check, resource: Resource, context: Context) -> Verdict | None:
    """A refusal when a permissions boundary or the session policy does not allow the check."""
    # A KMS key is decided by its key policy first (the evaluator refuses a key without one): the limit is
    # weighed as the identity side of the request the key policy delegates to the account, as IAM does.
    limited = Resource(resource.arn, resource.account, resource.policy if resource.is_kms_key else None)
    for limit in caller.limits:
        bounded = _limit_principal(caller, limit.name)
        decision = evaluate(Request(bounded, check.action, limited, context))
        if decision.allowed:
            continue
        kind = "permissions boundary" if limit.name.startswith("boundary:") else "session policy"
        if decision.effect is Effect.EXPLICIT_DENY:
            why = f"with an explicit deny in a {kind}"
        else:
            why = f"because no {kind} allows the {check.action} action"
        return Verdict(False, errors.message(caller.arn, check.action, check.resource, why), check.action)
    return None


_limit_principals: dict[tuple[int, str], Principal] = {}


def _limit_principal(caller: Caller, name: str) -> Principal:
    key = (id(caller), name)
    found = _limit_principals.get(key)
    if found is None:
        principal = caller.principal
        policy = next(limit for limit in caller.limits if limit.name == name)
        session = principal.session_arn.rsplit("/", 1)[-1] if principal.session_arn else None
        found = _limit_principals[key] = Principal.role(
            principal.name,
            session=session,
            session_tags=dict(principal.session_tags) or None,
            role_tags=dict(principal.role_tags) or None,
            identity_policies=[policy],
        )
    return found


def _why(caller: Caller, check: Check, decision: AccessDecision) -> str:
    identity_names = {policy.name for policy in caller.principal.identity_policies}
    if decision.effect is Effect.EXPLICIT_DENY:
        where = (
            "an identity-based policy" if decision.statements[0].policy in identity_names else "a resource-based policy"
        )
        return f"with an explicit deny in {where}"
    if check.action.startswith("sts:AssumeRole") or check.action in ("sts:TagSession", "sts:SetSourceIdentity"):
        return ""  # STS names no reason: "not authorized to perform: sts:AssumeRole on resource: <role>"
    if caller.principal.kind is not PrincipalKind.ROLE and caller.principal.kind is not PrincipalKind.ROOT:
        return f"because no resource-based policy allows the {check.action} action"
    reason = decision.reason
    identity_only = "identity policy" in reason and "resource policy" not in reason
    if identity_only or reason.startswith("no identity or resource"):
        return f"because no identity-based policy allows the {check.action} action"
    return f"because no resource-based policy allows the {check.action} action"
