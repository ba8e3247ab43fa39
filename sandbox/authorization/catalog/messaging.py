"""SNS, SQS, EventBridge, CloudWatch Logs and CloudWatch.

- SNS topics and SQS queues by ARN (a queue URL names its account and queue); the topic and queue
  policies govern them.
- EventBridge PutEvents on each entry's bus (`event-bus/<name>`, `default` when unnamed), with
  events:source and events:detail-type, which the Service Authorization Reference types as multivalued
  (ArrayOfString): every entry's value is in the list.
- CloudWatch Logs: `log-group:<group>:log-stream:<stream>`; CloudWatch metrics name no resource.
"""

from __future__ import annotations

from typing import Any

from moto.sns.models import sns_backends

from sandbox.authorization.calls import Call
from sandbox.authorization.catalog.common import Check, Mapper, Scope, arn_account, everywhere, param
from sandbox.authorization.catalog.data import key_aliases, key_arn


def topic_call(action: str, key: str = "TopicArn") -> Mapper:
    """SNS operations on the topic (a subscription's on its topic); Publish also the topic key's KMS calls."""

    def mapper(call: Call, scope: Scope) -> list[Check]:
        arn = str(param(call, key))
        if key == "SubscriptionArn":
            arn = arn.rsplit(":", 1)[0]  # a subscription is authorized on its topic
        checks = [Check(action, arn, arn_account(arn))]
        if action == "sns:Publish":
            checks += _publish_key_checks(arn, scope)
        return checks

    return mapper


def _publish_key_checks(topic_arn: str, scope: Scope) -> list[Check]:
    """Publishing to an encrypted topic: "the publisher must have the kms:GenerateDataKey* and kms:Decrypt
    permissions" on its key, which SNS uses on the publisher's behalf ("Data encryption", SNS developer guide)."""
    parts = topic_arn.split(":")
    if len(parts) < 6:
        return []
    topic = sns_backends[parts[4]][parts[3]].topics.get(topic_arn)
    key_id = getattr(topic, "kms_master_key_id", "") if topic is not None else ""
    if not key_id:
        return []
    arn, account = key_arn(Scope(parts[4], parts[3], scope.partition), str(key_id))
    context: dict[str, Any] = {
        "kms:ViaService": f"sns.{parts[3]}.amazonaws.com",
        "kms:ResourceAliases": key_aliases(arn),
    }
    return [Check("kms:GenerateDataKey", arn, account, context), Check("kms:Decrypt", arn, account, context)]


def create_topic(call: Call, scope: Scope) -> list[Check]:
    """CreateTopic on the new topic's ARN."""
    return [Check("sns:CreateTopic", scope.arn("sns", str(param(call, "Name"))), scope.account)]


SNS: dict[str, Mapper] = {
    **{
        operation: topic_call(f"sns:{operation}")
        for operation in (
            "Publish",
            "Subscribe",
            "GetTopicAttributes",
            "SetTopicAttributes",
            "ListSubscriptionsByTopic",
            "DeleteTopic",
        )
    },
    "GetSubscriptionAttributes": topic_call("sns:GetSubscriptionAttributes", "SubscriptionArn"),
    "Unsubscribe": topic_call("sns:Unsubscribe", "SubscriptionArn"),
    "CreateTopic": create_topic,
    "ListTopics": everywhere("sns:ListTopics"),
}


def _queue(scope: Scope, url: str) -> tuple[str, str]:
    account, name = url.rstrip("/").split("/")[-2:]
    return scope.arn("sqs", name, account=account), account


def queue_call(action: str) -> Mapper:
    """SQS operations on the queue its URL or name and owner give."""

    def mapper(call: Call, scope: Scope) -> list[Check]:
        if "QueueUrl" in call.params:
            return [Check(action, *_queue(scope, str(call.params["QueueUrl"])))]
        account = call.params.get("QueueOwnerAWSAccountId") or scope.account
        return [Check(action, scope.arn("sqs", str(param(call, "QueueName")), account=account), account)]

    return mapper


SQS: dict[str, Mapper] = {
    operation: queue_call(f"sqs:{operation}")
    for operation in (
        "CreateQueue",
        "GetQueueUrl",
        "GetQueueAttributes",
        "SetQueueAttributes",
        "SendMessage",
        "ReceiveMessage",
        "DeleteMessage",
        "PurgeQueue",
        "DeleteQueue",
    )
}


def _bus(scope: Scope, name: str | None) -> tuple[str, str]:
    if name and name.startswith("arn:"):
        return name, arn_account(name)
    return scope.arn("events", f"event-bus/{name or 'default'}"), scope.account


def put_events(call: Call, scope: Scope) -> list[Check]:
    """PutEvents: one check per bus, events:source and events:detail-type listing every entry's value."""
    by_bus: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for entry in param(call, "Entries"):
        by_bus.setdefault(_bus(scope, entry.get("EventBusName")), []).append(entry)
    checks = []
    for (arn, account), entries in by_bus.items():
        context = {
            "events:source": [str(entry.get("Source", "")) for entry in entries],
            "events:detail-type": [str(entry.get("DetailType", "")) for entry in entries],
        }
        checks.append(Check("events:PutEvents", arn, account, context))
    return checks


def rule_call(action: str) -> Mapper:
    """EventBridge rule operations on the rule's ARN."""

    def mapper(call: Call, scope: Scope) -> list[Check]:
        name = str(param(call, "Name") if "Name" in call.params else param(call, "Rule"))
        bus = call.params.get("EventBusName")
        path = f"rule/{bus}/{name}" if bus and bus != "default" else f"rule/{name}"
        return [Check(action, scope.arn("events", path), scope.account)]

    return mapper


EVENTS: dict[str, Mapper] = {
    "PutEvents": put_events,
    **{
        operation: rule_call(f"events:{operation}")
        for operation in ("PutRule", "PutTargets", "DescribeRule", "DeleteRule", "RemoveTargets", "ListTargetsByRule")
    },
}


def stream_call(action: str) -> Mapper:
    """CloudWatch Logs operations on the log stream's ARN."""

    def mapper(call: Call, scope: Scope) -> list[Check]:
        group, stream = param(call, "logGroupName"), param(call, "logStreamName")
        return [Check(action, scope.arn("logs", f"log-group:{group}:log-stream:{stream}"), scope.account)]

    return mapper


def group_call(action: str) -> Mapper:
    """Operations on the named group's ARN."""

    def mapper(call: Call, scope: Scope) -> list[Check]:
        return [Check(action, scope.arn("logs", f"log-group:{param(call, 'logGroupName')}"), scope.account)]

    return mapper


LOGS: dict[str, Mapper] = {
    "CreateLogStream": stream_call("logs:CreateLogStream"),
    "PutLogEvents": stream_call("logs:PutLogEvents"),
    "CreateLogGroup": group_call("logs:CreateLogGroup"),
    "DescribeLogStreams": group_call("logs:DescribeLogStreams"),
    "GetLogEvents": stream_call("logs:GetLogEvents"),
    "FilterLogEvents": group_call("logs:FilterLogEvents"),
    "DescribeLogGroups": everywhere("logs:DescribeLogGroups"),
}


def put_metric_data(call: Call, scope: Scope) -> list[Check]:
    """PutMetricData, which names no resource, with cloudwatch:namespace."""
    return [
        Check("cloudwatch:PutMetricData", "*", scope.account, {"cloudwatch:namespace": str(param(call, "Namespace"))})
    ]


def describe_alarms(call: Call, scope: Scope) -> list[Check]:
    """DescribeAlarms on each alarm named (all alarms when none is)."""
    names = call.params.get("AlarmNames") or ["*"]
    return [
        Check("cloudwatch:DescribeAlarms", scope.arn("cloudwatch", f"alarm:{name}"), scope.account) for name in names
    ]


def describe_alarm_history(call: Call, scope: Scope) -> list[Check]:
    """DescribeAlarmHistory on the alarm named (all alarms when none is)."""
    name = call.params.get("AlarmName") or "*"
    return [Check("cloudwatch:DescribeAlarmHistory", scope.arn("cloudwatch", f"alarm:{name}"), scope.account)]


CLOUDWATCH: dict[str, Mapper] = {
    "GetMetricData": everywhere("cloudwatch:GetMetricData"),
    "GetMetricStatistics": everywhere("cloudwatch:GetMetricStatistics"),
    "ListMetrics": everywhere("cloudwatch:ListMetrics"),
    "PutMetricData": put_metric_data,
    "DescribeAlarms": describe_alarms,
    "DescribeAlarmHistory": describe_alarm_history,
    "SetAlarmState": lambda call, scope: [
        Check("cloudwatch:SetAlarmState", scope.arn("cloudwatch", f"alarm:{param(call, 'AlarmName')}"), scope.account)
    ],
    "DeleteAlarms": lambda call, scope: [
        Check("cloudwatch:DeleteAlarms", scope.arn("cloudwatch", f"alarm:{name}"), scope.account)
        for name in param(call, "AlarmNames")
    ],
    "PutMetricAlarm": lambda call, scope: [
        Check("cloudwatch:PutMetricAlarm", scope.arn("cloudwatch", f"alarm:{param(call, 'AlarmName')}"), scope.account)
    ],
}
