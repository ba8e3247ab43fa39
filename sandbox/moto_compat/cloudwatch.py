"""CloudWatch alarm history: DescribeAlarmHistory's StateUpdate items, as AWS records them.

moto 5.2.5 has no DescribeAlarmHistory (the call fails as not implemented), and what it keeps of an alarm's past
(`Alarm.history`) is the state each update replaced, lost when the alarm is deleted. AWS records a StateUpdate
history item each time an alarm changes state, with `HistorySummary` "Alarm updated from OK to ALARM" and
`HistoryData` the JSON of the old and new state, and "retains the history of an alarm even if you delete the
alarm" (DescribeAlarmHistory reference). The sandbox records each change of state on the account's backend, by
alarm name, and answers DescribeAlarmHistory from it: filtered by AlarmName, HistoryItemType, StartDate and
EndDate, newest first unless ScanBy says TimestampAscending, MaxRecords per page (default and most 100) with a
NextToken. Only StateUpdate items are recorded: the sandbox keeps no ConfigurationUpdate or Action items, so a
request for those gets none (the soak gate asks for StateUpdate only).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from moto.cloudwatch import models as _models
from moto.cloudwatch import responses as _responses
from moto.cloudwatch.exceptions import InvalidParameterValue
from moto.core.responses import ActionResult
from moto.core.utils import utcnow

from sandbox.moto_compat.wrapping import wrap

cloudwatch_models: Any = _models
cloudwatch_responses: Any = _responses

STATE_UPDATE = "StateUpdate"
MAX_RECORDS = 100


@dataclass(frozen=True)
class HistoryItem:
    """One StateUpdate item of an alarm's history."""

    alarm: str
    timestamp: datetime
    old: str
    new: str
    old_reason: str
    new_reason: str

    def as_response(self) -> dict[str, Any]:
        data = {
            "version": "1.0",
            "oldState": {"stateValue": self.old, "stateReason": self.old_reason},
            "newState": {"stateValue": self.new, "stateReason": self.new_reason},
        }
        return {
            "AlarmName": self.alarm,
            "AlarmType": "MetricAlarm",
            "Timestamp": self.timestamp,
            "HistoryItemType": STATE_UPDATE,
            "HistorySummary": f"Alarm updated from {self.old} to {self.new}",
            "HistoryData": json.dumps(data),
        }


def alarm_history(backend: Any) -> list[HistoryItem]:
    """Every state change of every alarm of `backend` (one account and region), oldest first."""
    if not hasattr(backend, "compat_alarm_history"):
        backend.compat_alarm_history = []
    history: list[HistoryItem] = backend.compat_alarm_history
    return history


def _set_alarm_state(
    inner: Callable[..., None], self: Any, alarm_name: str, reason: str, reason_data: str, state_value: str
) -> None:
    """SetAlarmState (and moto's own evaluation, which calls it): a change of state is a history item."""
    alarm = self.alarms.get(alarm_name)
    old_value, old_reason = (alarm.state_value, alarm.state_reason) if alarm is not None else (None, "")
    inner(self, alarm_name, reason, reason_data, state_value)
    if old_value is not None and old_value != state_value:
        alarm_history(self).append(HistoryItem(alarm_name, utcnow(), old_value, state_value, old_reason, reason))


def _parse_date(value: Any) -> datetime | None:
    """A request's date as moto keeps times: naive, in UTC."""
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


def describe_alarm_history(self: Any) -> ActionResult:
    """CloudWatchResponse.describe_alarm_history: the backend's recorded items, filtered and paged."""
    name = self._get_param("AlarmName")
    kind = self._get_param("HistoryItemType")
    start, end = _parse_date(self._get_param("StartDate")), _parse_date(self._get_param("EndDate"))
    ascending = self._get_param("ScanBy") == "TimestampAscending"
    limit = int(self._get_param("MaxRecords") or MAX_RECORDS)
    if not 1 <= limit <= MAX_RECORDS:
        raise InvalidParameterValue(f"The value {limit} for parameter MaxRecords is not valid.")
    offset = int(self._get_param("NextToken") or 0)
    items = [
        item
        for item in alarm_history(self.cloudwatch_backend)
        if (name is None or item.alarm == name)
        and (kind is None or kind == STATE_UPDATE)
        and (start is None or item.timestamp >= start)
        and (end is None or item.timestamp <= end)
    ]
    items.sort(key=lambda item: item.timestamp, reverse=not ascending)
    page = items[offset : offset + limit]
    result: dict[str, Any] = {"AlarmHistoryItems": [item.as_response() for item in page]}
    if offset + limit < len(items):
        result["NextToken"] = str(offset + limit)
    return ActionResult(result)


def install_alarm_history() -> None:
    """Record each alarm's changes of state, and answer DescribeAlarmHistory from them."""
    wrap(cloudwatch_models.CloudWatchBackend, "set_alarm_state", _set_alarm_state)
    cloudwatch_responses.CloudWatchResponse.describe_alarm_history = describe_alarm_history
