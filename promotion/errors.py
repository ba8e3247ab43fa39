"""Failures the engine reports as one plain line, each with the exit code the CLI returns for it.

Exit codes: 1 a failed gate or check (the request made sense, a rule or the world refused it),
2 a usage or input error (`accounts.validation.InputError`: what was asked for is malformed or unknown).
"""

from __future__ import annotations


class ModelOpsError(Exception):
    """A failure with a one-line message meant for a person; never shown with a traceback."""

    exit_code = 1


class GateFailed(ModelOpsError):
    """One or more promotion gates refused; each line names the rule and what was found."""

    def __init__(self, failures: list[str]) -> None:
        super().__init__("\n".join(failures))
        self.failures = failures


class DecisionRefused(ModelOpsError):
    """An approval or rejection that the rules do not allow (e.g. approving a rejected version).

    `kind` says which rule refused, for routes that answer differently (the review page's HTTP status):
    `not-an-approver`, `already-decided`, `own-version` or `out-of-order`.
    """

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


class ConcurrentUpdate(ModelOpsError):
    """Another promotion changed the manifest first; nothing was written by this one."""


class CheckFailed(ModelOpsError):
    """A post-deploy check (smoke test, read-back) or drift check failed."""


class AwsUnreachable(ModelOpsError):
    """An AWS endpoint could not be reached (network, DNS, refused connection)."""


class AwsAccessDenied(ModelOpsError):
    """AWS refused a call or a role assumption; the message names the role or ARN."""


class AwsCallFailed(ModelOpsError):
    """Any other AWS error, reported as service, operation, code and AWS's own message."""
