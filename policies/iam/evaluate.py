"""The decision: AWS's documented evaluation logic for one request, with the statements that decided it.

From "Policy evaluation logic", "Policy evaluation for requests within a single account" and
"Cross-account policy evaluation logic":
1. An explicit Deny in any applicable identity or resource policy statement decides.
2. Same account: an Allow in an identity policy, or in a resource policy that names the principal
   (its role or session ARN, or "*"), allows. Two resource policies must allow themselves: a KMS key
   policy and a role trust policy. There, a statement naming the account (id or root) only
   delegates: an identity policy of that account must allow too. A KMS key with no key policy allows
   no one ("Key policies in AWS KMS": "Without permission from the key policy, IAM policies that
   allow permissions have no effect"), so a request to it is denied, in or across accounts.
3. Cross account: an identity policy in the caller's account AND the resource policy must allow.
4. Service and web-identity (Federated) principals are judged by the resource policy alone, and an
   anonymous caller only by a resource policy statement with Principal "*".
A resource policy applies to its own service's actions: a trust policy to sts:*, a key policy to
kms:*, a bucket policy to s3:*. SCPs, RCPs, permissions boundaries, session policies, ACLs and KMS
grants are not modelled (this repository uses none of them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from policies.iam.model import (
    PRINCIPAL_TAG_PREFIX,
    AccessDecision,
    Context,
    ContextValue,
    Effect,
    Principal,
    PrincipalKind,
    Request,
    Resource,
)
from policies.iam.policy import Policy, PolicyKind, PrincipalMatch, Statement

NO_ALLOW = "no identity or resource policy allows the request"
NO_IDENTITY_ALLOW = "cross-account request: no identity policy in the caller's account allows it"
NO_RESOURCE_ALLOW = "cross-account request: the resource policy does not allow it"
NO_RESOURCE_POLICY = "cross-account request: the resource has no resource policy that applies"
MUST_ALLOW = "the {policy} must allow the request, and it does not"
NO_KEY_POLICY = "the key policy must allow the request, and the key has no key policy"
DELEGATED_ONLY = "the {policy} only delegates to account {account}, and no identity policy there allows the request"
ANONYMOUS_DENY = 'an anonymous request needs a resource policy statement with Principal "*"'
RESOURCE_ONLY_DENY = "a {kind} principal is judged by the resource policy alone, and it does not allow the request"
DENIED = "an explicit Deny applies"
ALLOWED_BY_IDENTITY = "allowed by an identity policy"
ALLOWED_BY_RESOURCE = "allowed by the resource policy, which names the principal"
ALLOWED_DELEGATED = "allowed by the {policy}, which delegates to the account, and an identity policy"
ALLOWED_CROSS_ACCOUNT = "cross-account request allowed by both an identity policy and the resource policy"

POLICY_NOUN = {
    PolicyKind.KMS_KEY: "key policy",
    PolicyKind.TRUST: "trust policy",
    PolicyKind.RESOURCE: "resource policy",
    PolicyKind.IDENTITY: "identity policy",
}


def evaluate(request: Request) -> AccessDecision:
    """Decide one request: Allow, ExplicitDeny or ImplicitDeny, and which statements decided it."""
    return decide(prepare(request.principal, request.action, request.resource), request.context)


@dataclass(frozen=True, slots=True)
class Prepared:
    """The part of a decision that does not depend on the request context: the statements whose action,
    resource and principal match, in document order. A sweep prepares each (principal, action,
    resource) once and decides it for every context variant. A statement whose resource has policy
    variables is kept when it may match; `decide` substitutes them for each context."""

    principal: Principal
    action: str  # lower-cased
    resource: Resource
    identity: tuple[Statement, ...]
    resource_policy: Policy | None
    resource_statements: tuple[tuple[Statement, PrincipalMatch], ...]


def prepare(principal: Principal, action: str, resource: Resource) -> Prepared:
    """The context-free part of deciding `action` by `principal` on `resource`."""
    action = action.lower()
    arn = resource.arn
    identity: tuple[Statement, ...] = ()
    if principal.has_identity_policies:
        identity = tuple(
            statement
            for policy in principal.identity_policies
            for statement in policy.statements_for(action)
            if statement.matches_resource(arn)
        )
    resource_policy = _applicable_policy(resource, action)
    matching: tuple[tuple[Statement, PrincipalMatch], ...] = ()
    if resource_policy is not None:
        matching = tuple(
            (statement, match)
            for statement in resource_policy.statements_for(action)
            if (match := statement.principal_match(principal)) is not PrincipalMatch.NONE
            and statement.matches_resource(arn)
        )
    return Prepared(principal, action, resource, identity, resource_policy, matching)


def decide(prepared: Prepared, context: Context) -> AccessDecision:
    """Decide a prepared request in `context`, in the steps of the module docstring."""
    # 1. An explicit Deny decides; the one reported is the first tested (identity statements, then resource).
    deny, identity_allow = _identity_statements(prepared, context)
    if deny is not None:
        return _explicit_deny(deny)
    deny, direct, delegated = _resource_statements(prepared, context)
    if deny is not None:
        return _explicit_deny(deny)
    principal = prepared.principal
    if not principal.has_identity_policies:
        return _judged_by_resource_policy_alone(principal, direct)
    policy = prepared.resource_policy
    if policy is None and prepared.resource.is_kms_key and prepared.action.startswith("kms:"):
        return _implicit(NO_KEY_POLICY)  # identity policies alone never reach a key
    nothing_allows = identity_allow is None and direct is None and delegated is None
    if nothing_allows and (policy is None or policy.kind is PolicyKind.RESOURCE):
        # The common case in a sweep, answered without the case analysis below (same reasons).
        return _implicit(NO_ALLOW if principal.account == prepared.resource.account else NO_IDENTITY_ALLOW)
    if principal.account == prepared.resource.account:
        return _same_account(principal, policy, identity_allow, direct, delegated)
    return _cross_account(policy, identity_allow, direct or delegated)


def _identity_statements(prepared: Prepared, context: Context) -> tuple[Statement | None, Statement | None]:
    """The first identity statement that applies if it denies, else (None, the first that allows)."""
    allow: Statement | None = None
    for statement in prepared.identity:
        if statement.contextual and not statement.applies(
            prepared.resource.arn, context_lookup(prepared.principal, prepared.action, context)
        ):
            continue
        if not statement.allow:
            return statement, None
        if allow is None:
            allow = statement
    return None, allow


def _resource_statements(
    prepared: Prepared, context: Context
) -> tuple[Statement | None, Statement | None, Statement | None]:
    """The first resource policy statement that applies if it denies, else (None, the first that allows
    naming the principal itself, the first that allows naming only its account)."""
    direct: Statement | None = None
    delegated: Statement | None = None
    for statement, match in prepared.resource_statements:
        if statement.contextual and not statement.applies(
            prepared.resource.arn, context_lookup(prepared.principal, prepared.action, context)
        ):
            continue
        if not statement.allow:
            return statement, None, None
        if match is PrincipalMatch.DIRECT:
            direct = direct or statement
        else:
            delegated = delegated or statement
    return None, direct, delegated


def _explicit_deny(statement: Statement) -> AccessDecision:
    return AccessDecision(Effect.EXPLICIT_DENY, (statement.ref,), DENIED)


def _same_account(
    principal: Principal,
    policy: Policy | None,
    identity_allow: Statement | None,
    direct: Statement | None,
    delegated: Statement | None,
) -> AccessDecision:
    """2. Same account: an identity policy's Allow or the resource policy's naming the principal allows,
    except that a key or trust policy must allow itself."""
    if direct is not None:
        refs = (direct.ref,) if identity_allow is None else (identity_allow.ref, direct.ref)
        return AccessDecision(Effect.ALLOW, refs, ALLOWED_BY_RESOURCE)
    if policy is not None and policy.kind in (PolicyKind.KMS_KEY, PolicyKind.TRUST):
        return _key_or_trust_policy(POLICY_NOUN[policy.kind], principal.account, identity_allow, delegated)
    if identity_allow is not None:
        return AccessDecision(Effect.ALLOW, (identity_allow.ref,), ALLOWED_BY_IDENTITY)
    return _implicit(NO_ALLOW)


def _key_or_trust_policy(
    noun: str, account: str | None, identity_allow: Statement | None, delegated: Statement | None
) -> AccessDecision:
    """A key or trust policy that does not name the principal: naming its account only delegates, so an
    identity policy of that account must allow too."""
    if delegated is None:
        return _implicit_formatted(MUST_ALLOW, policy=noun)
    if identity_allow is None:
        return _implicit_formatted(DELEGATED_ONLY, policy=noun, account=account)
    return AccessDecision(Effect.ALLOW, (delegated.ref, identity_allow.ref), ALLOWED_DELEGATED.format(policy=noun))


def _cross_account(
    policy: Policy | None, identity_allow: Statement | None, granting: Statement | None
) -> AccessDecision:
    """3. Cross account: an identity policy in the caller's account and the resource policy must both allow."""
    if identity_allow is None:
        return _implicit(NO_IDENTITY_ALLOW)
    if granting is None:
        return _implicit(NO_RESOURCE_ALLOW if policy is not None else NO_RESOURCE_POLICY)
    return AccessDecision(Effect.ALLOW, (identity_allow.ref, granting.ref), ALLOWED_CROSS_ACCOUNT)


def _judged_by_resource_policy_alone(principal: Principal, direct: Statement | None) -> AccessDecision:
    """4. Service, web-identity and anonymous principals: only a resource policy statement naming them allows."""
    if direct is not None:
        return AccessDecision(Effect.ALLOW, (direct.ref,), ALLOWED_BY_RESOURCE)
    if principal.kind is PrincipalKind.ANONYMOUS:
        return _implicit(ANONYMOUS_DENY)
    return _implicit_formatted(RESOURCE_ONLY_DENY, kind=principal.kind)


_ARN_SERVICES: dict[str, str] = {}


def _applicable_policy(resource: Resource, action: str) -> Policy | None:
    """The resource policy if it governs `action`: a trust policy sts:*, others their ARN's service."""
    policy = resource.policy
    if policy is None:
        return None
    service = action.partition(":")[0]
    if policy.kind is PolicyKind.TRUST:
        return policy if service == "sts" else None
    arn_service = _ARN_SERVICES.get(resource.arn)
    if arn_service is None:
        parts = resource.arn.split(":", 3)
        arn_service = _ARN_SERVICES[resource.arn] = parts[2] if len(parts) > 3 else ""
    return policy if service == arn_service else None


@lru_cache(maxsize=256)
def _implicit(reason: str) -> AccessDecision:
    """Implicit denials carry no statement, so one shared object per reason serves every request."""
    return AccessDecision(Effect.IMPLICIT_DENY, (), reason)


@lru_cache(maxsize=256)
def _implicit_formatted(template: str, **fields: str | None) -> AccessDecision:
    """`_implicit` of a reason template filled in, cached by its fields (a sweep denies the same way often)."""
    return _implicit(template.format(**fields))


def context_lookup(principal: Principal, action: str, context: Context) -> Callable[[str], ContextValue | None]:
    """Context lookup that adds the keys AWS derives from the authenticated principal, its session
    tags (aws:PrincipalTag/<key>) among them.

    Public for callers that test statement conditions themselves (the proof's equivalence oracle)."""

    def lookup(key: str) -> ContextValue | None:
        if key == "aws:principalarn":
            return principal.name if principal.has_identity_policies else None
        if key == "aws:principalaccount" or (key == "kms:calleraccount" and action.startswith("kms:")):
            return principal.account
        if key == "aws:principalservicename":
            return principal.name if principal.kind is PrincipalKind.SERVICE else None
        if key == "aws:principalisawsservice":
            return (
                None
                if principal.kind is PrincipalKind.ANONYMOUS
                else str(principal.kind is PrincipalKind.SERVICE).lower()
            )
        if key.startswith(PRINCIPAL_TAG_PREFIX):
            return principal.principal_tags.get(key[len(PRINCIPAL_TAG_PREFIX) :])
        return context.get(key)

    return lookup
