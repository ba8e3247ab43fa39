"""SNS and SQS types moto's CloudFormation skips: a topic's subscription, and topic and queue policies."""

from __future__ import annotations

from typing import Any

from moto.sns import models as _sns_models
from moto.sqs import models as _sqs_models

from sandbox.moto_compat.cfn_resources.base import BackendResource, policy_text

sns_backends: Any = _sns_models.sns_backends
sqs_backends: Any = _sqs_models.sqs_backends


# The subscription attributes AWS::SNS::Subscription sets, in the order SetSubscriptionAttributes needs them:
# the scope before the filter policy it scopes (moto validates a policy against the scope already set).
_SUBSCRIPTION_ATTRIBUTES = ("FilterPolicyScope", "FilterPolicy", "RawMessageDelivery", "RedrivePolicy")


def _attribute_text(value: Any) -> str:
    """A subscription attribute as SetSubscriptionAttributes takes it: policies as JSON, booleans as "true"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return policy_text(value) if isinstance(value, dict) else str(value)


class SnsSubscriptionResource(BackendResource):
    """AWS::SNS::Subscription with its FilterPolicy, FilterPolicyScope, RawMessageDelivery and RedrivePolicy
    (AWS::SNS::Subscription, CloudFormation Template Reference). Ref returns the subscription ARN."""

    resource_type = "AWS::SNS::Subscription"

    @classmethod
    def make(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> str:
        backend = sns_backends[account_id][region_name]
        subscription = backend.subscribe(properties["TopicArn"], properties.get("Endpoint"), properties["Protocol"])
        for attribute in _SUBSCRIPTION_ATTRIBUTES:
            value = properties.get(attribute)
            if value is None:
                continue
            backend.set_subscription_attributes(subscription.arn, attribute, _attribute_text(value))
        return str(subscription.arn)

    def remove(self) -> None:
        sns_backends[self.account_id][self.region_name].unsubscribe(self.physical_id)


class TopicPolicyResource(BackendResource):
    """AWS::SNS::TopicPolicy: PolicyDocument becomes the Policy attribute of each of Topics."""

    resource_type = "AWS::SNS::TopicPolicy"

    @classmethod
    def make(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> str:
        for topic in properties["Topics"]:
            sns_backends[account_id][region_name].set_topic_attribute(
                topic, "policy", policy_text(properties["PolicyDocument"])
            )
        return name

    def remove(self) -> None:
        return None  # the topic keeps its last policy until it is deleted; nothing reads it back


class QueuePolicyResource(BackendResource):
    """AWS::SQS::QueuePolicy: PolicyDocument becomes the Policy attribute of each queue in Queues (URLs)."""

    resource_type = "AWS::SQS::QueuePolicy"

    @classmethod
    def make(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> str:
        for queue_url in properties["Queues"]:
            sqs_backends[account_id][region_name].set_queue_attributes(
                queue_url.rsplit("/", 1)[-1], {"Policy": policy_text(properties["PolicyDocument"])}
            )
        return name

    def remove(self) -> None:
        return None
