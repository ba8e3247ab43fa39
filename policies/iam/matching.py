"""Glob matching for Action, Resource and the String/Arn condition operators, compiled once and cached.

The rules follow "IAM JSON policy elements: Action / Resource" and "Condition operators":
- Action and NotAction: case-insensitive; `*` any run of characters, `?` exactly one.
- Resource and NotResource: case-sensitive, segment by segment between colons. A `*` inside a
  segment stays inside it, but a `*` that ends a segment "can expand to match beyond the colon
  boundaries". Inside a segment `*` does span `/`, so `bucket/*` covers every key under the bucket.
- ArnEquals / ArnLike: each of the six colon-delimited components is matched on its own, with wildcards.
- StringLike: the whole value, case-sensitive, `*` and `?` spanning anything.

A policy string with variables (variables.py) is matched as pieces: policy text, where `*` and `?`
keep these meanings, and substituted text or `${*}`-style characters, which match only themselves.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

from policies.iam.errors import InvalidPolicyError

ARN_PARTS = 6


def _translate(pattern: str, *, star: str, question: str) -> str:
    return "".join(star if ch == "*" else question if ch == "?" else re.escape(ch) for ch in pattern)


@lru_cache(maxsize=4096)
def glob_regex(pattern: str, *, ignore_case: bool) -> re.Pattern[str]:
    """A regex that fully matches what `pattern` matches as a plain glob (`*`, `?` span everything)."""
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile(_translate(pattern, star=".*", question="."), flags)


def action_pattern_source(pattern: str) -> str:
    """Regex source for one Action pattern; the caller compiles it case-insensitively."""
    if pattern != "*" and ":" not in pattern:
        raise InvalidPolicyError(f"action {pattern!r} is not of the form service:Action or '*'")
    return _translate(pattern, star=".*", question=".")


def resource_pattern_source(pattern: str) -> str:
    """Regex source for one Resource pattern, colon-segment aware (see the module docstring)."""
    if pattern == "*":
        return ".*"
    segments = []
    for segment in pattern.split(":"):
        if segment.endswith("*"):
            body = _translate(segment[:-1], star="[^:]*", question="[^:]")
            segments.append(body + ".*")
        else:
            segments.append(_translate(segment, star="[^:]*", question="[^:]"))
    return ":".join(segments)


def compile_alternatives(sources: Iterable[str], *, ignore_case: bool) -> re.Pattern[str]:
    """One regex matching any of the given sources in full."""
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile("|".join(f"(?:{source})" for source in sources), flags)


def action_matches(pattern: str, action: str) -> bool:
    """Whether an Action pattern matches an action name (case-insensitive glob)."""
    return re.fullmatch(action_pattern_source(pattern), action, re.IGNORECASE | re.DOTALL) is not None


def resource_matches(pattern: str, resource: str) -> bool:
    """Whether a Resource pattern matches a resource ARN (case-sensitive, colon-segment aware)."""
    return re.fullmatch(resource_pattern_source(pattern), resource, re.DOTALL) is not None


def glob_pieces_source(pieces: Iterable[tuple[str, bool]]) -> str:
    """Regex source for a StringLike value given as pieces (text, whether its `*` and `?` are wildcards)."""
    return "".join(_translate(text, star=".*", question=".") if wild else re.escape(text) for text, wild in pieces)


def resource_pieces_source(pieces: Sequence[tuple[str, bool]]) -> str:
    """Regex source for a Resource pattern given as pieces, colon-segment aware like
    `resource_pattern_source`: a wildcard `*` spans colons only where the policy text ends a segment
    with it (followed by `:` or at the very end)."""
    out: list[str] = []
    for index, (text, wild) in enumerate(pieces):
        if not wild:
            out.append(re.escape(text))
            continue
        last_piece = index == len(pieces) - 1
        for position, char in enumerate(text):
            if char == "*":
                following = text[position + 1 : position + 2]
                ends_segment = following == ":" or (not following and last_piece)
                out.append(".*" if ends_segment else "[^:]*")
            elif char == "?":
                out.append("[^:]")
            else:
                out.append(re.escape(char))
    return "".join(out)


def arn_pieces_matcher(pieces: Sequence[tuple[str, bool]]) -> Callable[[str], bool] | None:
    """The ArnEquals/ArnLike test for a value given as pieces, or None when it does not have six
    colon-separated parts. Colons split the value wherever they come from, substituted text included."""
    parts: list[list[tuple[str, bool]]] = [[]]
    for text, wild in pieces:
        chunks = text.split(":")
        for number, chunk in enumerate(chunks):
            if number and len(parts) < ARN_PARTS:
                parts.append([])
            elif number:
                parts[-1].append((":", False))
            parts[-1].append((chunk, wild))
    if len(parts) != ARN_PARTS:
        return None
    regexes = tuple(re.compile(glob_pieces_source(part), re.DOTALL) for part in parts)
    return _arn_parts_matcher(regexes)


@lru_cache(maxsize=4096)
def arn_condition_matcher(pattern: str) -> Callable[[str], bool]:
    """The ArnEquals/ArnLike test for one condition value: six components, each a glob."""
    parts = pattern.split(":", ARN_PARTS - 1)
    if len(parts) != ARN_PARTS:
        raise InvalidPolicyError(f"ARN condition value {pattern!r} is not an ARN (expected six colon-separated parts)")
    return _arn_parts_matcher(tuple(glob_regex(part, ignore_case=False) for part in parts))


def _arn_parts_matcher(regexes: tuple[re.Pattern[str], ...]) -> Callable[[str], bool]:
    def matches(value: str) -> bool:
        value_parts = value.split(":", ARN_PARTS - 1)
        if len(value_parts) != ARN_PARTS:
            return False
        return all(regex.fullmatch(part) is not None for regex, part in zip(regexes, value_parts, strict=True))

    return matches
