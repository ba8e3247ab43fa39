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
A multivalued key (key_types.py) under a plain operator other than Null is refused at load time:
AWS says such keys "require a condition set operator" and documents no result without one.
Policy variables (`${key}`, variables.py) are substituted in the values of the String* and Arn*
operators, in every IfExists / ForAnyValue / ForAllValues form, when the policy's Version is
2012-10-17; a value whose variable has no value matches no request value (so a negated operator
holds). Values without `${` are compiled once, as before; only values with one are substituted, per
request. Refused: anything else (Numeric*, Date*, IpAddress, Binary*), a variable in a condition key,
in a Bool or Null value (AWS allows them only with String and ARN operators), or in a policy whose
Version is not 2012-10-17.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum

from policies.iam.errors import InvalidPolicyError, UnsupportedPolicyError
from policies.iam.key_types import MULTIVALUED_KEYS
from policies.iam.matching import (
    arn_condition_matcher,
    arn_pieces_matcher,
    compile_alternatives,
    glob_pieces_source,
    glob_regex,
)
from policies.iam.variables import Lookup, Piece, Template, parse_template

ValueMatcher = Callable[[str], bool]
VARIABLES_VERSION = "2012-10-17"
VARIABLE_FAMILIES = frozenset({"string", "string-ignore-case", "string-like", "arn"})

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
    match: ValueMatcher  # the values without policy variables
    values: tuple[str, ...]  # the condition's values as written, for tools that sample requests
    family: str = "string"
    templates: tuple[Template, ...] = ()  # the values with policy variables, substituted per request
    _resolved: dict[tuple[tuple[Piece, ...] | None, ...], ValueMatcher] = field(
        default_factory=dict, compare=False, repr=False
    )

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
            match = self.match if not self.templates else self._substituted(lookup)
            return match(raw) != self.negated
        values = (raw,) if isinstance(raw, str) else raw
        if self.set_operator is SetOperator.ANY and not values:
            return self.if_exists and raw is None
        match = self.match if not self.templates else self._substituted(lookup)
        if self.set_operator is SetOperator.ANY:
            return any(match(value) != self.negated for value in values or ())
        return all(match(value) != self.negated for value in values or ())

    def _substituted(self, lookup: Lookup) -> ValueMatcher:
        """The matcher of every value, the templates substituted from the request (cached per substitution).
        A template whose variable has no value matches nothing: "there is no equal or like value"."""
        wildcards = self.family in ("string-like", "arn")
        resolved = tuple(template.resolve(lookup, self.where, wildcards=wildcards) for template in self.templates)
        found = self._resolved.get(resolved)
        if found is None:
            found = self._resolved[resolved] = _combined(
                self.match, self._pieces_matcher([pieces for pieces in resolved if pieces is not None])
            )
        return found

    def _pieces_matcher(self, patterns: list[tuple[Piece, ...]]) -> ValueMatcher | None:
        if not patterns:
            return None
        if self.family == "string":
            exact = frozenset("".join(text for text, _ in pieces) for pieces in patterns)
            return exact.__contains__
        if self.family == "string-ignore-case":
            folded = frozenset("".join(text for text, _ in pieces).casefold() for pieces in patterns)
            return lambda value: value.casefold() in folded
        if self.family == "string-like":
            regex = compile_alternatives((glob_pieces_source(pieces) for pieces in patterns), ignore_case=False)
            return lambda value: regex.fullmatch(value) is not None
        matchers = tuple(self._arn_matcher(pieces) for pieces in patterns)
        return lambda value: any(matcher(value) for matcher in matchers)

    def _arn_matcher(self, pieces: tuple[Piece, ...]) -> ValueMatcher:
        matcher = arn_pieces_matcher(pieces)
        if matcher is None:
            text = "".join(text for text, _ in pieces)
            raise InvalidPolicyError(
                f"{self.where}: ARN condition value {text!r} (policy variables substituted) is not an ARN "
                "(expected six colon-separated parts)"
            )
        return matcher


def _combined(static: ValueMatcher, substituted: ValueMatcher | None) -> ValueMatcher:
    if substituted is None:
        return static
    return lambda value: static(value) or substituted(value)


def compile_condition(block: object, where: str, version: str = VARIABLES_VERSION) -> tuple[ConditionTest, ...]:
    """Compile a statement's Condition element; errors name `where` and the operator or key. `version`
    is the policy's Version: only 2012-10-17 has policy variables."""
    if not isinstance(block, Mapping):
        raise InvalidPolicyError(f"{where}: Condition must be an object of operator -> {{key: values}}")
    tests: list[ConditionTest] = []
    for operator, keys in block.items():
        if not isinstance(keys, Mapping) or not keys:
            raise InvalidPolicyError(f"{where}: condition operator {operator} must map context keys to values")
        set_operator, base_name, if_exists = _parse_operator(str(operator), where)
        base = BASE_OPERATORS[base_name]
        for key, raw_values in keys.items():
            if "${" in str(key):
                raise UnsupportedPolicyError(
                    f"{where}: condition key {key} uses a policy variable, which is not supported"
                )
            if set_operator is None and base_name != "Null" and str(key).lower() in MULTIVALUED_KEYS:
                raise UnsupportedPolicyError(
                    f"{where}: {operator} on multivalued condition key {key} needs ForAllValues: or ForAnyValue: "
                    f"(AWS types the key as multivalued: {MULTIVALUED_KEYS[str(key).lower()]})"
                )
            what = f"{operator} {key}"
            values = _values(raw_values, where, what)
            templates = _templates(values, base, version, where, what)
            tests.append(
                _compile_test(str(operator), str(key), values, templates, base, set_operator, if_exists, where)
            )
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
            values.append(str(item))
        else:
            raise InvalidPolicyError(f"{where}: {what} value {item!r} is not a string, number or boolean")
    return tuple(values)


def _templates(values: tuple[str, ...], base: _Base, version: str, where: str, what: str) -> tuple[Template, ...]:
    """The templates of the values that contain `${`; refused where AWS has no variables."""
    templates: list[Template] = []
    for value in values:
        if "${" not in value:
            continue
        if base.family not in VARIABLE_FAMILIES:
            raise UnsupportedPolicyError(
                f"{where}: {what} value {value!r} uses a policy variable; AWS allows them only with String "
                "and ARN operators"
            )
        if version != VARIABLES_VERSION:
            raise UnsupportedPolicyError(
                f"{where}: {what} value {value!r} uses a policy variable, but the policy's Version is "
                f"{version}, under which AWS reads it as literal text; refused (use Version 2012-10-17)"
            )
        templates.append(parse_template(value, where, f"{what} value"))
    return tuple(templates)


def _compile_test(
    operator: str,
    key: str,
    values: tuple[str, ...],
    templates: tuple[Template, ...],
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
        match=_value_matcher(base.family, tuple(value for value in values if "${" not in value), where),
        values=values,
        family=base.family,
        templates=templates,
    )


def _value_matcher(family: str, values: tuple[str, ...], where: str) -> ValueMatcher:
    if not values:
        return _never
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


def _never(value: str) -> bool:
    return False


def _glob_source(pattern: str) -> str:
    return glob_regex(pattern, ignore_case=False).pattern
