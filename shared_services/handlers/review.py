"""The decision service (API Gateway REST, proxy integration): the review page, sign-in and the decision routes.

- GET  /review?token=...     the page. It reads and never writes (mail scanners fetch links). Its decision form
                             is shown only to the person the link was sent to, signed in for this link.
- GET  /signin?token=...     starts the sign-in: 302 to the organisation's identity provider.
- GET  /callback?code&state  the identity provider's answer: the code is exchanged for the person's ID token,
                             a session cookie is set for this link, and the page moves on to the review page.
- POST /decision             the page's form: token, decision, reason. The signed token names the approver; the
                             session cookie must show that same person signed in for this very link.
- POST /decisions            IAM-authenticated JSON route, the one `modelops approve` and `reject` use: API
                             Gateway checks the SigV4 signature, and the approver is the caller's Identity
                             Center session (permission set ModelOpsApprover), never text the caller sends.

Who decides on the page. The review link is a bearer credential: a forwarded email, a shared mailbox or a mail
scanner that logs URLs hands it to someone else. So the link only says who MAY decide; the organisation's
identity provider says who IS deciding, and the two must be the same person. The review function is a
confidential OpenID Connect client of that provider (authorization-code flow with PKCE; `signin.py`), configured
by accounts.yaml `approvals.sign_in` (issuer, authorization and token endpoints, client id) and the client
secret in Secrets Manager (`modelops/approval/signin-client-secret`). In AWS the provider is typically a
Cognito user pool federated to IAM Identity Center by SAML; who may sign in, and with which factors, is the
provider's decision.

- /signin verifies the link, then keeps a pending sign-in in the state table under this function's key prefix
  (`modelops-approval-review#signin#<sha256 of state>`, 10 minutes, used once): the review link, its nonce,
  the PKCE verifier and the OIDC nonce. `state` also goes to the browser in a SameSite=Lax cookie, and the
  callback refuses a browser that did not begin the sign-in.
- /callback exchanges the code at the token endpoint over TLS, with the client secret and the PKCE verifier.
  The ID token comes straight from the provider over TLS, so, as OpenID Connect Core 3.1.3.7 (6) allows, TLS
  stands in for checking its signature; its `iss`, `aud`, `azp`, `exp` and `nonce` are checked. The person is
  its `email` claim.
- The session is the cookie `modelops_session` = email, expiry and the review link's nonce, HMAC-SHA256-signed
  (own context string) with the session key, a generated secret of its own (`modelops/approval/session-key`)
  that only this function reads: the notify function signs review links but cannot mint sessions. It lasts 15
  minutes and is `HttpOnly; Secure; SameSite=Strict; Path=/`; SameSite=Strict also keeps other sites from
  posting a decision with it.
- The callback answers with a page that moves on to the review page rather than a 302: the browser arrives
  from the provider's site, and a redirect would carry that cross-site origin on, so the Strict cookie would
  not be sent to the review page it leads to.
- The form is shown, and POST /decision accepted, only when the session's email equals the link's approver
  (without regard to case) and its nonce is the link's; otherwise the page offers "Sign in as <approver> to
  decide", or says "Signed in as X, but this link was sent to Y", and POST /decision answers 403 with one line.
  Review links live accounts.yaml `approvals.link_hours` (24 hours by default).

Both decision routes end in `promotion.decisions.decide`, run under the version's lease
(`locks.version_lease`) with the credentials of the environment's decision role, assumed with the
approver as role session name and source identity so CloudTrail and the registry's LastModifiedBy name
the person. Only this function can assume the decision roles; nothing a person holds can write a
decision. A review link is spent in the same unit as its decision: a decision that fails leaves the link
usable. Every refusal is logged as a structured `decision refused` record (who, what, which rule), and,
when it names a version of ours, appended to its ledger as a `refused` record.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qs

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent, event_source
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from accounts import naming
from accounts.config import OrgConfig
from accounts.validation import InputError
from promotion.aws import calling
from promotion.card_gates import required_approvals
from promotion.card_review import approve_card, check_card_approver, package_card_sections
from promotion.card_submission import DEFAULT_REASON, PENDING_REVIEW, submit_card
from promotion.decision_events import environment_approved_entry
from promotion.decisions import (
    ALREADY_DECIDED,
    NOT_AN_APPROVER,
    OWN_VERSION,
    Verdict,
    check_approver,
    check_open,
    decide,
)
from promotion.errors import DecisionRefused, ModelOpsError
from promotion.ledger import HistoryAction, HistoryRecord, Ledger, utc_now
from promotion.live_records import ApprovedRecords, LiveRecords
from promotion.metadata import Decision, StageStatus
from promotion.registry import ApprovalStatus, PackageInfo, Registry, describe_package
from promotion.sessions import assume_role
from shared_services.handlers import locks, page, settings, signin, tokens
from shared_services.handlers.message import lineage_lines, threshold_text

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient

FUNCTION = naming.approval_function_name("review")
logger = Logger(service=FUNCTION)

VERDICTS: dict[str, Verdict] = {ApprovalStatus.APPROVED: "approve", ApprovalStatus.REJECTED: "reject"}
# The page's answer to each rule of promotion.decisions that refuses: HTTP status and title.
REFUSALS = {
    NOT_AN_APPROVER: (403, "Not an approver for this environment"),
    OWN_VERSION: (403, "Not your own version"),
    ALREADY_DECIDED: (409, "Already decided"),
}
IDEMPOTENCY_SECONDS = 3600
T = TypeVar("T")
# The assumed-role ARN IAM Identity Center gives a person signed in with the approver permission set.
SSO_APPROVER_SESSION = re.compile(
    r"^arn:aws:sts::(?P<account>\d{12}):assumed-role/AWSReservedSSO_"
    + re.escape(naming.APPROVER_PERMISSION_SET)
    + r"_[0-9a-f]+/(?P<session>[\w+=,.@-]+)$"
)
# The assumed-role ARN a person signed in with the data scientists' permission set gets (they submit cards).
SSO_DATA_SCIENTIST_SESSION = re.compile(
    r"^arn:aws:sts::(?P<account>\d{12}):assumed-role/AWSReservedSSO_"
    + re.escape(naming.DATA_SCIENTIST_PERMISSION_SET)
    + r"_[0-9a-f]+/(?P<session>[\w+=,.@-]+)$"
)


class Refused(Exception):
    """A request that changes nothing: HTTP status, page title and a one-sentence reason."""

    def __init__(self, status: int, title: str, message: str, kind: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message
        self.kind = kind
        self.request: dict[str, str] = {}  # what the refused request asked for, once known


@contextmanager
def recorded_as(**request: str) -> Iterator[None]:
    """Refusals inside name what the request asked for (arn, env, approver, verdict) in the decision log."""
    try:
        yield
    except Refused as refused:
        refused.request = {**request, **refused.request}
        raise


@dataclass(frozen=True)
class Target:
    """What a request is about once its credentials are checked."""

    arn: str
    model: str
    version: int
    env: str
    approver: str
    package: PackageInfo


# -- checks shared by the page and both decision routes ----------------------------------------------------


def _verify_token(key: bytes, token: str, now: datetime) -> tokens.ReviewClaims:
    try:
        return tokens.verify(key, token, now=now)
    except tokens.TokenError as exc:
        text = str(exc)
        if "expired" in text:
            raise Refused(410, "This review link has expired", text) from None
        if "signature" in text:
            raise Refused(403, "This review link is not valid", text) from None
        raise Refused(400, "This review link is malformed", text) from None


@contextmanager
def refused_as_page() -> Iterator[None]:
    """A rule's DecisionRefused as the page's Refused, with the status and title of its kind."""
    try:
        yield
    except DecisionRefused as exc:
        status, title = REFUSALS.get(exc.kind, (409, "Decision refused"))
        raise Refused(status, title, str(exc), kind=exc.kind) from None


def check_target(config: OrgConfig, sagemaker: SageMakerClient, *, arn: str, env: str, approver: str) -> Target:
    """The version, environment and approver of a request, or Refused saying which one is wrong.

    The order matters for what a person learns: the approver's membership is checked before anything is
    read from the registry.
    """
    if env not in config.chain:
        raise Refused(404, "Unknown environment", f"environment {env!r} is not in the chain {config.chain}")
    with refused_as_page():
        check_approver(config, env, approver)
    try:
        ref = naming.parse_model_package_arn(arn)
    except ValueError as exc:
        raise Refused(404, "Unknown model package", str(exc)) from None
    known = {model.name for model in config.models}
    if ref.account != config.accounts.shared_services or ref.region != config.region or ref.group not in known:
        raise Refused(404, "Unknown model package", f"{arn} is not a version of a model in this registry")
    package = describe_package(sagemaker, arn)
    if package is None:
        raise Refused(404, "Unknown model package", f"model package {arn} does not exist in the registry")
    with refused_as_page():
        check_open(config, package, env, verdict=None, approver=approver)
    return Target(arn=arn, model=ref.group, version=ref.version, env=env, approver=approver, package=package)


# -- the decision, as the approver role ---------------------------------------------------------------------


def decision_session(config: OrgConfig, env: str, approver: str) -> boto3.Session:
    """Credentials of `env`'s decision role, with the approver as session name and source identity."""
    return assume_role(
        naming.decision_role_arn(config, env),
        session_name=approver,
        source_identity=approver,
        region=config.region,
        duration_seconds=900,
    )


def _state_table(config: OrgConfig) -> Any:
    return boto3.resource("dynamodb", region_name=config.region).Table(settings.required("STATE_TABLE"))


def record_decision(request: dict[str, Any]) -> dict[str, Any]:
    """Under the version's lease: check the request, spend-check the link, decide, then spend the link.

    The request is plain data so Powertools can key it: a retry with the same key gets the first result
    back before any check runs (the version would otherwise look "already decided" to the retry).
    """
    config = settings.org_config()
    now = settings.now()
    table = _state_table(config)
    prefix = settings.function_name(FUNCTION)
    claims = tokens.ReviewClaims(**request["token"]) if request.get("token") else None
    try:
        with locks.version_lease(table, key_prefix=prefix, arn=request["arn"], now=now):
            target = check_target(
                config,
                boto3.client("sagemaker", region_name=config.region),
                arn=request["arn"],
                env=request["env"],
                approver=request["approver"],
            )
            if claims is not None:
                tokens.check_unused(table, claims, key_prefix=prefix)
            session = decision_session(config, target.env, target.approver)
            with calling("the SageMaker registry", role=naming.decision_role_arn(config, target.env)):
                decision: Decision = decide(
                    config=config,
                    registry=Registry(session.client("sagemaker", region_name=config.region), config),
                    ledger=Ledger(session.client("dynamodb", region_name=config.region), target.model),
                    approved=ApprovedRecords(session.client("ssm", region_name=config.region)),
                    model=target.model,
                    version=target.version,
                    verdict=request["verdict"],
                    approver=target.approver,
                    reason=request["reason"],
                    env=target.env,
                )
                after = describe_package(session.client("sagemaker", region_name=config.region), target.arn)
            if claims is not None:
                tokens.consume(table, claims, key_prefix=prefix, now=now)
    except locks.VersionBusy as exc:
        raise Refused(409, "Another decision is being recorded", str(exc), kind="busy") from None
    except tokens.TokenReused as exc:
        raise Refused(409, "This review link was already used", str(exc), kind="link-used") from None
    outcome = after.decided(target.env) if after is not None else None
    promotion = ""
    if outcome is not None and outcome.status == StageStatus.APPROVED:
        promotion = request_promotion(config, arn=target.arn, env=target.env)
    return {
        "model": decision.model,
        "version": decision.version,
        "arn": decision.arn,
        "env": decision.env,
        "status": decision.status,
        "approver": decision.approver,
        "reason": decision.reason,
        "when": decision.when,
        "outcome": outcome.status if outcome is not None else "",
        "approvals": len(outcome.approvers) if outcome is not None else 0,
        "promotion": promotion,
        # The quorum this version needs here: a card's risk rating may add approvals.
        "required": required_approvals(config, target.env, after or target.package),
    }


def request_promotion(config: OrgConfig, *, arn: str, env: str) -> str:
    """Ask for `arn`'s promotion to `env` (the dispatch function's rule takes the event); what happened.

    The decision is already recorded when this runs, so a failure is reported, not raised: raising would
    make the caller's retry look "already decided". `modelops promote` remains the way to propose it.
    """
    events = boto3.client("events", region_name=config.region)
    bus = f"arn:aws:events:{config.region}:{config.accounts.shared_services}:event-bus/default"
    try:
        response = events.put_events(Entries=[environment_approved_entry(arn=arn, env=env, bus_arn=bus)])
    except ClientError as exc:
        error = exc.response.get("Error", {}).get("Code", "error")
        logger.error("promotion not requested", extra={"arn": arn, "env": env, "error": error})
        return f"not requested: EventBridge refused the event ({error}); run `modelops promote`"
    [entry] = response["Entries"]
    if "EventId" not in entry:
        logger.error("promotion not requested", extra={"arn": arn, "env": env, "error": entry.get("ErrorCode")})
        return f"not requested: EventBridge refused the event ({entry.get('ErrorCode')}); run `modelops promote`"
    return "requested"


IDEMPOTENCY = IdempotencyConfig(event_key_jmespath="idempotency_key", expires_after_seconds=IDEMPOTENCY_SECONDS)


@lru_cache(maxsize=1)
def _idempotent_record() -> Any:
    persistence = DynamoDBPersistenceLayer(table_name=settings.required("STATE_TABLE"))
    return idempotent_function(
        record_decision,
        data_keyword_argument="request",
        persistence_store=persistence,
        config=IDEMPOTENCY,
        key_prefix=f"{settings.function_name(FUNCTION)}.decision",
    )


def decide_once(
    *,
    arn: str,
    env: str,
    approver: str,
    verdict: Verdict,
    reason: str,
    idempotency_key: str,
    claims: tokens.ReviewClaims | None = None,
) -> dict[str, Any]:
    """Record the decision; a retried request with the same key returns the first result instead."""
    request = {
        "idempotency_key": idempotency_key,
        "arn": arn,
        "env": env,
        "approver": approver,
        "verdict": verdict,
        "reason": reason,
        "token": None if claims is None else dataclasses.asdict(claims),
    }
    try:
        with refused_as_page():
            result: dict[str, Any] = _idempotent_record()(request=request)
    except InputError as exc:
        raise Refused(400, "Decision not accepted", str(exc)) from None
    except ModelOpsError as exc:
        # AWS refused or failed: one line for the person, and the decision (and its link) can be retried.
        raise Refused(502, "The decision could not be recorded", str(exc)) from None
    logger.info("decision recorded", extra={k: result[k] for k in ("arn", "env", "status", "approver", "outcome")})
    return result


# -- the routes ----------------------------------------------------------------------------------------------


def _html(status: int, body: str, *, cookies: tuple[str, ...] = ()) -> dict[str, Any]:
    response: dict[str, Any] = {
        "statusCode": status,
        "headers": dict(page.SECURITY_HEADERS),
        "body": body,
        "isBase64Encoded": False,
    }
    if cookies:
        # One Set-Cookie header per cookie: API Gateway sends each value of multiValueHeaders as its own header.
        response["multiValueHeaders"] = {"Set-Cookie": list(cookies)}
    return response


def _redirect(location: str, *, cookies: tuple[str, ...] = ()) -> dict[str, Any]:
    response: dict[str, Any] = {
        "statusCode": 302,
        "headers": {"Location": location, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
        "body": "",
        "isBase64Encoded": False,
    }
    if cookies:
        response["multiValueHeaders"] = {"Set-Cookie": list(cookies)}
    return response


def _json(status: int, body: Mapping[str, Any]) -> dict[str, Any]:
    headers = {
        "Content-Type": "application/json",
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
    return {
        "statusCode": status,
        "headers": headers,
        "body": json.dumps(body, sort_keys=True),
        "isBase64Encoded": False,
    }


def _live_version(config: OrgConfig, model: str, env: str) -> tuple[str, dict[str, float]]:
    """The version recorded live in `env` and its metrics, or ('unknown', {}) when none is recorded."""
    arn = LiveRecords(boto3.client("ssm", region_name=config.region)).get(model, env)
    if arn is None:
        return page.UNKNOWN, {}
    live = describe_package(boto3.client("sagemaker", region_name=config.region), arn)
    if live is None:
        return page.UNKNOWN, {}
    return f"version {live.version}", live.metrics


def review_view(
    config: OrgConfig,
    target: Target,
    claims: tokens.ReviewClaims,
    token: str,
    visitor: signin.Visitor = signin.Visitor(),  # noqa: B008 (frozen)
) -> page.ReviewView:
    package = target.package
    live_label, live_metrics = _live_version(config, target.model, target.env)
    metrics = [
        page.MetricRow(
            name=name,
            candidate=f"{value:g}",
            live=f"{live_metrics[name]:g}" if name in live_metrics else page.UNKNOWN,
            threshold=threshold_text(config, target.model, target.env, name),
        )
        for name, value in sorted(package.metrics.items())
    ]
    created = package.created.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if package.created else "unknown"
    so_far = package.decided(target.env)
    required = required_approvals(config, target.env, package)
    decisions_so_far = (
        f"{so_far.summary()} ({len(so_far.approvers)} of {required} approvals)" if so_far.decisions else "none yet"
    )
    return page.ReviewView(
        model=target.model,
        version=target.version,
        arn=target.arn,
        env=target.env,
        approver=target.approver,
        status=package.status,
        registered_by=package.lineage.registered_by or "unknown",
        created=created,
        description=package.description,
        expires_at=claims.expires_at,
        token=token,
        live_version=live_label,
        metrics=metrics,
        model_card=package.model_card_summary or "",
        decisions_so_far=decisions_so_far,
        card_sections=tuple(package_card_sections(package)),
        lineage=lineage_lines(package),
        signed_in_as=visitor.email,
        sign_in_problem=visitor.problem,
        metrics_source=package.metrics_source,
        datazone_project=config.model(target.model).datazone_project or "",
    )


# -- sign-in --------------------------------------------------------------------------------------------------


def _request_cookies(event: APIGatewayProxyEvent) -> dict[str, str]:
    """The request's cookies, from every Cookie header API Gateway passed on."""
    values = [
        value
        for name, header_values in (event.multi_value_headers or {}).items()
        if name.lower() == "cookie"
        for value in header_values
    ]
    if not values and event.headers.get("cookie"):
        values = [str(event.headers.get("cookie"))]
    return signin.cookies(values)


def visitor_of(event: APIGatewayProxyEvent, claims: tokens.ReviewClaims, now: datetime) -> signin.Visitor:
    """Who is signed in for the review link of `claims`, by the request's session cookie."""
    value = _request_cookies(event).get(signin.SESSION_COOKIE)
    if not value:
        return signin.Visitor()
    return signin.visitor(settings.secret_bytes("SESSION_KEY_SECRET_ARN"), value, review_nonce=claims.nonce, now=now)


def require_signed_in(visitor: signin.Visitor, claims: tokens.ReviewClaims) -> None:
    """Refused (403) unless the person the link was sent to is signed in for this very link."""
    if visitor.may_decide(claims.approver):
        return
    if visitor.email is not None:
        refused = Refused(
            403,
            "Signed in as someone else",
            f"signed in as {visitor.email}, but this link was sent to {claims.approver}",
            kind="signed-in-as-someone-else",
        )
    elif visitor.problem:
        refused = Refused(
            403, "Sign-in required", f"{visitor.problem}; sign in as {claims.approver} again to decide", kind="sign-in"
        )
    else:
        refused = Refused(
            403,
            "Sign-in required",
            f"sign in as {claims.approver} to decide; the review link alone is not enough",
            kind="sign-in",
        )
    logger.warning(
        "decision refused",
        extra={
            "arn": claims.arn,
            "env": claims.env,
            "approver": claims.approver,
            "signed_in_as": visitor.email,
            "rule": refused.kind,
            "why": refused.message,
        },
    )
    raise refused


def get_signin(config: OrgConfig, event: APIGatewayProxyEvent) -> dict[str, Any]:
    """Start the sign-in for a review link: keep the pending sign-in, send the browser to the provider."""
    token = (event.query_string_parameters or {}).get("token", "")
    now = settings.now()
    claims = _verify_token(settings.secret_bytes("TOKEN_SECRET_ARN"), token, now)
    # Nothing to sign in for when the link could not decide anyway (already decided, not an approver, ...).
    sagemaker = boto3.client("sagemaker", region_name=config.region)
    check_target(config, sagemaker, arn=claims.arn, env=claims.env, approver=claims.approver)
    pending, location = signin.begin(
        signin.Provider.from_environment(),
        review_token=token,
        review_nonce=claims.nonce,
        approver=claims.approver,
        now=now,
    )
    signin.save(_state_table(config), pending, key_prefix=settings.function_name(FUNCTION))
    return _redirect(location, cookies=(signin.state_cookie(pending.state),))


def get_callback(config: OrgConfig, event: APIGatewayProxyEvent) -> dict[str, Any]:
    """The provider's answer: exchange the code, check the ID token, set the session for the review link."""
    now = settings.now()
    try:
        code, state = signin.check_callback(event.query_string_parameters or {}, _request_cookies(event))
        pending = signin.take(_state_table(config), state=state, key_prefix=settings.function_name(FUNCTION), now=now)
        claims = _verify_token(settings.secret_bytes("TOKEN_SECRET_ARN"), pending.review_token, now)
        provider = signin.Provider.from_environment()
        client_secret = settings.secret_bytes("SIGNIN_CLIENT_SECRET_ARN").decode("utf-8").strip()
        answer = signin.exchange(provider, client_secret=client_secret, code=code, verifier=pending.verifier)
        email = signin.verified_email(provider, answer["id_token"], nonce=pending.nonce, now=now)
    except signin.SignInFailed as failed:
        logger.warning("sign-in refused", extra={"status": failed.status, "why": failed.message})
        raise Refused(failed.status, failed.title, failed.message, kind="sign-in") from None
    session = signin.session_value(
        settings.secret_bytes("SESSION_KEY_SECRET_ARN"), email=email, review_nonce=claims.nonce, now=now
    )
    logger.info("signed in", extra={"email": email, "approver": claims.approver, "arn": claims.arn, "env": claims.env})
    return _html(
        200,
        page.signed_in_page(email=email, review_token=pending.review_token),
        cookies=(signin.session_cookie(session), signin.cleared_state_cookie()),
    )


# -- the page and its form -------------------------------------------------------------------------------------


def get_review(config: OrgConfig, event: APIGatewayProxyEvent) -> dict[str, Any]:
    token = (event.query_string_parameters or {}).get("token", "")
    now = settings.now()
    claims = _verify_token(settings.secret_bytes("TOKEN_SECRET_ARN"), token, now)
    sagemaker = boto3.client("sagemaker", region_name=config.region)
    target = check_target(config, sagemaker, arn=claims.arn, env=claims.env, approver=claims.approver)
    view = review_view(config, target, claims, token, visitor_of(event, claims, now))
    return _html(200, page.review_page(view))


def _form(event: APIGatewayProxyEvent) -> dict[str, str]:
    fields = parse_qs(event.decoded_body or "", keep_blank_values=True, max_num_fields=10)
    return {name: values[0] for name, values in fields.items()}


def post_decision(config: OrgConfig, event: APIGatewayProxyEvent) -> dict[str, Any]:
    form = _form(event)
    verdict = VERDICTS.get(form.get("decision", ""))
    if verdict is None:
        raise Refused(400, "Unknown decision", "the decision must be Approved or Rejected")
    reason = " ".join(form.get("reason", "").split())
    if not reason:
        raise Refused(400, "A reason is required", "say why you approve or reject; the reason is audited")
    now = settings.now()
    claims = _verify_token(settings.secret_bytes("TOKEN_SECRET_ARN"), form.get("token", ""), now)
    require_signed_in(visitor_of(event, claims, now), claims)
    sagemaker = boto3.client("sagemaker", region_name=config.region)
    with recorded_as(arn=claims.arn, env=claims.env, approver=claims.approver, verdict=verdict):
        target = check_target(config, sagemaker, arn=claims.arn, env=claims.env, approver=claims.approver)
        result = decide_once(
            arn=target.arn,
            env=target.env,
            approver=target.approver,
            verdict=verdict,
            reason=reason,
            idempotency_key=f"token:{claims.nonce}",
            claims=claims,
        )
    return _html(
        200,
        page.result_page(
            model=target.model,
            version=target.version,
            env=target.env,
            decision=result["status"],
            approver=claims.approver,
        ),
    )


def _card_write(config: OrgConfig, *, arn: str, person: str, write: Callable[[Registry, Ledger, int], T]) -> T:
    """Run a card step (`write`, given the registry, the model's ledger and the version) on `arn`, under the
    version's lease, with the decision role of the environment that approves cards, as `person`."""
    env = config.card_environment().name
    try:
        ref = naming.parse_model_package_arn(arn)
    except ValueError as exc:
        raise Refused(404, "Unknown model package", str(exc)) from None
    known = {model.name for model in config.models}
    if ref.account != config.accounts.shared_services or ref.region != config.region or ref.group not in known:
        raise Refused(404, "Unknown model package", f"{arn} is not a version of a model in this registry")
    now = settings.now()
    try:
        with locks.version_lease(_state_table(config), key_prefix=settings.function_name(FUNCTION), arn=arn, now=now):
            session = decision_session(config, env, person)
            with refused_as_page(), calling("the SageMaker registry", role=naming.decision_role_arn(config, env)):
                return write(
                    Registry(session.client("sagemaker", region_name=config.region), config),
                    Ledger(session.client("dynamodb", region_name=config.region), ref.group),
                    ref.version,
                )
    except locks.VersionBusy as exc:
        raise Refused(409, "Another decision is being recorded", str(exc), kind="busy") from None
    except InputError as exc:
        raise Refused(400, "Decision not accepted", str(exc)) from None
    except ModelOpsError as exc:
        raise Refused(502, "The decision could not be recorded", str(exc)) from None


def record_card_decision(config: OrgConfig, *, arn: str, approver: str, reason: str) -> dict[str, Any]:
    """Approve a version's model card (promotion/card_review.py), under the version's lease, with the decision
    role of the environment that approves cards, as the approver."""
    env = config.card_environment().name
    with refused_as_page():
        check_card_approver(config, approver)
    model = _card_model(arn)
    approval = _card_write(
        config,
        arn=arn,
        person=approver,
        write=lambda registry, ledger, version: approve_card(
            config=config,
            registry=registry,
            ledger=ledger,
            model=model,
            version=version,
            approver=approver,
            reason=reason,
        ),
    )
    logger.info("model card approved", extra={"arn": arn, "approver": approver, "digest": approval.digest})
    return {
        "subject": "card",
        "arn": arn,
        "env": env,
        "status": "Approved",
        "approver": approver,
        "reason": " ".join(reason.split()),
        "when": approval.when,
        "digest": approval.digest,
    }


def record_card_submission(config: OrgConfig, *, arn: str, submitter: str, reason: str) -> dict[str, Any]:
    """Submit a version's Draft model card for review (promotion/card_submission.py), as its registrant."""
    model = _card_model(arn)
    record = _card_write(
        config,
        arn=arn,
        person=submitter,
        write=lambda registry, ledger, version: submit_card(
            config=config,
            registry=registry,
            ledger=ledger,
            model=model,
            version=version,
            submitter=submitter,
            reason=reason,
        ),
    )
    logger.info("model card submitted", extra={"arn": arn, "submitter": submitter})
    return {
        "subject": "card",
        "arn": arn,
        "env": record.env,
        "status": PENDING_REVIEW,
        "submitter": submitter,
        "reason": record.reason.split(": ", 1)[1],
        "when": record.when,
    }


def _card_model(arn: str) -> str:
    """The model of `arn` ("" when it is no model package ARN: `_card_write` refuses it with a 404)."""
    try:
        return naming.parse_model_package_arn(arn).group
    except ValueError:
        return ""


def caller_approver(config: OrgConfig, user_arn: str | None) -> str:
    """The approver an IAM-signed request comes from: the session name of the approver permission set."""
    match = SSO_APPROVER_SESSION.fullmatch(user_arn or "")
    if match is None or match["account"] != config.accounts.shared_services:
        raise Refused(
            403,
            "Not an approver identity",
            f"caller {user_arn or 'unknown'} is not signed in with the {naming.APPROVER_PERMISSION_SET} "
            "permission set of the shared-services account",
        )
    return match["session"]


def caller_data_scientist(config: OrgConfig, user_arn: str | None) -> str | None:
    """The data scientist an IAM-signed request comes from (the session name of the DataScientist permission
    set in the data-science account), or None when it comes from anyone else."""
    match = SSO_DATA_SCIENTIST_SESSION.fullmatch(user_arn or "")
    if match is None or match["account"] != config.accounts.data_science:
        return None
    return match["session"]


def _request_body(event: APIGatewayProxyEvent) -> dict[str, Any]:
    try:
        request = json.loads(event.decoded_body or "")
    except json.JSONDecodeError:
        raise Refused(400, "Malformed request", "the body must be a JSON object") from None
    if not isinstance(request, dict):
        raise Refused(400, "Malformed request", "the body must be a JSON object")
    return request


def post_decisions(config: OrgConfig, event: APIGatewayProxyEvent) -> dict[str, Any]:
    user_arn = event.request_context.identity.user_arn
    # A data scientist may ask for one thing only: to submit a model card (whoever asks, its registrant's
    # alone: `check_card_submittable`). Everything else is an approver's.
    scientist = caller_data_scientist(config, user_arn)
    person = scientist or caller_approver(config, user_arn)
    request = _request_body(event)
    if request.get("subject") == "card" and request.get("decision") == PENDING_REVIEW:
        return _json(200, post_card_submission(config, person, request))
    approver = caller_approver(config, user_arn) if scientist else person
    if request.get("subject") == "card":
        return _json(200, post_card_decision(config, approver, request))
    verdict = VERDICTS.get(str(request.get("decision", "")))
    if verdict is None:
        raise Refused(400, "Unknown decision", "decision must be Approved or Rejected")
    reason = " ".join(str(request.get("reason", "")).split())
    if not reason:
        raise Refused(400, "A reason is required", "reason must say why; it is audited")
    arn, env = str(request.get("arn", "")), str(request.get("env", ""))
    digest = hashlib.sha256(json.dumps([arn, env, verdict, approver, reason]).encode()).hexdigest()
    with recorded_as(arn=arn, env=env, approver=approver, verdict=verdict):
        result = decide_once(
            arn=arn, env=env, approver=approver, verdict=verdict, reason=reason, idempotency_key=f"iam:{digest}"
        )
    return _json(200, result)


def post_card_decision(config: OrgConfig, approver: str, request: Mapping[str, Any]) -> dict[str, Any]:
    """The IAM route's model-card approval: `{"subject": "card", "arn", "decision": "Approved", "reason"}`."""
    if str(request.get("decision", "")) != ApprovalStatus.APPROVED:
        raise Refused(400, "Unknown decision", "a model card decision must be Approved")
    reason = " ".join(str(request.get("reason", "")).split())
    if not reason:
        raise Refused(400, "A reason is required", "reason must say why; it is audited")
    arn = str(request.get("arn", ""))
    with recorded_as(arn=arn, env=config.card_environment().name, approver=approver, verdict="card approval"):
        return record_card_decision(config, arn=arn, approver=approver, reason=reason)


def post_card_submission(config: OrgConfig, submitter: str, request: Mapping[str, Any]) -> dict[str, Any]:
    """The IAM route's model-card submission: `{"subject": "card", "arn", "decision": "PendingReview"}`, with
    an optional `reason`."""
    reason = " ".join(str(request.get("reason", "")).split()) or DEFAULT_REASON
    arn = str(request.get("arn", ""))
    with recorded_as(arn=arn, env=config.card_environment().name, approver=submitter, verdict="card submission"):
        return record_card_submission(config, arn=arn, submitter=submitter, reason=reason)


def record_refusal(config: OrgConfig, refused: Refused) -> None:
    """Append a `refused` record to the version's decisions stream, with this function's own role (it may
    append only to decisions streams). A request naming no version of ours has no stream: the log keeps it.
    A failed append is logged; the person still gets the refusal."""
    arn = refused.request.get("arn", "")
    try:
        ref = naming.parse_model_package_arn(arn)
    except ValueError:
        return
    if ref.group not in {model.name for model in config.models} or ref.account != config.accounts.shared_services:
        return
    env = refused.request.get("env", "")
    asked = refused.request.get("verdict", "decision")
    record = HistoryRecord(
        who=refused.request.get("approver", "") or "unknown",
        when=utc_now(),
        action=HistoryAction.REFUSED,
        reason=f"{asked} refused ({refused.kind or refused.title}): {refused.message}",
        arn=arn,
        account=config.accounts.shared_services,
        env=env if env in config.chain else None,
    )
    try:
        with calling("the ledger", role=naming.role_arn(config.accounts.shared_services, FUNCTION)):
            ledger = Ledger(boto3.client("dynamodb", region_name=config.region), ref.group)
            ledger.append(naming.decisions_stream(ref.group), record)
    except ModelOpsError as exc:
        logger.error("refusal not recorded in the ledger", extra={"arn": arn, "error": str(exc)})


ROUTES = {
    ("GET", "/review"): get_review,
    ("GET", "/signin"): get_signin,
    ("GET", "/callback"): get_callback,
    ("POST", "/decision"): post_decision,
    ("POST", "/decisions"): post_decisions,
}


@logger.inject_lambda_context
@event_source(data_class=APIGatewayProxyEvent)
def handler(event: APIGatewayProxyEvent, context: LambdaContext) -> dict[str, Any]:
    """Entry point: route, answer refused requests with a 4xx page (or JSON for the IAM route)."""
    IDEMPOTENCY.register_lambda_context(context)
    route = ROUTES.get((event.http_method, event.resource))
    is_api = event.resource == "/decisions"
    if route is None:
        return _html(404, page.error_page("Not found", "there is no such page"))
    config = settings.org_config()
    try:
        return route(config, event)
    except Refused as refused:
        if event.http_method == "POST":
            # Every refused decision is recorded: who asked (as far as the request proved it), for what, and
            # which rule said no. The function's log group is encrypted and kept (approval_workflow.py).
            context_of = {"route": event.resource, "status": refused.status, "rule": refused.kind or refused.title}
            logger.warning("decision refused", extra={**refused.request, **context_of, "why": refused.message})
            record_refusal(config, refused)
        else:
            logger.info(
                "request refused", extra={"route": event.resource, "status": refused.status, "why": refused.title}
            )
        if is_api:
            answer = {"error": refused.message} | ({"kind": refused.kind} if refused.kind else {})
            return _json(refused.status, answer)
        return _html(refused.status, page.error_page(refused.title, refused.message))
