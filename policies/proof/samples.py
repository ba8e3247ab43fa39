"""The stand-ins the proof invents where the templates name nothing concrete: a sample name for each
pattern, a neighbour no policy names, and accounts outside ours."""

from __future__ import annotations

import re
from collections.abc import Iterable

# Accounts outside ours: one outside the organisation, one inside it (`outside_accounts`: these, unless
# the organisation uses them; then the next free ones).
OUTSIDER_ACCOUNT = "999999999999"
ORG_MEMBER_ACCOUNT = "888888888888"
SPARE_ACCOUNTS = tuple(str(digit) * 12 for digit in range(7, 0, -1))
# A name a pattern allows, and a neighbour no policy names.
SAMPLE = "sample"
OTHER = "zz-other"
# The aws:SourceArn of a service acting for an outsider.
FOREIGN_SOURCE_ARN = "arn:aws:s3:::zz-foreign-bucket"


def arn_account(arn: str) -> str:
    """The account id of an ARN; "" when it names none (S3) or is not an ARN."""
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 else ""


def arn_service(arn: str) -> str:
    """The service of an ARN (its third field); "" for what is not an ARN."""
    parts = arn.split(":")
    return parts[2] if len(parts) > 5 else ""


def sample_of(pattern: str) -> str:
    """A concrete ARN the pattern matches: `*` -> `sample`, `?` -> `x`."""
    return pattern.replace("*", SAMPLE).replace("?", "x")


def sibling_of(arn: str) -> str | None:
    """A neighbour of a resource the pattern does not name: the last path step replaced by `zz-other`.

    `.../artifacts/churn-model/*` -> `.../artifacts/zz-other/sample` (another model's artifacts).
    """
    head, _, tail = arn.rpartition(":")
    literal = re.split(r"[*?]", tail, maxsplit=1)[0]
    if "/" not in literal.rstrip("/"):
        return None
    parent = literal.rstrip("/").rsplit("/", 1)[0]
    return f"{head}:{parent}/{OTHER}/{SAMPLE}" if ("*" in tail or "?" in tail) else f"{head}:{parent}/{OTHER}"


# People. Identity Center passes a person's email as the session tag `email`; the proof's people are these
# sample addresses (an approver's is the configured approver's), and someone else is ANOTHER_PERSON.
SAMPLE_PERSON = "sample.person@example.com"
ANOTHER_PERSON = "someone.else@example.com"


def outside_accounts(ours: Iterable[str]) -> tuple[str, str]:
    """The outsider's account and the other organisation member's: accounts none of `ours` is."""
    taken = set(ours)
    free = [a for a in (OUTSIDER_ACCOUNT, ORG_MEMBER_ACCOUNT, *SPARE_ACCOUNTS) if a not in taken]
    return free[0], free[1]
