"""The inputs and output of one evaluation: principal, resource, request context, decision."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from policies.iam.policy import Policy

ROLE_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):iam::(?P<account>\d{12}):role/(?:[\w+=,.@-]+/)*(?P<name>[\w+=,.@-]+)$"
)
ACCOUNT_ID = re.compile(r"^\d{12}$")
# A KMS key (not an alias): its key policy must allow every request to it ("Key policies in AWS KMS").
KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/.+$")

ContextValue = str | tuple[str, ...]
"""A context key's value: a string for a single-valued key, a tuple for a multivalued key."""

# Keys AWS sets from the authenticated principal; a caller cannot choose them, so neither can a test.
DERIVED_KEYS = frozenset(
    {
        "aws:principalarn",
        "aws:principalaccount",
        "aws:principalservicename",
        "aws:principalisawsservice",
        "kms:calleraccount",
    }
)
PRINCIPAL_TAG_PREFIX = "aws:principaltag/"  # aws:PrincipalTag/<key>: the principal's (session's) tags
NO_TAGS: Mapping[str, str] = MappingProxyType({})


class PrincipalKind(StrEnum):
    """Who makes a request: a role, an AWS service, a web identity (Federated), or an anonymous caller."""

    ROLE = "role"
    ROOT = "root"
    SERVICE = "service"
    FEDERATED = "federated"
    ANONYMOUS = "anonymous"


@dataclass(frozen=True, eq=False)
class Principal:
    """Who makes the request. Build one with `role`, `service`, `federated` or `anonymous`.

    A role principal may carry a session name: it then acts as the assumed-role session
    `arn:aws:sts::<account>:assumed-role/<name>/<session>`, while aws:PrincipalArn stays the role ARN.
    Its aws:PrincipalTag/<key> context keys (keys case-insensitive) are `principal_tags`: the tags of the
    assumed role, overlaid by the session's tags, which override a role tag with the same key ("Pass
    session tags in AWS STS": a principal's tags come from the session tags and the IAM tags attached to
    the assumed role, https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html).
    """

    kind: PrincipalKind
    name: str
    account: str | None = None
    session_arn: str | None = None
    identity_policies: tuple[Policy, ...] = ()
    session_tags: Mapping[str, str] = field(default_factory=lambda: NO_TAGS)  # lower-cased keys
    role_tags: Mapping[str, str] = field(default_factory=lambda: NO_TAGS)  # lower-cased keys
    principal_tags: Mapping[str, str] = field(default_factory=lambda: NO_TAGS)  # role's, then session's

    @classmethod
    def role(
        cls,
        arn: str,
        *,
        session: str | None = None,
        session_tags: Mapping[str, str] | None = None,
        role_tags: Mapping[str, str] | None = None,
        identity_policies: Sequence[Policy] = (),
    ) -> Principal:
        """An IAM role (or a session of it) with the identity policies attached to the role.

        `session_tags` are the tags passed when the session was made (for an IAM Identity Center session,
        its attributes); `role_tags` the role's own tags. Both are principal tags; a session tag wins."""
        match = ROLE_ARN.fullmatch(arn)
        if match is None:
            raise ValueError(f"principal {arn!r} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)")
        session_arn = None
        if session is not None:
            session_arn = f"arn:{match['partition']}:sts::{match['account']}:assumed-role/{match['name']}/{session}"
        tags = _session_tags(arn, session, session_tags or {})
        own = _lowered(arn, "role tag", role_tags or {})
        principal_tags = MappingProxyType({**own, **tags}) if own else tags
        return cls(
            PrincipalKind.ROLE, arn, match["account"], session_arn, tuple(identity_policies), tags, own, principal_tags
        )

    @classmethod
    def root(cls, account: str) -> Principal:
        """An account's root user (`arn:aws:iam::<account>:root`). No identity policy binds it: in its own
        account it may do anything no resource policy denies ("AWS account root user", IAM user guide);
        another account's resource policy that names the account delegates to it, as to any of its
        principals. It is modelled as holding one identity policy that allows every action on every resource."""
        if not ACCOUNT_ID.fullmatch(account):
            raise ValueError(f"root principal: account {account!r} is not 12 digits")
        return cls(PrincipalKind.ROOT, f"arn:aws:iam::{account}:root", account, None, (_root_policy(),))

    @property
    def has_identity_policies(self) -> bool:
        """Whether identity policies apply to the principal: a role (or its session), or a root user."""
        return self.kind in IDENTITY_KINDS

    @classmethod
    def service(cls, name: str) -> Principal:
        """An AWS service principal such as `sagemaker.amazonaws.com`."""
        if not name.endswith(".amazonaws.com"):
            raise ValueError(f"service principal {name!r} does not end in .amazonaws.com")
        return cls(PrincipalKind.SERVICE, name)

    @classmethod
    def federated(cls, provider: str) -> Principal:
        """A web-identity caller of AssumeRoleWithWebIdentity, identified by its OIDC provider ARN."""
        return cls(PrincipalKind.FEDERATED, provider)

    @classmethod
    def anonymous(cls) -> Principal:
        """An unauthenticated caller."""
        return cls(PrincipalKind.ANONYMOUS, "anonymous")

    def __str__(self) -> str:
        return self.session_arn or self.name


IDENTITY_KINDS = frozenset({PrincipalKind.ROLE, PrincipalKind.ROOT})


@lru_cache(maxsize=1)
def _root_policy() -> Policy:
    from policies.iam.policy import Policy, PolicyKind  # policy.py imports this module

    document = {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "RootUser", "Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
    return Policy("the account root user", document, PolicyKind.IDENTITY)


def _session_tags(arn: str, session: str | None, tags: Mapping[str, str]) -> Mapping[str, str]:
    if not tags:
        return NO_TAGS
    if session is None:
        raise ValueError(f"principal {arn!r}: session tags need a session")
    return _lowered(arn, "session tag", tags)


def _lowered(arn: str, what: str, tags: Mapping[str, str]) -> Mapping[str, str]:
    if not tags:
        return NO_TAGS
    lowered: dict[str, str] = {}
    for key, value in tags.items():
        if not isinstance(value, str):
            raise ValueError(f"principal {arn!r}: {what} {key} must be a string, got {value!r}")
        if key.lower() in lowered:
            raise ValueError(f"principal {arn!r}: {what} {key} is given twice (tag keys are case-insensitive)")
        lowered[key.lower()] = value
    return MappingProxyType(lowered)


@dataclass(frozen=True, eq=False)
class Resource:
    """The resource a request acts on, its owning account and its resource policy, if it has one.

    For a role, the resource policy is its trust policy; for a KMS key, its key policy. A KMS key
    (`arn:aws:kms:<region>:<account>:key/<id>`) without one stands for a key whose key policy allows
    no one: every request to it is denied, whatever identity policies say.
    """

    arn: str
    account: str
    policy: Policy | None = None
    is_kms_key: bool = field(init=False)  # its key policy must allow (evaluate.py), even when it has none

    def __post_init__(self) -> None:
        if not ACCOUNT_ID.fullmatch(self.account):
            raise ValueError(f"resource {self.arn!r}: owning account {self.account!r} is not 12 digits")
        is_kms_key = KMS_KEY_ARN.fullmatch(self.arn) is not None
        object.__setattr__(self, "is_kms_key", is_kms_key)
        if is_kms_key and self.policy is not None and self.policy.kind != "kms-key":
            raise ValueError(
                f"resource {self.arn!r}: a KMS key's resource policy is its key policy (kind kms-key), "
                f"got a {self.policy.kind} policy"
            )


class Context:
    """The request context: keys are case-insensitive, values are strings or tuples of strings."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, str | bool | Sequence[str]] | None = None) -> None:
        normalized: dict[str, ContextValue] = {}
        for key, value in (values or {}).items():
            lowered = key.lower()
            if lowered in DERIVED_KEYS or lowered.startswith(PRINCIPAL_TAG_PREFIX):
                raise ValueError(f"context key {key} is set from the principal; it cannot be given")
            if lowered in normalized:
                raise ValueError(f"context key {key} is given twice (keys are case-insensitive)")
            normalized[lowered] = _context_value(key, value)
        self._values = normalized

    def get(self, key: str) -> ContextValue | None:
        """The value of a lower-cased key, or None when the request does not carry it."""
        return self._values.get(key)

    def items(self) -> list[tuple[str, ContextValue]]:
        """The context's keys and values, sorted by key."""
        return sorted(self._values.items())

    def __repr__(self) -> str:
        return f"Context({dict(self.items())!r})"


def _context_value(key: str, value: str | bool | Sequence[str]) -> ContextValue:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if all(isinstance(item, str) for item in value):
        return tuple(value)
    raise ValueError(f"context key {key}: expected a string, a boolean or a list of strings, got {value!r}")


@dataclass(frozen=True, slots=True)
class Request:
    """One API request to decide."""

    principal: Principal
    action: str
    resource: Resource
    context: Context = field(default_factory=Context)


class Effect(StrEnum):
    """The outcome of a decision, in the terms of AWS's evaluation logic."""

    ALLOW = "Allow"
    EXPLICIT_DENY = "ExplicitDeny"
    IMPLICIT_DENY = "ImplicitDeny"


@dataclass(frozen=True)
class StatementRef:
    """A statement, named by its policy and its Sid (or its index in the Statement list)."""

    policy: str
    sid: str | None
    index: int

    def __str__(self) -> str:
        return f"{self.policy}: {self.sid}" if self.sid else f"{self.policy}: Statement[{self.index}]"


@dataclass(frozen=True)
class AccessDecision:
    """The answer: the effect, the statements that decided it, and why in one sentence."""

    effect: Effect
    statements: tuple[StatementRef, ...]
    reason: str

    @property
    def allowed(self) -> bool:
        """Whether the request is allowed."""
        return self.effect is Effect.ALLOW

    def __str__(self) -> str:
        by = f" ({'; '.join(str(ref) for ref in self.statements)})" if self.statements else ""
        return f"{self.effect}: {self.reason}{by}"
