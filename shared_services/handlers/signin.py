"""Signing the approver in: OpenID Connect's authorization-code flow with PKCE, and the session it leaves.

The review function is a confidential OpenID Connect client of the organisation's identity provider
(accounts.yaml `approvals.sign_in`; in AWS typically a Cognito user pool federated to IAM Identity Center).
Who may sign in, with which factors, is the provider's decision; this module only runs the protocol:

- `begin`: a fresh `state` (the key of the pending sign-in, and the value of a browser-binding cookie), an
  OIDC `nonce` and a PKCE verifier (RFC 7636, S256), kept with the review link in the state table for
  STATE_SECONDS; the browser is sent to the authorization endpoint.
- `take`: the callback's `state` finds the pending sign-in once (a conditional delete), within its lifetime.
- `exchange`: the code, the PKCE verifier and the client secret (HTTP Basic, RFC 6749 section 2.3.1) go to the
  token endpoint over TLS; redirects are not followed.
- `verified_email`: the ID token's claims, checked as OpenID Connect Core 1.0 section 3.1.3.7 says: `iss` is
  the configured issuer, `aud` is this client alone (and `azp`, if present), `exp` is in the future, `nonce` is
  this sign-in's. The token came straight from the token endpoint over TLS, so, as item 6 of that section
  allows, TLS server authentication stands in for checking its signature (no key set is fetched or cached).
  The person is the `email` claim (refused when the provider says it is unverified).
- `session_cookie`: `modelops_session` = email, expiry and the review link's nonce, HMAC-SHA256-signed with
  the session key (a Secrets Manager secret only the review function reads, under its own context string),
  valid SESSION_SECONDS, `HttpOnly; Secure; SameSite=Strict; Path=/`. It lets its holder decide with that one
  review link only, and only as the person the link was sent to (`Visitor.may_decide`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from shared_services.handlers import settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

SESSION_COOKIE = "modelops_session"
STATE_COOKIE = "modelops_signin"
SESSION_SECONDS = 15 * 60
STATE_SECONDS = 10 * 60
SCOPE = "openid email"
# Domain separation: a session MAC can never be mistaken for any other MAC made with the same key.
SESSION_CONTEXT = b"modelops-approval-session-v1\n"
SEPARATOR = "|"
TIMEOUT_SECONDS = 10
MAX_RESPONSE_BYTES = 64 * 1024
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
# Printable, no separator, no space: what a session cookie can carry back unchanged.
EMAIL = re.compile(r"^[^\s|@]{1,64}@[^\s|@]{1,255}$")
ERROR_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class SignInFailed(Exception):
    """The sign-in cannot go on: HTTP status, page title and a one-line reason for the person."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message


def _failed(message: str) -> SignInFailed:
    """The identity provider could not be used (502)."""
    return SignInFailed(502, "Sign-in failed", message)


def _refused(message: str) -> SignInFailed:
    """The identity provider's answer is not accepted as a sign-in (403)."""
    return SignInFailed(403, "Sign-in refused", message)


def _restart(status: int, message: str) -> SignInFailed:
    return SignInFailed(status, "Sign-in failed", f"{message}; open the review link and sign in again")


@dataclass(frozen=True)
class Provider:
    """The identity provider as the review function is configured for it, and its own callback URL."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    client_id: str
    callback_url: str

    @classmethod
    def from_environment(cls) -> Provider:
        """From the function's environment, which the stack writes from accounts.yaml `approvals.sign_in`."""
        return cls(
            issuer=settings.required("SIGNIN_ISSUER"),
            authorization_endpoint=settings.required("SIGNIN_AUTHORIZATION_ENDPOINT"),
            token_endpoint=settings.required("SIGNIN_TOKEN_ENDPOINT"),
            client_id=settings.required("SIGNIN_CLIENT_ID"),
            callback_url=settings.required("SIGNIN_CALLBACK_URL"),
        )


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def same_person(email: str, approver: str) -> bool:
    """Whether a signed-in email is the approver: directories treat addresses without regard to case."""
    return email.casefold() == approver.casefold()


# -- starting a sign-in -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingSignIn:
    """A sign-in between the redirect to the provider and its callback."""

    state: str
    verifier: str
    nonce: str
    review_token: str
    review_nonce: str
    expires_at: int


def begin(
    provider: Provider, *, review_token: str, review_nonce: str, approver: str, now: datetime
) -> tuple[PendingSignIn, str]:
    """A new pending sign-in for one review link, and the authorization request URL to send the browser to."""
    pending = PendingSignIn(
        state=secrets.token_urlsafe(32),
        verifier=secrets.token_urlsafe(48),  # 64 characters; RFC 7636 asks for 43 to 128
        nonce=secrets.token_urlsafe(24),
        review_token=review_token,
        review_nonce=review_nonce,
        expires_at=int(now.timestamp()) + STATE_SECONDS,
    )
    challenge = _b64encode(hashlib.sha256(pending.verifier.encode("ascii")).digest())
    parts = urlsplit(provider.authorization_endpoint)
    query = [
        *parse_qsl(parts.query, keep_blank_values=True),
        ("response_type", "code"),
        ("client_id", provider.client_id),
        ("redirect_uri", provider.callback_url),
        ("scope", SCOPE),
        ("state", pending.state),
        ("nonce", pending.nonce),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
        ("login_hint", approver),
    ]
    return pending, urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))


def _record_id(key_prefix: str, state: str) -> str:
    # The record is found by the state's digest: the table never holds the value the browser presents.
    return f"{key_prefix}#signin#{hashlib.sha256(state.encode('utf-8')).hexdigest()}"


def save(table: Table, pending: PendingSignIn, *, key_prefix: str) -> None:
    """Keep the pending sign-in until its callback (DynamoDB's TTL removes it after STATE_SECONDS)."""
    table.put_item(
        Item={
            "id": _record_id(key_prefix, pending.state),
            "expiration": pending.expires_at,
            "verifier": pending.verifier,
            "nonce": pending.nonce,
            "review_token": pending.review_token,
            "review_nonce": pending.review_nonce,
        },
        ConditionExpression="attribute_not_exists(id)",
    )


def take(table: Table, *, state: str, key_prefix: str, now: datetime) -> PendingSignIn:
    """The pending sign-in of `state`, removed so it is used once; SignInFailed when unknown, used or late."""
    removed = table.delete_item(Key={"id": _record_id(key_prefix, state)}, ReturnValues="ALL_OLD")
    item = removed.get("Attributes")
    if not item:
        raise _restart(400, "this sign-in is unknown or was already used")
    # DynamoDB removes expired items within days, not at once: the lifetime is checked here.
    if now.timestamp() >= int(str(item["expiration"])):
        raise _restart(400, f"this sign-in took longer than {STATE_SECONDS // 60} minutes")
    return PendingSignIn(
        state=state,
        verifier=str(item["verifier"]),
        nonce=str(item["nonce"]),
        review_token=str(item["review_token"]),
        review_nonce=str(item["review_nonce"]),
        expires_at=int(str(item["expiration"])),
    )


def check_callback(query: dict[str, str], cookies: dict[str, str]) -> tuple[str, str]:
    """The callback's (code, state), after checking the provider answered and this browser began the sign-in."""
    error = query.get("error")
    if error is not None:
        code = error if ERROR_CODE.fullmatch(error) else "error"
        raise SignInFailed(
            403, "Sign-in failed", f"the identity provider did not sign you in ({code}); open the review link again"
        )
    code, state = query.get("code", ""), query.get("state", "")
    if not code or not state:
        raise _restart(400, "the identity provider's answer has no code or state")
    if not hmac.compare_digest(cookies.get(STATE_COOKIE, "").encode(), state.encode()):
        raise _restart(403, "this sign-in was not started in this browser")
    return code, state


# -- the token endpoint ---------------------------------------------------------------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_: Any) -> None:
        return None  # a token endpoint answers; it never sends the code and secret elsewhere


def _basic_authorization(client_id: str, secret: str) -> str:
    # RFC 6749, section 2.3.1: both are form-encoded before they are joined and base64-encoded.
    pair = f"{quote(client_id, safe='')}:{quote(secret, safe='')}"
    return "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")


def _error_code(body: bytes) -> str:
    try:
        error = json.loads(body).get("error", "")
    except (ValueError, AttributeError):
        return ""
    return f" {error}" if isinstance(error, str) and ERROR_CODE.fullmatch(error) else ""


def exchange(provider: Provider, *, client_secret: str, code: str, verifier: str) -> dict[str, Any]:
    """The token endpoint's JSON answer to the code; SignInFailed (502) says why there is none."""
    url = provider.token_endpoint
    parts = urlsplit(url)
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS):
        raise _failed(f"the token endpoint must be an https URL, got {url!r}")
    body = urlencode(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": provider.callback_url,
            "code_verifier": verifier,
        }
    ).encode("ascii")
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url,
        data=body,
        method="POST",
        headers={
            "Authorization": _basic_authorization(provider.client_id, client_secret),
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        },
    )
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            answer = response.read(MAX_RESPONSE_BYTES)
    except urllib.error.HTTPError as exc:
        raise _failed(
            f"the identity provider refused the sign-in code: HTTP {exc.code}{_error_code(exc.read())}"
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise _failed(f"cannot reach the identity provider's token endpoint {url}: {reason}") from None
    try:
        tokens = json.loads(answer)
    except ValueError:
        tokens = None
    if not isinstance(tokens, dict) or not isinstance(tokens.get("id_token"), str):
        raise _failed("the identity provider's token response holds no ID token")
    return tokens


def _claims(id_token: str) -> dict[str, Any]:
    parts = id_token.split(".")
    if len(parts) != 3:
        raise _failed("the identity provider's ID token is not a signed JWT (encrypted ID tokens are not supported)")
    try:
        claims = json.loads(_b64decode(parts[1]))
    except (binascii.Error, ValueError):
        claims = None
    if not isinstance(claims, dict):
        raise _failed("the identity provider's ID token is malformed")
    return claims


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def verified_email(provider: Provider, id_token: str, *, nonce: str, now: datetime) -> str:
    """The email of the person the ID token names, once its claims hold (OIDC Core 3.1.3.7)."""
    claims = _claims(id_token)
    issuer = claims.get("iss")
    if issuer != provider.issuer:
        raise _refused(f"the ID token was issued by {issuer!r}, not by {provider.issuer}")
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience
    if not isinstance(audiences, list) or audiences != [provider.client_id]:
        raise _refused(f"the ID token is meant for {audience!r}, not for this client alone ({provider.client_id})")
    if "azp" in claims and claims["azp"] != provider.client_id:
        raise _refused(f"the ID token was issued to {claims['azp']!r}, not to {provider.client_id}")
    expiry = _number(claims.get("exp"))
    if expiry is None or now.timestamp() >= expiry:
        raise _refused("the ID token has expired")
    if not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(claims["nonce"], nonce):
        raise _refused("the ID token's nonce is not this sign-in's")
    email = claims.get("email")
    if not isinstance(email, str) or not email:
        raise _refused("the ID token carries no email; allow the email scope for this client")
    if not EMAIL.fullmatch(email):
        raise _refused("the ID token's email is not an email address")
    if claims.get("email_verified") is False:
        raise _refused(f"the identity provider has not verified {email}")
    return email


# -- the session --------------------------------------------------------------------------------------------


def _mac(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, SESSION_CONTEXT + payload, hashlib.sha256).digest()


def session_value(key: bytes, *, email: str, review_nonce: str, now: datetime) -> str:
    """The signed session: `email` signed in for the review link of `review_nonce`, for SESSION_SECONDS."""
    if not key:
        raise ValueError("the session key is empty")
    if not EMAIL.fullmatch(email) or not review_nonce or SEPARATOR in review_nonce:
        raise ValueError("a session needs an email address and a review link nonce")
    payload = SEPARATOR.join([email, str(int(now.timestamp()) + SESSION_SECONDS), review_nonce]).encode("utf-8")
    return f"{_b64encode(payload)}.{_b64encode(_mac(key, payload))}"


def session_cookie(value: str) -> str:
    """The Set-Cookie value of a session."""
    return f"{SESSION_COOKIE}={value}; Max-Age={SESSION_SECONDS}; Path=/; Secure; HttpOnly; SameSite=Strict"


def state_cookie(state: str) -> str:
    """The Set-Cookie value binding a pending sign-in to the browser that began it.

    Lax, not Strict: the browser comes back from the provider's site, and a Strict cookie is not sent then.
    """
    return f"{STATE_COOKIE}={state}; Max-Age={STATE_SECONDS}; Path=/; Secure; HttpOnly; SameSite=Lax"


def cleared_state_cookie() -> str:
    return f"{STATE_COOKIE}=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Lax"


def cookies(headers: Iterable[str]) -> dict[str, str]:
    """The cookies of `Cookie` request headers (the first of each name, as RFC 6265 orders them)."""
    found: dict[str, str] = {}
    for header in headers:
        for pair in header.split(";"):
            name, equals, value = pair.strip().partition("=")
            if equals and name and name not in found:
                found[name] = value.strip().strip('"')
    return found


@dataclass(frozen=True)
class Visitor:
    """Who a request comes from, for one review link: the signed-in email, or why no session was accepted."""

    email: str | None = None
    problem: str = ""

    def may_decide(self, approver: str) -> bool:
        return self.email is not None and same_person(self.email, approver)


def visitor(key: bytes, value: str | None, *, review_nonce: str, now: datetime) -> Visitor:
    """The visitor a session cookie value shows, for the review link of `review_nonce`."""
    if not value:
        return Visitor()
    encoded_payload, dot, encoded_mac = value.partition(".")
    try:
        payload, mac = _b64decode(encoded_payload), _b64decode(encoded_mac)
    except (binascii.Error, ValueError):
        payload, mac = b"", b""
    fields = payload.decode("utf-8", errors="replace").split(SEPARATOR)
    if not dot or not hmac.compare_digest(_mac(key, payload), mac) or len(fields) != 3 or not fields[1].isdigit():
        return Visitor(problem="your sign-in is not valid")
    email, expiry, nonce = fields
    if now.timestamp() >= int(expiry):
        return Visitor(problem=f"your sign-in has expired (it lasts {SESSION_SECONDS // 60} minutes)")
    if not hmac.compare_digest(nonce.encode(), review_nonce.encode()):
        return Visitor(problem="your sign-in was for another review link")
    return Visitor(email=email)
