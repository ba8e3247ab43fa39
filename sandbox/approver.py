"""The approver's side of the review flow in the sandbox: their mailbox and their browser.

- Mailbox: an SQS queue subscribed to the environment's DEPLOYED approvers topic, with the filter policy
  the stack gives the approver's email subscription (`approver` = their address), so the queue receives
  exactly the email they would. Messages arrive as SNS notifications (Subject, Message, attributes).
- Browser: Debian's headless Chromium driven by Selenium through /usr/bin/chromedriver, with a
  throw-away profile and no background network traffic.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from accounts import naming
from accounts.config import OrgConfig

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
INSTALL_CHROMIUM = "apt-get update && apt-get install -y chromium chromium-driver"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1100,1500",
)


class ChromiumMissing(RuntimeError):
    """Chromium or its driver is not installed; the message gives the command that installs them."""


@dataclass(frozen=True)
class Email:
    """One notification as an email subscriber receives it."""

    subject: str
    message: str
    approver: str

    def review_link(self) -> str:
        """The message's review link (the one line that is a URL)."""
        links = [line for line in self.message.splitlines() if line.startswith(("http://", "https://"))]
        if len(links) != 1:
            raise ValueError(f"expected one review link in the email {self.subject!r}, found {len(links)}")
        return links[0]


@dataclass(frozen=True)
class Inbox:
    """An approver's mailbox for one environment's topic."""

    topic_arn: str
    queue_url: str
    sqs: Any

    def receive(self) -> list[Email]:
        """The emails delivered since the last call, oldest first (each is removed from the queue)."""
        received = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", [])
        emails = []
        for message in received:
            notification = json.loads(message["Body"])
            if notification.get("TopicArn") != self.topic_arn:
                raise ValueError(f"message {message['MessageId']} came from {notification.get('TopicArn')}")
            approver = notification.get("MessageAttributes", {}).get("approver", {}).get("Value", "")
            emails.append(Email(notification.get("Subject", ""), notification["Message"], approver))
            self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return emails


def subscribe_inbox(session: boto3.Session, config: OrgConfig, env: str, approver: str) -> Inbox:
    """A new queue in the topic's account, subscribed to `env`'s deployed topic for `approver`'s messages."""
    topic_arn = naming.approval_topic_arn(config, env)
    sns = session.client("sns")
    try:
        sns.get_topic_attributes(TopicArn=topic_arn)
    except sns.exceptions.NotFoundException:
        raise LookupError(f"SNS topic {topic_arn} is not deployed: deploy the shared-services stack") from None
    sqs = session.client("sqs")
    queue_url = str(
        sqs.create_queue(
            QueueName=f"modelops-inbox-{env}-{uuid.uuid4().hex[:8]}",
            Attributes={"SqsManagedSseEnabled": "true"},
        )["QueueUrl"]
    )
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    # What AWS requires for an SQS subscription: the topic, and only it, may send to the queue.
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ApproverTopicDelivers",
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
            }
        ],
    }
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": json.dumps(policy)})
    sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"FilterPolicy": json.dumps({"approver": [approver]})},
        ReturnSubscriptionArn=True,
    )
    return Inbox(topic_arn=topic_arn, queue_url=queue_url, sqs=sqs)


def require_chromium() -> None:
    """ChromiumMissing, naming the install command, unless Chromium and chromedriver are installed."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        raise ChromiumMissing(f"{' and '.join(missing)} not found; install them: {INSTALL_CHROMIUM}")


@contextmanager
def headless_chromium() -> Iterator[Any]:
    """A Selenium WebDriver for headless Chromium with a throw-away profile; quit and removed on exit."""
    require_chromium()
    from selenium import webdriver  # imported here: only the review flow needs it
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="modelops-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
