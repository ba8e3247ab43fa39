"""Who signed a request: the principal IAM evaluates, built from the sandbox's own records.

- A role session (AssumeRole, AssumeRoleWithSAML, ...): the role, with its inline and attached managed
  policies; its permissions boundary and the session policy, when present, must allow as well ("Policy
  evaluation logic": an allow needs every applicable policy type to allow); the session's name, and its
  principal tags: the role's own tags (as IAM holds them now) overlaid by the session's tags, which win
  for the same key ("Pass session tags in AWS STS", IAM user guide).
- The management account's root user, holding the sandbox's management keys (the `management` profile
  `sandbox up` writes).
- An AWS service principal acting as itself (the Lambda service assuming a function's execution role,
  CloudFormation its execution role), holding a key the sandbox issues to its own service stand-ins.
- Any other key was never issued: AWS answers InvalidClientTokenId.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from moto.iam.models import iam_backends

from policies.iam import Policy, PolicyKind, Principal
from sandbox.accounts import ROOT_KEYS
from sandbox.authorization.resource_policies import compiled
from sandbox.moto_compat import sts as sts_compat


class UnknownKey(LookupError):
    """No principal holds the access key."""


@dataclass(frozen=True, eq=False)
class Caller:
    """The principal of a request, and the policies that must also allow what its identity policies allow."""

    principal: Principal
    arn: str  # as AWS names the caller in an error: the session's ARN, or the root's
    limits: tuple[Policy, ...] = ()  # permissions boundary, session policy

    @property
    def account(self) -> str:
        return str(self.principal.account)


_static: dict[str, Caller] = {}
_cache: dict[tuple[Any, ...], Caller] = {}


def register_root(access_key: str, account: str) -> None:
    """`access_key` is the root user's of `account` (the sandbox's management keys)."""
    principal = Principal.root(account)
    _static[access_key] = Caller(principal, principal.name)
    ROOT_KEYS[access_key] = account


def service_access_key(service: str) -> str:
    """The access key of the sandbox's stand-in for the AWS service `service` (e.g. lambda.amazonaws.com)."""
    digest = hashlib.sha256(service.encode()).hexdigest().upper()
    key = "ASIA" + "".join(ch for ch in digest if ch.isalnum())[:16]
    if key not in _static:
        _static[key] = Caller(Principal.service(service), service)
    return key


def caller(access_key: str, partition: str = "aws") -> Caller:
    """The caller holding `access_key`; UnknownKey when the sandbox never issued it."""
    static = _static.get(access_key)
    if static is not None:
        return static
    session = sts_compat.role_session(access_key, partition)
    if session is None:
        raise UnknownKey(access_key)
    role = _role(session.account_id, session.role_arn, partition)
    documents = _documents(role, partition)
    tags = dict(getattr(session, "session_tags", None) or {})
    own = role_tags(role)
    key = (access_key, documents, tuple(sorted(tags.items())), tuple(sorted(own.items())), session.policy)
    found = _cache.get(key)
    if found is None:
        found = _cache[key] = _session_caller(
            role.arn if role is not None else session.role_arn,
            session.session_name,
            session.arn,
            documents,
            tags,
            session.policy,
            own,
        )
    return found


def role_caller(role_arn: str, session_name: str, partition: str = "aws") -> Caller:
    """A session of `role_arn` that an AWS service holds (CloudFormation acting as a stack's execution role),
    judged with the role's policies as they are now."""
    account = role_arn.split(":")[4]
    role = _role(account, role_arn, partition)
    documents = _documents(role, partition)
    own = role_tags(role)
    key = ("service-held", role_arn, session_name, documents, tuple(sorted(own.items())))
    found = _cache.get(key)
    if found is None:
        name = role_arn.rsplit("/", 1)[-1]
        session_arn = f"arn:{partition}:sts::{account}:assumed-role/{name}/{session_name}"
        found = _cache[key] = _session_caller(
            role.arn if role is not None else role_arn, session_name, session_arn, documents, {}, None, own
        )
    return found


def role_tags(role: Any) -> dict[str, str]:
    """The role's own tags as moto's IAM holds them now ({} for a role that is gone)."""
    if role is None:
        return {}
    return {tag["Key"]: tag["Value"] for tag in role.tags or []}


def _role(account: str, role_arn: str, partition: str) -> Any:
    name = role_arn.rsplit("/", 1)[-1]
    for role in iam_backends[account][partition].roles.values():
        if role.name == name:
            return role
    return None


def _documents(role: Any, partition: str) -> tuple[tuple[str, str], ...]:
    """(name, text) of every policy of the role: inline, managed, then the boundary (named `boundary:`)."""
    if role is None:
        return ()
    found = [(f"{role.name} inline {name}", text) for name, text in sorted(role.policies.items())]
    found += [(f"{arn}", _managed_text(policy)) for arn, policy in sorted(role.managed_policies.items())]
    boundary = role.permissions_boundary_arn
    if boundary:
        policy = _managed(role.account_id, boundary, partition)
        found.append((f"boundary:{boundary}", _managed_text(policy) if policy is not None else "{}"))
    return tuple(found)


def _managed(account: str, arn: str, partition: str) -> Any:
    return iam_backends[account][partition].managed_policies.get(arn)


def _managed_text(policy: Any) -> str:
    for version in policy.versions:
        if version.is_default:
            document = version.document
            return document if isinstance(document, str) else str(document)
    return str(policy.versions[0].document)


def _session_caller(
    role_arn: str,
    session_name: str,
    session_arn: str,
    documents: tuple[tuple[str, str], ...],
    tags: dict[str, str],
    session_policy: str | None,
    own_tags: dict[str, str],
) -> Caller:
    identity = [
        compiled(name, text, PolicyKind.IDENTITY) for name, text in documents if not name.startswith("boundary:")
    ]
    limits = [compiled(name, text, PolicyKind.IDENTITY) for name, text in documents if name.startswith("boundary:")]
    if session_policy:
        limits.append(compiled(f"session policy of {session_arn}", str(session_policy), PolicyKind.IDENTITY))
    principal = Principal.role(
        role_arn,
        session=session_name,
        session_tags=tags or None,
        role_tags=own_tags or None,
        identity_policies=identity,
    )
    return Caller(principal, session_arn, tuple(limits))
