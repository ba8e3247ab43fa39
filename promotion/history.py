"""The audit trail in SSM Parameter Store, and the per-environment live records next to it.

History: each decision, promotion and deploy overwrites `naming.history_parameter(model)` with one JSON
record, so the parameter's versions are the trail (SSM serialises writes; a concurrent append is another
version, never a lost one). Parameter Store keeps the newest 100 versions of a parameter.

Live records: `naming.live_record_parameter(model, env)` in shared services holds the ARN a deploy verified
live in `env`; the chain gate reads it in one call, however long the history grows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from accounts import naming

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient


class HistoryAction(StrEnum):
    """What a history record says happened."""

    REGISTERED = "registered"  # read from the registry itself, never stored in the history
    APPROVED = "approved"
    REJECTED = "rejected"
    PROMOTION_PROPOSED = "promotion-proposed"
    ROLLBACK_PROPOSED = "rollback-proposed"
    DEPLOYED = "deployed"


# GetParameters accepts at most 10 names per call.
GET_PARAMETERS_BATCH = 10
HISTORY_PAGE = 50


def utc_now() -> str:
    """Now in UTC, ISO 8601 to the second, e.g. 2026-11-22T10:15:00Z."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class HistoryRecord:
    """One entry of the trail: who did what, when, why, to which ARN, in which account and environment."""

    who: str
    when: str
    action: HistoryAction
    reason: str
    arn: str
    account: str
    env: str | None

    def as_dict(self) -> dict[str, Any]:
        """The record as plain data (JSON output, and the stored form)."""
        return asdict(self)

    def to_json(self) -> str:
        """The stored form: compact JSON with sorted keys."""
        return json.dumps(self.as_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_value(cls, value: str) -> HistoryRecord | None:
        """Parse a parameter value; None for a value that is not a record (e.g. the stack's initial one)."""
        try:
            data = json.loads(value)
        except json.JSONDecodeError:
            return None
        if not isinstance(data, dict) or not {"action", "arn", "when"} <= data.keys():
            return None
        if data["action"] not in set(HistoryAction):
            return None
        return cls(
            who=str(data.get("who", "")),
            when=str(data["when"]),
            action=HistoryAction(data["action"]),
            reason=str(data.get("reason", "")),
            arn=str(data["arn"]),
            account=str(data.get("account", "")),
            env=None if data.get("env") is None else str(data["env"]),
        )


def _parameter_missing(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code", "")) == "ParameterNotFound"


class History:
    """The history of one model, in the shared-services account's Parameter Store."""

    def __init__(self, client: SSMClient, model: str) -> None:
        self.client = client
        self.model = model
        self.name = naming.history_parameter(model)

    def append(self, record: HistoryRecord) -> int:
        """Add `record` as the parameter's next version; returns that version number."""
        response = self.client.put_parameter(
            Name=self.name, Value=record.to_json(), Type="String", Overwrite=True, Tier="Standard"
        )
        return int(response["Version"])

    def read(self) -> list[HistoryRecord]:
        """Every record still held, oldest first."""
        records: list[tuple[int, HistoryRecord]] = []
        paginator = self.client.get_paginator("get_parameter_history")
        try:
            for page in paginator.paginate(Name=self.name, PaginationConfig={"PageSize": HISTORY_PAGE}):
                for version in page.get("Parameters", []):
                    record = HistoryRecord.from_value(str(version.get("Value", "")))
                    if record is not None:
                        records.append((int(version.get("Version", 0)), record))
        except ClientError as exc:
            if _parameter_missing(exc):
                return []
            raise
        return [record for _, record in sorted(records, key=lambda item: item[0])]

    def deployed_arns(self, env: str, records: Iterable[HistoryRecord] | None = None) -> list[str]:
        """ARNs recorded as deployed in `env`, oldest first (a version may appear more than once)."""
        trail = self.read() if records is None else records
        return [record.arn for record in trail if record.action == HistoryAction.DEPLOYED and record.env == env]


class LiveRecords:
    """What each deploy verified live, per model and environment, in shared services."""

    def __init__(self, client: SSMClient) -> None:
        self.client = client

    def get(self, model: str, env: str) -> str | None:
        """The ARN live in `env`, or None when nothing was ever deployed there."""
        try:
            response = self.client.get_parameter(Name=naming.live_record_parameter(model, env))
        except ClientError as exc:
            if _parameter_missing(exc):
                return None
            raise
        return str(response["Parameter"].get("Value", "")) or None

    def get_many(self, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """Live ARNs of many (model, env) pairs, ten names per GetParameters call; absent pairs left out."""
        by_name = {naming.live_record_parameter(model, env): (model, env) for model, env in pairs}
        names = list(by_name)
        found: dict[tuple[str, str], str] = {}
        for start in range(0, len(names), GET_PARAMETERS_BATCH):
            response = self.client.get_parameters(Names=names[start : start + GET_PARAMETERS_BATCH])
            for parameter in response.get("Parameters", []):
                found[by_name[str(parameter["Name"])]] = str(parameter.get("Value", ""))
        return found

    def put(self, model: str, env: str, arn: str) -> None:
        self.client.put_parameter(
            Name=naming.live_record_parameter(model, env),
            Value=arn,
            Type="String",
            Overwrite=True,
            Tier="Standard",
        )
