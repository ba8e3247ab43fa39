"""Golden cases for the IAM evaluator, each from an AWS (or GitHub) documentation page it cites.

The cases live in policies/iam/golden_cases.yaml; this module only turns them into requests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from policies.iam import (
    Context,
    InvalidPolicyError,
    Policy,
    PolicyError,
    PolicyKind,
    Principal,
    Request,
    Resource,
    UnsupportedPolicyError,
    evaluate,
)

GOLDEN = Path(__file__).resolve().parents[1] / "policies" / "iam" / "golden_cases.yaml"
DATA: dict[str, Any] = yaml.safe_load(GOLDEN.read_text())
CASES: list[dict[str, Any]] = DATA["cases"]
ERRORS: dict[str, type[PolicyError]] = {
    "InvalidPolicyError": InvalidPolicyError,
    "UnsupportedPolicyError": UnsupportedPolicyError,
}


def _policy(name: str) -> Policy:
    spec = DATA["policies"][name]
    return Policy(name, spec["document"], PolicyKind(spec["kind"]))


def _principal(spec: Any) -> Principal:
    if spec == "anonymous":
        return Principal.anonymous()
    if "service" in spec:
        return Principal.service(spec["service"])
    if "federated" in spec:
        return Principal.federated(spec["federated"])
    identity = [_policy(name) for name in spec.get("identity", [])]
    return Principal.role(
        spec["role"],
        session=spec.get("session"),
        session_tags=spec.get("session_tags"),
        role_tags=spec.get("role_tags"),
        identity_policies=identity,
    )


def _request(case: dict[str, Any]) -> Request:
    resource = case["resource"]
    policy = _policy(resource["policy"]) if "policy" in resource else None
    return Request(
        principal=_principal(case["principal"]),
        action=case["action"],
        resource=Resource(resource["arn"], resource["account"], policy),
        context=Context(case.get("context", {})),
    )


def test_there_are_at_least_forty_golden_cases_each_citing_a_page() -> None:
    assert len(CASES) >= 40
    uncited = [c["id"] for c in CASES if not c["source"]["url"].startswith("https://") or not c["source"]["section"]]
    assert uncited == []


def test_every_policy_in_the_file_is_used_by_a_case() -> None:
    used = {c["resource"].get("policy") for c in CASES} | {
        name for c in CASES if isinstance(c["principal"], dict) for name in c["principal"].get("identity", [])
    }
    assert set(DATA["policies"]) - used == set()


@pytest.mark.parametrize("case", [c for c in CASES if "error" not in c["expect"]], ids=lambda c: c["id"])
def test_golden_decision(case: dict[str, Any]) -> None:
    decision = evaluate(_request(case))
    expect = case["expect"]
    assert (str(decision.effect), [str(ref) for ref in decision.statements]) == (
        expect["decision"],
        expect.get("by", []),
    )
    if "reason" in expect:
        assert decision.reason == expect["reason"]


@pytest.mark.parametrize("case", [c for c in CASES if "error" in c["expect"]], ids=lambda c: c["id"])
def test_golden_refusal(case: dict[str, Any]) -> None:
    expect = case["expect"]
    with pytest.raises(ERRORS[expect["error"]]) as raised:
        evaluate(_request(case))
    assert str(raised.value) == expect["message"]
