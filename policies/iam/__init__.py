"""A local IAM policy evaluator: AWS's documented evaluation logic, scoped to what this repository uses.

It answers one request at a time (`evaluate`) with an explanation, and refuses anything it does not
model (`UnsupportedPolicyError`) instead of guessing.
"""

from policies.iam.errors import InvalidPolicyError, PolicyError, UnsupportedPolicyError
from policies.iam.evaluate import Prepared, decide, evaluate, prepare
from policies.iam.model import (
    AccessDecision,
    Context,
    Effect,
    Principal,
    PrincipalKind,
    Request,
    Resource,
    StatementRef,
)
from policies.iam.policy import Policy, PolicyKind

__all__ = [
    "AccessDecision",
    "Context",
    "Effect",
    "InvalidPolicyError",
    "Policy",
    "PolicyError",
    "PolicyKind",
    "Prepared",
    "Principal",
    "PrincipalKind",
    "Request",
    "Resource",
    "StatementRef",
    "UnsupportedPolicyError",
    "decide",
    "evaluate",
    "prepare",
]
