"""Policy variables (`${key}`), parsed once and substituted from the request context.

From "IAM policy elements: Variables and tags"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html):
- `${key}` is replaced by the value of the context key `key` (case-insensitive) in the request.
  Only single-valued keys can be variables: a multivalued value is refused here.
- Variables are allowed in the Resource / NotResource element, only in the resource part of the ARN
  (after the fifth colon), and in the values of the String and ARN condition operators. Nowhere
  else: not in condition keys, Action, Principal, or Bool / Null values.
- `${*}`, `${?}` and `${$}` are a literal `*`, `?` and `$`.
- `${key, 'default'}` (a comma and a space, the default in single quotes) gives the text used when
  the key has no value.
- "Policy variables with no value": a key absent from the request has no value. Then a String or
  ARN condition value that uses it equals and is like nothing: a positive operator does not match
  it, a negated one does (it is not equal to or like the effectively null value). A Resource or
  NotResource entry that uses it matches no resource. This evaluator also counts an empty string as
  no value, as its Null operator does.
- Only Version 2012-10-17 has variables; under 2008-10-17 (or no Version) AWS reads `${...}` as
  literal text. A policy that relies on that is almost certainly a mistake, and one read literally
  allows or denies nothing its author meant, so such a policy is refused (see policy.py).

Not documented, so refused when it happens (`UnsupportedPolicyError`): a substituted value (or
default) that contains `*` or `?` where a wildcard would apply (StringLike, Arn*, Resource). AWS
does not say whether such a value is a wildcard or literal text. Substituted text is never parsed
for variables again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from policies.iam.errors import InvalidPolicyError, UnsupportedPolicyError
from policies.iam.model import ContextValue

SPECIAL = frozenset("*?$")
KEY_SYMBOLS = frozenset(":/_.-@+=")
WILDCARDS = frozenset("*?")
DEFAULT_OPENING = ", '"

Lookup = Callable[[str], ContextValue | None]


@dataclass(frozen=True, slots=True)
class Variable:
    """One `${key}` or `${key, 'default'}` of a template."""

    key: str  # lower-cased, as context lookups are
    default: str | None
    text: str  # as written, for messages


@dataclass(frozen=True, slots=True)
class Literal:
    """A special character written `${*}`, `${?}` or `${$}`: always the character itself, never a wildcard."""

    char: str


Part = str | Variable | Literal
"""A piece of a template: policy text (where `*` and `?` keep their glob meaning), a variable or a literal."""

Piece = tuple[str, bool]
"""A piece of a substituted template: its text and whether `*` and `?` in it are wildcards."""


@dataclass(frozen=True, slots=True)
class Template:
    """A policy string that contains `${`, split into text, variables and special characters."""

    text: str
    parts: tuple[Part, ...]

    def resolve(self, lookup: Lookup, where: str, *, wildcards: bool) -> tuple[Piece, ...] | None:
        """The substituted pieces, or None when a variable has no value and no default.

        With `wildcards`, a substituted value containing `*` or `?` is refused (see the module docstring)."""
        pieces: list[Piece] = []
        for part in self.parts:
            if isinstance(part, str):
                pieces.append((part, True))
            elif isinstance(part, Literal):
                pieces.append((part.char, False))
            else:
                value = _value(part, lookup(part.key), where, self.text)
                if value is None:
                    return None
                if wildcards and not WILDCARDS.isdisjoint(value):
                    raise UnsupportedPolicyError(
                        f"{where}: policy variable {part.text} in {self.text!r} resolves to {value!r}, whose * or ? "
                        "AWS does not document as wildcard or literal"
                    )
                if value:
                    pieces.append((value, False))
        return tuple(pieces)

    def text_before_first_substitution(self) -> str:
        """The policy text up to the first variable or special character."""
        prefix: list[str] = []
        for part in self.parts:
            if not isinstance(part, str):
                break
            prefix.append(part)
        return "".join(prefix)


def _value(variable: Variable, raw: ContextValue | None, where: str, text: str) -> str | None:
    if isinstance(raw, tuple):
        raise UnsupportedPolicyError(
            f"{where}: policy variable {variable.text} in {text!r} names a multivalued context key; AWS allows "
            "only single-valued keys as variables"
        )
    if raw is None or raw == "":
        return variable.default
    return raw


def parse_template(text: str, where: str, what: str) -> Template:
    """The template of a policy string containing `${`; a malformed variable is an InvalidPolicyError
    naming `where`, `what` (the element) and the problem."""
    parts: list[Part] = []
    start = 0
    while (opening := text.find("${", start)) >= 0:
        if opening > start:
            parts.append(text[start:opening])
        part, start = _variable(text, opening + 2, where, what)
        parts.append(part)
    if start < len(text):
        parts.append(text[start:])
    return Template(text, tuple(parts))


def _variable(text: str, at: int, where: str, what: str) -> tuple[Part, int]:
    """The variable whose body starts at `at` (just after `${`), and where the text after it starts."""
    if text[at : at + 1] in SPECIAL and text[at + 1 : at + 2] == "}":
        return Literal(text[at]), at + 2
    end = at
    while end < len(text) and text[end] not in ",}":
        end += 1
    if end == len(text):
        raise _malformed(text, where, what, "a policy variable has no closing }")
    key = text[at:end]
    _check_key(key, text, where, what)
    default = None
    if text[end] == ",":
        default, end = _default(text, end, where, what)
    return Variable(key.lower(), default, text[at - 2 : end + 1]), end + 1


def _default(text: str, comma: int, where: str, what: str) -> tuple[str, int]:
    """The default value after the comma at `comma`, and the position of the closing brace."""
    if not text.startswith(DEFAULT_OPENING, comma):
        raise _malformed(text, where, what, "a default value is written ${key, 'default'}")
    closing_quote = text.find("'", comma + len(DEFAULT_OPENING))
    if closing_quote < 0:
        raise _malformed(text, where, what, "a default value has no closing quote")
    if text[closing_quote + 1 : closing_quote + 2] != "}":
        raise _malformed(text, where, what, "a default value must be followed by }")
    return text[comma + len(DEFAULT_OPENING) : closing_quote], closing_quote + 1


def _check_key(key: str, text: str, where: str, what: str) -> None:
    if not key:
        raise _malformed(text, where, what, "an empty policy variable ${}")
    for char in key:
        if char == " ":
            raise _malformed(text, where, what, f"policy variable name {key!r} contains a space")
        if not (char.isalnum() or char in KEY_SYMBOLS):
            raise _malformed(text, where, what, f"policy variable name {key!r} contains {char!r}")


def _malformed(text: str, where: str, what: str, problem: str) -> InvalidPolicyError:
    return InvalidPolicyError(f"{where}: {what} {text!r} has a malformed policy variable: {problem}")
