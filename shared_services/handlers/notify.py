"""Notify Lambda: asks an environment's approvers to review a version, each with a personal review link.

Two events lead here (EventBridge, asynchronous):
- "SageMaker Model Package State Change" with PendingManualApproval: a version was registered; the first
  environment of the chain decides on it.
- "ModelOps Deploy Verified" (source modelops.pipeline): a deploy into an environment passed its checks;
  the next environment of the chain decides on promoting the same version there.

One SNS message is published per approver, with a message attribute naming them; their email
subscription's filter policy delivers only their own message, so nobody receives another person's link.

The function trusts neither event's contents:
- a registration is re-read from the registry, and appended to the ledger (`<model>/registrations`, the
  one stream this function may write) as who AWS says created it (CreatedBy's source identity);
- a "Deploy Verified" event is checked against the ledger first: its model, environment and ARN must be
  the latest record of `<model>/deploys/<env>`, which only that environment's post-deploy step can write.
  Otherwise the function logs a refusal and tells nobody.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from accounts import naming
from accounts.config import OrgConfig
from promotion.events import DEPLOY_VERIFIED, ENDPOINT_METRICS
from promotion.ledger import HistoryAction, HistoryRecord, Ledger
from promotion.registry import ApprovalStatus, PackageInfo, describe_package
from shared_services.handlers import message, settings, tokens

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sagemaker import SageMakerClient
    from mypy_boto3_sns import SNSClient

logger = Logger(service=naming.approval_function_name("notify"))

STATE_CHANGE = "SageMaker Model Package State Change"


@dataclass(frozen=True)
class Published:
    """One review request sent: to whom, for which environment, and SNS's message id."""

    approver: str
    env: str
    message_id: str


def publish_review_requests(
    *,
    config: OrgConfig,
    sagemaker: SageMakerClient,
    sns: SNSClient,
    arn: str,
    env: str,
    key: bytes,
    review_url: str,
    now: datetime,
    ttl: timedelta,
    evidence: message.DeployEvidence | None = None,
) -> list[Published]:
    """Publish one review request per member of `env`'s approver group to `env`'s topic."""
    package = describe_package(sagemaker, arn)
    if package is None:
        raise LookupError(f"model package {arn} does not exist in the registry")
    topic = naming.approval_topic_arn(config, env)
    sent: list[Published] = []
    for approver in config.approvers(env).members:
        token = tokens.issue(key, arn=arn, env=env, approver=approver, now=now, ttl=ttl)
        text = message.body(
            config=config,
            package=package,
            env=env,
            approver=approver,
            link=message.review_link(review_url, token),
            expires_at=now + ttl,
            evidence=evidence,
        )
        response = sns.publish(
            TopicArn=topic,
            Subject=message.subject(package, env),
            Message=text,
            MessageAttributes={"approver": {"DataType": "String", "StringValue": approver}},
        )
        sent.append(Published(approver=approver, env=env, message_id=str(response["MessageId"])))
        logger.info("review request published", extra={"arn": arn, "env": env, "approver": approver})
    return sent


def record_registration(config: OrgConfig, dynamodb: DynamoDBClient, package: PackageInfo) -> bool:
    """Append `package`'s registration to `<model>/registrations` unless the stream already holds it;
    whether it was appended.

    SageMaker may deliver a state change more than once, so a delivery finding the ARN recorded does nothing.
    Two deliveries handled at the same moment can both find it absent and both append (the second INSERT
    then takes the next seq): `history --verify` accepts the two as valid records, and the history shows the
    registration twice.
    """
    ledger = Ledger(dynamodb, package.group)
    stream = naming.registrations_stream(package.group)
    if any(record.arn == package.arn for record in ledger.read(stream)):
        return False
    created = package.created
    when = created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if created is not None else ""
    ledger.append(
        stream,
        HistoryRecord(
            who=package.lineage.registered_by or "",
            when=when,
            action=HistoryAction.REGISTERED,
            reason=package.description,
            arn=package.arn,
            account=config.accounts.shared_services,
            env=None,
        ),
    )
    return True


def deploy_recorded(dynamodb: DynamoDBClient, *, model: str, env: str, arn: str) -> str | None:
    """None when `arn` is the latest deploy record of `model` in `env`; otherwise why the event is refused."""
    stream = naming.deploys_stream(model, env)
    latest = Ledger(dynamodb, model).last(stream)
    if latest is None:
        return f"the ledger holds no deploy of {model} in {env} ({stream} is empty)"
    if latest.action != HistoryAction.DEPLOYED or latest.arn != arn:
        return f"the latest record of {stream} (record {latest.seq}) is {latest.action} {latest.arn}, not {arn}"
    return None


def _ordered_metrics(metrics: Mapping[str, Any]) -> dict[str, float | None]:
    """Endpoint metrics in SageMaker's usual order (invocations, latency, errors), then any others."""
    known = [name for name, _ in ENDPOINT_METRICS if name in metrics]
    names = known + sorted(set(metrics) - set(known))
    return {name: None if metrics[name] is None else float(metrics[name]) for name in names}


def _target(config: OrgConfig, event: EventBridgeEvent) -> tuple[str, str, message.DeployEvidence | None] | None:
    """(ARN, environment to decide for, deploy evidence) for an event, or None when nobody must decide."""
    detail: Mapping[str, Any] = event.detail
    if event.detail_type == STATE_CHANGE:
        if detail.get("ModelApprovalStatus") != ApprovalStatus.PENDING:
            return None
        return str(detail["ModelPackageArn"]), config.chain[0], None
    if event.detail_type == DEPLOY_VERIFIED:
        deployed_in = str(detail["env"])
        following = config.next_environment(deployed_in)
        if following is None:
            return None
        evidence = message.DeployEvidence(
            env=deployed_in,
            metrics=_ordered_metrics(dict(detail.get("metrics", {}))),
            period=str(detail.get("period", "since the deploy")),
        )
        return str(detail["arn"]), following.name, evidence
    return None


@logger.inject_lambda_context
@event_source(data_class=EventBridgeEvent)
def handler(event: EventBridgeEvent, context: LambdaContext) -> dict[str, Any]:
    """Entry point: publish the review requests an event calls for."""
    config = settings.org_config()
    target = _target(config, event)
    if target is None:
        logger.info("no decision needed", extra={"detail_type": event.detail_type})
        return {"published": 0}
    arn, env, evidence = target
    sagemaker = boto3.client("sagemaker")
    dynamodb = boto3.client("dynamodb")
    model = naming.parse_model_package_arn(arn).group
    if evidence is not None:
        refusal = deploy_recorded(dynamodb, model=model, env=evidence.env, arn=arn)
        if refusal is not None:
            logger.warning("deploy verified event refused", extra={"arn": arn, "env": evidence.env, "why": refusal})
            return {"published": 0, "refused": refusal}
    else:
        package = describe_package(sagemaker, arn)
        if package is None:
            raise LookupError(f"model package {arn} does not exist in the registry")
        record_registration(config, dynamodb, package)
    sent = publish_review_requests(
        config=config,
        sagemaker=sagemaker,
        sns=boto3.client("sns"),
        arn=arn,
        env=env,
        key=settings.secret_bytes("TOKEN_SECRET_ARN"),
        review_url=settings.required("REVIEW_URL"),
        now=settings.now(),
        ttl=timedelta(hours=int(settings.required("REVIEW_TOKEN_TTL_HOURS"))),
        evidence=evidence,
    )
    return {"published": len(sent), "env": env}
