"""The Condition element: operators, IfExists, the ForAnyValue/ForAllValues set operators.

Semantics from "IAM JSON policy elements: Condition operators", "Condition with multiple context keys
or values" and "Single-valued vs multivalued context keys":
- operators in one Condition block are ANDed, keys under one operator are ANDed, and the values of
  one key are ORed (for a negated operator: the value must match none of them);
- a key missing from the request: a positive operator is false, a negated one is true, and any
  operator with IfExists is true;
- ForAnyValue: true when some request value matches; false when the key is missing or empty.
  ForAllValues: true when every request value matches; true when the key is missing or empty;
- Null: "true" means the key is absent (or empty), "false" means it is present.
Anything else (Numeric*, Date*, IpAddress, Binary*, policy variables) is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum

from policies.iam.errors import InvalidPolicyError, UnsupportedPolicyError
from policies.iam.matching import arn_condition_matcher, compile_alternatives, glob_regex
from policies.iam.model import ContextValue

Lookup = Callable[[str], ContextValue | None]
ValueMatcher = Callable[[str], bool]

SUPPORTED = "String*, Arn*, Bool and Null, with IfExists, ForAnyValue and ForAllValues"


class SetOperator(Enum):
    """The set qualifier of a multi-valued condition: any value must match, or all of them."""

    ANY = "ForAnyValue"
    ALL = "ForAllValues"


@dataclass(frozen=True)
class _Base:
    family: str  # string, string-ignore-case, string-like, arn, bool, null
    negated: bool


BASE_OPERATORS: Mapping[str, _Base] = {
    "StringEquals": _Base("string", negated=False),
    "StringNotEquals": _Base("string", negated=True),
    "StringEqualsIgnoreCase": _Base("string-ignore-case", negated=False),
    "StringNotEqualsIgnoreCase": _Base("string-ignore-case", negated=True),
    "StringLike": _Base("string-like", negated=False),
    "StringNotLike": _Base("string-like", negated=True),
    "ArnEquals": _Base("arn", negated=False),
    "ArnLike": _Base("arn", negated=False),
    "ArnNotEquals": _Base("arn", negated=True),
    "ArnNotLike": _Base("arn", negated=True),
    "Bool": _Base("bool", negated=False),
    "Null": _Base("null", negated=False),
}


@dataclass(frozen=True)
class ConditionTest:
    """One (operator, key) pair of a Condition block, compiled."""

    operator: str
    key: str  # lower-cased, as context lookups are
    where: str  # "<policy>: <statement>", for error messages
    set_operator: SetOperator | None
    if_exists: bool
    negated: bool
    is_null: bool
    null_wants_absent: tuple[bool, ...]
    match: ValueMatcher
    values: tuple[str, ...]  # the condition's values as written, for tools that sample requests

    def holds(self, lookup: Lookup) -> bool:
        """Whether this test holds for the request whose context `lookup` reads."""
        raw = lookup(self.key)
        if self.is_null:
            absent = raw is None or raw == () or raw == ""
            return any(absent == wants_absent for wants_absent in self.null_wants_absent)
        if self.set_operator is None:
            if raw is None:
                return self.if_exists or self.negated
            if isinstance(raw, tuple):
                raise UnsupportedPolicyError(
                    f"{self.where}: {self.operator} on multivalued context key {self.key} needs "
                    "ForAnyValue: or ForAllValues:"
                )
            return self.match(raw) != self.negated
        values = (raw,) if isinstance(raw, str) else raw
        if self.set_operator is SetOperator.ANY:
            if not values:
                return self.if_exists and raw is None
            return any(self.match(value) != self.negated for value in values)
        return all(self.match(value) != self.negated for value in values or ())


def compile_condition(block: object, where: str) -> tuple[ConditionTest, ...]:
    """Compile a statement's Condition element; errors name `where` and the operator or key."""
    if not isinstance(block, Mapping):
        raise InvalidPolicyError(f"{where}: Condition must be an object of operator -> {{key: values}}")
    tests: list[ConditionTest] = []
    for operator, keys in block.items():
        if not isinstance(keys, Mapping) or not keys:
            raise InvalidPolicyError(f"{where}: condition operator {operator} must map context keys to values")
        set_operator, base_name, if_exists = _parse_operator(str(operator), where)
        base = BASE_OPERATORS[base_name]
        for key, raw_values in keys.items():
            _refuse_variables(str(key), where, f"condition key {key}")
            values = _values(raw_values, where, f"{operator} {key}")
            tests.append(_compile_test(str(operator), str(key), values, base, set_operator, if_exists, where))
    return tuple(tests)


def _parse_operator(operator: str, where: str) -> tuple[SetOperator | None, str, bool]:
    set_operator = None
    name = operator
    for candidate in SetOperator:
        if name.startswith(candidate.value + ":"):
            set_operator = candidate
            name = name[len(candidate.value) + 1 :]
    if_exists = name.endswith("IfExists")
    if if_exists:
        name = name[: -len("IfExists")]
    if name not in BASE_OPERATORS:
        raise UnsupportedPolicyError(
            f"{where}: condition operator {operator} is not supported (supported: {SUPPORTED})"
        )
    if name == "Null" and (if_exists or set_operator is not None):
        raise InvalidPolicyError(
            f"{where}: condition operator {operator} is invalid: Null takes no IfExists or set operator"
        )
    return set_operator, name, if_exists


def _values(raw: object, where: str, what: str) -> tuple[str, ...]:
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise InvalidPolicyError(f"{where}: {what} has no values")
    values: list[str] = []
    for item in items:
        if isinstance(item, bool):
            values.append("true" if item else "false")
        elif isinstance(item, str | int) and not isinstance(item, bool):
            text = str(item)
            _refuse_variables(text, where, f"{what} value {text!r}")
            values.append(text)
        else:
            raise InvalidPolicyError(f"{where}: {what} value {item!r} is not a string, number or boolean")
    return tuple(values)


def _refuse_variables(text: str, where: str, what: str) -> None:
    if "${" in text:
        raise UnsupportedPolicyError(f"{where}: {what} uses a policy variable, which is not supported")


def _compile_test(
    operator: str,
    key: str,
    values: tuple[str, ...],
    base: _Base,
    set_operator: SetOperator | None,
    if_exists: bool,
    where: str,
) -> ConditionTest:
    null_wants_absent: tuple[bool, ...] = ()
    if base.family == "null":
        lowered = {value.lower() for value in values}
        if not lowered <= {"true", "false"}:
            raise InvalidPolicyError(f"{where}: Null {key} must be true or false, got {list(values)}")
        null_wants_absent = tuple(sorted(value == "true" for value in lowered))
    return ConditionTest(
        operator=operator,
        key=key.lower(),
        where=where,
        set_operator=set_operator,
        if_exists=if_exists,
        negated=base.negated,
        is_null=base.family == "null",
        null_wants_absent=null_wants_absent,
        match=_value_matcher(base.family, values, where),
        values=values,
    )


def _value_matcher(family: str, values: tuple[str, ...], where: str) -> ValueMatcher:
    if family == "string":
        exact = frozenset(values)
        return exact.__contains__
    if family == "string-ignore-case":
        folded = frozenset(value.casefold() for value in values)
        return lambda value: value.casefold() in folded
    if family == "string-like":
        regex = compile_alternatives((_glob_source(value) for value in values), ignore_case=False)
        return lambda value: regex.fullmatch(value) is not None
    if family == "arn":
        try:
            matchers = tuple(arn_condition_matcher(value) for value in values)
        except InvalidPolicyError as error:
            raise InvalidPolicyError(f"{where}: {error}") from None
        return lambda value: any(matcher(value) for matcher in matchers)
    if family == "bool":
        lowered = frozenset(value.lower() for value in values)
        if not lowered <= {"true", "false"}:
            raise InvalidPolicyError(f"{where}: Bool values must be true or false, got {list(values)}")
        return lambda value: value.lower() in lowered
    return lambda value: False  # Null never matches values; ConditionTest.holds handles it


def _glob_source(pattern: str) -> str:
    return glob_regex(pattern, ignore_case=False).pattern
