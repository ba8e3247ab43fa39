"""The approval Lambdas, run in-process against moto: notify, the review page, sign-in, both decision
routes, dispatch, and the post-deploy notification. Every refused request changes nothing.

The identity provider's token endpoint is a local stand-in whose answer each test chooses; the sandbox's
whole identity provider (sign-in form included) is tested in tests/test_identity_provider.py."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import boto3
import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext
from moto import mock_aws

from accounts import naming
from accounts.config import OrgConfig
from promotion import events as post_deploy
from promotion import gates, holds
from promotion.content import Content
from promotion.decision_events import environment_approved_entry
from promotion.errors import AwsCallFailed
from promotion.ledger import HistoryAction, HistoryRecord, Ledger
from promotion.registry import Registry, Stage
from promotion.sessions import assume_role
from sandbox import moto_compat
from shared_services.handlers import dispatch, notify, review, settings, signin, tokens
from tests.orgs import config_path, load_org
from tests.promotion_support import create_ledger_table

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch.type_defs import DimensionTypeDef

    from promotion.events import EventsClient, MetricsClient

REGION = "eu-west-1"
SHARED = "111111111111"
QA_APPROVER = "qa.approver@example.com"
PROD_APPROVER = "prod.approver@example.com"
RISK_OFFICER = "risk.officer@example.com"
DATA_SCIENTIST = "data.scientist@example.com"
GITHUB_TOKEN = "ghs_sandboxtoken"
TOKEN_KEY = "review-key-for-tests-only-0123456789abcdef"
SESSION_KEY = "session-key-for-tests-only-0123456789abcdef"
CLIENT_SECRET = "client-secret-for-tests-only"
# two_env's approvals.sign_in, and the review function's callback at the test's API.
ISSUER = "https://signin.sandbox.modelops.invalid"
AUTHORIZATION_ENDPOINT = f"{ISSUER}/oauth2/authorize"
CLIENT_ID = "modelops-review"
CALLBACK_URL = "https://review.example/v1/callback"
POLL_SECONDS = 0.05  # the local stand-ins' serving loops (as sandbox/identity_provider.py's)


@dataclass
class RuntimeContext:
    """The attributes of the context object Lambda's runtime passes (Powertools' Logger reads them)."""

    function_name: str
    memory_limit_in_mb: int = 256
    aws_request_id: str = "00000000-0000-0000-0000-000000000001"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{SHARED}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def context(purpose: str) -> LambdaContext:
    return cast(LambdaContext, RuntimeContext(function_name=naming.approval_function_name(purpose)))


@dataclass
class Workflow:
    """The approval workflow's AWS resources in the shared-services account, and handles to read them."""

    config: OrgConfig
    table: Any
    token_secret_arn: str
    github_secret_arn: str
    session_secret_arn: str
    client_secret_arn: str
    inboxes: dict[str, str]
    registry: Registry = field(init=False)

    def __post_init__(self) -> None:
        self.registry = Registry(boto3.client("sagemaker", region_name=REGION), self.config)

    def register(self, *, description: str = "churn model", metrics: dict[str, float] | None = None) -> str:
        """Register as the data scientist: a session whose source identity the registry records (CreatedBy)."""
        person = assume_role(
            "arn:aws:iam::222222222222:role/modelops-data-science",
            session_name=DATA_SCIENTIST,
            source_identity=DATA_SCIENTIST,
            region=REGION,
        )
        registry = Registry(person.client("sagemaker", region_name=REGION), self.config)
        return registry.register(
            model="churn-model",
            # What registration records; these decision tests never read S3 or ECR.
            content=Content(
                artifact="s3://modelops-artifacts-111111111111-eu-west-1/artifacts/churn-model/model.tar.gz",
                artifact_version="v1",
                artifact_sha256="0" * 64,
                image="111111111111.dkr.ecr.eu-west-1.amazonaws.com/churn@sha256:" + "1" * 64,
            ),
            metrics=metrics or {"auc": 0.91, "false_positive_rate": 0.08},
            description=description,
            source_commit="0123abc",
            training_job=None,
            stage=Stage(stage="qa", status="PendingApproval"),
            model_card=json.dumps({"intended_uses": {"purpose_of_model": "Predicts churn"}}),
        )

    def ledger(self) -> Ledger:
        return Ledger(boto3.client("dynamodb", region_name=REGION), "churn-model")

    def history(self) -> list[dict[str, Any]]:
        """The decisions recorded in the ledger (refusals aside: `refusals`)."""
        records = self.ledger().read("churn-model/decisions")
        return [record.as_dict() for record in records if record.action != "refused"]

    def refusals(self) -> list[tuple[str, str | None, str]]:
        """Who was refused, for which environment, and why, as the ledger recorded it."""
        records = self.ledger().read("churn-model/decisions")
        return [(r.who, r.env, r.reason) for r in records if r.action == "refused"]

    def snapshot(self, arn: str) -> tuple[Any, ...]:
        """Everything a decision could change: the version, the history and the single-use records."""
        described = boto3.client("sagemaker", region_name=REGION).describe_model_package(ModelPackageName=arn)
        items = self.table.scan()["Items"]
        return (
            described.get("ModelApprovalStatus"),
            described.get("ApprovalDescription"),
            described.get("CustomerMetadataProperties"),
            self.history(),
            sorted(item["id"] for item in items),
        )

    def messages(self, env: str) -> list[dict[str, Any]]:
        sqs = boto3.client("sqs", region_name=REGION)
        received = sqs.receive_message(QueueUrl=self.inboxes[env], MaxNumberOfMessages=10)
        return [json.loads(m["Body"]) for m in received.get("Messages", [])]


def provision(config: OrgConfig) -> Workflow:
    """Create what ApprovalWorkflow deploys (names from accounts/naming.py) plus an SQS inbox per topic."""
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    sagemaker.create_model_package_group(ModelPackageGroupName="churn-model")
    dynamodb = boto3.resource("dynamodb", region_name=REGION)
    table = dynamodb.create_table(
        TableName=naming.APPROVAL_TABLE,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    create_ledger_table(boto3.client("dynamodb", region_name=REGION))
    secrets = boto3.client("secretsmanager", region_name=REGION)
    token_arn = secrets.create_secret(Name=naming.REVIEW_TOKEN_SECRET, SecretString=TOKEN_KEY)["ARN"]
    github_arn = secrets.create_secret(Name=naming.GITHUB_DISPATCH_SECRET, SecretString=GITHUB_TOKEN)["ARN"]
    session_arn = secrets.create_secret(Name=naming.SESSION_KEY_SECRET, SecretString=SESSION_KEY)["ARN"]
    client_arn = secrets.create_secret(Name=naming.SIGNIN_CLIENT_SECRET, SecretString=CLIENT_SECRET)["ARN"]
    sns = boto3.client("sns", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    inboxes = {}
    for env in config.chain:
        topic = sns.create_topic(Name=naming.approval_topic_name(env))["TopicArn"]
        queue = sqs.create_queue(QueueName=f"inbox-{env}")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
        inboxes[env] = queue
    return Workflow(config, table, token_arn, github_arn, session_arn, client_arn, inboxes)


def lambda_environment(
    monkeypatch: pytest.MonkeyPatch, workflow: Workflow, *, review_url: str, github_url: str, token_endpoint: str
) -> None:
    for name, value in {
        "REVIEW_URL": review_url,
        "TOKEN_SECRET_ARN": workflow.token_secret_arn,
        "REVIEW_TOKEN_TTL_HOURS": "24",
        "STATE_TABLE": naming.APPROVAL_TABLE,
        "GITHUB_TOKEN_SECRET_ARN": workflow.github_secret_arn,
        "GITHUB_API_URL": github_url,
        "GITHUB_REPOSITORY": workflow.config.pipeline.repository,
        "SESSION_KEY_SECRET_ARN": workflow.session_secret_arn,
        "SIGNIN_CLIENT_SECRET_ARN": workflow.client_secret_arn,
        "SIGNIN_ISSUER": ISSUER,
        "SIGNIN_AUTHORIZATION_ENDPOINT": AUTHORIZATION_ENDPOINT,
        "SIGNIN_TOKEN_ENDPOINT": token_endpoint,
        "SIGNIN_CLIENT_ID": CLIENT_ID,
        "SIGNIN_CALLBACK_URL": CALLBACK_URL,
    }.items():
        monkeypatch.setenv(name, value)


def reset_caches() -> None:
    from aws_lambda_powertools.utilities.parameters import clear_caches

    clear_caches()  # type: ignore[no-untyped-call]
    review._idempotent_record.cache_clear()
    dispatch._idempotent_dispatch.cache_clear()
    for cached in (notify._persistence, notify._send_once, notify._record_registration_once):
        cached.cache_clear()


@dataclass
class GitHubStandIn:
    """A local HTTP server standing in for GitHub's REST API; it records every request."""

    url: str
    requests: list[dict[str, Any]]
    status: int = 204


@pytest.fixture
def github() -> Iterator[GitHubStandIn]:
    recorded: list[dict[str, Any]] = []
    stand_in = GitHubStandIn(url="", requests=recorded)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            recorded.append(
                {
                    "method": "POST",
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": json.loads(self.rfile.read(length)),
                }
            )
            self.send_response(stand_in.status)
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    stand_in.url = f"http://127.0.0.1:{server.server_address[1]}"
    # A short poll interval: shutdown() waits for the serving loop's next poll (0.5 s by default), twice a test.
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": POLL_SECONDS}, daemon=True).start()
    yield stand_in
    server.shutdown()
    server.server_close()


@dataclass
class TokenEndpoint:
    """A local stand-in for the identity provider's token endpoint: it records each request and answers
    `status` and `body` (set by the test; by default an ID token for `email` with `claims` on top)."""

    url: str
    requests: list[dict[str, Any]]
    nonce: str = ""  # the OIDC nonce of the sign-in being answered
    email: str = QA_APPROVER
    claims: dict[str, Any] = field(default_factory=dict)
    status: int = 200
    body: bytes | None = None


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def id_token(claims: dict[str, Any]) -> str:
    """A JWT as an identity provider signs one (HS256 with the client secret, as the sandbox's stand-in does)."""
    signed = f"{_b64url(json.dumps({'alg': 'HS256', 'typ': 'JWT'}).encode())}.{_b64url(json.dumps(claims).encode())}"
    signature = hmac.new(CLIENT_SECRET.encode(), signed.encode(), hashlib.sha256).digest()
    return f"{signed}.{_b64url(signature)}"


@pytest.fixture
def token_endpoint() -> Iterator[TokenEndpoint]:
    endpoint = TokenEndpoint(url="", requests=[])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
            form = dict(parse_qsl(body))
            endpoint.requests.append({"headers": {k.lower(): v for k, v in self.headers.items()}, "form": form})
            answer = endpoint.body
            if answer is None:
                now = int(time.time())
                claims = {
                    "iss": ISSUER,
                    "sub": "person-1",
                    "aud": CLIENT_ID,
                    "iat": now,
                    "exp": now + 300,
                    "nonce": endpoint.nonce,
                    "email": endpoint.email,
                    "email_verified": True,
                } | endpoint.claims
                answer = json.dumps({"id_token": id_token(claims), "token_type": "Bearer"}).encode()
            self.send_response(endpoint.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *_: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    endpoint.url = f"http://127.0.0.1:{server.server_address[1]}/oauth2/token"
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": POLL_SECONDS}, daemon=True).start()
    yield endpoint
    server.shutdown()
    server.server_close()


@pytest.fixture
def workflow(
    monkeypatch: pytest.MonkeyPatch, github: GitHubStandIn, token_endpoint: TokenEndpoint
) -> Iterator[Workflow]:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", SHARED)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    # The handlers read the organisation where the bundle's MODELOPS_CONFIG_FILE says: here, two_env.
    monkeypatch.setenv("MODELOPS_CONFIG_FILE", str(config_path("two_env")))
    moto_compat.apply()
    reset_caches()
    with mock_aws():
        provisioned = provision(load_org("two_env"))
        lambda_environment(
            monkeypatch,
            provisioned,
            review_url="https://review.example/v1/review",
            github_url=github.url,
            token_endpoint=token_endpoint.url,
        )
        yield provisioned
    reset_caches()


# -- events as EventBridge and API Gateway deliver them ------------------------------------------------------


def state_change(arn: str, status: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "SageMaker Model Package State Change",
        "source": "aws.sagemaker",
        "account": SHARED,
        "time": "2026-11-22T10:00:00Z",
        "region": REGION,
        "resources": [arn],
        "detail": {
            "ModelPackageGroupName": "churn-model",
            "ModelPackageVersion": int(arn.rsplit("/", 1)[1]),
            "ModelPackageArn": arn,
            "ModelApprovalStatus": status,
        },
    }


def environment_approved(arn: str, env: str = "qa") -> dict[str, Any]:
    """The decision service's event, as EventBridge delivers it to the dispatch function."""
    entry = environment_approved_entry(arn=arn, env=env, bus_arn=f"arn:aws:events:{REGION}:{SHARED}:event-bus/default")
    return {
        "version": "0",
        "id": "0d1f4a5e-7c0e-4a7e-9a55-2f0c7d8e9b10",
        "detail-type": entry["DetailType"],
        "source": entry["Source"],
        "account": SHARED,
        "time": "2026-11-22T10:00:00Z",
        "region": REGION,
        "resources": [],
        "detail": json.loads(entry["Detail"]),
    }


def api_event(
    method: str,
    resource: str,
    *,
    query: dict[str, str] | None = None,
    body: str = "",
    user_arn: str | None = None,
    cookie: str | None = None,
) -> dict[str, Any]:
    headers = {"Content-Type": "application/x-www-form-urlencoded"} | ({"Cookie": cookie} if cookie else {})
    return {
        "resource": resource,
        "path": resource,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": query,
        "body": body,
        "isBase64Encoded": False,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "requestId": "req-1",
            "stage": "v1",
            "identity": {"userArn": user_arn, "sourceIp": "127.0.0.1"},
        },
    }


def link_token(message: dict[str, Any]) -> str:
    link = next(line for line in message["Message"].splitlines() if line.startswith("https://"))
    return str(parse_qs(urlsplit(link).query)["token"][0])


def issue(
    workflow: Workflow, arn: str, *, env: str = "qa", approver: str = QA_APPROVER, now: datetime | None = None
) -> str:
    return tokens.issue(TOKEN_KEY.encode(), arn=arn, env=env, approver=approver, now=now or settings.now())


def token_nonce(token: str) -> str:
    """The nonce a review token carries (read without checking it: the handler checks)."""
    payload = token.split(".")[0]
    return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode().split("|")[-1]


def token_approver(token: str) -> str:
    payload = token.split(".")[0]
    return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode().split("|")[2]


def session(token: str, *, email: str | None = None, now: datetime | None = None, key: str = SESSION_KEY) -> str:
    """The Cookie header of a browser signed in as `email` (default: the link's approver) for `token`'s link."""
    value = signin.session_value(
        key.encode(), email=email or token_approver(token), review_nonce=token_nonce(token), now=now or settings.now()
    )
    return f"{signin.SESSION_COOKIE}={value}"


def post_decision(
    token: str,
    decision: str = "Approved",
    reason: str = "metrics meet the qa gate",
    *,
    cookie: str | None = None,
    signed_in: bool = True,
) -> dict[str, Any]:
    """The page's form, posted by the link's approver signed in for it (unless `cookie` or `signed_in` say not)."""
    if cookie is None and signed_in:
        cookie = session(token)
    body = urlencode({"token": token, "decision": decision, "reason": reason})
    return review.handler(api_event("POST", "/decision", body=body, cookie=cookie), context("review"))


# -- notify ------------------------------------------------------------------------------------------------------


def test_a_pending_version_sends_each_first_environment_approver_a_personal_link(workflow: Workflow) -> None:
    arn = workflow.register()
    result = notify.handler(state_change(arn, "PendingManualApproval"), context("notify"))
    assert result == {"published": 1, "env": "qa"}
    [message] = workflow.messages("qa")
    assert message["Subject"] == "[modelops] Review churn-model v1 for qa"
    assert message["MessageAttributes"] == {"approver": {"Type": "String", "Value": QA_APPROVER}}
    claims = tokens.verify(TOKEN_KEY.encode(), link_token(message), now=settings.now())
    assert (claims.arn, claims.env, claims.approver) == (arn, "qa", QA_APPROVER)
    lines = message["Message"].splitlines()
    assert lines[:5] == [
        "churn-model version 1 awaits your decision for qa.",
        "",
        f"Model package: {arn}",
        lines[3],
        "Description: churn model",
    ]
    assert lines[3].startswith("Registered by: data.scientist@example.com at ")
    assert lines[5:18] == [
        "DataZone project: churn_dz_project01",
        "",
        "Metrics (self-reported):",
        "  auc: 0.91 (qa threshold: min 0.8)",
        "  false_positive_rate: 0.08 (qa threshold: max 0.2)",
        "",
        "Lineage:",
        "  Source commit: 0123abc",
        # Lineage is registrant text: defanged, so the review link is the only link in the email.
        "  Artifact: s3[:]//modelops-artifacts-111111111111-eu-west-1/artifacts/churn-model/model[.]tar[.]gz",
        "  Image: 111111111111[.]dkr[.]ecr[.]eu-west-1[.]amazonaws[.]com/churn@sha256:" + "1" * 64,
        "",
        "Model card: Draft",
        "",
    ]
    assert lines[19].startswith("https://review.example/v1/review?token=")
    assert workflow.messages("prod") == []


def test_a_status_other_than_pending_notifies_nobody(workflow: Workflow) -> None:
    arn = workflow.register()
    assert notify.handler(state_change(arn, "Approved"), context("notify")) == {"published": 0}
    assert workflow.messages("qa") == []


# The rules name no model (they would grow with each one): the handlers pass over a group accounts.yaml does not
# configure, whoever created it.
UNCONFIGURED = f"arn:aws:sagemaker:{REGION}:{SHARED}:model-package/zz-unconfigured/1"


def test_a_pending_version_of_a_model_accounts_yaml_does_not_configure_notifies_nobody(workflow: Workflow) -> None:
    assert notify.handler(state_change(UNCONFIGURED, "PendingManualApproval"), context("notify")) == {
        "published": 0,
        "ignored": "not a configured model",
    }
    assert workflow.messages("qa") == []


def test_a_verified_deploy_of_a_model_accounts_yaml_does_not_configure_notifies_nobody(workflow: Workflow) -> None:
    assert notify.handler(deploy_verified(UNCONFIGURED), context("notify")) == {
        "published": 0,
        "ignored": "not a configured model",
    }
    assert workflow.messages("prod") == []


# -- review page and decision ----------------------------------------------------------------------------------


def test_opening_the_review_link_shows_the_page_and_changes_nothing(workflow: Workflow) -> None:
    arn = workflow.register()
    token = issue(workflow, arn)
    before = workflow.snapshot(arn)
    response = review.handler(api_event("GET", "/review", query={"token": token}), context("review"))
    assert response["statusCode"] == 200
    assert response["headers"]["Referrer-Policy"] == "no-referrer"
    assert "<h1>Review churn-model version 1 for qa</h1>" in response["body"]
    assert "<td>0.91</td><td>unknown</td><td>min 0.8</td>" in response["body"]
    # The card as sections: its status and risk, then each section's fields (not JSON, not a flattened summary).
    assert (
        "<h3>Card status</h3><dl><dt>status</dt><dd>Draft</dd><dt>risk rating</dt><dd>not rated</dd></dl>"
        "<h3>Intended uses</h3><dl><dt>purpose of model</dt><dd>Predicts churn</dd></dl>"
    ) in response["body"]
    assert workflow.snapshot(arn) == before


def test_approving_through_the_page_records_the_decision_in_registry_and_history(workflow: Workflow) -> None:
    arn = workflow.register()
    response = post_decision(issue(workflow, arn))
    assert response["statusCode"] == 200
    assert "<title>Approved: churn-model version 1 for qa</title>" in response["body"]
    described = boto3.client("sagemaker", region_name=REGION).describe_model_package(ModelPackageName=arn)
    assert described["ModelApprovalStatus"] == "Approved"
    assert described["ApprovalDescription"] == f"{QA_APPROVER}: metrics meet the qa gate"
    assert described["CustomerMetadataProperties"]["approval:qa:decision"] == "Approved"
    [entry] = workflow.history()
    assert {k: entry[k] for k in ("who", "action", "reason", "arn", "account", "env")} == {
        "who": QA_APPROVER,
        "action": "approved",
        "reason": "metrics meet the qa gate",
        "arn": arn,
        "account": SHARED,
        "env": "qa",
    }


# Each case prepares the workflow and returns the token the request carries.
Prepare = Callable[[Workflow, str], str]


def expired(workflow: Workflow, arn: str) -> str:
    return issue(workflow, arn, now=settings.now() - timedelta(hours=73))


def forged(workflow: Workflow, arn: str) -> str:
    return tokens.issue(b"not the key", arn=arn, env="qa", approver=QA_APPROVER, now=settings.now())


def reused(workflow: Workflow, arn: str) -> str:
    token = issue(workflow, arn)
    claims = tokens.verify(TOKEN_KEY.encode(), token, now=settings.now())
    tokens.consume(workflow.table, claims, key_prefix=naming.approval_function_name("review"), now=settings.now())
    return token


def outsider(workflow: Workflow, arn: str) -> str:
    return issue(workflow, arn, approver=PROD_APPROVER)


def unknown_package(workflow: Workflow, arn: str) -> str:
    return issue(workflow, arn.replace("/1", "/9"))


def already_decided(workflow: Workflow, arn: str) -> str:
    assert post_decision(issue(workflow, arn))["statusCode"] == 200
    return issue(workflow, arn)


REFUSALS: dict[str, tuple[Prepare, int, str, str]] = {
    "expired token": (
        expired,
        410,
        "This review link has expired",
        "the review link has expired; ask for a new one (links are valid for a limited time)",
    ),
    "forged token": (
        forged,
        403,
        "This review link is not valid",
        "the review link&#x27;s signature is not valid; it was altered or not issued by modelops",
    ),
    "reused token": (
        reused,
        409,
        "This review link was already used",
        "this review link was already used; each link records one decision",
    ),
    "approver outside the group": (
        outsider,
        403,
        "Not an approver for this environment",
        "prod.approver@example.com is not a member of ml-risk-qa, the approver group of qa",
    ),
    "unknown package": (
        unknown_package,
        404,
        "Unknown model package",
        "model package arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-model/9 does not exist "
        "in the registry",
    ),
    "already decided": (
        already_decided,
        409,
        "Already decided",
        "churn-model v1 is already Approved by qa.approver@example.com at ",
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_bad_decision_request_gets_a_4xx_page_naming_the_problem_and_changes_nothing(
    workflow: Workflow, case: str
) -> None:
    prepare, status, title, message = REFUSALS[case]
    arn = workflow.register()
    token = prepare(workflow, arn)
    before = workflow.snapshot(arn)
    response = post_decision(token, "Rejected", "should not be recorded")
    assert response["statusCode"] == status
    assert f"<h1>{title}</h1>" in response["body"]
    assert f'<p class="note error" role="alert">{message}' in response["body"]
    assert "<p>Nothing was changed.</p>" in response["body"]
    assert workflow.snapshot(arn) == before


def test_a_decision_that_aws_fails_to_record_leaves_the_review_link_usable(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    arn = workflow.register()
    token = issue(workflow, arn)
    before = workflow.snapshot(arn)

    def unavailable(*args: Any, **kwargs: Any) -> Any:
        raise AwsCallFailed("the SageMaker registry failed: ServiceUnavailable")

    with monkeypatch.context() as patched:
        patched.setattr(review, "decide", unavailable)
        failed = post_decision(token)
    assert failed["statusCode"] == 502
    assert "the SageMaker registry failed: ServiceUnavailable" in failed["body"]
    assert workflow.snapshot(arn) == before  # the link's single use is not recorded
    assert post_decision(token)["statusCode"] == 200


def test_a_decision_while_another_holds_the_versions_lease_is_refused_and_changes_nothing(workflow: Workflow) -> None:
    arn = workflow.register()
    prefix = naming.approval_function_name("review")
    workflow.table.put_item(
        Item={"id": f"{prefix}#decision-lease#{arn}", "holder": "other", "expiration": int(time.time()) + 60}
    )
    before = workflow.snapshot(arn)
    response = post_decision(issue(workflow, arn))
    assert response["statusCode"] == 409
    assert "<h1>Another decision is being recorded</h1>" in response["body"]
    assert f"another decision on {arn} is being recorded; try again in a minute" in response["body"]
    assert workflow.snapshot(arn) == before


def test_a_lease_left_by_a_crashed_decision_expires(workflow: Workflow) -> None:
    arn = workflow.register()
    prefix = naming.approval_function_name("review")
    workflow.table.put_item(
        Item={"id": f"{prefix}#decision-lease#{arn}", "holder": "crashed", "expiration": int(time.time()) - 1}
    )
    assert post_decision(issue(workflow, arn))["statusCode"] == 200


def test_every_refused_decision_is_recorded_in_the_decision_services_log(
    workflow: Workflow, caplog: pytest.LogCaptureFixture
) -> None:
    arn = workflow.register()
    post_decision(issue(workflow, arn, approver=PROD_APPROVER))
    [refused] = [r for r in caplog.records if r.getMessage() == "decision refused"]
    fields = ("levelname", "arn", "env", "approver", "verdict", "rule", "why")
    assert {k: getattr(refused, k) for k in fields} == {
        "levelname": "WARNING",
        "arn": arn,
        "env": "qa",
        "approver": PROD_APPROVER,
        "verdict": "approve",
        "rule": "not-an-approver",
        "why": "prod.approver@example.com is not a member of ml-risk-qa, the approver group of qa",
    }


def test_every_refused_decision_on_a_version_of_ours_is_appended_to_its_ledger(workflow: Workflow) -> None:
    arn = workflow.register()
    post_decision(issue(workflow, arn, approver=PROD_APPROVER))
    assert (workflow.refusals(), workflow.history()) == (
        [
            (
                PROD_APPROVER,
                "qa",
                "approve refused (not-an-approver): prod.approver@example.com is not a member of ml-risk-qa, the "
                "approver group of qa",
            )
        ],
        [],
    )


def test_a_decision_without_a_reason_is_refused(workflow: Workflow) -> None:
    arn = workflow.register()
    before = workflow.snapshot(arn)
    response = post_decision(issue(workflow, arn), reason="   ")
    assert response["statusCode"] == 400
    assert "say why you approve or reject; the reason is audited" in response["body"]
    assert workflow.snapshot(arn) == before


# -- sign-in: the link names who may decide, the identity provider says who is deciding ----------------------


def get_review(token: str, cookie: str | None = None) -> dict[str, Any]:
    return review.handler(api_event("GET", "/review", query={"token": token}, cookie=cookie), context("review"))


def set_cookies(response: dict[str, Any]) -> list[str]:
    return list((response.get("multiValueHeaders") or {}).get("Set-Cookie", []))


@dataclass(frozen=True)
class Started:
    """A sign-in begun at GET /signin: where the browser was sent and the state cookie it was given."""

    response: dict[str, Any]
    authorization: dict[str, str]  # the authorization request's parameters
    state_cookie: str  # the Cookie header the browser sends back

    @property
    def state(self) -> str:
        return self.authorization["state"]


def start_sign_in(token: str) -> Started:
    response = review.handler(api_event("GET", "/signin", query={"token": token}), context("review"))
    assert response["statusCode"] == 302, response["body"]
    location = urlsplit(response["headers"]["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == AUTHORIZATION_ENDPOINT
    [cookie] = set_cookies(response)
    return Started(response, dict(parse_qsl(location.query)), cookie.split(";")[0])


def callback(query: dict[str, str], cookie: str | None) -> dict[str, Any]:
    return review.handler(api_event("GET", "/callback", query=query, cookie=cookie), context("review"))


def sign_in(token: str, token_endpoint: TokenEndpoint, *, email: str = QA_APPROVER) -> dict[str, Any]:
    """The whole round trip: /signin, the identity provider signs `email` in, /callback."""
    started = start_sign_in(token)
    token_endpoint.nonce, token_endpoint.email = started.authorization["nonce"], email
    return callback({"code": "the-code", "state": started.state}, started.state_cookie)


def session_cookie_of(response: dict[str, Any]) -> str:
    [cookie] = [c for c in set_cookies(response) if c.startswith(f"{signin.SESSION_COOKIE}=")]
    return cookie.split(";")[0]


def decision_section(html: str) -> str:
    return html.split('<h2 id="decide">Decision</h2>', 1)[1]


def test_without_a_session_the_review_page_offers_sign_in_and_no_decision_form(workflow: Workflow) -> None:
    arn = workflow.register()
    token = issue(workflow, arn)
    response = get_review(token)
    assert response["statusCode"] == 200
    section = decision_section(response["body"])
    assert "<form" not in section
    assert (
        f'<a class="signin" href="signin?{urlencode({"token": token}).replace("&", "&amp;")}">'
        f"Sign in as {QA_APPROVER} to decide</a>"
    ) in section


def test_the_decision_form_is_shown_to_the_approver_signed_in_for_this_link(workflow: Workflow) -> None:
    arn = workflow.register()
    token = issue(workflow, arn)
    section = decision_section(get_review(token, session(token))["body"])
    assert '<form method="post" action="decision">' in section
    assert "Sign in as" not in section


def test_a_person_signed_in_as_someone_else_sees_a_refusal_instead_of_the_form(workflow: Workflow) -> None:
    arn = workflow.register()
    token = issue(workflow, arn)
    section = decision_section(get_review(token, session(token, email=PROD_APPROVER))["body"])
    assert "<form" not in section
    assert (
        f'<p class="note error" role="alert">Signed in as {PROD_APPROVER}, but this link was sent to '
        f"{QA_APPROVER}. Only {QA_APPROVER} can decide with it.</p>"
    ) in section
    assert f"Sign in as {QA_APPROVER} to decide</a>" in section


def expired_session(token: str) -> str:
    return session(token, now=settings.now() - timedelta(minutes=15))


def forged_session(token: str) -> str:
    return session(token, key="not the session key")


def session_for_another_link(token: str) -> str:
    other = tokens.issue(
        TOKEN_KEY.encode(), arn="arn:other", env="qa", approver=QA_APPROVER, now=settings.now(), nonce="other-link"
    )
    return session(other)


def no_session(token: str) -> None:
    return None


def someone_else(token: str) -> str:
    return session(token, email=PROD_APPROVER)


# Each case: the Cookie header the browser sends with the link's form, the refusal's title and its one line.
NOT_SIGNED_IN: dict[str, tuple[Callable[[str], str | None], str, str]] = {
    "no session": (
        no_session,
        "Sign-in required",
        f"sign in as {QA_APPROVER} to decide; the review link alone is not enough",
    ),
    "someone else's session": (
        someone_else,
        "Signed in as someone else",
        f"signed in as {PROD_APPROVER}, but this link was sent to {QA_APPROVER}",
    ),
    "expired session": (
        expired_session,
        "Sign-in required",
        f"your sign-in has expired (it lasts 15 minutes); sign in as {QA_APPROVER} again to decide",
    ),
    "forged session": (
        forged_session,
        "Sign-in required",
        f"your sign-in is not valid; sign in as {QA_APPROVER} again to decide",
    ),
    "session for another link": (
        session_for_another_link,
        "Sign-in required",
        f"your sign-in was for another review link; sign in as {QA_APPROVER} again to decide",
    ),
}


@pytest.mark.parametrize("case", list(NOT_SIGNED_IN))
def test_a_decision_without_the_approvers_session_for_this_link_is_refused_403_and_changes_nothing(
    workflow: Workflow, case: str
) -> None:
    cookie_of, title, message = NOT_SIGNED_IN[case]
    arn = workflow.register()
    token = issue(workflow, arn)
    before = workflow.snapshot(arn)
    response = post_decision(token, cookie=cookie_of(token), signed_in=False)
    assert response["statusCode"] == 403
    assert f"<h1>{title}</h1>" in response["body"]
    assert f'<p class="note error" role="alert">{message}</p>' in response["body"]
    assert workflow.snapshot(arn) == before
    # The page shows the same person why there is no form, and the way to sign in.
    section = decision_section(get_review(token, cookie_of(token))["body"])
    assert "<form" not in section
    assert f"Sign in as {QA_APPROVER} to decide</a>" in section


def test_signing_in_sends_the_browser_to_the_identity_provider_with_state_nonce_and_pkce(workflow: Workflow) -> None:
    arn = workflow.register()
    token = issue(workflow, arn)
    before = workflow.snapshot(arn)
    started = start_sign_in(token)
    parameters = started.authorization
    assert {k: parameters[k] for k in ("response_type", "client_id", "redirect_uri", "scope", "login_hint")} == {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": CALLBACK_URL,
        "scope": "openid email",
        "login_hint": QA_APPROVER,
    }
    assert parameters["code_challenge_method"] == "S256"
    assert len(parameters["code_challenge"]) == 43  # base64url of a SHA-256 digest
    assert len(parameters["state"]) >= 43
    assert len(parameters["nonce"]) >= 32
    assert started.response["headers"]["Referrer-Policy"] == "no-referrer"
    assert set_cookies(started.response) == [
        f"modelops_signin={started.state}; Max-Age=600; Path=/; Secure; HttpOnly; SameSite=Lax"
    ]
    # The pending sign-in is kept under the review function's key prefix, by the state's digest, for 10 minutes.
    record_id = f"modelops-approval-review#signin#{hashlib.sha256(started.state.encode()).hexdigest()}"
    item = workflow.table.get_item(Key={"id": record_id})["Item"]
    assert (item["review_token"], item["review_nonce"], item["nonce"]) == (
        token,
        token_nonce(token),
        parameters["nonce"],
    )
    assert 0 < int(item["expiration"]) - time.time() <= 600
    verifier_challenge = base64.urlsafe_b64encode(hashlib.sha256(item["verifier"].encode()).digest())
    assert verifier_challenge.rstrip(b"=").decode() == parameters["code_challenge"]
    # Nothing about the version changed: only the pending sign-in was added.
    after = workflow.snapshot(arn)
    assert after[:4] == before[:4]
    assert after[4] == sorted([*before[4], record_id])


def test_signing_in_with_an_expired_link_is_refused_before_the_identity_provider(workflow: Workflow) -> None:
    arn = workflow.register()
    response = review.handler(api_event("GET", "/signin", query={"token": expired(workflow, arn)}), context("review"))
    assert response["statusCode"] == 410
    assert "<h1>This review link has expired</h1>" in response["body"]
    assert set_cookies(response) == []


def test_the_callback_exchanges_the_code_and_sets_a_15_minute_session_for_this_link(
    workflow: Workflow, token_endpoint: TokenEndpoint
) -> None:
    arn = workflow.register()
    token = issue(workflow, arn)
    started = start_sign_in(token)
    token_endpoint.nonce = started.authorization["nonce"]

    response = callback({"code": "the-code", "state": started.state}, started.state_cookie)

    assert response["statusCode"] == 200
    [value] = [c.split(";")[0].split("=", 1)[1] for c in set_cookies(response) if c.startswith("modelops_session=")]
    assert set_cookies(response) == [
        f"modelops_session={value}; Max-Age=900; Path=/; Secure; HttpOnly; SameSite=Strict",
        "modelops_signin=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Lax",
    ]
    assert signin.visitor(SESSION_KEY.encode(), value, review_nonce=token_nonce(token), now=settings.now()) == (
        signin.Visitor(email=QA_APPROVER)
    )
    review_href = f"review?{urlencode({'token': token})}"
    assert f'<meta http-equiv="refresh" content="0; url={review_href}">' in response["body"]
    assert f"<title>Signed in as {QA_APPROVER}</title>" in response["body"]
    # The code went to the token endpoint with the client's secret (HTTP Basic) and the PKCE verifier.
    [request] = token_endpoint.requests
    assert (
        request["headers"]["authorization"]
        == "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    )
    verifier = request["form"].pop("code_verifier")
    assert request["form"] == {"grant_type": "authorization_code", "code": "the-code", "redirect_uri": CALLBACK_URL}
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert challenge == started.authorization["code_challenge"]
    # With the session, the approver sees the form and decides.
    cookie = f"modelops_session={value}"
    assert '<form method="post" action="decision">' in get_review(token, cookie)["body"]
    assert post_decision(token, cookie=cookie)["statusCode"] == 200
    assert workflow.history()[0]["who"] == QA_APPROVER


def test_a_person_who_signs_in_through_someone_elses_link_is_signed_in_as_themselves(
    workflow: Workflow, token_endpoint: TokenEndpoint
) -> None:
    """The forwarded email: its reader signs in as who they are, and the link still decides nothing for them."""
    arn = workflow.register()
    token = issue(workflow, arn)
    response = sign_in(token, token_endpoint, email=PROD_APPROVER)
    assert f"<title>Signed in as {PROD_APPROVER}</title>" in response["body"]
    before = workflow.snapshot(arn)
    refused = post_decision(token, cookie=session_cookie_of(response))
    assert refused["statusCode"] == 403
    assert f"signed in as {PROD_APPROVER}, but this link was sent to {QA_APPROVER}" in refused["body"]
    assert workflow.snapshot(arn) == before


def unknown_state(started: Started) -> tuple[dict[str, str], str | None]:
    return {"code": "c", "state": "never-issued"}, f"{signin.STATE_COOKIE}=never-issued"


def other_browser(started: Started) -> tuple[dict[str, str], str | None]:
    return {"code": "c", "state": started.state}, None


def mismatched_state(started: Started) -> tuple[dict[str, str], str | None]:
    return {"code": "c", "state": started.state}, f"{signin.STATE_COOKIE}=another-sign-in"


def used_state(started: Started) -> tuple[dict[str, str], str | None]:
    callback({"code": "c", "state": started.state}, started.state_cookie)  # whatever the answer, the state is spent
    return {"code": "c", "state": started.state}, started.state_cookie


def late_state(started: Started) -> tuple[dict[str, str], str | None]:
    """The pending sign-in outlived its 10 minutes (DynamoDB's TTL has not removed it yet)."""
    table = boto3.resource("dynamodb", region_name=REGION).Table(naming.APPROVAL_TABLE)
    record_id = f"modelops-approval-review#signin#{hashlib.sha256(started.state.encode()).hexdigest()}"
    table.update_item(
        Key={"id": record_id},
        UpdateExpression="SET expiration = :past",
        ExpressionAttributeValues={":past": int(time.time()) - 1},
    )
    return {"code": "c", "state": started.state}, started.state_cookie


def provider_refused(started: Started) -> tuple[dict[str, str], str | None]:
    return {"error": "access_denied", "state": started.state}, started.state_cookie


def no_code(started: Started) -> tuple[dict[str, str], str | None]:
    return {"state": started.state}, started.state_cookie


# Each case: the callback's query and Cookie header, its status and its one line.
BAD_CALLBACKS: dict[str, tuple[Callable[[Started], tuple[dict[str, str], str | None]], int, str]] = {
    "state the function never issued": (
        unknown_state,
        400,
        "this sign-in is unknown or was already used; open the review link and sign in again",
    ),
    "another browser (no state cookie)": (
        other_browser,
        403,
        "this sign-in was not started in this browser; open the review link and sign in again",
    ),
    "state cookie of another sign-in": (
        mismatched_state,
        403,
        "this sign-in was not started in this browser; open the review link and sign in again",
    ),
    "state used before": (
        used_state,
        400,
        "this sign-in is unknown or was already used; open the review link and sign in again",
    ),
    "state older than 10 minutes": (
        late_state,
        400,
        "this sign-in took longer than 10 minutes; open the review link and sign in again",
    ),
    "the identity provider refused": (
        provider_refused,
        403,
        "the identity provider did not sign you in (access_denied); open the review link again",
    ),
    "no code": (
        no_code,
        400,
        "the identity provider's answer has no code or state; open the review link and sign in again",
    ),
}


@pytest.mark.parametrize("case", list(BAD_CALLBACKS))
def test_a_callback_whose_state_does_not_match_a_sign_in_of_this_browser_is_refused_and_sets_no_session(
    workflow: Workflow, token_endpoint: TokenEndpoint, case: str
) -> None:
    prepare, status, message = BAD_CALLBACKS[case]
    arn = workflow.register()
    started = start_sign_in(issue(workflow, arn))
    query, cookie = prepare(started)
    exchanged = len(token_endpoint.requests)
    response = callback(query, cookie)
    assert response["statusCode"] == status
    assert f'<p class="note error" role="alert">{escape(message)}</p>' in response["body"]
    assert set_cookies(response) == []
    assert len(token_endpoint.requests) == exchanged  # the code never reached the token endpoint


def answer(status: int, body: dict[str, Any] | str) -> Callable[[TokenEndpoint], None]:
    def prepare(endpoint: TokenEndpoint) -> None:
        endpoint.status = status
        endpoint.body = (body if isinstance(body, str) else json.dumps(body)).encode()

    return prepare


def claims(**overrides: Any) -> Callable[[TokenEndpoint], None]:
    def prepare(endpoint: TokenEndpoint) -> None:
        endpoint.claims = overrides

    return prepare


# Each case: what the token endpoint answers, the callback's status and its one line.
FAILED_EXCHANGES: dict[str, tuple[Callable[[TokenEndpoint], None], int, str]] = {
    "code refused": (
        answer(400, {"error": "invalid_grant", "error_description": "code expired"}),
        502,
        "the identity provider refused the sign-in code: HTTP 400 invalid_grant",
    ),
    "client refused": (
        answer(401, {"error": "invalid_client"}),
        502,
        "the identity provider refused the sign-in code: HTTP 401 invalid_client",
    ),
    "not JSON": (
        answer(200, "<html>maintenance</html>"),
        502,
        "the identity provider's token response holds no ID token",
    ),
    "no ID token": (
        answer(200, {"access_token": "a", "token_type": "Bearer"}),
        502,
        "the identity provider's token response holds no ID token",
    ),
    "encrypted ID token": (
        answer(200, {"id_token": "a.b.c.d.e"}),
        502,
        "the identity provider's ID token is not a signed JWT (encrypted ID tokens are not supported)",
    ),
    "another issuer": (
        claims(iss="https://evil.example"),
        403,
        f"the ID token was issued by 'https://evil.example', not by {ISSUER}",
    ),
    "another audience": (
        claims(aud="another-client"),
        403,
        f"the ID token is meant for 'another-client', not for this client alone ({CLIENT_ID})",
    ),
    "more audiences": (
        claims(aud=[CLIENT_ID, "another-client"]),
        403,
        f"the ID token is meant for ['{CLIENT_ID}', 'another-client'], not for this client alone ({CLIENT_ID})",
    ),
    "issued to another party": (
        claims(azp="another-client"),
        403,
        f"the ID token was issued to 'another-client', not to {CLIENT_ID}",
    ),
    "expired": (claims(exp=1), 403, "the ID token has expired"),
    "another sign-in's nonce": (claims(nonce="replayed"), 403, "the ID token's nonce is not this sign-in's"),
    "no email": (claims(email=None), 403, "the ID token carries no email; allow the email scope for this client"),
    "unverified email": (
        claims(email_verified=False),
        403,
        f"the identity provider has not verified {QA_APPROVER}",
    ),
}


@pytest.mark.parametrize("case", list(FAILED_EXCHANGES))
def test_a_code_exchange_that_fails_is_refused_in_one_line_and_sets_no_session(
    workflow: Workflow, token_endpoint: TokenEndpoint, case: str
) -> None:
    prepare, status, message = FAILED_EXCHANGES[case]
    arn = workflow.register()
    token = issue(workflow, arn)
    started = start_sign_in(token)
    token_endpoint.nonce = started.authorization["nonce"]
    prepare(token_endpoint)
    response = callback({"code": "the-code", "state": started.state}, started.state_cookie)
    assert response["statusCode"] == status
    assert f'<p class="note error" role="alert">{escape(message)}</p>' in response["body"]
    assert set_cookies(response) == []
    assert "<form" not in decision_section(get_review(token)["body"])


def test_an_unreachable_token_endpoint_is_named_in_one_line(
    workflow: Workflow, token_endpoint: TokenEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    arn = workflow.register()
    started = start_sign_in(issue(workflow, arn))
    monkeypatch.setenv("SIGNIN_TOKEN_ENDPOINT", "http://127.0.0.1:9/oauth2/token")  # the discard port: closed
    response = callback({"code": "the-code", "state": started.state}, started.state_cookie)
    assert response["statusCode"] == 502
    assert (
        "cannot reach the identity provider&#x27;s token endpoint http://127.0.0.1:9/oauth2/token: "
        "[Errno 111] Connection refused</p>"
    ) in response["body"]
    assert set_cookies(response) == []


# -- the IAM route for the CLI -----------------------------------------------------------------------------------


def sso(person: str) -> str:
    """The caller ARN API Gateway reports for `person` signed in with the approver permission set."""
    return f"arn:aws:sts::{SHARED}:assumed-role/AWSReservedSSO_ModelOpsApprover_0123456789abcdef/{person}"


SSO_APPROVER = sso(QA_APPROVER)


def post_decisions(body: dict[str, Any], user_arn: str) -> dict[str, Any]:
    return review.handler(api_event("POST", "/decisions", body=json.dumps(body), user_arn=user_arn), context("review"))


def test_the_iam_route_decides_as_the_signed_in_approver(workflow: Workflow) -> None:
    arn = workflow.register()
    response = post_decisions({"arn": arn, "env": "qa", "decision": "Approved", "reason": "ok for qa"}, SSO_APPROVER)
    assert response["statusCode"] == 200
    result = json.loads(response["body"])
    assert {k: result[k] for k in ("arn", "env", "status", "approver", "reason")} == {
        "arn": arn,
        "env": "qa",
        "status": "Approved",
        "approver": QA_APPROVER,
        "reason": "ok for qa",
    }


def test_the_iam_route_refuses_to_reject_a_version_already_approved_for_the_environment(workflow: Workflow) -> None:
    arn = workflow.register()
    approve = {"arn": arn, "env": "qa", "decision": "Approved", "reason": "ok for qa"}
    assert post_decisions(approve, SSO_APPROVER)["statusCode"] == 200
    before = workflow.snapshot(arn)
    reject = {"arn": arn, "env": "qa", "decision": "Rejected", "reason": "second thoughts"}
    response = post_decisions(reject, SSO_APPROVER)
    assert response["statusCode"] == 409
    message = json.loads(response["body"])["error"]
    assert message.startswith(f"churn-model v1 is already Approved by {QA_APPROVER} at ")
    assert workflow.snapshot(arn) == before


def test_a_retried_iam_request_returns_the_first_result_instead_of_deciding_twice(workflow: Workflow) -> None:
    arn = workflow.register()
    body = {"arn": arn, "env": "qa", "decision": "Approved", "reason": "ok for qa"}
    first = post_decisions(body, SSO_APPROVER)
    second = post_decisions(body, SSO_APPROVER)
    assert (first["statusCode"], second["statusCode"]) == (200, 200)
    assert json.loads(second["body"]) == json.loads(first["body"])
    assert len(workflow.history()) == 1


def test_the_iam_route_refuses_identities_other_than_the_approver_permission_set(workflow: Workflow) -> None:
    arn = workflow.register()
    before = workflow.snapshot(arn)
    impostor = f"arn:aws:sts::{SHARED}:assumed-role/some-role/{QA_APPROVER}"
    response = post_decisions({"arn": arn, "env": "qa", "decision": "Approved", "reason": "x"}, impostor)
    assert response["statusCode"] == 403
    assert json.loads(response["body"]) == {
        "error": f"caller {impostor} is not signed in with the ModelOpsApprover permission set of the "
        "shared-services account"
    }
    assert workflow.snapshot(arn) == before


# -- dispatch --------------------------------------------------------------------------------------------------


def test_an_approved_version_sends_github_one_repository_dispatch(workflow: Workflow, github: GitHubStandIn) -> None:
    arn = workflow.register()
    post_decision(issue(workflow, arn))
    event = environment_approved(arn)
    first = dispatch.handler(event, context("dispatch"))
    second = dispatch.handler(event, context("dispatch"))
    assert first == second == {"dispatched": True, "arn": arn, "env": "qa", "status": 204}
    [request] = github.requests
    assert request["path"] == "/repos/example-org/modelops/dispatches"
    assert request["body"] == {
        "event_type": "model-approved",
        "client_payload": {"model": "churn-model", "version": 1, "arn": arn, "env": "qa"},
    }
    # Header names are case-insensitive (RFC 9110); the stand-in records them in lower case.
    assert {k: request["headers"][k] for k in ("authorization", "accept", "x-github-api-version")} == {
        "authorization": f"Bearer {GITHUB_TOKEN}",
        "accept": "application/vnd.github+json",
        "x-github-api-version": "2022-11-28",
    }


def test_an_approval_of_a_model_accounts_yaml_does_not_configure_dispatches_nothing(
    workflow: Workflow, github: GitHubStandIn
) -> None:
    assert dispatch.handler(environment_approved(UNCONFIGURED), context("dispatch")) == {"dispatched": False}
    assert github.requests == []


def test_an_event_for_an_environment_the_registry_does_not_record_as_approved_dispatches_nothing(
    workflow: Workflow, github: GitHubStandIn
) -> None:
    arn = workflow.register()
    post_decision(issue(workflow, arn))  # approved for qa only
    assert dispatch.handler(environment_approved(arn, "prod"), context("dispatch")) == {"dispatched": False}
    assert github.requests == []


def test_an_approval_for_an_environment_a_rollback_holds_at_another_version_dispatches_nothing(
    workflow: Workflow, github: GitHubStandIn
) -> None:
    arn = workflow.register()
    post_decision(issue(workflow, arn))
    held_at = arn.rsplit("/", 1)[0] + "/7"  # the version qa's rollback returned to
    hold = holds.held_record(workflow.config, "qa", held_at, who="platform.engineer@example.com", reason="errors")
    workflow.ledger().append("churn-model/promotions", hold)
    when = gates.when_text(workflow.ledger().read("churn-model/promotions")[-1].when)
    assert dispatch.handler(environment_approved(arn), context("dispatch")) == {
        "dispatched": False,
        "refusal": f"hold: qa is held at churn-model v7 since the rollback by platform.engineer@example.com at {when} "
        '("errors"); release it with `modelops release churn-model --env qa --reason ...`',
    }
    assert github.requests == []


def test_a_decision_that_completes_a_quorum_asks_for_the_promotion_and_one_that_does_not_does_not(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    arn = workflow.register()
    sent: list[dict[str, str]] = []

    def entry(**fields: str) -> dict[str, str]:
        sent.append(fields)
        return {"Source": "modelops.decisions", "DetailType": "ModelOps Environment Approved", "Detail": "{}"}

    monkeypatch.setattr(review, "environment_approved_entry", entry)
    post_decision(issue(workflow, arn))
    first = post_decisions(
        {"arn": arn, "env": "prod", "decision": "Approved", "reason": "holds in qa"}, sso(PROD_APPROVER)
    )
    assert json.loads(first["body"])["promotion"] == ""  # 1 of 2: nothing to promote yet
    second = post_decisions(
        {"arn": arn, "env": "prod", "decision": "Approved", "reason": "risk accepted"}, sso(RISK_OFFICER)
    )
    assert json.loads(second["body"])["promotion"] == "requested"
    bus = f"arn:aws:events:{REGION}:{SHARED}:event-bus/default"
    assert sent == [{"arn": arn, "env": "qa", "bus_arn": bus}, {"arn": arn, "env": "prod", "bus_arn": bus}]


def test_a_dispatch_github_refuses_fails_the_invocation_so_lambda_retries(
    workflow: Workflow, github: GitHubStandIn
) -> None:
    arn = workflow.register()
    post_decision(issue(workflow, arn))
    github.status = 401
    with pytest.raises(dispatch.DispatchFailed) as failed:
        dispatch.handler(environment_approved(arn), context("dispatch"))
    assert (
        str(failed.value)
        == f"GitHub refused the dispatch to {github.url}/repos/example-org/modelops/dispatches: HTTP 401"
    )


def test_the_github_api_url_must_be_https_unless_it_is_this_machine() -> None:
    with pytest.raises(ValueError, match=r"GITHUB_API_URL must be an https URL, got 'http://github\.example'"):
        dispatch.dispatch_request(
            load_org("two_env"), model="m", version=1, arn="a", env="qa", api_url="http://github.example", token="t"
        )


# -- after a deploy ----------------------------------------------------------------------------------------------


def record_deploy(workflow: Workflow, arn: str, env: str = "qa") -> None:
    """The deploy record `env`'s post-deploy step appends (with its recorder role) before it reports the event."""
    workflow.ledger().append(
        f"churn-model/deploys/{env}",
        HistoryRecord(
            who="ci",
            when="2026-01-01T00:00:00Z",
            action=HistoryAction.DEPLOYED,
            reason="deployed",
            arn=arn,
            account=workflow.config.environment(env).account,
            env=env,
        ),
    )


def deploy_verified(arn: str, env: str = "qa") -> dict[str, Any]:
    """A "ModelOps Deploy Verified" event as EventBridge delivers it: anyone allowed PutEvents may send one."""
    return {
        "version": "0",
        "id": "4f2c0b5e-0000-0000-0000-000000000001",
        "detail-type": "ModelOps Deploy Verified",
        "source": "modelops.pipeline",
        "account": SHARED,
        "time": "2026-01-01T00:00:00Z",
        "region": REGION,
        "resources": [],
        "detail": {"model": "churn-model", "env": env, "arn": arn, "metrics": {}, "period": "the last hour"},
    }


def test_a_deploy_verified_event_with_no_deploy_record_tells_nobody(workflow: Workflow) -> None:
    arn = workflow.register()
    post_decision(issue(workflow, arn))
    workflow.messages("prod")
    result = notify.handler(deploy_verified(arn), context("notify"))
    assert (result, workflow.messages("prod")) == (
        {
            "published": 0,
            "refused": "the ledger holds no deploy of churn-model in qa (churn-model/deploys/qa is empty)",
        },
        [],
    )


def test_a_deploy_verified_event_for_an_arn_that_is_not_the_latest_deploy_tells_nobody(workflow: Workflow) -> None:
    arn = workflow.register()
    post_decision(issue(workflow, arn))
    record_deploy(workflow, arn)
    record_deploy(workflow, arn.replace("/1", "/2"))
    result = notify.handler(deploy_verified(arn), context("notify"))
    assert (result, workflow.messages("prod")) == (
        {
            "published": 0,
            "refused": f"the latest record of churn-model/deploys/qa (record 2) is deployed {arn.replace('/1', '/2')}, "
            f"not {arn}",
        },
        [],
    )


def test_a_registration_is_appended_to_the_ledger_once_however_often_it_is_delivered(workflow: Workflow) -> None:
    arn = workflow.register()
    for _ in range(2):
        notify.handler(state_change(arn, "PendingManualApproval"), context("notify"))
    records = workflow.ledger().read("churn-model/registrations")
    assert [(r.seq, str(r.action), r.who, r.arn, r.reason) for r in records] == [
        (1, "registered", DATA_SCIENTIST, arn, "churn model")
    ]


def test_a_verified_qa_deploy_asks_prod_approvers_with_the_endpoint_metrics(workflow: Workflow) -> None:
    arn = workflow.register()
    post_decision(issue(workflow, arn))
    record_deploy(workflow, arn)
    events = boto3.client("events", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    queue = sqs.create_queue(QueueName="deploy-verified")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="deploy-verified", EventPattern=json.dumps({"source": ["modelops.pipeline"]}))
    events.put_targets(Rule="deploy-verified", Targets=[{"Id": "q", "Arn": queue_arn}])
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    end = datetime.now(UTC).replace(microsecond=0)
    dimensions: list[DimensionTypeDef] = [
        {"Name": "EndpointName", "Value": "modelops-churn-model"},
        {"Name": "VariantName", "Value": "AllTraffic"},
    ]
    cloudwatch.put_metric_data(
        Namespace="AWS/SageMaker",
        MetricData=[
            {
                "MetricName": "Invocations",
                "Dimensions": dimensions,
                "Value": 12,
                "Timestamp": end - timedelta(minutes=5),
            },
            {
                "MetricName": "ModelLatency",
                "Dimensions": dimensions,
                "Value": 2300,
                "Timestamp": end - timedelta(minutes=5),
            },
        ],
    )
    asked = post_deploy.notify_next_environment(
        config=workflow.config,
        events=events,
        cloudwatch=cloudwatch,
        model="churn-model",
        env="qa",
        arn=arn,
        start=end - timedelta(hours=1),
        end=end,
    )
    assert asked is not None
    assert asked.env == "prod"
    assert asked.metrics == {
        "Invocations": 12.0,
        "ModelLatency": 2300.0,
        "Invocation4XXErrors": None,
        "Invocation5XXErrors": None,
    }
    [delivered] = sqs.receive_message(QueueUrl=queue)["Messages"]
    result = notify.handler(json.loads(delivered["Body"]), context("notify"))
    assert result == {"published": 2, "env": "prod"}  # each member of ml-risk-prod, whose quorum is two
    message, second = workflow.messages("prod")
    assert message["MessageAttributes"] == {"approver": {"Type": "String", "Value": PROD_APPROVER}}
    assert second["MessageAttributes"] == {"approver": {"Type": "String", "Value": RISK_OFFICER}}
    body = message["Message"]
    assert "It is live in qa. Endpoint metrics there (" in body
    assert (
        "  Invocations: 12\n  ModelLatency: 2300\n  Invocation4XXErrors: no data\n  Invocation5XXErrors: no data\n"
        in body
    )
    assert "  auc: 0.91 (prod threshold: min 0.85)" in body
    claims = tokens.verify(TOKEN_KEY.encode(), link_token(message), now=settings.now())
    assert (claims.env, claims.approver) == ("prod", PROD_APPROVER)


def test_after_the_last_environment_nobody_is_asked(workflow: Workflow) -> None:
    asked = post_deploy.notify_next_environment(
        config=workflow.config,
        events=cast("EventsClient", None),
        cloudwatch=cast("MetricsClient", None),
        model="churn-model",
        env="prod",
        arn="arn",
        start=datetime.now(UTC),
        end=datetime.now(UTC),
    )
    assert asked is None
