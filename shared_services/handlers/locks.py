"""Decisions on one version, one at a time: a lease in the workflow's state table.

Every decision on a version is made under its lease, and `promotion.decisions.decide` re-reads the
version once it holds it, so two approvers deciding at once are applied one after the other, and a
decision that the first one made impossible (a stale approve after a reject) is refused, never applied.
A lease outlives a crashed holder by at most LEASE_SECONDS (DynamoDB's conditional write takes it over).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

# Longer than a decision takes (a describe, an update and a parameter write), short enough to retry soon.
LEASE_SECONDS = 60


class VersionBusy(Exception):
    """Another decision on the same version holds the lease."""


@contextmanager
def version_lease(table: Table, *, key_prefix: str, arn: str, now: datetime) -> Iterator[None]:
    """Hold the lease on `arn` for the body; VersionBusy when another decision holds it."""
    key = f"{key_prefix}#decision-lease#{arn}"
    holder = secrets.token_hex(8)
    moment = int(now.timestamp())
    try:
        table.put_item(
            Item={"id": key, "holder": holder, "expiration": moment + LEASE_SECONDS},
            ConditionExpression="attribute_not_exists(id) OR expiration < :now",
            ExpressionAttributeValues={":now": moment},
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            raise VersionBusy(f"another decision on {arn} is being recorded; try again in a minute") from None
        raise
    try:
        yield
    finally:
        try:
            table.delete_item(
                Key={"id": key}, ConditionExpression="holder = :holder", ExpressionAttributeValues={":holder": holder}
            )
        except ClientError as exc:
            # Taken over after expiry: the new holder's lease is theirs to release.
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
