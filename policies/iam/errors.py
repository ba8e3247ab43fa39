"""Errors of the evaluator. Each message is one line naming the policy, the statement and the element."""

from __future__ import annotations


class PolicyError(ValueError):
    """A policy the evaluator cannot evaluate faithfully."""


class InvalidPolicyError(PolicyError):
    """The policy is malformed: AWS itself would reject it, or it is not a policy document."""


class UnsupportedPolicyError(PolicyError):
    """The policy uses something this evaluator does not model; it refuses rather than guess."""
