"""Every document and template of a synthesized cloud assembly measured against AWS's quotas, before a deploy.

    python -m policies.quotas <cdk.out>

prints the largest document of each kind with its size, quota and headroom, then every document over its quota;
exit 1 when one is over, 2 on an assembly that cannot be read.

What is measured, and how AWS counts it (policies/quota_limits.py, shared with the sandbox, which refuses the
same documents at deploy time):

- IAM, per role (in its account, across every stack of the assembly): all its inline policies together (a role's
  `Policies`, and each AWS::IAM::Policy or AWS::IAM::RolePolicy that names it; one name counted once), its trust
  policy, and its managed policies (`ManagedPolicyArns` and each AWS::IAM::ManagedPolicy that names it);
  every managed policy's document.
- S3 bucket and access point policies, KMS key policies, model package group policies, SSM parameter values.
- Per template: resources, dynamic references and its size in bytes, against 1 MB when CloudFormation reads it
  from S3 and 51,200 bytes when it can only be sent inline. Every deploy path sends a template over 51,200 bytes
  by its published S3 object (the GitHub workflow always does; promotion/deploy.py and the sandbox do when the
  assembly names the object), so an assembly's stack with a published template gets 1 MB.

Documents are measured after CloudFormation resolves their intrinsics, with the stack's real account and region;
names CloudFormation generates, and what cannot be resolved, are approximated as policies/sizing_resolver.py says.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from policies import quota_limits as limits
from policies.cloud_assembly import AssemblyError, StackTemplate, load_assembly
from policies.sizing_resolver import Resolver, sizing_resolver


@dataclass(frozen=True)
class Kind:
    """A kind of document with one quota: `phrase` describes a size, e.g. "inline policies {size} characters"."""

    name: str
    phrase: str
    owner: str  # whose quota it is, for "over IAM's 10,240"


ROLE_INLINE = Kind("role inline policies", "inline policies {size} characters", "IAM")
MANAGED_POLICY = Kind("managed policy", "policy {size} characters", "IAM")
TRUST_POLICY = Kind("role trust policy", "trust policy {size} characters", "IAM")
MANAGED_PER_ROLE = Kind("managed policies per role", "{size} managed policies attached", "IAM")
BUCKET_POLICY = Kind("bucket policy", "bucket policy {size} bytes", "S3")
ACCESS_POINT_POLICY = Kind("access point policy", "access point policy {size} bytes", "S3")
KEY_POLICY = Kind("key policy", "key policy {size} bytes", "KMS")
GROUP_POLICY = Kind("model package group policy", "group policy {size} characters", "SageMaker")
SSM_VALUE = Kind("SSM parameter value", "value {size} bytes", "SSM")
RESOURCES = Kind("resources per stack", "{size} resources", "CloudFormation")
TEMPLATE_SIZE = Kind("template size", "{size} bytes", "CloudFormation")
DYNAMIC_REFERENCES = Kind("dynamic references", "{size} dynamic references", "CloudFormation")
KINDS = (
    ROLE_INLINE,
    MANAGED_POLICY,
    TRUST_POLICY,
    MANAGED_PER_ROLE,
    BUCKET_POLICY,
    ACCESS_POINT_POLICY,
    KEY_POLICY,
    GROUP_POLICY,
    SSM_VALUE,
    RESOURCES,
    TEMPLATE_SIZE,
    DYNAMIC_REFERENCES,
)


@dataclass(frozen=True)
class Measurement:
    """One document's size against its quota; `stack` is the display path of the stack that deploys it."""

    kind: Kind
    stack: str
    document: str
    size: int
    quota: int

    @property
    def headroom(self) -> int:
        """How much the document may still grow (negative: how far over the quota it is)."""
        return self.quota - self.size

    @property
    def over(self) -> bool:
        """Whether AWS would refuse the document."""
        return self.size > self.quota

    def failure(self) -> str:
        """One line naming the document and its size, e.g. `ModelOps-SharedServices/SharedServices: role
        modelops-promoter: inline policies 34,439 characters, over IAM's 10,240`."""
        size = self.kind.phrase.format(size=f"{self.size:,}")
        return f"{self.stack}: {self.document}: {size}, over {self.kind.owner}'s {self.quota:,}"


@dataclass
class _Role:
    """A role's IAM totals, gathered across the assembly (a policy in one stack may name a role of another)."""

    stack: str
    display: str
    inline: dict[str, int] = field(default_factory=dict)  # policy name -> characters
    managed: set[str] = field(default_factory=set)


def measure_assembly(cdk_out: Path) -> list[Measurement]:
    """Every measured document of the assembly at `cdk_out`: each stack's, then each role's totals."""
    return measure_stacks(load_assembly(cdk_out))


def measure_stacks(stacks: Iterable[StackTemplate]) -> list[Measurement]:
    """Every measured document of `stacks`; role totals add up across them, per account and role name."""
    measurements: list[Measurement] = []
    roles: dict[tuple[str | None, str], _Role] = {}
    for stack in stacks:
        measurements += _measure_template(stack)
        resolver = sizing_resolver(stack)
        for logical_id, resource in sorted(stack.resources.items()):
            measurements += _measure_resource(stack, resolver, roles, logical_id, resource)
    for role in roles.values():
        inline = sum(role.inline.values())
        measurements.append(
            Measurement(ROLE_INLINE, role.stack, role.display, inline, limits.ROLE_INLINE_POLICIES_LIMIT)
        )
        measurements.append(
            Measurement(MANAGED_PER_ROLE, role.stack, role.display, len(role.managed), limits.MANAGED_POLICIES_PER_ROLE)
        )
    return measurements


def _measure_template(stack: StackTemplate) -> list[Measurement]:
    text = stack.template_file.read_text()
    document = f"template {stack.template_file.name}"
    template_quota = limits.TEMPLATE_URL_LIMIT if stack.template_from_s3 else limits.TEMPLATE_BODY_LIMIT
    return [
        Measurement(RESOURCES, stack.path, document, len(stack.resources), limits.MAX_RESOURCES),
        Measurement(TEMPLATE_SIZE, stack.path, document, len(text.encode()), template_quota),
        Measurement(
            DYNAMIC_REFERENCES, stack.path, document, limits.dynamic_references(text), limits.DYNAMIC_REFERENCES_LIMIT
        ),
    ]


def _measure_resource(
    stack: StackTemplate,
    resolver: Resolver,
    roles: dict[tuple[str | None, str], _Role],
    logical_id: str,
    resource: dict[str, Any],
) -> list[Measurement]:
    kind = resource.get("Type", "")
    properties = resource.get("Properties", {})
    where = f"{stack.path}/{logical_id}"

    def resolved(key: str) -> Any:
        return resolver.resolve(properties.get(key), f"{where}.{key}")

    def role(reference: Any) -> _Role:
        name = resolver.resolve(reference, f"{where}.Roles")
        key = (stack.account, str(name))
        if key not in roles:
            roles[key] = _Role(stack.path, f"role {name}")
        return roles[key]

    if kind == "AWS::IAM::Role":
        return _measure_role(stack, resolver, roles, logical_id, properties)
    if kind == "AWS::IAM::Policy":
        size = limits.policy_characters(resolved("PolicyDocument"))
        for reference in properties.get("Roles") or []:
            role(reference).inline[str(resolved("PolicyName"))] = size
    elif kind == "AWS::IAM::RolePolicy":
        role(properties.get("RoleName")).inline[str(resolved("PolicyName"))] = limits.policy_characters(
            resolved("PolicyDocument")
        )
    elif kind == "AWS::IAM::ManagedPolicy":
        for reference in properties.get("Roles") or []:
            role(reference).managed.add(f"{stack.path}/{logical_id}")
        name = properties.get("ManagedPolicyName") or logical_id
        size = limits.policy_characters(resolved("PolicyDocument"))
        return [Measurement(MANAGED_POLICY, stack.path, f"managed policy {name}", size, limits.MANAGED_POLICY_LIMIT)]
    return _measure_resource_policy(stack, kind, logical_id, resolved)


def _measure_role(
    stack: StackTemplate,
    resolver: Resolver,
    roles: dict[tuple[str | None, str], _Role],
    logical_id: str,
    properties: dict[str, Any],
) -> list[Measurement]:
    where = f"{stack.path}/{logical_id}"
    name = str(resolver.resolve({"Ref": logical_id}, where))
    display = f"role {properties['RoleName'] if isinstance(properties.get('RoleName'), str) else logical_id}"
    tally = roles.setdefault((stack.account, name), _Role(stack.path, display))
    tally.stack, tally.display = stack.path, display  # the role's own stack names it, whoever added policies first
    for index, policy in enumerate(properties.get("Policies") or []):
        document = resolver.resolve(policy.get("PolicyDocument"), f"{where}.Policies[{index}]")
        tally.inline[str(resolver.resolve(policy.get("PolicyName"), where))] = limits.policy_characters(document)
    arns = resolver.resolve(properties.get("ManagedPolicyArns") or [], f"{where}.ManagedPolicyArns")
    tally.managed.update(str(arn) for arn in arns)
    trust = resolver.resolve(properties.get("AssumeRolePolicyDocument"), f"{where}.AssumeRolePolicyDocument")
    return [Measurement(TRUST_POLICY, stack.path, display, limits.policy_characters(trust), limits.TRUST_POLICY_LIMIT)]


def _measure_resource_policy(stack: StackTemplate, kind: str, logical_id: str, resolved: Any) -> list[Measurement]:
    def measured(quota_kind: Kind, document: str, size: int, quota: int) -> list[Measurement]:
        return [Measurement(quota_kind, stack.path, document, size, quota)]

    if kind == "AWS::S3::BucketPolicy":
        size = limits.sent_policy_bytes(resolved("PolicyDocument"))
        return measured(BUCKET_POLICY, f"bucket {resolved('Bucket')}", size, limits.BUCKET_POLICY_LIMIT)
    if kind == "AWS::S3::AccessPoint" and resolved("Policy") is not None:
        size = limits.sent_policy_bytes(resolved("Policy"))
        name = resolved("Name") or logical_id
        return measured(ACCESS_POINT_POLICY, f"access point {name}", size, limits.ACCESS_POINT_POLICY_LIMIT)
    if kind == "AWS::KMS::Key" and resolved("KeyPolicy") is not None:
        size = limits.key_policy_bytes(resolved("KeyPolicy"))
        return measured(KEY_POLICY, f"key {logical_id}", size, limits.KEY_POLICY_LIMIT)
    if kind == "AWS::SageMaker::ModelPackageGroup" and resolved("ModelPackageGroupPolicy") is not None:
        size = len(limits.sent_policy_text(resolved("ModelPackageGroupPolicy")))
        name = resolved("ModelPackageGroupName") or logical_id
        return measured(GROUP_POLICY, f"model package group {name}", size, limits.GROUP_POLICY_LIMIT)
    if kind == "AWS::SSM::Parameter":
        value = resolved("Value")
        advanced = resolved("Tier") == "Advanced"
        quota = limits.SSM_ADVANCED_VALUE_LIMIT if advanced else limits.SSM_STANDARD_VALUE_LIMIT
        text = value if isinstance(value, str) else limits.sent_policy_text(value)
        return measured(SSM_VALUE, f"parameter {resolved('Name') or logical_id}", len(text.encode()), quota)
    return []


def failures(measurements: Iterable[Measurement]) -> list[str]:
    """One line per document over its quota, the most over (size / quota) first."""
    over = sorted((m for m in measurements if m.over), key=lambda m: (-m.size / m.quota, m.stack, m.document))
    return [measurement.failure() for measurement in over]


def largest_by_kind(measurements: Iterable[Measurement]) -> list[Measurement]:
    """The document of each kind with the least headroom, in KINDS order (kinds the assembly lacks left out)."""
    tightest: dict[str, Measurement] = {}
    for measurement in measurements:
        current = tightest.get(measurement.kind.name)
        if current is None or (measurement.headroom, measurement.stack) < (current.headroom, current.stack):
            tightest[measurement.kind.name] = measurement
    return [tightest[kind.name] for kind in KINDS if kind.name in tightest]


def report(measurements: list[Measurement]) -> str:
    """The largest document of each kind with its size, quota and headroom, then every failure."""
    lines = ["| kind | document | size | quota | headroom |", "| --- | --- | --- | --- | --- |"]
    for m in largest_by_kind(measurements):
        lines.append(f"| {m.kind.name} | {m.stack}: {m.document} | {m.size:,} | {m.quota:,} | {m.headroom:,} |")
    over = failures(measurements)
    lines += ["", f"{len(over)} documents over their quota" + (":" if over else ".")]
    lines += [f"  {line}" for line in over]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """`python -m policies.quotas <cdk.out>`: 0 within every quota, 1 over one, 2 on bad input."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m policies.quotas <cdk.out>", file=sys.stderr)
        return 2
    try:
        measurements = measure_assembly(Path(args[0]))
    except AssemblyError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(report(measurements))
    return 1 if failures(measurements) else 0


if __name__ == "__main__":
    sys.exit(main())
