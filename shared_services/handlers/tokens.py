"""Signed review tokens: the review link's proof of who may decide what, for how long, once.

A token is `base64url(payload) "." base64url(HMAC-SHA256(key, payload))` where the payload is
`arn|env|approver|expiry|nonce` (expiry in Unix seconds). The HMAC key is a generated secret in
Secrets Manager. Verification recomputes the MAC and compares in constant time; single use is enforced
separately by a conditional write of the nonce (see `consume`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from accounts.config import DEFAULT_LINK_HOURS

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

# The deployed lifetime is accounts.yaml's `approvals.link_hours` (the notify function's environment).
DEFAULT_TTL = timedelta(hours=DEFAULT_LINK_HOURS)
SEPARATOR = "|"
FIELDS = ("arn", "env", "approver", "expiry", "nonce")


class TokenError(ValueError):
    """The token cannot be used; the message is safe to show to the person holding it."""


@dataclass(frozen=True)
class ReviewClaims:
    """What a valid token grants: `approver` may decide on `arn` for environment `env` until `expires_at`."""

    arn: str
    env: str
    approver: str
    expires_at: int
    nonce: str


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise TokenError("the review link is malformed; open the link from the notification email") from exc


def _mac(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, payload, hashlib.sha256).digest()


def issue(
    key: bytes,
    *,
    arn: str,
    env: str,
    approver: str,
    now: datetime,
    ttl: timedelta = DEFAULT_TTL,
    nonce: str | None = None,
) -> str:
    """A token letting `approver` decide on `arn` for `env` until `now + ttl`."""
    if not key:
        raise ValueError("the review token key is empty")
    values = [arn, env, approver]
    for name, value in zip(FIELDS, values, strict=False):
        if not value or SEPARATOR in value:
            raise ValueError(f"review token field {name} must be non-empty and must not contain {SEPARATOR!r}")
    expiry = int((now + ttl).timestamp())
    payload = SEPARATOR.join([*values, str(expiry), nonce or secrets.token_urlsafe(18)]).encode("utf-8")
    return f"{_b64encode(payload)}.{_b64encode(_mac(key, payload))}"


def verify(key: bytes, token: str, *, now: datetime) -> ReviewClaims:
    """The claims of an authentic, unexpired token; TokenError says why a token is refused.

    Reuse is not checked here (a GET must not consume the token); see `consume`.
    """
    encoded_payload, dot, encoded_mac = token.strip().partition(".")
    if not dot or not encoded_payload or not encoded_mac:
        raise TokenError("the review link is malformed; open the link from the notification email")
    payload = _b64decode(encoded_payload)
    if not hmac.compare_digest(_mac(key, payload), _b64decode(encoded_mac)):
        raise TokenError("the review link's signature is not valid; it was altered or not issued by modelops")
    fields = payload.decode("utf-8", errors="replace").split(SEPARATOR)
    if len(fields) != len(FIELDS) or not fields[3].isdigit():
        raise TokenError("the review link is malformed; open the link from the notification email")
    claims = ReviewClaims(arn=fields[0], env=fields[1], approver=fields[2], expires_at=int(fields[3]), nonce=fields[4])
    if now.timestamp() >= claims.expires_at:
        raise TokenError("the review link has expired; ask for a new one (links are valid for a limited time)")
    return claims


class TokenReused(TokenError):
    """The token's nonce was already recorded: the link was used before."""


def _record_id(key_prefix: str, claims: ReviewClaims) -> str:
    return f"{key_prefix}#review-token#{claims.nonce}"


def check_unused(table: Table, claims: ReviewClaims, *, key_prefix: str) -> None:
    """TokenReused when the token's single use is already recorded (read consistently)."""
    item = table.get_item(Key={"id": _record_id(key_prefix, claims)}, ConsistentRead=True).get("Item")
    if item is not None:
        raise TokenReused("this review link was already used; each link records one decision")


def consume(table: Table, claims: ReviewClaims, *, key_prefix: str, now: datetime) -> None:
    """Record the token's single use with a conditional write; TokenReused when it was used before.

    The record expires (DynamoDB TTL) with the token itself, after which the token is refused as expired
    anyway.
    """
    from botocore.exceptions import ClientError

    try:
        table.put_item(
            Item={
                "id": _record_id(key_prefix, claims),
                "expiration": claims.expires_at,
                "arn": claims.arn,
                "env": claims.env,
                "approver": claims.approver,
                "used_at": now.isoformat(),
            },
            ConditionExpression="attribute_not_exists(id)",
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            raise TokenReused("this review link was already used; each link records one decision") from exc
        raise
