"""Review tokens: bound to ARN, environment, approver and expiry; forged, expired, malformed and reused
tokens are refused with a message a person can act on."""

from __future__ import annotations

import base64
import hmac
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from shared_services.handlers import tokens

KEY = b"k" * 64
ARN = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-model/3"
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def issue(**overrides: Any) -> str:
    arguments: dict[str, Any] = {
        "arn": ARN,
        "env": "qa",
        "approver": "qa.approver@example.com",
        "now": NOW,
        "nonce": "n0nce",
    }
    arguments.update(overrides)
    return tokens.issue(KEY, **arguments)


def test_a_token_carries_arn_env_approver_expiry_and_nonce() -> None:
    claims = tokens.verify(KEY, issue(), now=NOW)
    assert claims == tokens.ReviewClaims(
        arn=ARN,
        env="qa",
        approver="qa.approver@example.com",
        expires_at=int((NOW + timedelta(hours=24)).timestamp()),
        nonce="n0nce",
    )


def test_the_payload_is_the_pipe_separated_fields_in_base64url() -> None:
    payload = issue().split(".")[0]
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    expiry = int((NOW + timedelta(hours=24)).timestamp())
    assert decoded == f"{ARN}|qa|qa.approver@example.com|{expiry}|n0nce"


def test_tokens_expire_after_24_hours_by_default() -> None:
    token = issue()
    tokens.verify(KEY, token, now=NOW + timedelta(hours=23, minutes=59))
    with pytest.raises(tokens.TokenError) as refused:
        tokens.verify(KEY, token, now=NOW + timedelta(hours=24))
    assert str(refused.value) == "the review link has expired; ask for a new one (links are valid for a limited time)"


def test_a_token_signed_with_another_key_is_refused_as_forged() -> None:
    token = tokens.issue(b"another key", arn=ARN, env="qa", approver="qa.approver@example.com", now=NOW)
    with pytest.raises(tokens.TokenError) as refused:
        tokens.verify(KEY, token, now=NOW)
    assert str(refused.value) == "the review link's signature is not valid; it was altered or not issued by modelops"


def test_changing_the_approver_in_the_payload_breaks_the_signature() -> None:
    payload, mac = issue().split(".")
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    altered = base64.urlsafe_b64encode(decoded.replace(b"qa.approver", b"ev.approver")).rstrip(b"=").decode()
    with pytest.raises(tokens.TokenError, match="signature is not valid"):
        tokens.verify(KEY, f"{altered}.{mac}", now=NOW)


@pytest.mark.parametrize("token", ["", "no-dot", ".", "abc.", "!!!.???"])
def test_malformed_tokens_are_refused(token: str) -> None:
    with pytest.raises(tokens.TokenError) as refused:
        tokens.verify(KEY, token, now=NOW)
    assert str(refused.value) in {
        "the review link is malformed; open the link from the notification email",
        "the review link's signature is not valid; it was altered or not issued by modelops",
    }


def test_the_mac_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []
    original = hmac.compare_digest

    def recording(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return original(a, b)

    monkeypatch.setattr(hmac, "compare_digest", recording)
    tokens.verify(KEY, issue(), now=NOW)
    assert len(compared) == 1
    assert len(compared[0][0]) == 32


@pytest.mark.parametrize("field", ["arn", "env", "approver"])
def test_a_field_containing_the_separator_cannot_be_issued(field: str) -> None:
    with pytest.raises(ValueError, match=f"review token field {field} must be non-empty and must not contain '\\|'"):
        issue(**{field: "a|b"})


@pytest.fixture
def table() -> Iterator[Any]:
    with mock_aws():
        dynamodb = boto3.resource("dynamodb", region_name="eu-west-1")
        created = dynamodb.create_table(
            TableName="modelops-approval-state",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield created


def test_a_token_is_consumed_once_by_a_conditional_write(table: Any) -> None:
    claims = tokens.verify(KEY, issue(), now=NOW)
    tokens.consume(table, claims, key_prefix="modelops-approval-review", now=NOW)
    item = table.get_item(Key={"id": "modelops-approval-review#review-token#n0nce"})["Item"]
    assert item == {
        "id": "modelops-approval-review#review-token#n0nce",
        "expiration": claims.expires_at,
        "arn": ARN,
        "env": "qa",
        "approver": "qa.approver@example.com",
        "used_at": "2026-11-22T10:00:00+00:00",
    }
    with pytest.raises(tokens.TokenReused) as reused:
        tokens.consume(table, claims, key_prefix="modelops-approval-review", now=NOW + timedelta(minutes=1))
    assert str(reused.value) == "this review link was already used; each link records one decision"
    # The first use is what stays recorded.
    assert table.get_item(Key={"id": item["id"]})["Item"]["used_at"] == "2026-11-22T10:00:00+00:00"
