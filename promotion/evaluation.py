"""The evaluation report a training run writes, and the lineage a version records about its training.

The report follows the shape of SageMaker's model quality statistics (Model Monitor's
`binary_classification_metrics`, each metric `{"value": x, "standard_deviation": "NaN"}`): the registry's
ModelMetrics.ModelQuality.Statistics points at it (ContentType application/json), and the pipeline's
ConditionStep reads a metric with JsonGet at `binary_classification_metrics.<metric>.value`. A version
registered with a report takes its metrics from the report; one registered with `--metric` carries
numbers its registrant typed, which every view calls self-reported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from accounts.config import ModelSpec
from accounts.validation import InputError
from promotion.errors import ModelOpsError

SECTION = "binary_classification_metrics"
REPORT_FILE = "evaluation.json"
REPORT_CONTENT_TYPE = "application/json"
SELF_REPORTED = "self-reported"


def json_path(metric: str) -> str:
    """Where `metric`'s value sits in the report, as the ConditionStep's JsonGet names it."""
    return f"{SECTION}.{metric}.value"


def report_metrics(text: str, source: str) -> dict[str, float]:
    """The metric values of an evaluation report; InputError naming `source` when it is not one."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{source}: not valid JSON (line {exc.lineno}): {exc.msg}") from None
    section = document.get(SECTION) if isinstance(document, dict) else None
    if not isinstance(section, dict) or not section:
        raise InputError(f"{source}: not an evaluation report; expected a {SECTION} object")
    values: dict[str, float] = {}
    for name, entry in section.items():
        value = entry.get("value") if isinstance(entry, dict) else None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError(f"{source}: {SECTION}.{name}.value is not a number")
        values[str(name)] = float(value)
    return values


def condition_failures(model: ModelSpec, values: dict[str, float]) -> list[str]:
    """Each way `values` misses `model`'s training condition (the pipeline's ConditionStep), one line each."""
    failures: list[str] = []
    condition = model.training.condition if model.training else {}
    for metric, threshold in sorted(condition.items()):
        value = values.get(metric)
        where = f"{model.name}'s training condition"
        if value is None:
            failures.append(f"the evaluation report has no {metric}; {where} requires {threshold.text()}")
        elif threshold.min is not None and value < threshold.min:
            failures.append(f"{metric} {value:g} is below {where} min {threshold.min:g}")
        elif threshold.max is not None and value > threshold.max:
            failures.append(f"{metric} {value:g} is above {where} max {threshold.max:g}")
    return failures


@dataclass(frozen=True)
class DataLineage:
    """The data a version was trained on: its location (an S3 URI, or a bundled data set's name) and its
    version (the S3 version id, or `sha256:<hex>` of the data's content)."""

    location: str
    version: str


class ConditionNotMet(ModelOpsError):
    """The evaluation missed the model's training condition: the pipeline's else branch; nothing registered."""

    def __init__(self, failures: list[str]) -> None:
        super().__init__("\n".join(f"evaluation below the condition: {line}; not registered" for line in failures))
        self.failures = failures


def require_condition(model: ModelSpec, values: dict[str, float]) -> None:
    """Raise ConditionNotMet when `values` miss `model`'s training condition (a model without one has none)."""
    failures = condition_failures(model, values)
    if failures:
        raise ConditionNotMet(failures)
