"""`modelops approve` and `reject` as clients of the decision service.

Nobody a person can reach holds a raw write of a decision (see shared_services/decision_roles.py): the
CLI asks the decision service, through the approval API's IAM-authenticated route `POST /decisions`,
signed with SigV4 by the person's own credentials. API Gateway checks the signature and hands the
review function the caller's ARN, whose session name Identity Center set to the person: that, and not
anything the CLI sends, is who decides.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from accounts import naming
from accounts.config import OrgConfig
from accounts.validation import InputError
from promotion.aws import calling
from promotion.decisions import Verdict, checked_reason
from promotion.errors import AwsCallFailed, DecisionRefused
from promotion.registry import ApprovalStatus

API_URL_PARAMETER = naming.APPROVAL_API_URL_PARAMETER
# Like botocore's AWS_ENDPOINT_URL_<SERVICE>: where execute-api requests go instead of the API's own host
# (the sandbox's local gateway). The path, with its stage, stays the published one.
ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_EXECUTE_API"
# The approval API's published URL, for people outside shared services (data scientists submitting a card),
# who cannot read the SSM parameter there; approvers read the parameter.
API_URL_VARIABLE = "MODELOPS_APPROVAL_API_URL"
ROUTE = "decisions"
TIMEOUT_SECONDS = 30
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
DECISION_OF: dict[Verdict, str] = {"approve": ApprovalStatus.APPROVED, "reject": ApprovalStatus.REJECTED}


@dataclass(frozen=True)
class RecordedDecision:
    """What the decision service recorded: the person's decision and the environment's outcome so far."""

    arn: str
    env: str
    status: str
    approver: str
    reason: str
    when: str
    outcome: str  # the environment's StageStatus after this decision
    approvals: int  # the environment's approvals so far
    required: int = 0  # the approvals this version needs there (0: a service that does not say)


def decisions_url(session: boto3.Session, config: OrgConfig) -> str:
    """The `POST /decisions` URL of the approval API, as the shared-services stack published it (in SSM, or
    as `MODELOPS_APPROVAL_API_URL` says)."""
    url = os.environ.get(API_URL_VARIABLE, "")
    source = API_URL_VARIABLE
    if not url:
        source = f"SSM parameter {API_URL_PARAMETER}"
        ssm = session.client("ssm", region_name=config.region)
        with calling("the approval API's address in SSM"):
            try:
                url = str(ssm.get_parameter(Name=API_URL_PARAMETER)["Parameter"]["Value"])
            except ssm.exceptions.ParameterNotFound:
                raise InputError(
                    f"SSM parameter {API_URL_PARAMETER} does not exist: the shared-services stack is not deployed "
                    f"(outside shared services, set {API_URL_VARIABLE} to the approval API's URL)"
                ) from None
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise InputError(f"{source}: expected an https URL, got {url!r}")
    endpoint = os.environ.get(ENDPOINT_VARIABLE)
    if endpoint:
        local = urlsplit(endpoint)
        if local.scheme != "https" and not (local.scheme == "http" and local.hostname in LOOPBACK_HOSTS):
            raise InputError(f"{ENDPOINT_VARIABLE}: expected an https URL or a loopback http URL, got {endpoint!r}")
        return f"{endpoint.rstrip('/')}{parts.path.rstrip('/')}/{ROUTE}"
    return f"{url.rstrip('/')}/{ROUTE}"


def signed_request(session: boto3.Session, config: OrgConfig, url: str, body: bytes) -> AWSRequest:
    """The POST of `body`, signed with SigV4 for execute-api by `session`'s credentials."""
    credentials = session.get_credentials()
    if credentials is None:
        raise InputError("no AWS credentials: sign in as an approver (aws sso login) before deciding")
    request = AWSRequest(
        method="POST",
        url=url,
        data=body,
        headers={"Content-Type": "application/json"},
    )
    SigV4Auth(credentials.get_frozen_credentials(), "execute-api", config.region).add_auth(request)
    return request


def _send(request: AWSRequest, body: bytes) -> tuple[int, dict[str, Any]]:
    http = urllib.request.Request(  # noqa: S310 (scheme checked in decisions_url)
        str(request.url), data=body, headers=dict(request.headers.items()), method="POST"
    )
    try:
        with urllib.request.urlopen(http, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            status, raw = int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    except urllib.error.URLError as exc:
        raise AwsCallFailed(f"cannot reach the approval API at {request.url}: {exc.reason}") from None
    try:
        answer = json.loads(raw or b"{}")
    except json.JSONDecodeError:
        answer = {}
    return status, answer if isinstance(answer, dict) else {}


def _post_decision(session: boto3.Session, config: OrgConfig, fields: dict[str, Any], *, what: str) -> dict[str, Any]:
    """POST `fields` to the decision service, signed as `session`; its answer, or the refusal raised:
    DecisionRefused (403, 409, 410) or InputError (400, 404) with the service's one line."""
    body = json.dumps(fields, sort_keys=True).encode("utf-8")
    url = decisions_url(session, config)
    status, answer = _send(signed_request(session, config, url, body), body)
    message = str(answer.get("error") or answer.get("message") or f"HTTP {status}")
    if status in (400, 404):
        raise InputError(message)
    if status in (403, 409, 410):
        raise DecisionRefused(message, kind=str(answer.get("kind") or ""))
    if status != 200:
        raise AwsCallFailed(f"the decision service could not record {what}: {message}")
    return answer


def request_decision(
    session: boto3.Session,
    config: OrgConfig,
    *,
    model: str,
    version: int,
    verdict: Verdict,
    reason: str,
    env: str | None = None,
) -> RecordedDecision:
    """Ask the decision service to record `verdict` as the person `session` belongs to.

    Refusals come back as DecisionRefused (403, 409) or InputError (400, 404) with the service's one line.
    """
    config.model(model)
    env_name = config.environment(env).name if env is not None else config.chain[0]
    arn = naming.model_package_arn(config, model, version)
    fields = {"arn": arn, "env": env_name, "decision": DECISION_OF[verdict], "reason": checked_reason(verdict, reason)}
    answer = _post_decision(session, config, fields, what="the decision")
    return RecordedDecision(
        arn=str(answer["arn"]),
        env=str(answer["env"]),
        status=str(answer["status"]),
        approver=str(answer["approver"]),
        reason=str(answer["reason"]),
        when=str(answer["when"]),
        outcome=str(answer["outcome"]),
        approvals=int(answer["approvals"]),
        required=int(answer.get("required") or 0),
    )


@dataclass(frozen=True)
class RecordedCardApproval:
    """What the decision service recorded for a model card: who approved which content, when, for whom."""

    arn: str
    env: str  # the environment whose approver group approves cards
    approver: str
    reason: str
    when: str
    digest: str  # SHA-256 of the card content approved


def request_card_approval(
    session: boto3.Session, config: OrgConfig, *, model: str, version: int, reason: str
) -> RecordedCardApproval:
    """Ask the decision service to approve `model` version `version`'s model card as the person `session`
    belongs to (promotion/card_review.py). Refusals come back as for `request_decision`."""
    config.model(model)
    arn = naming.model_package_arn(config, model, version)
    fields = {
        "subject": "card",
        "arn": arn,
        "decision": ApprovalStatus.APPROVED,
        "reason": checked_reason("approve", reason),
    }
    answer = _post_decision(session, config, fields, what="the card approval")
    return RecordedCardApproval(
        arn=str(answer["arn"]),
        env=str(answer["env"]),
        approver=str(answer["approver"]),
        reason=str(answer["reason"]),
        when=str(answer["when"]),
        digest=str(answer["digest"]),
    )


@dataclass(frozen=True)
class RecordedCardSubmission:
    """What the decision service recorded for a card submission: who submitted which version, when."""

    arn: str
    env: str  # the environment whose approver group approves cards
    submitter: str
    reason: str
    when: str


def request_card_submission(
    session: boto3.Session, config: OrgConfig, *, model: str, version: int, reason: str = ""
) -> RecordedCardSubmission:
    """Ask the decision service to submit `model` version `version`'s Draft model card for review, as the
    person `session` belongs to, its registrant (promotion/card_submission.py). Refusals come back as for
    `request_decision`."""
    config.model(model)
    arn = naming.model_package_arn(config, model, version)
    fields = {"subject": "card", "arn": arn, "decision": "PendingReview", "reason": " ".join(reason.split())}
    answer = _post_decision(session, config, fields, what="the card submission")
    return RecordedCardSubmission(
        arn=str(answer["arn"]),
        env=str(answer["env"]),
        submitter=str(answer["submitter"]),
        reason=str(answer["reason"]),
        when=str(answer["when"]),
    )
