"""The request-parameter plan of the sweep (policies/proof/parameters.py): assignments that grow with the sum of
the keys' samples, not their product, and still find every grant."""

from __future__ import annotations

from itertools import product
from typing import Any

import pytest

from accounts.config import OrgConfig
from policies.iam import Context, Policy, PolicyKind, decide, prepare
from policies.iam.cloudformation.reader import load_deployment
from policies.proof.actions import ENVIRONMENT_KEYS
from policies.proof.errors import ProofError
from policies.proof.parameters import ABSENT, ParameterPlan, key_samples, label_value
from policies.proof.sweep import Sweeper
from policies.proof.universe import Universe, build_universe
from tests.conftest import Synth
from tests.untraced import untraced

ACTION = "sagemaker:UpdateModelPackage"
PACKAGES = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/m/*"


def identity(*statements: dict[str, Any]) -> Policy:
    return Policy("p", {"Version": "2012-10-17", "Statement": list(statements)}, PolicyKind.IDENTITY)


def allow(condition: dict[str, Any], action: str = ACTION, effect: str = "Allow") -> dict[str, Any]:
    return {"Effect": effect, "Action": action, "Resource": PACKAGES, "Condition": condition}


def plan_of(*policies: Policy, action: str = ACTION) -> ParameterPlan:
    samples = key_samples(policies, ENVIRONMENT_KEYS)
    return ParameterPlan(samples, {action: tuple(sorted(samples))}, policies)


def test_a_null_block_over_three_keys_gives_all_absent_and_each_key_present_alone() -> None:
    keys = {f"sagemaker:CustomerMetadataProperties/approval:prod:{part}": "true" for part in ("1", "2", "decision")}
    plan = plan_of(identity(allow({"Null": keys})))
    assert plan.assignments(ACTION) == (
        (ABSENT, ABSENT, ABSENT),
        ("zz-other", ABSENT, ABSENT),
        (ABSENT, "zz-other", ABSENT),
        (ABSENT, ABSENT, "zz-other"),
    )


def test_each_statement_is_satisfied_at_its_base_and_violated_one_key_at_a_time_around_it() -> None:
    qa = allow(
        {"StringEquals": {"sagemaker:ModelLifeCycle:stage": "qa", "sagemaker:ModelLifeCycle:stageStatus": "Approved"}}
    )
    prod = allow({"StringEquals": {"sagemaker:ModelLifeCycle:stage": "prod"}})
    plan = plan_of(identity(qa, prod))
    # (stage, stagestatus): the bases, then around each the other samples of one key at a time.
    assert (plan.bases(ACTION), plan.assignments(ACTION)) == (
        ((ABSENT, ABSENT), ("qa", "Approved"), ("prod", ABSENT)),
        (
            *((ABSENT, ABSENT), ("prod", ABSENT), ("qa", ABSENT), ("zz-other", ABSENT)),
            *((ABSENT, "Approved"), (ABSENT, "zz-other")),
            *(("qa", "Approved"), ("prod", "Approved"), ("zz-other", "Approved"), ("qa", "zz-other")),
            ("prod", "zz-other"),
        ),
    )


def test_a_deny_on_a_parameter_moves_the_base_to_a_value_that_escapes_it() -> None:
    policy = Policy(
        "bucket",
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"},
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:PutObject",
                    "Resource": "arn:aws:s3:::b/*",
                    "Condition": {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}},
                },
            ],
        },
        PolicyKind.RESOURCE,
    )
    plan = plan_of(policy, action="s3:PutObject")
    assert (plan.bases("s3:PutObject"), plan.assignments("s3:PutObject")) == (
        (("aws:kms",),),
        (("aws:kms",), (ABSENT,), ("zz-other",)),
    )


def test_a_policy_variable_is_the_callers_own_session_tag_never_its_text() -> None:
    trust = allow({"StringEquals": {"sts:SourceIdentity": "${aws:PrincipalTag/email}"}}, action="sts:AssumeRole")
    samples = key_samples([identity(trust)], ENVIRONMENT_KEYS)["sts:sourceidentity"]
    assert (
        samples.labels(frozenset({"email"})),
        samples.labels(frozenset()),
        label_value("own-email", {"email": "ann@example.com"}),
        label_value("another-email", {"email": "ann@example.com"}),
    ) == (
        (ABSENT, "own-email", "another-email"),
        (ABSENT, "another-email"),
        "ann@example.com",
        "someone.else@example.com",
    )


def test_a_variable_other_than_a_session_tag_in_a_parameters_condition_is_refused() -> None:
    trust = allow({"StringEquals": {"sts:SourceIdentity": "${aws:username}"}}, action="sts:AssumeRole")
    with pytest.raises(ProofError) as raised:
        key_samples([identity(trust)], ENVIRONMENT_KEYS)
    assert str(raised.value) == (
        "p: Statement[0]: StringEquals sts:sourceidentity uses the policy variable ${aws:username}; the proof "
        "substitutes only session tags (aws:PrincipalTag/<key>) into request parameters"
    )


def test_a_deny_with_a_set_operator_on_a_parameter_is_refused() -> None:
    deny = allow(
        {"ForAnyValue:StringEquals": {"sagemaker:CustomerMetadataPropertiesToRemove": "approval:qa:decision"}},
        effect="Deny",
    )
    plan = plan_of(identity(allow({}), deny))
    with pytest.raises(ProofError) as raised:
        plan.assignments(ACTION)
    assert str(raised.value) == (
        "p: Statement[1]: a Deny tests request parameter sagemaker:customermetadatapropertiestoremove of "
        "sagemaker:UpdateModelPackage with ForAnyValue:StringEquals; the proof samples one value per request and "
        "cannot vouch for lists"
    )


# --- on the two_env organisation: the plan finds every grant the product of every key's samples finds ---


@pytest.fixture(scope="module")
def universe(config: OrgConfig, synth: Synth) -> Universe:
    with untraced():
        return build_universe(config, load_deployment(synth.outdir))


def test_the_plan_finds_exactly_the_grants_of_the_full_product_on_the_registry_writes(universe: Universe) -> None:
    sweeper = Sweeper(universe)
    found: dict[str, tuple[list[str], list[str]]] = {}
    for action in ("sagemaker:CreateModelPackage", "sagemaker:UpdateModelPackage", "sts:AssumeRole"):
        keys = universe.plan.keys(action)
        by_plan: list[str] = []
        by_product: list[str] = []
        for who in universe.principals:
            tags = who.principal.principal_tags
            for target in sweeper.scope(who, "allowed", action.split(":", 1)[0]):
                if action.startswith("sagemaker:") and "/churn-model" not in target.resource.arn:
                    # The registry's wildcard grants (`model-package/*/*`) reach the proof's sample packages
                    # too; the parameters a request carries do not depend on which package it names, and the
                    # exhaustive product over every key is what makes this test slow: churn-model's suffice.
                    continue
                prepared = prepare(who.principal, action, target.resource)
                statements = [*prepared.identity, *(s for s, _ in prepared.resource_statements)]
                if not any(s.allow for s in statements):
                    continue
                # A key no statement of this request tests cannot change its answer: the product varies the
                # others only (the evaluator reads nothing else), which keeps it exhaustive where it matters.
                tested = {test.key for s in statements for test in s.conditions}
                samples = [
                    labels if key in tested else (ABSENT,)
                    for key, labels in zip(
                        keys, (universe.param_samples[k].labels(frozenset(tags)) for k in keys), strict=True
                    )
                ]
                fixed = {
                    labels[: -len(keys)] if keys else labels: context
                    for labels, context in sweeper.variants(who, action, target)
                }
                name = f"{who.id} {target.symbol}"
                if any(decide(prepared, context).allowed for _, context in sweeper.variants(who, action, target)):
                    by_plan.append(name)
                for labels in fixed:
                    base = dict(sweeper.context(who, action, target, labels).items())
                    for assignment in product(*samples):
                        values = {k: label_value(v, tags) for k, v in zip(keys, assignment, strict=True)}
                        context = Context({**base, **{k: v for k, v in values.items() if v is not None}})
                        if decide(prepared, context).allowed:
                            by_product.append(name)
                            break
                    else:
                        continue
                    break
        found[action] = (by_plan, by_product)
    # Not vacuous: two_env's registration, decision roles and role trusts grant these many requests.
    assert {action: len(plan) for action, (plan, _) in found.items()} == {
        "sagemaker:CreateModelPackage": 3,
        # each decision role on churn-model's two versions (2 roles x 2 packages)
        "sagemaker:UpdateModelPackage": 4,
        # the GitHub deploy roles reach their environments' recorders too; API Gateway its logs role (issue 11);
        # the image repository's `modelops-exec-<env>-*` pattern adds a sample role in each workload account,
        # which the CDK bootstrap roles' account-root trust admits (4 roles x 2 environments); issue 14: SageMaker
        # into the training pipeline role, the deploy roles into their batch roles (2), the promoter and verifier
        # into qa's soak reader (2), and platform engineers into the releaser
        "sts:AssumeRole": 136,
    }
    assert {action: plan for action, (plan, _) in found.items()} == {
        action: full for action, (_, full) in found.items()
    }
