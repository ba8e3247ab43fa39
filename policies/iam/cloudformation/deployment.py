"""What the proof reads from the templates: roles, resources, and their policy documents as deployed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from policies.iam.policy import PolicyKind


@dataclass
class Document:
    """One policy document as deployed: a name for explanations, its kind, the resolved JSON."""

    name: str
    kind: PolicyKind
    document: dict[str, Any]


@dataclass
class DeployedRole:
    """A role of our templates: its trust policy, the identity policies attached to it, and its tags (each
    is an aws:PrincipalTag of the role's sessions, unless a session tag with the same key overrides it)."""

    arn: str
    account: str
    trust: Document
    policies: list[Document] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class DeployedResource:
    """A resource with an ARN, its owning account, and its resource policy if it has one."""

    arn: str
    account: str
    type: str
    policy: Document | None = None
    aliases: tuple[str, ...] = ()  # KMS aliases (the kms:ResourceAliases context key)
    logging_sources: tuple[str, ...] = ()  # buckets whose access logs this bucket receives
    authorization: str | None = None  # an API method's AuthorizationType (NONE, AWS_IAM, ...)


@dataclass
class Deployment:
    """Everything the proof needs from the templates."""

    roles: dict[str, DeployedRole] = field(default_factory=dict)
    resources: dict[str, DeployedResource] = field(default_factory=dict)

    def documents(self) -> Iterator[Document]:
        """Every policy document once: identity policies of roles, then resource and trust policies."""
        for role in self.roles.values():
            yield from role.policies
        seen: set[int] = set()  # a REST API's policy governs each of its methods: yield it once
        for resource in self.resources.values():
            if resource.policy is not None and id(resource.policy) not in seen:
                seen.add(id(resource.policy))
                yield resource.policy  # for a role, its trust policy
