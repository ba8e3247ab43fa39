"""What the soak gate reads: when a version went live in the environment before, and its alarms there since.

Live-since comes only from that environment's deploy records (`<model>/deploys/<env>`, which only its own
recorder role writes, from its own deploy workflow), never from anything a person can write. The alarms are
the endpoint's two rollback alarms (naming.rollback_alarm_name), read in that environment's workload account by
`modelops-soak-reader`, chained from the promoter (promote) or the verifier (verify): DescribeAlarms for the
state now, DescribeAlarmHistory (StateUpdate items since the version went live) for every entry into ALARM.
CloudWatch documents the history's retention loosely (older API references: two weeks), so soak_hours is capped
at 336 (accounts/config.py): the whole required soak is always within the history AWS returns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from accounts import naming
from accounts.config import OrgConfig
from promotion import gates
from promotion.aws import AwsContext, calling
from promotion.ledger import HistoryAction, Ledger

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

ALARM = "ALARM"


@dataclass(frozen=True)
class SoakEvidence:
    """What the soak gate of one version needs: when it went live before (None: not live there now), the
    alarms that fired since, and the time it was read."""

    live_since: datetime | None
    alarms: list[gates.AlarmFiring]
    now: datetime


def deploy_times(dynamodb: DynamoDBClient, model: str, env: str) -> list[tuple[str, datetime]]:
    """Each deploy record of `env` as (ARN, when), oldest first; a record whose time does not parse is left out
    (it cannot start a soak)."""
    times: list[tuple[str, datetime]] = []
    for record in Ledger(dynamodb, model).read(naming.deploys_stream(model, env)):
        if record.action != HistoryAction.DEPLOYED:
            continue
        try:
            moment = datetime.fromisoformat(record.when)
        except ValueError:
            continue
        times.append((record.arn, moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)))
    return times


def _entered_alarm(item: dict[str, Any]) -> bool:
    try:
        data = json.loads(item.get("HistoryData") or "{}")
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("newState", {}).get("stateValue") == ALARM


def alarm_firings(cloudwatch: Any, model: str, since: datetime) -> list[gates.AlarmFiring]:
    """The endpoint's rollback alarms that are in ALARM now, missing, or entered ALARM since `since`."""
    names = [naming.rollback_alarm_name(model, signal) for signal in naming.ROLLBACK_SIGNALS]
    found = {alarm["AlarmName"]: alarm for alarm in cloudwatch.describe_alarms(AlarmNames=names)["MetricAlarms"]}
    firings: list[gates.AlarmFiring] = []
    for name in names:
        if name not in found:
            firings.append(gates.AlarmFiring(name, None, missing=True))
            continue
        paginator = cloudwatch.get_paginator("describe_alarm_history")
        pages = paginator.paginate(AlarmName=name, HistoryItemType="StateUpdate", StartDate=since)
        items = [item for page in pages for item in page["AlarmHistoryItems"]]
        entries = sorted(item["Timestamp"] for item in items if _entered_alarm(item))
        firings += [gates.AlarmFiring(name, moment) for moment in entries if moment >= since]
        if found[name]["StateValue"] == ALARM and not entries:
            firings.append(gates.AlarmFiring(name, None))
    return firings


def soak_evidence(
    aws: AwsContext,
    config: OrgConfig,
    *,
    model: str,
    env: str,
    arn: str,
    dynamodb: DynamoDBClient,
    reader: str,
    via: str | None = None,
) -> SoakEvidence | None:
    """What `env`'s soak gate needs for `arn`, or None when `env` requires no soak. The deploy records are read
    with `dynamodb` (the caller's role); the alarms through the previous environment's soak reader, chained from
    role `reader` (itself from `via`), only when the version is live there."""
    previous = config.previous_environment(env)
    if previous is None or config.environment(env).soak_hours == 0:
        return None
    since = gates.live_since(deploy_times(dynamodb, model, previous.name), arn)
    if since is None:
        return SoakEvidence(None, [], datetime.now(UTC))
    reader_arn = naming.soak_reader_role_arn(config, previous.name)
    with calling(f"CloudWatch in {previous.name} (account {previous.account})", role=reader_arn):
        cloudwatch = aws.soak_reader(previous.name, reader=reader, via=via).client(
            "cloudwatch", region_name=config.region
        )
        alarms = alarm_firings(cloudwatch, model, since)
    return SoakEvidence(since, alarms, datetime.now(UTC))


def soak_failures(
    config: OrgConfig, model: str, env: str, arn: str, evidence: SoakEvidence | None
) -> list[gates.GateFailure]:
    """The soak gate on what `soak_evidence` read (nothing to check when it read nothing)."""
    if evidence is None:
        return []
    return gates.soak_failures(
        config, model, env, arn, live_since=evidence.live_since, now=evidence.now, alarms=evidence.alarms
    )
