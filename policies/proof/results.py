"""The sweep's allowed requests reduced to grants with `when` conditions: what access.yaml lists."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from policies.proof.sweep import Sweeper
from policies.proof.universe import Universe


def summarize_when(
    swept: Iterable[tuple[tuple[str, str], ...]], allowed: Iterable[tuple[tuple[str, str], ...]]
) -> dict[str, list[str]]:
    """The context condition of an allowed pair: per dimension the values that allow it, dimensions that
    never matter left out. It is exact: the swept variants whose every value is listed are exactly the
    allowed ones. (The request parameters are not swept in every combination, parameters.py, so the
    allowed variants are compared with the swept ones, not with a product.) When no such per-dimension
    condition is exact, the allowed combinations are listed under `one_of`."""
    variants = set(allowed)
    swept_list = list(swept)
    names = [name for name, _ in swept_list[0]] if swept_list else []
    values_of = {name: list(dict.fromkeys(dict(v)[name] for v in swept_list)) for name in names}
    allowed_of = {name: {dict(v)[name] for v in variants} for name in names}
    matching = {v for v in swept_list if all(value in allowed_of[name] for name, value in v)}
    if matching != variants:
        return {"one_of": sorted(",".join(f"{k}={v}" for k, v in variant) for variant in variants)}
    return {name: sorted(allowed_of[name]) for name in names if len(allowed_of[name]) != len(values_of[name])}


def when_key(when: dict[str, list[str]]) -> str:
    """A canonical one-line form of a `when` condition, for comparing and printing."""
    return "; ".join(f"{dim}={'|'.join(values)}" for dim, values in sorted(when.items())) or "always"


@dataclass(frozen=True)
class Grant:
    """One allowed (principal, view, action, resource, when) of the matrix."""

    principal: str
    view: str
    action: str
    resource: str
    when: str


@dataclass
class ProofResult:
    """The grants the sweep found, each with the statements that allowed it, and what finding them cost."""

    grants: dict[Grant, tuple[str, ...]]  # grant -> the statements that allowed it (one variant)
    decisions: int
    seconds: float


def run_proof(universe: Universe, sweeper: Sweeper | None = None, **kwargs: Any) -> ProofResult:
    """Sweep and reduce to grants (with `when` conditions) and their allowing statements."""
    sweeper = sweeper or Sweeper(universe)
    before = sweeper.decisions
    started = time.perf_counter()
    raw = sweeper.sweep(**kwargs)
    seconds = time.perf_counter() - started
    by_id = {p.id: p for p in universe.principals}
    targets = {r.symbol: r for r in universe.resources}
    grants: dict[Grant, tuple[str, ...]] = {}
    for (principal_id, view), pairs in raw.items():
        who = by_id[principal_id]
        for (action, symbol_), variants in pairs.items():
            target = targets.get(symbol_) or sweeper.star(action.split(":", 1)[0], who.account or "")
            swept = [labels for labels, _ in sweeper.variants(who, action, target)]
            when = when_key(summarize_when(swept, variants))
            first = variants[min(variants)]
            grants[Grant(principal_id, view, action, symbol_, when)] = tuple(str(ref) for ref in first.statements)
    return ProofResult(grants, sweeper.decisions - before, seconds)
