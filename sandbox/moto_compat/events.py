"""EventBridge rules whose targets include a Lambda function.

moto delivers events to SQS, CloudWatch Logs, archives and other buses, and raises NotImplementedError
for any other target, which fails the API call that emitted the event (here CreateModelPackage, once the
approval workflow's rule targets its notify Lambda). EventBridge delivers to each target independently
(EventBridge User Guide, "Event bus targets"). moto runs no Lambda without Docker, so the sandbox records
each event a Lambda target would have received, delivers the other targets as moto does, and fails nothing.
"""

from __future__ import annotations

import copy
from typing import Any

from moto.events import models as _events_models
from moto.utilities.arns import parse_arn

events_models: Any = _events_models

_original: dict[str, Any] = {}


def lambda_deliveries(account: str, region: str) -> list[tuple[str, dict[str, Any]]]:
    """(function ARN, event) for each event a rule in `account` matched for a Lambda target, oldest first."""
    backend = events_models.events_backends[account][region]
    if not hasattr(backend, "compat_lambda_deliveries"):
        backend.compat_lambda_deliveries = []
    deliveries: list[tuple[str, dict[str, Any]]] = backend.compat_lambda_deliveries
    return deliveries


def send_to_targets(self: Any, original_event: dict[str, Any], transform_input: bool = True) -> None:
    """Rule.send_to_targets: Lambda targets are recorded; the others are delivered by moto."""
    functions = [t for t in self.targets if parse_arn(t["Arn"]).service == "lambda"]
    if not functions:
        _original["send_to_targets"](self, original_event, transform_input)
        return
    if not self.event_pattern.matches_event(original_event):
        return
    deliveries = lambda_deliveries(self.account_id, self.region_name)
    deliveries.extend((target["Arn"], copy.deepcopy(original_event)) for target in functions)
    others = [t for t in self.targets if t not in functions]
    if others:
        rule = copy.copy(self)
        rule.targets = others
        _original["send_to_targets"](rule, original_event, transform_input)


def apply() -> None:
    """Install the EventBridge patch (idempotent)."""
    if _original:
        return
    _original["send_to_targets"] = events_models.Rule.send_to_targets
    events_models.Rule.send_to_targets = send_to_targets
