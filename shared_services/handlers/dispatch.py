"""Dispatch Lambda: a version approved for an environment asks GitHub to open its promotion PR.

The decision service puts "ModelOps Environment Approved" when an environment's quorum is met
(promotion.decision_events); this function reads the version back and, if the registry records that
approval, sends `POST /repos/<owner>/<repo>/dispatches` with event type `model-approved`; the promotion
workflow (.github/workflows/promote.yml) then runs `modelops promote` and opens the PR. EventBridge
delivers at least once and Lambda retries
failed asynchronous invocations, so the request is idempotent per version and environment (Powertools,
DynamoDB): GitHub receives one dispatch for each approval. An environment a rollback holds
(promotion/holds.py) gets no promotion PR for any other version until a platform engineer releases it.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

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
from promotion import gates, holds
from promotion.metadata import StageStatus
from promotion.registry import describe_package
from shared_services.handlers import settings

FUNCTION = naming.approval_function_name("dispatch")
logger = Logger(service=FUNCTION)

EVENT_TYPE = "model-approved"
GITHUB_API_VERSION = "2022-11-28"
TIMEOUT_SECONDS = 10
# A day covers EventBridge's and Lambda's retry windows with room to spare.
IDEMPOTENCY_SECONDS = 24 * 3600
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class DispatchFailed(RuntimeError):
    """GitHub did not accept the dispatch; the invocation fails so Lambda retries, then dead-letters it."""


@dataclass(frozen=True)
class DispatchRequest:
    """The exact HTTP request sent to GitHub."""

    url: str
    headers: dict[str, str]
    body: dict[str, Any]


def dispatch_request(
    config: OrgConfig, *, model: str, version: int, arn: str, env: str, api_url: str, token: str
) -> DispatchRequest:
    """The repository_dispatch request for version `version` of `model` approved for `env`."""
    parts = urlsplit(api_url)
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS):
        raise ValueError(f"GITHUB_API_URL must be an https URL, got {api_url!r}")
    return DispatchRequest(
        url=f"{api_url.rstrip('/')}/repos/{config.pipeline.owner}/{config.pipeline.repo}/dispatches",
        headers={
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "User-Agent": FUNCTION,
            "X-GitHub-Api-Version": GITHUB_API_VERSION,
        },
        body={
            "event_type": EVENT_TYPE,
            "client_payload": {"model": model, "version": version, "arn": arn, "env": env},
        },
    )


def send(request: DispatchRequest) -> int:
    """POST the request; GitHub answers 204 No Content. Anything else raises DispatchFailed."""
    http_request = urllib.request.Request(  # noqa: S310 (scheme checked in dispatch_request)
        request.url, data=json.dumps(request.body).encode("utf-8"), headers=request.headers, method="POST"
    )
    try:
        with urllib.request.urlopen(http_request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        raise DispatchFailed(f"GitHub refused the dispatch to {request.url}: HTTP {exc.code}") from None
    except urllib.error.URLError as exc:
        raise DispatchFailed(f"cannot reach GitHub at {request.url}: {exc.reason}") from None
    if status != 204:
        raise DispatchFailed(f"GitHub answered HTTP {status} to the dispatch to {request.url}; expected 204")
    return status


def dispatch_approved(request: dict[str, Any]) -> dict[str, Any]:
    """Send the dispatch for one (ARN, environment); plain data in and out so Powertools can key it."""
    token = settings.secret_bytes("GITHUB_TOKEN_SECRET_ARN").decode("utf-8").strip()
    outgoing = dispatch_request(
        settings.org_config(),
        model=request["model"],
        version=int(request["version"]),
        arn=request["arn"],
        env=request["env"],
        api_url=settings.required("GITHUB_API_URL"),
        token=token,
    )
    status = send(outgoing)
    logger.info("dispatch sent", extra={"arn": request["arn"], "env": request["env"], "status": status})
    return {"arn": request["arn"], "env": request["env"], "status": status}


IDEMPOTENCY = IdempotencyConfig(event_key_jmespath="idempotency_key", expires_after_seconds=IDEMPOTENCY_SECONDS)


@lru_cache(maxsize=1)
def _idempotent_dispatch() -> Any:
    persistence = DynamoDBPersistenceLayer(table_name=settings.required("STATE_TABLE"))
    return idempotent_function(
        dispatch_approved,
        data_keyword_argument="request",
        persistence_store=persistence,
        config=IDEMPOTENCY,
        key_prefix=f"{settings.function_name(FUNCTION)}.dispatch",
    )


@logger.inject_lambda_context
@event_source(data_class=EventBridgeEvent)
def handler(event: EventBridgeEvent, context: LambdaContext) -> dict[str, Any]:
    """Entry point: one environment approved by the decision service, one dispatch (per environment, ever).

    The event only says where to look: the version is read back, and dispatched only if the registry
    records its approval for that environment.
    """
    IDEMPOTENCY.register_lambda_context(context)
    detail = event.detail
    config = settings.org_config()
    arn, env = str(detail.get("arn", "")), str(detail.get("env", ""))
    if env not in config.chain:
        logger.warning("not an environment of the chain", extra={"arn": arn, "env": env})
        return {"dispatched": False}
    if naming.parse_model_package_arn(arn).group not in {spec.name for spec in config.models}:
        # The rule names no model (shared_services/approval_workflow.py): only configured models are dispatched.
        logger.warning("not a configured model", extra={"arn": arn})
        return {"dispatched": False}
    package = describe_package(boto3.client("sagemaker", region_name=config.region), arn)
    if package is None:
        raise LookupError(f"model package {arn} does not exist in the registry")
    if package.decided(env).status != StageStatus.APPROVED:
        logger.warning("the registry records no approval for the environment", extra={"arn": arn, "env": env})
        return {"dispatched": False}
    hold = holds.read_hold(boto3.client("dynamodb", region_name=config.region), package.group, env)
    held = gates.hold_failures(package.group, env, arn, hold)
    if held:
        # Not recorded as dispatched: an approval delivered again after the release opens its PR then.
        logger.warning("the environment is held", extra={"arn": arn, "env": env, "refusal": str(held[0])})
        return {"dispatched": False, "refusal": str(held[0])}
    request = {
        "idempotency_key": f"{arn}|{env}",
        "model": package.group,
        "version": package.version,
        "arn": arn,
        "env": env,
    }
    result: dict[str, Any] = _idempotent_dispatch()(request=request)
    return {"dispatched": True, **result}
