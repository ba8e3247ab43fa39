"""EventBridge rules whose targets include a Lambda function.

moto delivers events to SQS, CloudWatch Logs, archives and other buses, and raises NotImplementedError
for any other target, which fails the API call that emitted the event (here CreateModelPackage, once the
approval workflow's rule targets its notify Lambda). EventBridge delivers to each target independently
(EventBridge User Guide, "Event bus targets"). moto runs no Lambda without Docker, so the sandbox records
each event a Lambda target would have received, delivers the other targets as moto does, and fails nothing.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from moto.events import models as _events_models
from moto.utilities.arns import parse_arn

from sandbox.moto_compat.wrapping import wrap

events_models: Any = _events_models


def lambda_deliveries(account: str, region: str) -> list[tuple[str, dict[str, Any]]]:
    """(function ARN, event) for each event a rule in `account` matched for a Lambda target, oldest first."""
    backend = events_models.events_backends[account][region]
    if not hasattr(backend, "compat_lambda_deliveries"):
        backend.compat_lambda_deliveries = []
    deliveries: list[tuple[str, dict[str, Any]]] = backend.compat_lambda_deliveries
    return deliveries


def _send_to_targets(
    inner: Callable[..., None], self: Any, original_event: dict[str, Any], transform_input: bool = True
) -> None:
    """Rule.send_to_targets: Lambda targets are recorded; the others are delivered by moto."""
    functions = [t for t in self.targets if parse_arn(t["Arn"]).service == "lambda"]
    if not functions:
        inner(self, original_event, transform_input)
        return
    if not self.event_pattern.matches_event(original_event):
        return
    deliveries = lambda_deliveries(self.account_id, self.region_name)
    deliveries.extend((target["Arn"], copy.deepcopy(original_event)) for target in functions)
    others = [t for t in self.targets if t not in functions]
    if others:
        rule = copy.copy(self)
        rule.targets = others
        inner(rule, original_event, transform_input)


def install_lambda_targets() -> None:
    """Record what a rule delivers to a Lambda target instead of failing the call that emitted the event."""
    wrap(events_models.Rule, "send_to_targets", _send_to_targets)
