"""Policy statements written in Python and handed to CDK once per document, as JSON.

Each `iam.PolicyStatement` (and each principal in it) is an object in jsii's Node process, created through a
round trip; a model's stacks build about twenty, which made them most of the synth's cost per endpoint. A
`Statement` is plain data, and `document()` passes a whole policy in one call (`PolicyDocument.fromJson`),
which CDK renders exactly as it renders statements built one by one: the rendered policies under
`policies/rendered/` are the same bytes either way (`make generate --check`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import aws_iam as iam

POLICY_VERSION = "2012-10-17"


@dataclass(frozen=True)
class Statement:
    """One Allow (or Deny) statement: the same fields as `iam.PolicyStatement`, principals by kind
    (`{"AWS": [arn, ...]}`, `{"Service": [name]}`)."""

    sid: str
    actions: Sequence[str]
    resources: Sequence[str] = ()
    conditions: Mapping[str, Mapping[str, Any]] | None = None
    principals: Mapping[str, Sequence[str]] | None = None
    effect: str = "Allow"

    def to_json(self) -> dict[str, Any]:
        """The statement as IAM's JSON."""
        body: dict[str, Any] = {"Sid": self.sid, "Effect": self.effect, "Action": list(self.actions)}
        if self.principals:
            body["Principal"] = {kind: list(values) for kind, values in self.principals.items()}
        if self.resources:
            body["Resource"] = list(self.resources)
        if self.conditions:
            body["Condition"] = {operator: dict(values) for operator, values in self.conditions.items()}
        return body


def document(statements: Sequence[Statement]) -> iam.PolicyDocument:
    """A policy document of `statements`, created in one jsii call."""
    return iam.PolicyDocument.from_json(
        {"Version": POLICY_VERSION, "Statement": [statement.to_json() for statement in statements]}
    )
