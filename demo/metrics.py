"""The metrics the demo registers, derived from the model's gates in accounts.yaml.

A "good" version passes every environment's gate, so it can travel the whole chain; the rejected version
fails the first environment's gate where a bound can be failed, so its rejection has a reason the gates
agree with. A model with no gates gets a typical classifier's metric (`DEFAULT_BOUNDS`).
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.config import RATE_METRICS, ModelSpec

# Where a good value sits between a metric's bounds (or above/below its one bound), per version: v1 is good,
# v3 and v4 better, v5 in between. Fractions of the room a bound leaves, so any gate keeps them inside it.
QUALITY = {1: 0.4, 3: 0.55, 4: 0.55, 5: 0.47}
# A model without gates still reports a metric: an AUC, as most classifiers registered in SageMaker do.
DEFAULT_METRIC = "auc"
DEFAULT_LOW = 0.80
# How far past a bound the rejected version lands: a near miss, as a real retraining candidate would be.
MISS = 0.025
MIN_MISS = 0.02


# How approvers write the usual metrics in a reason; any other metric keeps its name.
LABELS = {
    "auc": "AUC",
    "f0_5": "F0.5",
    "f1": "F1",
    "f2": "F2",
    "false_negative_rate": "FNR",
    "false_positive_rate": "FPR",
    "true_negative_rate": "TNR",
    "true_positive_rate": "TPR",
}


def label(metric: str) -> str:
    """`metric` as a reason writes it: `AUC`, `FPR`, `recall`."""
    return LABELS.get(metric.lower(), metric)


class UnmeetableGates(ValueError):
    """No value of a metric meets every environment's gate (a `min` above another environment's `max`)."""


@dataclass(frozen=True)
class Bounds:
    """The strictest bounds on one metric across every environment's gate."""

    low: float | None
    high: float | None
    rate: bool

    def holds(self, value: float) -> bool:
        """`value` meets both bounds."""
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)


def chain_bounds(model: ModelSpec) -> dict[str, Bounds]:
    """Each gated metric's strictest bounds over the model's gates; UnmeetableGates naming the field when empty."""
    lows: dict[str, float] = {}
    highs: dict[str, float] = {}
    for requirements in model.gates.values():
        for metric, threshold in requirements.metrics.items():
            if threshold.min is not None:
                lows[metric] = max(threshold.min, lows.get(metric, threshold.min))
            if threshold.max is not None:
                highs[metric] = min(threshold.max, highs.get(metric, threshold.max))
    bounds = {
        metric: Bounds(lows.get(metric), highs.get(metric), metric.lower() in RATE_METRICS)
        for metric in sorted({*lows, *highs})
    }
    for metric, bound in bounds.items():
        if bound.low is not None and bound.high is not None and bound.low > bound.high:
            raise UnmeetableGates(
                f"gates.{metric}: no value meets every environment's gate of {model.name} "
                f"(min {bound.low:g} in one, max {bound.high:g} in another)"
            )
    return bounds or {DEFAULT_METRIC: Bounds(DEFAULT_LOW, None, rate=True)}


def _good(bound: Bounds, quality: float) -> float:
    if bound.low is not None and bound.high is not None:
        return bound.low + (bound.high - bound.low) * quality
    if bound.low is not None:
        room = 1 - bound.low if bound.rate else max(abs(bound.low), 1.0)
        return bound.low + room * quality
    assert bound.high is not None  # a Threshold has a bound
    if bound.rate or bound.high > 0:
        return bound.high * (1 - quality)
    return bound.high - quality


def _text(value: float, inside: bool, bound: Bounds) -> str:
    """`value` to two decimals, or more when rounding would cross a bound (`inside`: it must hold, else fail)."""
    for digits in range(2, 9):
        text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
        if bound.holds(float(text)) == inside:
            return text
    return repr(value)


def passing(model: ModelSpec, version: int) -> dict[str, str]:
    """Metric values for `version` that meet every environment's gate of `model`, as `--metric` writes them."""
    quality = QUALITY.get(version, QUALITY[1])
    return {metric: _text(_good(bound, quality), True, bound) for metric, bound in chain_bounds(model).items()}


def _miss(model: ModelSpec, env: str) -> tuple[str, float, str] | None:
    """The first bound of `env`'s gate a value can fail: (metric, value, what it misses), or None."""
    gate = model.gates.get(env)
    for metric, threshold in sorted(gate.metrics.items()) if gate else []:
        rate = metric.lower() in RATE_METRICS
        if threshold.min is not None:
            value = threshold.min - max(abs(threshold.min) * MISS, MIN_MISS)
            if not rate or value >= 0:
                return metric, value, f"below the {env} gate's minimum {threshold.min:g}"
        if threshold.max is not None:
            value = threshold.max + max(abs(threshold.max) * MISS, MIN_MISS)
            if not rate or value <= 1:
                return metric, value, f"above the {env} gate's maximum {threshold.max:g}"
    return None


def rejected(model: ModelSpec, env: str, version: int) -> tuple[dict[str, str], str | None]:
    """Metric values that fail `env`'s gate on one metric (the others are good), and the reason an approver
    gives; the reason is None when `env`'s gate has no bound a value can fail."""
    values = passing(model, version)
    miss = _miss(model, env)
    if miss is None:
        return values, None
    metric, value, what = miss
    threshold = model.gates[env].metrics[metric]
    values[metric] = _text(value, False, Bounds(threshold.min, threshold.max, metric.lower() in RATE_METRICS))
    return values, f"{label(metric)} {values[metric]} is {what}"
