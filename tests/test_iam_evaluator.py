"""Unit specifications of the IAM evaluator: globs, condition operators, refusals and explanations."""

from __future__ import annotations

from typing import Any

import pytest

from policies.iam import (
    AccessDecision,
    Context,
    Effect,
    InvalidPolicyError,
    Policy,
    PolicyKind,
    Principal,
    Request,
    Resource,
    StatementRef,
    UnsupportedPolicyError,
    evaluate,
)
from policies.iam.conditions import compile_condition
from policies.iam.matching import (
    action_matches,
    arn_condition_matcher,
    resource_matches,
    resource_pattern_source,
    resource_pieces_source,
)
from policies.iam.model import ContextValue
from policies.iam.variables import Literal, Variable, parse_template

ACCOUNT = "111122223333"
OTHER = "444455556666"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/carlos"
BUCKET_OBJECT = "arn:aws:s3:::amzn-s3-demo-bucket/report.csv"


def _doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _holds(condition: dict[str, Any], context: dict[str, ContextValue]) -> bool:
    lowered = {key.lower(): value for key, value in context.items()}
    return all(test.holds(lowered.get) for test in compile_condition(condition, "p: s"))


# --- globs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("s3:GetObject", "S3:getobject", True),
        ("s3:Get*", "s3:GetObjectVersion", True),
        ("s3:Get*", "s3:PutObject", False),
        ("sagemaker:*ModelPackage", "sagemaker:UpdateModelPackage", True),
        ("sagemaker:*ModelPackage", "sagemaker:UpdateModelPackageGroup", False),
        ("kms:?ncrypt", "kms:Encrypt", True),
        ("kms:?ncrypt", "kms:ReEncrypt", False),
        ("*", "iam:PassRole", True),
    ],
)
def test_action_globs_are_case_insensitive_and_whole(pattern: str, action: str, expected: bool) -> None:
    assert action_matches(pattern, action) is expected


@pytest.mark.parametrize(
    ("pattern", "arn", "expected"),
    [
        ("*", "arn:aws:s3:::any/key", True),
        ("*", "*", True),
        ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b/c", True),
        ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket", False),
        ("arn:aws:s3:::bucket/*", "arn:aws:s3:::Bucket/a", False),
        ("arn:aws:s3:::bucket/artifacts/m/*", "arn:aws:s3:::bucket/artifacts/model/x", False),
        (
            "arn:aws:ssm:eu-west-1:111122223333:parameter/modelops/*",
            "arn:aws:ssm:eu-west-1:111122223333:parameter/modelops/a/b",
            True,
        ),
        (
            "arn:aws:logs:*:111122223333:log-group:a*b",
            "arn:aws:logs:eu-west-1:111122223333:log-group:a:b",
            False,
        ),
        (
            "arn:aws:logs:*:111122223333:log-group:a*",
            "arn:aws:logs:eu-west-1:111122223333:log-group:a:log-stream:b",
            True,
        ),
        ("arn:aws:iam::111122223333:role/?", "arn:aws:iam::111122223333:role/:", False),
        ("arn:aws:s3:::bucket", "*", False),
    ],
)
def test_resource_globs_are_case_sensitive_and_colon_segment_aware(pattern: str, arn: str, expected: bool) -> None:
    assert resource_matches(pattern, arn) is expected


def test_arn_condition_matches_each_of_the_six_components() -> None:
    matches = arn_condition_matcher("arn:aws:iam::*:role/modelops-exec-*")
    assert [
        matches("arn:aws:iam::444444444444:role/modelops-exec-qa-churn"),
        matches("arn:aws:iam::444444444444:role/modelops-operator"),
        matches("arn:aws:iam::444444444444:user/modelops-exec-qa"),
        matches("not-an-arn"),
    ] == [True, False, False, False]


def test_arn_condition_value_that_is_not_an_arn_is_invalid() -> None:
    with pytest.raises(InvalidPolicyError) as raised:
        arn_condition_matcher("role/admin")
    assert str(raised.value) == "ARN condition value 'role/admin' is not an ARN (expected six colon-separated parts)"


# --- condition operators -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "expected_when_missing"),
    [
        ("StringEquals", False),
        ("StringLike", False),
        ("StringEqualsIgnoreCase", False),
        ("ArnLike", False),
        ("ArnEquals", False),
        ("Bool", False),
        ("StringNotEquals", True),
        ("StringNotLike", True),
        ("StringNotEqualsIgnoreCase", True),
        ("ArnNotLike", True),
        ("ArnNotEquals", True),
        ("StringEqualsIfExists", True),
        ("ArnLikeIfExists", True),
        ("BoolIfExists", True),
        ("StringNotEqualsIfExists", True),
        ("ForAnyValue:StringEquals", False),
        ("ForAnyValue:StringEqualsIfExists", True),
        ("ForAllValues:StringEquals", True),
        ("ForAllValues:StringNotLike", True),
    ],
)
def test_a_missing_key_makes_positive_operators_false_and_negated_or_ifexists_true(
    operator: str, expected_when_missing: bool
) -> None:
    value = "arn:aws:iam::111122223333:role/x" if operator.startswith("Arn") else "true"
    assert _holds({operator: {"aws:SomeKey": value}}, {}) is expected_when_missing


def test_condition_keys_are_case_insensitive_and_values_case_sensitive() -> None:
    condition = {"StringEquals": {"AWS:PrincipalOrgID": "o-abc"}}
    assert [
        _holds(condition, {"aws:principalorgid": "o-abc"}),
        _holds(condition, {"aws:PrincipalOrgID": "O-ABC"}),
    ] == [
        True,
        False,
    ]


def test_bool_compares_true_and_false_without_case() -> None:
    condition = {"Bool": {"aws:SecureTransport": False}}
    assert [
        _holds(condition, {"aws:SecureTransport": "FALSE"}),
        _holds(condition, {"aws:SecureTransport": "true"}),
    ] == [
        True,
        False,
    ]


def test_stringlike_question_mark_is_exactly_one_character() -> None:
    condition = {"StringLike": {"s3:prefix": "v?/"}}
    assert [_holds(condition, {"s3:prefix": value}) for value in ("v1/", "v10/", "v/")] == [
        True,
        False,
        False,
    ]


def test_null_false_requires_the_key_and_null_true_requires_its_absence() -> None:
    present = {"Null": {"aws:TokenIssueTime": "false"}}
    absent = {"Null": {"aws:TokenIssueTime": "true"}}
    context: dict[str, ContextValue] = {"aws:TokenIssueTime": "2026-11-22T09:00:00Z"}
    assert [_holds(present, context), _holds(present, {}), _holds(absent, context), _holds(absent, {})] == [
        True,
        False,
        False,
        True,
    ]


def test_several_operators_in_one_condition_are_anded() -> None:
    condition = {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}, "Bool": {"aws:SecureTransport": "true"}}
    assert [
        _holds(condition, {"aws:PrincipalOrgID": "o-abc", "aws:SecureTransport": "true"}),
        _holds(condition, {"aws:PrincipalOrgID": "o-abc", "aws:SecureTransport": "false"}),
    ] == [True, False]


@pytest.mark.parametrize(
    ("tag_keys", "expected"),
    [
        (("key1:legal",), False),
        (("key1:hr", "key1:personnel"), False),
        (("key2:audit",), True),
        (None, True),
    ],
)
def test_forallvalues_stringnotlike_follows_the_documented_deny_table(
    tag_keys: tuple[str, ...] | None, expected: bool
) -> None:
    # "Multivalued context key examples": Deny with ForAllValues:StringNotLike aws:TagKeys "key1*".
    context: dict[str, ContextValue] = {} if tag_keys is None else {"aws:TagKeys": tag_keys}
    assert _holds({"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}}, context) is expected


def test_foranyvalue_with_a_negated_operator_needs_one_value_outside_the_list() -> None:
    condition = {"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["env", "team"]}}
    assert [
        _holds(condition, {"aws:TagKeys": ("env", "team")}),
        _holds(condition, {"aws:TagKeys": ("env", "x")}),
    ] == [
        False,
        True,
    ]


@pytest.mark.parametrize(
    ("condition", "error", "message"),
    [
        (
            {"DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}},
            UnsupportedPolicyError,
            "p: s: condition operator DateGreaterThan is not supported "
            "(supported: String*, Arn*, Bool and Null, with IfExists, ForAnyValue and ForAllValues)",
        ),
        (
            {"BinaryEquals": {"aws:Key": "QmluYXJ5"}},
            UnsupportedPolicyError,
            "p: s: condition operator BinaryEquals is not supported "
            "(supported: String*, Arn*, Bool and Null, with IfExists, ForAnyValue and ForAllValues)",
        ),
        (
            {"StringEquals": {"aws:PrincipalTag/${aws:username}": "ml"}},
            UnsupportedPolicyError,
            "p: s: condition key aws:PrincipalTag/${aws:username} uses a policy variable, which is not supported",
        ),
        (
            {"Bool": {"aws:SecureTransport": "${aws:PrincipalTag/tls}"}},
            UnsupportedPolicyError,
            "p: s: Bool aws:SecureTransport value '${aws:PrincipalTag/tls}' uses a policy variable; "
            "AWS allows them only with String and ARN operators",
        ),
        (
            {"Null": {"aws:TokenIssueTime": "${aws:PrincipalTag/temporary}"}},
            UnsupportedPolicyError,
            "p: s: Null aws:TokenIssueTime value '${aws:PrincipalTag/temporary}' uses a policy variable; "
            "AWS allows them only with String and ARN operators",
        ),
        (
            {"NullIfExists": {"aws:Key": "true"}},
            InvalidPolicyError,
            "p: s: condition operator NullIfExists is invalid: Null takes no IfExists or set operator",
        ),
        (
            {"Null": {"aws:Key": "yes"}},
            InvalidPolicyError,
            "p: s: Null aws:Key must be true or false, got ['yes']",
        ),
        (
            {"Bool": {"aws:SecureTransport": "no"}},
            InvalidPolicyError,
            "p: s: Bool values must be true or false, got ['no']",
        ),
        ({"StringEquals": {"aws:Key": []}}, InvalidPolicyError, "p: s: StringEquals aws:Key has no values"),
        (
            {"ArnLike": {"aws:SourceArn": "topic-*"}},
            InvalidPolicyError,
            "p: s: ARN condition value 'topic-*' is not an ARN (expected six colon-separated parts)",
        ),
    ],
)
def test_condition_refusals_name_the_statement_and_the_operator(
    condition: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as raised:
        compile_condition(condition, "p: s")
    assert str(raised.value) == message


# --- policy documents ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "statement", "error", "message"),
    [
        (
            PolicyKind.IDENTITY,
            {"Sid": "S", "Effect": "Permit", "Action": "s3:*", "Resource": "*"},
            InvalidPolicyError,
            "doc: S: Effect must be Allow or Deny, got 'Permit'",
        ),
        (
            PolicyKind.IDENTITY,
            {"Sid": "S", "Effect": "Allow", "Resource": "*"},
            InvalidPolicyError,
            "doc: S: needs exactly one of Action or NotAction",
        ),
        (
            PolicyKind.IDENTITY,
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Principal": "*"},
            InvalidPolicyError,
            "doc: Statement[0]: an identity policy statement cannot have Principal or NotPrincipal",
        ),
        (
            PolicyKind.IDENTITY,
            {"Sid": "S", "Effect": "Allow", "Action": "s3:*", "Resources": "*"},
            InvalidPolicyError,
            "doc: S: unknown element(s) Resources",
        ),
        (
            PolicyKind.IDENTITY,
            {"Sid": "S", "Effect": "Allow", "Action": "GetObject", "Resource": "*"},
            InvalidPolicyError,
            "doc: S: action 'GetObject' is not of the form service:Action or '*'",
        ),
        (
            PolicyKind.RESOURCE,
            {
                "Sid": "S",
                "Effect": "Allow",
                "Principal": {"CanonicalUser": "79a5"},
                "Action": "s3:*",
                "Resource": "*",
            },
            UnsupportedPolicyError,
            "doc: S: Principal type CanonicalUser is not supported (AWS, Service, Federated)",
        ),
        (
            PolicyKind.KMS_KEY,
            {
                "Sid": "S",
                "Effect": "Allow",
                "Principal": {"AWS": "carlos"},
                "Action": "kms:*",
                "Resource": "*",
            },
            InvalidPolicyError,
            "doc: S: principal 'carlos' is not an account id, account root, role, user or assumed-role session ARN",
        ),
        (
            PolicyKind.TRUST,
            {"Sid": "S", "Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity"},
            UnsupportedPolicyError,
            "doc: S: a trust policy statement without Principal is not supported",
        ),
        (
            PolicyKind.RESOURCE,
            {"Sid": "S", "Effect": "Allow", "Principal": "*", "Action": "s3:*"},
            InvalidPolicyError,
            "doc: S: needs exactly one of Resource or NotResource",
        ),
    ],
)
def test_malformed_or_unsupported_statements_are_refused_at_load_time(
    kind: PolicyKind, statement: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as raised:
        Policy("doc", _doc(statement), kind)
    assert str(raised.value) == message


def test_a_policy_needs_a_known_version_and_statements() -> None:
    with pytest.raises(InvalidPolicyError) as version:
        Policy("doc", {"Version": "2024-01-01", "Statement": []}, PolicyKind.IDENTITY)
    with pytest.raises(InvalidPolicyError) as empty:
        Policy("doc", {"Version": "2012-10-17", "Statement": []}, PolicyKind.IDENTITY)
    assert [str(version.value), str(empty.value)] == [
        "doc: Version must be 2012-10-17, got '2024-01-01'",
        "doc: Statement must be a non-empty list of statements",
    ]


def test_from_json_reports_malformed_json_with_its_line() -> None:
    with pytest.raises(InvalidPolicyError) as raised:
        Policy.from_json("bucket-policy.json", '{"Version": "2012-10-17",\n "Statement": [}', PolicyKind.RESOURCE)
    assert str(raised.value) == "bucket-policy.json: not valid JSON (Expecting value at line 2)"


# --- requests and decisions ---------------------------------------------------------------------


def test_context_refuses_keys_that_aws_derives_from_the_principal() -> None:
    with pytest.raises(
        ValueError, match=r"^context key aws:PrincipalArn is set from the principal; it cannot be given$"
    ):
        Context({"aws:PrincipalArn": ROLE})


def test_context_refuses_a_key_given_twice_in_different_case() -> None:
    with pytest.raises(
        ValueError, match=r"^context key AWS:SecureTransport is given twice \(keys are case-insensitive\)$"
    ):
        Context({"aws:SecureTransport": True, "AWS:SecureTransport": False})


def test_a_role_principal_needs_a_role_arn() -> None:
    with pytest.raises(ValueError, match=r"^principal 'arn:aws:iam::111122223333:user/bob' is not an IAM role ARN"):
        Principal.role("arn:aws:iam::111122223333:user/bob")


def test_principal_arn_of_a_session_is_its_role_arn() -> None:
    identity = Policy(
        "identity",
        _doc(
            {
                "Sid": "OnlyThisRole",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "*",
                "Condition": {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/team/carlos"}},
            }
        ),
        PolicyKind.IDENTITY,
    )
    session = Principal.role("arn:aws:iam::111122223333:role/team/carlos", session="ci", identity_policies=[identity])
    decision = evaluate(Request(session, "s3:GetObject", Resource(BUCKET_OBJECT, ACCOUNT)))
    assert (session.session_arn, decision.allowed) == (
        "arn:aws:sts::111122223333:assumed-role/carlos/ci",
        True,
    )


def test_a_trust_policy_governs_sts_actions_only() -> None:
    trust = Policy(
        "trust",
        _doc({"Sid": "TrustOther", "Effect": "Allow", "Principal": {"AWS": OTHER}, "Action": "*"}),
        PolicyKind.TRUST,
    )
    admin = Policy(
        "admin", _doc({"Sid": "All", "Effect": "Allow", "Action": "*", "Resource": "*"}), PolicyKind.IDENTITY
    )
    caller = Principal.role(f"arn:aws:iam::{OTHER}:role/partner", identity_policies=[admin])
    role = Resource(f"arn:aws:iam::{ACCOUNT}:role/deploy", ACCOUNT, trust)
    assert [
        evaluate(Request(caller, "sts:AssumeRole", role)).effect,
        evaluate(Request(caller, "iam:PutRolePolicy", role)).effect,
    ] == [Effect.ALLOW, Effect.IMPLICIT_DENY]


def test_a_bucket_policy_does_not_govern_other_services() -> None:
    bucket = Policy(
        "bucket",
        _doc({"Sid": "Everyone", "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}),
        PolicyKind.RESOURCE,
    )
    decision = evaluate(Request(Principal.anonymous(), "kms:Decrypt", Resource(BUCKET_OBJECT, ACCOUNT, bucket)))
    assert decision == AccessDecision(
        Effect.IMPLICIT_DENY, (), 'an anonymous request needs a resource policy statement with Principal "*"'
    )


KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_a_kms_key_takes_only_a_key_policy() -> None:
    bucket = Policy(
        "bucket",
        _doc({"Sid": "S", "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}),
        PolicyKind.RESOURCE,
    )
    with pytest.raises(
        ValueError,
        match=r"^resource '.+:key/1234abcd-12ab-34cd-56ef-1234567890ab': a KMS key's resource policy is its key "
        r"policy \(kind kms-key\), got a resource policy$",
    ):
        Resource(KEY, ACCOUNT, bucket)


def test_a_kms_alias_is_no_key_so_identity_policies_alone_decide() -> None:
    # "Controlling access to aliases" (https://docs.aws.amazon.com/kms/latest/developerguide/alias-access.html):
    # kms:CreateAlias for the alias comes from an IAM policy; for the key, from the key policy.
    admin = Policy(
        "admin", _doc({"Sid": "All", "Effect": "Allow", "Action": "kms:*", "Resource": "*"}), PolicyKind.IDENTITY
    )
    caller = Principal.role(ROLE, identity_policies=[admin])
    alias = Resource(f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/artifacts", ACCOUNT)
    key = Resource(KEY, ACCOUNT)
    assert [
        str(evaluate(Request(caller, "kms:CreateAlias", alias))),
        str(evaluate(Request(caller, "kms:CreateAlias", key))),
    ] == [
        "Allow: allowed by an identity policy (admin: All)",
        "ImplicitDeny: the key policy must allow the request, and the key has no key policy",
    ]


def test_service_principal_facts_are_derived_not_given() -> None:
    queue = Policy(
        "queue",
        _doc(
            {
                "Sid": "OnlyServices",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "sqs:SendMessage",
                "Resource": "*",
                "Condition": {"Bool": {"aws:PrincipalIsAWSService": "true"}},
            }
        ),
        PolicyKind.RESOURCE,
    )
    resource = Resource(f"arn:aws:sqs:eu-west-1:{ACCOUNT}:q", ACCOUNT, queue)
    assert [
        evaluate(Request(Principal.service("sns.amazonaws.com"), "sqs:SendMessage", resource)).effect,
        evaluate(Request(Principal.role(ROLE), "sqs:SendMessage", resource)).effect,
    ] == [Effect.ALLOW, Effect.IMPLICIT_DENY]


def test_a_decision_explains_itself_in_one_line() -> None:
    decision = AccessDecision(
        Effect.ALLOW,
        (StatementRef("identity", "Read", 0), StatementRef("bucket", None, 2)),
        "cross-account request allowed by both an identity policy and the resource policy",
    )
    assert str(decision) == (
        "Allow: cross-account request allowed by both an identity policy and the resource policy "
        "(identity: Read; bucket: Statement[2])"
    )


def test_the_first_explicit_deny_is_reported_even_after_an_allow() -> None:
    identity = Policy(
        "identity",
        _doc(
            {"Sid": "AllowAll", "Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Sid": "NoIam", "Effect": "Deny", "Action": "iam:*", "Resource": "*"},
            {"Sid": "NoRoles", "Effect": "Deny", "Action": "iam:*Role*", "Resource": "*"},
        ),
        PolicyKind.IDENTITY,
    )
    principal = Principal.role(ROLE, identity_policies=[identity])
    decision = evaluate(Request(principal, "IAM:CreateRole", Resource(f"arn:aws:iam::{ACCOUNT}:role/x", ACCOUNT)))
    assert decision == AccessDecision(
        Effect.EXPLICIT_DENY, (StatementRef("identity", "NoIam", 1),), "an explicit Deny applies"
    )


# --- session tags ----------------------------------------------------------------------------------


def test_session_tags_are_the_principal_tag_keys_case_insensitive() -> None:
    identity = Policy(
        "identity",
        _doc(
            {
                "Sid": "MlTeam",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalTag/Team": "ml"}},
            }
        ),
        PolicyKind.IDENTITY,
    )
    resource = Resource(BUCKET_OBJECT, ACCOUNT)
    assert [
        evaluate(
            Request(
                Principal.role(ROLE, session="s", session_tags=tags, identity_policies=[identity]),
                "s3:GetObject",
                resource,
            )
        ).effect
        for tags in ({"team": "ml"}, {"TEAM": "ml"}, {"team": "finance"}, {})
    ] == [Effect.ALLOW, Effect.ALLOW, Effect.IMPLICIT_DENY, Effect.IMPLICIT_DENY]


def test_session_tags_need_a_session_and_unique_keys() -> None:
    with pytest.raises(
        ValueError, match=r"^principal 'arn:aws:iam::111122223333:role/carlos': session tags need a session$"
    ):
        Principal.role(ROLE, session_tags={"team": "ml"})
    with pytest.raises(
        ValueError,
        match=r"^principal 'arn:aws:iam::111122223333:role/carlos': session tag Team is given twice "
        r"\(tag keys are case-insensitive\)$",
    ):
        Principal.role(ROLE, session="s", session_tags={"team": "ml", "Team": "ops"})


def test_context_refuses_principal_tags_which_come_from_the_session() -> None:
    with pytest.raises(
        ValueError, match=r"^context key aws:PrincipalTag/team is set from the principal; it cannot be given$"
    ):
        Context({"aws:PrincipalTag/team": "ml"})


# --- policy variables ------------------------------------------------------------------------------


def _identity_decision(statement: dict[str, Any], principal_tags: dict[str, str], arn: str = BUCKET_OBJECT) -> Effect:
    policy = Policy("identity", _doc(statement), PolicyKind.IDENTITY)
    principal = Principal.role(ROLE, session="s", session_tags=principal_tags, identity_policies=[policy])
    return evaluate(Request(principal, "s3:GetObject", Resource(arn, ACCOUNT))).effect


def test_a_template_splits_into_text_variables_and_literal_characters() -> None:
    template = parse_template("a/${AWS:PrincipalTag/Team}-${*}${?}${$}-${aws:userid, 'anonymous'}", "p: s", "Resource")
    assert template.parts == (
        "a/",
        Variable("aws:principaltag/team", None, "${AWS:PrincipalTag/Team}"),
        "-",
        Literal("*"),
        Literal("?"),
        Literal("$"),
        "-",
        Variable("aws:userid", "anonymous", "${aws:userid, 'anonymous'}"),
    )


def test_a_default_value_may_hold_spaces_commas_and_braces() -> None:
    template = parse_template("${aws:PrincipalTag/team, 'company wide, {all}'}", "p: s", "Resource")
    assert template.parts == (
        Variable("aws:principaltag/team", "company wide, {all}", "${aws:PrincipalTag/team, 'company wide, {all}'}"),
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("home/${aws:username", "a policy variable has no closing }"),
        ("home/${", "a policy variable has no closing }"),
        ("home/${*", "a policy variable has no closing }"),
        ("home/${}", "an empty policy variable ${}"),
        ("home/${aws: username}", "policy variable name 'aws: username' contains a space"),
        ("home/${aws:user!name}", "policy variable name 'aws:user!name' contains '!'"),
        ("home/${aws:${aws:username}}", "policy variable name 'aws:${aws:username' contains '$'"),
        ("home/${**}", "policy variable name '**' contains '*'"),
        ("home/${aws:username,'x'}", "a default value is written ${key, 'default'}"),
        ("home/${aws:username, x}", "a default value is written ${key, 'default'}"),
        ("home/${aws:username, 'x}", "a default value has no closing quote"),
        ("home/${aws:username, 'x'", "a default value must be followed by }"),
        ("home/${aws:username, 'x' }", "a default value must be followed by }"),
    ],
)
def test_a_malformed_policy_variable_is_invalid_and_named(text: str, problem: str) -> None:
    with pytest.raises(InvalidPolicyError) as raised:
        compile_condition({"StringLike": {"s3:prefix": text}}, "p: s")
    assert str(raised.value) == f"p: s: StringLike s3:prefix value {text!r} has a malformed policy variable: {problem}"


def test_a_malformed_policy_variable_in_a_resource_names_the_statement() -> None:
    with pytest.raises(InvalidPolicyError) as raised:
        Policy(
            "doc",
            _doc({"Sid": "S", "Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::b/${aws:username"}),
            PolicyKind.IDENTITY,
        )
    assert str(raised.value) == (
        "doc: S: NotResource 'arn:aws:s3:::b/${aws:username' has a malformed policy variable: "
        "a policy variable has no closing }"
    )


@pytest.mark.parametrize(
    ("kind", "statement", "message"),
    [
        (
            PolicyKind.IDENTITY,
            {"Sid": "S", "Effect": "Allow", "NotAction": "s3:${aws:PrincipalTag/verb}", "Resource": "*"},
            "doc: S: NotAction 's3:${aws:PrincipalTag/verb}' uses a policy variable, which is not supported",
        ),
        (
            PolicyKind.RESOURCE,
            {
                "Sid": "S",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111122223333:role/${aws:username}"},
                "Action": "s3:GetObject",
                "Resource": "*",
            },
            "doc: S: Principal AWS 'arn:aws:iam::111122223333:role/${aws:username}' uses a policy variable, "
            "which is not supported",
        ),
    ],
)
def test_a_policy_variable_outside_resource_and_condition_values_is_refused(
    kind: PolicyKind, statement: dict[str, Any], message: str
) -> None:
    with pytest.raises(UnsupportedPolicyError) as raised:
        Policy("doc", _doc(statement), kind)
    assert str(raised.value) == message


def test_a_policy_variable_in_a_policy_without_version_is_refused_not_read_literally() -> None:
    statement = {
        "Sid": "S",
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": "*",
        "Condition": {"StringEquals": {"s3:ExistingObjectTag/owner": "${aws:PrincipalTag/owner}"}},
    }
    with pytest.raises(UnsupportedPolicyError) as raised:
        Policy("doc", {"Statement": [statement]}, PolicyKind.IDENTITY)
    assert str(raised.value) == (
        "doc: S: StringEquals s3:ExistingObjectTag/owner value '${aws:PrincipalTag/owner}' uses a policy "
        "variable, but the policy's Version is absent (so 2008-10-17), under which AWS reads it as literal "
        "text; refused (use Version 2012-10-17)"
    )


@pytest.mark.parametrize(
    ("operator", "context", "expected"),
    [
        (
            "StringEquals",
            {"sts:SourceIdentity": "carlos@example.com", "aws:PrincipalTag/email": "carlos@example.com"},
            True,
        ),
        (
            "StringEquals",
            {"sts:SourceIdentity": "mallory@example.com", "aws:PrincipalTag/email": "carlos@example.com"},
            False,
        ),
        ("StringEquals", {"sts:SourceIdentity": "carlos@example.com"}, False),
        ("StringEquals", {"sts:SourceIdentity": "", "aws:PrincipalTag/email": ""}, False),
        ("StringNotEquals", {"sts:SourceIdentity": "carlos@example.com"}, True),
        (
            "StringNotEquals",
            {"sts:SourceIdentity": "carlos@example.com", "aws:PrincipalTag/email": "carlos@example.com"},
            False,
        ),
        ("StringEqualsIfExists", {}, True),
        ("StringEqualsIfExists", {"sts:SourceIdentity": "carlos@example.com"}, False),
        (
            "StringEqualsIgnoreCase",
            {"sts:SourceIdentity": "Carlos@Example.com", "aws:PrincipalTag/email": "carlos@example.com"},
            True,
        ),
        (
            "StringLike",
            {"sts:SourceIdentity": "carlos@example.com", "aws:PrincipalTag/email": "carlos@example.com"},
            True,
        ),
        ("StringNotLike", {"sts:SourceIdentity": "carlos@example.com"}, True),
        (
            "ForAnyValue:StringEquals",
            {"sts:SourceIdentity": ("x", "carlos@example.com"), "aws:PrincipalTag/email": "carlos@example.com"},
            True,
        ),
        ("ForAnyValue:StringEquals", {"sts:SourceIdentity": ("carlos@example.com",)}, False),
        ("ForAllValues:StringEquals", {"sts:SourceIdentity": ("carlos@example.com",)}, False),
        ("ForAllValues:StringEquals", {}, True),
    ],
)
def test_a_variable_is_substituted_and_one_with_no_value_equals_nothing(
    operator: str, context: dict[str, ContextValue], expected: bool
) -> None:
    assert _holds({operator: {"sts:SourceIdentity": "${aws:PrincipalTag/email}"}}, context) is expected


def test_a_variable_with_no_value_is_not_an_empty_string_in_stringlike() -> None:
    condition = {"StringLike": {"s3:prefix": "${aws:PrincipalTag/team}*"}}
    assert [
        _holds(condition, {"s3:prefix": "ml/data", "aws:PrincipalTag/team": "ml"}),
        _holds(condition, {"s3:prefix": "ml/data"}),
    ] == [True, False]


def test_a_value_with_a_variable_is_ored_with_the_values_without() -> None:
    condition = {"StringEquals": {"sts:SourceIdentity": ["${aws:PrincipalTag/email}", "break-glass"]}}
    assert [
        _holds(condition, {"sts:SourceIdentity": "break-glass"}),
        _holds(condition, {"sts:SourceIdentity": "carlos@example.com", "aws:PrincipalTag/email": "carlos@example.com"}),
        _holds(condition, {"sts:SourceIdentity": "carlos@example.com"}),
    ] == [True, True, False]


def test_variable_keys_are_case_insensitive_and_substituted_text_is_not_parsed_again() -> None:
    condition = {"StringEquals": {"s3:prefix": "${AWS:UserName}"}}
    assert [
        _holds(condition, {"s3:prefix": "David", "aws:username": "David"}),
        _holds(condition, {"s3:prefix": "${aws:userid}", "aws:username": "${aws:userid}", "aws:userid": "x"}),
    ] == [True, True]


def test_a_default_value_stands_in_for_a_missing_or_empty_key() -> None:
    condition = {"StringEquals": {"s3:prefix": "${aws:PrincipalTag/team, 'company-wide'}"}}
    assert [
        _holds(condition, {"s3:prefix": "company-wide"}),
        _holds(condition, {"s3:prefix": "company-wide", "aws:PrincipalTag/team": ""}),
        _holds(condition, {"s3:prefix": "company-wide", "aws:PrincipalTag/team": "yellow"}),
        _holds(condition, {"s3:prefix": "yellow", "aws:PrincipalTag/team": "yellow"}),
    ] == [True, True, False, True]


def test_special_characters_are_literal_in_stringlike_and_the_policy_text_keeps_its_wildcards() -> None:
    condition = {"StringLike": {"s3:prefix": "${aws:username}/${*}${?}${$}/*"}}
    context = {"aws:username": "David"}
    assert [
        _holds(condition, {**context, "s3:prefix": "David/*?$/reports"}),
        _holds(condition, {**context, "s3:prefix": "David/ab$/reports"}),
        _holds(condition, {**context, "s3:prefix": "Adele/*?$/reports"}),
    ] == [True, False, False]


def test_arn_operators_substitute_before_splitting_the_six_components() -> None:
    condition = {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::${aws:PrincipalTag/bucket}"}}
    assert [
        _holds(condition, {"aws:SourceArn": "arn:aws:s3:::team-bucket", "aws:PrincipalTag/bucket": "team-bucket"}),
        _holds(condition, {"aws:SourceArn": "arn:aws:s3:::other", "aws:PrincipalTag/bucket": "team-bucket"}),
        _holds(condition, {"aws:SourceArn": "arn:aws:s3:::team-bucket"}),
    ] == [True, False, False]


def test_an_arn_value_that_is_no_arn_once_substituted_is_invalid() -> None:
    with pytest.raises(InvalidPolicyError) as raised:
        _holds(
            {"ArnEquals": {"aws:SourceArn": "${aws:PrincipalTag/source}"}},
            {"aws:SourceArn": "x", "aws:PrincipalTag/source": "topic"},
        )
    assert str(raised.value) == (
        "p: s: ARN condition value 'topic' (policy variables substituted) is not an ARN "
        "(expected six colon-separated parts)"
    )


def test_a_wildcard_in_a_substituted_value_is_refused_where_it_would_be_a_wildcard() -> None:
    with pytest.raises(UnsupportedPolicyError) as raised:
        _holds({"StringLike": {"s3:prefix": "${aws:username}/*"}}, {"s3:prefix": "a/b", "aws:username": "*"})
    assert str(raised.value) == (
        "p: s: policy variable ${aws:username} in '${aws:username}/*' resolves to '*', whose * or ? "
        "AWS does not document as wildcard or literal"
    )
    assert _holds({"StringEquals": {"s3:prefix": "${aws:username}"}}, {"s3:prefix": "*", "aws:username": "*"})


def test_a_multivalued_key_as_variable_is_refused() -> None:
    with pytest.raises(UnsupportedPolicyError) as raised:
        _holds({"StringEquals": {"s3:prefix": "${aws:TagKeys}"}}, {"s3:prefix": "env", "aws:tagkeys": ("env",)})
    assert str(raised.value) == (
        "p: s: policy variable ${aws:TagKeys} in '${aws:TagKeys}' names a multivalued context key; AWS allows "
        "only single-valued keys as variables"
    )


@pytest.mark.parametrize(
    "pattern",
    [
        "*",
        "arn:aws:s3:::bucket/*",
        "arn:aws:logs:*:111122223333:log-group:a*b",
        "arn:aws:logs:*:111122223333:log-group:a*",
        "arn:aws:iam::111122223333:role/?",
        "arn:aws:s3:::a**",
    ],
)
def test_resource_pieces_without_variables_match_as_the_plain_resource_glob(pattern: str) -> None:
    assert resource_pieces_source([(pattern, True)]) == resource_pattern_source(pattern)


def test_a_resource_variable_is_substituted_from_the_session_tags() -> None:
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/${aws:PrincipalTag/team}/*"}
    assert [
        _identity_decision(statement, {"team": "ml"}, "arn:aws:s3:::b/ml/model.tar.gz"),
        _identity_decision(statement, {"Team": "ml"}, "arn:aws:s3:::b/ml/model.tar.gz"),
        _identity_decision(statement, {"team": "finance"}, "arn:aws:s3:::b/ml/model.tar.gz"),
        _identity_decision(statement, {}, "arn:aws:s3:::b/ml/model.tar.gz"),
    ] == [Effect.ALLOW, Effect.ALLOW, Effect.IMPLICIT_DENY, Effect.IMPLICIT_DENY]


def test_a_resource_entry_whose_variable_has_no_value_matches_nothing_not_an_empty_string() -> None:
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/${aws:PrincipalTag/team}*"}
    assert [
        _identity_decision(statement, {"team": "ml"}, "arn:aws:s3:::b/ml-x"),
        _identity_decision(statement, {}, "arn:aws:s3:::b/ml-x"),
    ] == [Effect.ALLOW, Effect.IMPLICIT_DENY]


def test_a_notresource_entry_whose_variable_has_no_value_excludes_nothing() -> None:
    statement = {
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "NotResource": "arn:aws:s3:::b/${aws:PrincipalTag/team}/*",
    }
    assert [
        _identity_decision(statement, {"team": "ml"}, "arn:aws:s3:::b/ml/model.tar.gz"),
        _identity_decision(statement, {"team": "ml"}, "arn:aws:s3:::b/finance/report.csv"),
        _identity_decision(statement, {}, "arn:aws:s3:::b/ml/model.tar.gz"),
    ] == [Effect.IMPLICIT_DENY, Effect.ALLOW, Effect.ALLOW]


def test_a_resource_entry_without_variables_still_matches_next_to_one_with() -> None:
    statement = {
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": ["arn:aws:s3:::b/public/*", "arn:aws:s3:::b/${aws:PrincipalTag/team}/*"],
    }
    assert [
        _identity_decision(statement, {}, "arn:aws:s3:::b/public/readme"),
        _identity_decision(statement, {}, "arn:aws:s3:::b/ml/x"),
        _identity_decision(statement, {"team": "ml"}, "arn:aws:s3:::b/ml/x"),
    ] == [Effect.ALLOW, Effect.IMPLICIT_DENY, Effect.ALLOW]


def test_a_wildcard_in_a_substituted_resource_value_is_refused() -> None:
    statement = {
        "Sid": "S",
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::b/${aws:PrincipalTag/team}/*",
    }
    with pytest.raises(UnsupportedPolicyError) as raised:
        _identity_decision(statement, {"team": "m?"}, "arn:aws:s3:::b/ml/x")
    assert str(raised.value) == (
        "identity: S: policy variable ${aws:PrincipalTag/team} in 'arn:aws:s3:::b/${aws:PrincipalTag/team}/*' "
        "resolves to 'm?', whose * or ? AWS does not document as wildcard or literal"
    )


def test_only_statements_with_conditions_or_variable_resources_depend_on_the_context() -> None:
    policy = Policy(
        "doc",
        _doc(
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/${aws:username}/*"},
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "true"}},
            },
        ),
        PolicyKind.IDENTITY,
    )
    assert [statement.contextual for statement in policy.statements] == [False, True, True]
