"""Notify Lambda: asks an environment's approvers to review a version, each with a personal review link.

Two events lead here (EventBridge, asynchronous):
- "SageMaker Model Package State Change" with PendingManualApproval: a version was registered; the first
  environment of the chain decides on it.
- "ModelOps Deploy Verified" (source modelops.pipeline): a deploy into an environment passed its checks;
  the next environment of the chain decides on promoting the same version there.
- "ModelOps Batch Inference Completed" (source modelops.pipeline): a batch-inference job of the version live
  in an environment completed (promotion/batch_inference.py); the same request, with the job's figures.

One SNS message is published per approver, with a message attribute naming them; their email
subscription's filter policy delivers only their own message, so nobody receives another person's link.

The function trusts neither event's contents:
- a registration is re-read from the registry, and appended to the ledger (`<model>/registrations`, the
  one stream this function may write) as who AWS says created it (CreatedBy's source identity);
- a "Deploy Verified" or "Batch Inference Completed" event is checked against the ledger first: its model,
  environment and ARN must be the latest record of `<model>/deploys/<env>`, which only that environment's
  post-deploy step can write.
  Otherwise the function logs a refusal and tells nobody.

Deliveries come at least once: "SageMaker may send multiple events to EventBridge for each state change"
(SageMaker Developer Guide, "Amazon SageMaker events and EventBridge"), EventBridge delivers each event to a
target at least once, and Lambda retries a failed asynchronous invocation. Each approver still receives one
email per version and environment, because each email is sent under a conditional write in the workflow's
state table (Powertools idempotency on DynamoDB, keyed `<arn>|<env>|<approver>`), not under anything this
process remembers:
- the delivery whose conditional PutItem creates the key sends the email, then marks the key completed;
  a delivery that finds it completed sends nothing;
- a delivery that finds it in progress (another delivery is sending right now) fails, and Lambda retries it
  later, when it finds the key completed;
- a delivery that crashed between its write and its send leaves the key in progress only until its own
  Lambda timeout has passed; the retry then takes the key over and sends. The email is therefore never lost,
  and sent twice only if a delivery dies after SNS accepted the message and before the key was marked
  completed (at-least-once email in that one window, never zero).
The registration is recorded under the same kind of key (`<arn>`), so two deliveries at once append it once.
A key lasts IDEMPOTENCY_SECONDS; a deploy of the same version verified again after that asks again.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from accounts import naming
from accounts.config import OrgConfig
from promotion.batch_events import BATCH_INFERENCE_COMPLETED, BatchFigures
from promotion.events import DEPLOY_VERIFIED, ENDPOINT_METRICS
from promotion.ledger import HistoryAction, HistoryRecord, Ledger, utc_iso
from promotion.registry import ApprovalStatus, PackageInfo, describe_package
from shared_services.handlers import message, settings, tokens

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sagemaker import SageMakerClient
    from mypy_boto3_sns import SNSClient

FUNCTION = naming.approval_function_name("notify")
logger = Logger(service=FUNCTION)

STATE_CHANGE = "SageMaker Model Package State Change"
# A day covers EventBridge's retries (the rule's targets give up after 2 hours) and Lambda's (up to 6 hours).
IDEMPOTENCY_SECONDS = 24 * 3600
IDEMPOTENCY = IdempotencyConfig(event_key_jmespath="idempotency_key", expires_after_seconds=IDEMPOTENCY_SECONDS)


@dataclass(frozen=True)
class Published:
    """One review request: to whom, for which environment, SNS's message id, and whether this delivery
    sent it (False: an earlier delivery of the same event did, and this one sent nothing)."""

    approver: str
    env: str
    message_id: str
    sent_now: bool = True


# Runs `request` at most once per request["idempotency_key"]; any other keyword is passed to the function.
SendOnce = Callable[..., dict[str, Any]]


def send_review_request(request: dict[str, Any], *, sns: SNSClient) -> dict[str, Any]:
    """Publish one prepared review request; plain data in and out so that Powertools can key and keep it.

    `delivery` names the delivery that sent it, so a later delivery handed back this result can tell."""
    response = sns.publish(
        TopicArn=request["topic"],
        Subject=request["subject"],
        Message=request["message"],
        MessageAttributes={"approver": {"DataType": "String", "StringValue": request["approver"]}},
    )
    return {"approver": request["approver"], "message_id": str(response["MessageId"]), "delivery": request["delivery"]}


def review_request_key(arn: str, env: str, approver: str, job: str | None = None) -> str:
    """The idempotency key of one email: one per version, environment and approver, and one more per
    batch-inference job (`job`), whose figures the approver has not seen yet."""
    return f"{arn}|{env}|{approver}" + (f"|{job}" if job is not None else "")


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
    delivery: str,
    send_once: SendOnce,
    evidence: message.DeployEvidence | None = None,
) -> list[Published]:
    """Ask each member of `env`'s approver group, on `env`'s topic, unless an earlier delivery already asked them.

    `send_once` runs `send_review_request` at most once per version, environment and approver; `delivery`
    identifies this invocation in what it sends."""
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
        request = {
            "idempotency_key": review_request_key(
                arn, env, approver, evidence.batch.job if evidence is not None and evidence.batch is not None else None
            ),
            "topic": topic,
            "subject": message.subject(package, env),
            "message": text,
            "approver": approver,
            "delivery": delivery,
        }
        result = send_once(request=request, sns=sns)
        sent_now = result["delivery"] == delivery
        sent.append(Published(approver=approver, env=env, message_id=result["message_id"], sent_now=sent_now))
        if sent_now:
            logger.info("review request published", extra={"arn": arn, "env": env, "approver": approver})
        else:
            logger.info(
                "review request already published by an earlier delivery",
                extra={"arn": arn, "env": env, "approver": approver, "message_id": result["message_id"]},
            )
    return sent


def record_registration(config: OrgConfig, dynamodb: DynamoDBClient, package: PackageInfo) -> bool:
    """Append `package`'s registration to `<model>/registrations` unless the stream already holds it;
    whether it was appended.

    SageMaker may deliver a state change more than once, so a delivery finding the ARN recorded does nothing.
    Two deliveries handled at the same moment could both find it absent and both append (the second INSERT
    then takes the next seq); the handler therefore calls this under the registration's idempotency key
    (`record_registration_once`), which lets one delivery at a time past.
    """
    ledger = Ledger(dynamodb, package.group)
    stream = naming.registrations_stream(package.group)
    if any(record.arn == package.arn for record in ledger.read(stream)):
        return False
    created = package.created
    when = utc_iso(created) if created is not None else ""
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


def record_registration_request(
    request: dict[str, Any], *, config: OrgConfig, dynamodb: DynamoDBClient, package: PackageInfo
) -> dict[str, Any]:
    """`record_registration` with plain data out, for Powertools (the request only carries the key)."""
    return {"arn": package.arn, "appended": record_registration(config, dynamodb, package)}


@lru_cache(maxsize=1)
def _persistence() -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(table_name=settings.required("STATE_TABLE"))


@lru_cache(maxsize=1)
def _send_once() -> SendOnce:
    once: SendOnce = idempotent_function(
        send_review_request,
        data_keyword_argument="request",
        persistence_store=_persistence(),
        config=IDEMPOTENCY,
        key_prefix=f"{settings.function_name(FUNCTION)}.review-request",
    )
    return once


@lru_cache(maxsize=1)
def _record_registration_once() -> Callable[..., dict[str, Any]]:
    once: Callable[..., dict[str, Any]] = idempotent_function(
        record_registration_request,
        data_keyword_argument="request",
        persistence_store=_persistence(),
        config=IDEMPOTENCY,
        key_prefix=f"{settings.function_name(FUNCTION)}.registration",
    )
    return once


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
    if event.detail_type == BATCH_INFERENCE_COMPLETED:
        ran_in = str(detail["env"])
        following = config.next_environment(ran_in)
        if following is None:
            return None
        figures = BatchFigures.from_detail(dict(detail["batch"]))
        return str(detail["arn"]), following.name, message.DeployEvidence(ran_in, {}, "", batch=figures)
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
    """Entry point: publish the review requests an event calls for, each at most once (see the module doc).

    The result counts what this delivery published; `already_published` (present when non-zero) counts the
    approvers an earlier delivery of the same event had already asked."""
    IDEMPOTENCY.register_lambda_context(context)
    config = settings.org_config()
    target = _target(config, event)
    if target is None:
        logger.info("no decision needed", extra={"detail_type": event.detail_type})
        return {"published": 0}
    arn, env, evidence = target
    model = naming.parse_model_package_arn(arn).group
    if model not in {spec.name for spec in config.models}:
        # The rules name no model (shared_services/approval_workflow.py): a group accounts.yaml does not configure
        # asks nobody.
        logger.warning("not a configured model", extra={"arn": arn})
        return {"published": 0, "ignored": "not a configured model"}
    sagemaker = boto3.client("sagemaker")
    dynamodb = boto3.client("dynamodb")
    if evidence is not None:
        refusal = deploy_recorded(dynamodb, model=model, env=evidence.env, arn=arn)
        if refusal is not None:
            logger.warning("deploy verified event refused", extra={"arn": arn, "env": evidence.env, "why": refusal})
            return {"published": 0, "refused": refusal}
    else:
        package = describe_package(sagemaker, arn)
        if package is None:
            raise LookupError(f"model package {arn} does not exist in the registry")
        _record_registration_once()(request={"idempotency_key": arn}, config=config, dynamodb=dynamodb, package=package)
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
        # The request id names the delivery in the logs; the suffix tells Lambda's retries of one request apart.
        delivery=f"{context.aws_request_id}:{secrets.token_hex(4)}",
        send_once=_send_once(),
        evidence=evidence,
    )
    published = sum(1 for item in sent if item.sent_now)
    result: dict[str, Any] = {"published": published, "env": env}
    if published < len(sent):
        result["already_published"] = len(sent) - published
    return result
