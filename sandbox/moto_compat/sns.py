"""SNS email subscriptions: what each email subscriber receives, after its filter policy.

moto 5.2.5 delivers to SQS, HTTP and Lambda subscriptions and silently drops email: nothing records what an
email subscriber would receive. SNS sends a message to a subscription only when the message matches its
filter policy, applied to the message attributes unless FilterPolicyScope says MessageBody (SNS Developer
Guide, "Amazon SNS message filtering" and "Amazon SNS subscription filter policy scope"). The sandbox records
each email delivery that passes the subscription's filter, so a test can read each approver's inbox.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.sns import models as _sns_models

from sandbox.moto_compat.wrapping import wrap

sns_models: Any = _sns_models

EMAIL_PROTOCOLS = ("email", "email-json")


@dataclass(frozen=True)
class EmailDelivery:
    """One message as an email subscription of a topic received it."""

    topic_arn: str
    endpoint: str  # the subscriber's address
    subject: str | None
    message: str
    message_attributes: dict[str, Any]


def email_deliveries(account: str, region: str) -> list[EmailDelivery]:
    """Every email delivered by the topics of `account` in `region`, oldest first."""
    backend = sns_models.sns_backends[account][region]
    if not hasattr(backend, "compat_email_deliveries"):
        backend.compat_email_deliveries = []
    deliveries: list[EmailDelivery] = backend.compat_email_deliveries
    return deliveries


def _publish(
    inner: Callable[..., None],
    self: Any,
    message: str,
    message_id: str,
    subject: str | None = None,
    message_attributes: dict[str, Any] | None = None,
    **kwargs: Any,
) -> None:
    """Subscription.publish: an email subscription records the message when its filter policy matches."""
    if self.protocol not in EMAIL_PROTOCOLS:
        inner(self, message, message_id, subject=subject, message_attributes=message_attributes, **kwargs)
        return
    matcher = self._filter_policy_matcher
    if matcher is not None and not matcher.matches(message_attributes, message):
        return
    topic = self.topic
    email_deliveries(topic.account_id, topic.sns_backend.region_name).append(
        EmailDelivery(topic.arn, self.endpoint, subject, message, dict(message_attributes or {}))
    )


def install_email_deliveries() -> None:
    """Record each email a subscription receives, after its filter policy."""
    wrap(sns_models.Subscription, "publish", _publish)
