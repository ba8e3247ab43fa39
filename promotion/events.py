"""After a verified deploy: the endpoint's metrics go to the next environment's approvers.

The pipeline's post-deploy step calls `notify_next_environment`. It reads the endpoint's CloudWatch metrics
in the workload account (operator role) and puts one "ModelOps Deploy Verified" event on the
shared-services default bus (promoter role). The approval workflow's rule hands that event to the notify
Lambda, which holds the review-token key and emails the next environment's approvers their review links;
the pipeline never sees the key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from accounts import naming
from accounts.config import OrgConfig

if TYPE_CHECKING:
    from typing import Protocol, Unpack

    from mypy_boto3_cloudwatch.type_defs import (
        DimensionTypeDef,
        GetMetricDataInputTypeDef,
        GetMetricDataOutputTypeDef,
        MetricDataQueryTypeDef,
    )
    from mypy_boto3_events.type_defs import PutEventsRequestTypeDef, PutEventsResponseTypeDef

    # The one call made on each client, declared as mypy-boto3's client declares it. Structural, because the
    # engine passes its error-wrapping proxies of the clients (promotion.release), not the clients themselves.
    class MetricsClient(Protocol):
        def get_metric_data(self, **kwargs: Unpack[GetMetricDataInputTypeDef]) -> GetMetricDataOutputTypeDef: ...

    class EventsClient(Protocol):
        def put_events(self, **kwargs: Unpack[PutEventsRequestTypeDef]) -> PutEventsResponseTypeDef: ...


PIPELINE_EVENT_SOURCE = "modelops.pipeline"
DEPLOY_VERIFIED = "ModelOps Deploy Verified"
MIN_WINDOW = timedelta(minutes=1)
# SageMaker's endpoint invocation metrics, each with the statistic that summarises a window.
ENDPOINT_METRICS = (
    ("Invocations", "Sum"),
    ("ModelLatency", "Average"),
    ("Invocation4XXErrors", "Sum"),
    ("Invocation5XXErrors", "Sum"),
)


class NotifyFailed(RuntimeError):
    """EventBridge did not accept the event; the message carries its error code."""


@dataclass(frozen=True)
class NextReview:
    """The review request that was asked for: which environment decides next, and the event id."""

    env: str
    event_id: str
    metrics: dict[str, float | None]


def collect_endpoint_metrics(
    cloudwatch: MetricsClient, *, model: str, start: datetime, end: datetime
) -> dict[str, float | None]:
    """Each endpoint metric over [start, end) as one value; None where CloudWatch has no data points.

    The window is at least a minute, CloudWatch's smallest period: a deploy that finished within the
    second it began would otherwise ask for StartTime equal to EndTime, which CloudWatch refuses.
    """
    start = min(start, end - MIN_WINDOW)
    seconds = max(60, int((end - start).total_seconds()) // 60 * 60)
    dimensions: list[DimensionTypeDef] = [
        {"Name": "EndpointName", "Value": naming.endpoint_name(model)},
        {"Name": "VariantName", "Value": naming.VARIANT_NAME},
    ]
    queries: list[MetricDataQueryTypeDef] = [
        {
            "Id": f"m{index}",
            "Label": name,
            "MetricStat": {
                "Metric": {
                    "Namespace": naming.ENDPOINT_METRICS_NAMESPACE,
                    "MetricName": name,
                    "Dimensions": dimensions,
                },
                "Period": seconds,
                "Stat": stat,
            },
            "ReturnData": True,
        }
        for index, (name, stat) in enumerate(ENDPOINT_METRICS)
    ]
    response = cloudwatch.get_metric_data(MetricDataQueries=queries, StartTime=start, EndTime=end)
    values: dict[str, float | None] = {name: None for name, _ in ENDPOINT_METRICS}
    for result in response.get("MetricDataResults", []):
        points = [float(v) for v in result.get("Values", [])]
        if points:
            name = ENDPOINT_METRICS[int(str(result["Id"])[1:])][0]
            values[name] = points[0] if len(points) == 1 else _combine(name, points)
    return values


def _combine(name: str, points: list[float]) -> float:
    statistic = dict(ENDPOINT_METRICS)[name]
    return sum(points) if statistic == "Sum" else sum(points) / len(points)


def put_pipeline_event(
    events: EventsClient, detail_type: str, detail: Mapping[str, Any], *, arn: str, what: str
) -> str:
    """Put one pipeline event about `arn` on the shared-services default bus; returns EventBridge's event id.

    NotifyFailed names `what` event EventBridge refused, with its error code and message."""
    response = events.put_events(
        Entries=[
            {
                "Source": PIPELINE_EVENT_SOURCE,
                "DetailType": detail_type,
                "Detail": json.dumps(detail, sort_keys=True),
                "Resources": [arn],
            }
        ]
    )
    entry = response["Entries"][0]
    if response.get("FailedEntryCount") or "EventId" not in entry:
        raise NotifyFailed(
            f"EventBridge refused the {what} event for {arn}: "
            f"{entry.get('ErrorCode', 'unknown')}: {entry.get('ErrorMessage', '')}"
        )
    return str(entry["EventId"])


def notify_next_environment(
    *,
    config: OrgConfig,
    events: EventsClient,
    cloudwatch: MetricsClient,
    model: str,
    env: str,
    arn: str,
    start: datetime,
    end: datetime,
) -> NextReview | None:
    """Ask the approvers of the environment after `env` to review `arn`, with its metrics in `env`.

    `events` is an EventBridge client of the shared-services account (the promoter role); `cloudwatch` a
    CloudWatch client of `env`'s workload account (the operator role). Returns None for the last
    environment of the chain, where nobody decides next.
    """
    following = config.next_environment(env)
    if following is None:
        return None
    metrics = collect_endpoint_metrics(cloudwatch, model=model, start=start, end=end)
    period = f"{start.strftime('%Y-%m-%d %H:%M')} to {end.strftime('%Y-%m-%d %H:%M')} UTC"
    detail = {"model": model, "env": env, "arn": arn, "metrics": metrics, "period": period}
    event_id = put_pipeline_event(events, DEPLOY_VERIFIED, detail, arn=arn, what="deploy-verified")
    return NextReview(env=following.name, event_id=event_id, metrics=metrics)
