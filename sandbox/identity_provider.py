"""A local stand-in for the organisation's OpenID Connect identity provider, so approvers can sign in.

The review page sends the browser here to sign in (accounts.yaml `approvals.sign_in`); the review function
exchanges the code here. It speaks the parts of OpenID Connect Core 1.0 and RFC 7636 (PKCE) the review
function uses, as a provider does:

- `GET <authorization path>`: checks the client id and the redirect URI (a mismatch is answered here, never
  redirected), then `response_type=code`, the `openid` scope and an S256 `code_challenge` (a mistake is
  redirected back with `error`, as RFC 6749 4.1.2.1 says), and shows a sign-in form;
- `POST <authorization path>`: the person types their email; the sandbox's people are the approvers of
  accounts.yaml, and anyone else is refused on the form. A single-use code, bound to the client, the
  redirect URI, the PKCE challenge and the nonce, goes back to the redirect URI with `state`;
- `POST <token path>`: authenticates the client (HTTP Basic or form fields), checks the code (known, unused,
  under CODE_SECONDS old), the redirect URI and the PKCE verifier, and answers an ID token
  (`iss`, `sub`, `aud`, `exp`, `iat`, `auth_time`, `nonce`, `email`, `email_verified`) with RFC 6749's JSON
  errors otherwise.

Where it differs from a real identity provider:
- nobody proves who they are: typing an approver's email signs them in. There is no password, no second
  factor, no session at the provider (every sign-in shows the form) and no consent screen;
- it serves plain HTTP on loopback. Its URL's host is `localhost`, not the review gateway's `127.0.0.1`, so
  the browser treats the round trip as cross-site, as it is between API Gateway and a provider in AWS, and
  SameSite cookies behave as they will there;
- the review function reaches it because the Lambda runner overrides the function's deployed endpoint URLs
  (`SIGNIN_AUTHORIZATION_ENDPOINT`, `SIGNIN_TOKEN_ENDPOINT`) and callback URL (`SIGNIN_CALLBACK_URL`) with
  local ones (`wire`); the issuer stays accounts.yaml's, and the stand-in's ID tokens carry it;
- there is no discovery document, key set, userinfo endpoint or refresh token. ID tokens are signed with
  HS256 and the client secret (OpenID Connect Core 10.1 allows it); the review function does not check the
  signature anyway, since it receives the token straight from the token endpoint (Core 3.1.3.7, item 6);
- one client (accounts.yaml's client id, with the secret `wire` stores in the deployed secret) with one
  redirect URI (the local gateway's callback); PKCE is required, and only S256.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit, urlunsplit

from accounts import naming
from accounts.config import OrgConfig
from sandbox import local_http
from sandbox.lambda_runner import LambdaRunner
from sandbox.organization import aws_endpoint
from sandbox.review_gateway import ReviewGateway

URL_HOST = "localhost"  # another site than the gateway's 127.0.0.1 (see the module docstring)
CODE_SECONDS = 60
ID_TOKEN_SECONDS = 300
REVIEW_FUNCTION = naming.approval_function_name("review")
Reply = tuple[int, dict[str, str], str]  # status, headers, body
STYLE = "body{font-family:system-ui,sans-serif;margin:2rem;max-width:40rem}input,button{font:inherit;padding:.3rem}"


@dataclass(frozen=True)
class _Request:
    """An authorization request waiting for the person to sign in."""

    redirect_uri: str
    state: str
    nonce: str | None
    challenge: str
    login_hint: str


@dataclass(frozen=True)
class _Code:
    """An authorization code: who signed in, for which client, redirect URI and PKCE challenge."""

    client_id: str
    redirect_uri: str
    challenge: str
    nonce: str | None
    email: str
    issued_at: int


def _now() -> datetime:
    return datetime.now(UTC)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def s256(verifier: str) -> str:
    """RFC 7636's S256 code challenge of `verifier`."""
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


@dataclass
class IdentityProviderStandIn:
    """The stand-in; use as a context manager. `signed_in` lists every email a code was issued to."""

    config: OrgConfig
    client_secret: str
    redirect_uris: tuple[str, ...]
    clock: Callable[[], datetime] = _now
    signed_in: list[str] = field(default_factory=list)
    _requests: dict[str, _Request] = field(default_factory=dict, init=False, repr=False)
    _codes: dict[str, _Code] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _server: ThreadingHTTPServer | None = field(default=None, init=False, repr=False)

    def __enter__(self) -> IdentityProviderStandIn:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def start(self) -> None:
        """Serve on a free loopback port, in a background thread."""
        self._server = local_http.serve(_handler_class(self), name="identity-provider", poll_seconds=0.05)

    def stop(self) -> None:
        local_http.close(self._server)
        self._server = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the identity provider stand-in is not started")
        return f"http://{URL_HOST}:{self._server.server_address[1]}"

    def local(self, url: str) -> str:
        """`url` (one of accounts.yaml's endpoints) on this stand-in: same path and query, local host."""
        parts, here = urlsplit(url), urlsplit(self.url)
        return urlunsplit((here.scheme, here.netloc, parts.path, parts.query, ""))

    @property
    def people(self) -> list[str]:
        """Who can sign in: every approver of accounts.yaml."""
        return sorted({member for group in self.config.approver_groups.values() for member in group.members})

    # -- the protocol -------------------------------------------------------------------------------------

    def answer(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        """One HTTP request (header names in lower case): (status, headers, body)."""
        sign_in = self.config.approvals.sign_in
        parts = urlsplit(target)
        route = (method, parts.path)
        if route == ("GET", urlsplit(sign_in.authorization_endpoint).path):
            return self.authorize(_fields(parts.query))
        if route == ("POST", urlsplit(sign_in.authorization_endpoint).path):
            return self.sign_in(_fields(body.decode("utf-8", errors="replace")))
        if route == ("POST", urlsplit(sign_in.token_endpoint).path):
            return self.token(headers, _fields(body.decode("utf-8", errors="replace")))
        return 404, {}, _page("Not found", "")

    def authorize(self, query: dict[str, str]) -> Reply:
        """GET: check the authorization request and show the sign-in form (or say what is wrong)."""
        sign_in = self.config.approvals.sign_in
        if query.get("client_id") != sign_in.client_id:
            return 400, {}, _page("Unknown client", f"client_id {query.get('client_id')!r} is not registered here.")
        redirect_uri = query.get("redirect_uri", "")
        if redirect_uri not in self.redirect_uris:
            return 400, {}, _page("Unknown redirect URI", f"{redirect_uri!r} is not registered for this client.")
        state = query.get("state", "")
        problem = None
        if query.get("response_type") != "code":
            problem = ("unsupported_response_type", "only the authorization code flow is supported")
        elif "openid" not in query.get("scope", "").split():
            problem = ("invalid_scope", "the openid scope is required")
        elif query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            problem = ("invalid_request", "PKCE with S256 is required")
        if problem is not None:
            error, description = problem
            return (
                302,
                {"Location": _with_query(redirect_uri, error=error, error_description=description, state=state)},
                "",
            )
        request_id = secrets.token_urlsafe(16)
        with self._lock:
            self._requests[request_id] = _Request(
                redirect_uri=redirect_uri,
                state=state,
                nonce=query.get("nonce"),
                challenge=query["code_challenge"],
                login_hint=query.get("login_hint", ""),
            )
        return 200, {}, _form(request_id, hint=query.get("login_hint", ""))

    def sign_in(self, form: dict[str, str]) -> Reply:
        """POST: the person's email; a known person gets a code sent to the redirect URI."""
        request_id = form.get("request", "")
        with self._lock:
            request = self._requests.get(request_id)
        if request is None:
            return 400, {}, _page("Sign-in expired", "This sign-in is unknown or finished; start again.")
        email = form.get("email", "").strip()
        person = next((p for p in self.people if p.casefold() == email.casefold()), None)
        if person is None:
            problem = (
                f"There is no account for {email or 'an empty email'} here: "
                "the sandbox's people are the approvers of accounts.yaml."
            )
            return 200, {}, _form(request_id, hint=request.login_hint, problem=problem)
        code = secrets.token_urlsafe(32)
        with self._lock:
            del self._requests[request_id]
            self._codes[code] = _Code(
                client_id=self.config.approvals.sign_in.client_id,
                redirect_uri=request.redirect_uri,
                challenge=request.challenge,
                nonce=request.nonce,
                email=person,
                issued_at=int(self.clock().timestamp()),
            )
            self.signed_in.append(person)
        return 302, {"Location": _with_query(request.redirect_uri, code=code, state=request.state)}, ""

    def _client(self, headers: dict[str, str], form: dict[str, str]) -> str | None:
        """The authenticated client id (client_secret_basic or client_secret_post), or None."""
        authorization = headers.get("authorization", "")
        if authorization.startswith("Basic "):
            try:
                pair = base64.b64decode(authorization.removeprefix("Basic "), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return None
            client_id, _, secret = pair.partition(":")
            client_id, secret = unquote(client_id), unquote(secret)
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        known = self.config.approvals.sign_in.client_id
        if client_id == known and hmac.compare_digest(secret.encode(), self.client_secret.encode()):
            return client_id
        return None

    def token(self, headers: dict[str, str], form: dict[str, str]) -> Reply:
        """POST: the code, redeemed once, for an ID token."""
        client_id = self._client(headers, form)
        if client_id is None:
            return _token_error(401, "invalid_client", "client authentication failed")
        if form.get("grant_type") != "authorization_code":
            return _token_error(400, "unsupported_grant_type", "only authorization_code is supported")
        with self._lock:
            code = self._codes.pop(form.get("code", ""), None)  # used once, whatever follows
        now = int(self.clock().timestamp())
        if code is None or now - code.issued_at >= CODE_SECONDS:
            return _token_error(400, "invalid_grant", "the code is unknown, used or expired")
        if code.client_id != client_id or code.redirect_uri != form.get("redirect_uri"):
            return _token_error(400, "invalid_grant", "the code was issued to another client or redirect URI")
        if not hmac.compare_digest(s256(form.get("code_verifier", "")).encode(), code.challenge.encode()):
            return _token_error(400, "invalid_grant", "PKCE verification failed")
        claims: dict[str, Any] = {
            "iss": self.config.approvals.sign_in.issuer,
            "sub": hashlib.sha256(code.email.encode()).hexdigest()[:32],
            "aud": client_id,
            "iat": now,
            "exp": now + ID_TOKEN_SECONDS,
            "auth_time": code.issued_at,
            "email": code.email,
            "email_verified": True,
        }
        if code.nonce is not None:
            claims["nonce"] = code.nonce
        body = {
            "access_token": secrets.token_urlsafe(32),
            "token_type": "Bearer",
            "expires_in": ID_TOKEN_SECONDS,
            "id_token": self.id_token(claims),
        }
        return (
            200,
            {"Content-Type": "application/json", "Cache-Control": "no-store", "Pragma": "no-cache"},
            json.dumps(body),
        )

    def id_token(self, claims: dict[str, Any]) -> str:
        """A JWS compact ID token with `claims`, signed HS256 with the client secret."""
        header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
        signature = hmac.new(self.client_secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
        return f"{header}.{payload}.{_b64url(signature)}"


def _fields(encoded: str) -> dict[str, str]:
    """A query string or form body as a dict (the first value of each name)."""
    return {name: values[0] for name, values in parse_qs(encoded, keep_blank_values=True).items()}


def _with_query(url: str, **parameters: str) -> str:
    parts = urlsplit(url)
    query = "&".join(filter(None, [parts.query, urlencode(parameters)]))
    return urlunsplit(parts._replace(query=query))


def _token_error(status: int, error: str, description: str) -> Reply:
    headers = {"Content-Type": "application/json", "Cache-Control": "no-store"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="modelops sandbox"'
    return status, headers, json.dumps({"error": error, "error_description": description})


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><main><h1>{escape(title)}</h1>{body}</main></body></html>\n"
    )


def _form(request_id: str, *, hint: str, problem: str = "") -> str:
    alert = f'<p role="alert">{escape(problem)}</p>' if problem else ""
    hint_text = f"<p>The review page asked for {escape(hint)}.</p>" if hint else ""
    return _page(
        "Sign in to modelops (sandbox identity provider)",
        f'{alert}{hint_text}<form method="post"><input type="hidden" name="request" value="{escape(request_id)}">'
        '<label for="email">Email address</label> <input id="email" name="email" type="email" autocomplete="username" '
        'required> <button id="sign-in" type="submit">Sign in</button></form>'
        "<p>Sandbox only: typing an approver's email signs them in; there is no password.</p>",
    )


def _handler_class(provider: IdentityProviderStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, method: str) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {name.lower(): value for name, value in self.headers.items()}
            status, reply_headers, text = provider.answer(method, self.path, headers, body)
            payload = text.encode("utf-8")
            self.send_response(status)
            if payload and "Content-Type" not in reply_headers:
                self.send_header("Content-Type", "text/html; charset=utf-8")
            for name, value in reply_headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:
            self._answer("GET")

        def do_POST(self) -> None:
            self._answer("POST")

        def log_message(self, *_: Any) -> None:
            return

    return Handler


@contextmanager
def wire(
    runner: LambdaRunner, gateway: ReviewGateway, *, clock: Callable[[], datetime] = _now
) -> Iterator[IdentityProviderStandIn]:
    """The stand-in, set up as an operator sets up the real provider, for the deployed review function.

    The client's secret is a random one, stored in the deployed secret (as the README's set-up step
    does); the client's redirect URI is the local gateway's callback; and the runner points the review
    function's deployed endpoint and callback URLs at this machine.
    """
    client_secret = secrets.token_urlsafe(32)
    with aws_endpoint(runner.endpoint_url):
        runner.service_session().client("secretsmanager").put_secret_value(
            SecretId=naming.SIGNIN_CLIENT_SECRET, SecretString=client_secret
        )
    callback = f"{gateway.url}/callback"
    provider = IdentityProviderStandIn(
        runner.config, client_secret=client_secret, redirect_uris=(callback,), clock=clock
    )
    with provider:
        sign_in = runner.config.approvals.sign_in
        runner.override(
            REVIEW_FUNCTION,
            SIGNIN_AUTHORIZATION_ENDPOINT=provider.local(sign_in.authorization_endpoint),
            SIGNIN_TOKEN_ENDPOINT=provider.local(sign_in.token_endpoint),
            SIGNIN_CALLBACK_URL=callback,
        )
        yield provider
