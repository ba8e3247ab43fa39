"""The sandbox's identity provider stand-in speaks OpenID Connect's code flow with PKCE as the review
function expects a provider to: a sign-in form for the organisation's approvers only, codes bound to the
client, redirect URI and PKCE challenge and redeemed once, and an ID token naming the person.

Requests go over HTTP to the running stand-in, redirects are not followed (a test reads each one), and its
clock is set by the test."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from sandbox.identity_provider import IdentityProviderStandIn, s256
from tests.orgs import load_org

CLIENT_ID = "modelops-review"  # two_env's approvals.sign_in
ISSUER = "https://signin.sandbox.modelops.invalid"
SECRET = "stand-in-client-secret"
CALLBACK = "http://127.0.0.1:8000/v1/callback"
VERIFIER = "a-pkce-verifier-of-at-least-forty-three-characters-0123456789"
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def provider(clock: Clock) -> Iterator[IdentityProviderStandIn]:
    with IdentityProviderStandIn(
        load_org("two_env"), client_secret=SECRET, redirect_uris=(CALLBACK,), clock=clock
    ) as idp:
        yield idp


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_: Any) -> None:
        return None


def request(
    url: str, *, form: dict[str, str] | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], str]:
    data = urlencode(form).encode() if form is not None else None
    prepared = urllib.request.Request(  # noqa: S310 (the stand-in on loopback)
        url, data=data, headers=headers or {}, method="POST" if data else "GET"
    )
    try:
        with urllib.request.build_opener(_NoRedirects).open(prepared) as response:
            return response.status, dict(response.headers.items()), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read().decode()


def authorization_url(provider: IdentityProviderStandIn, **overrides: str) -> str:
    parameters = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": CALLBACK,
        "scope": "openid email",
        "state": "the-state",
        "nonce": "the-nonce",
        "code_challenge": s256(VERIFIER),
        "code_challenge_method": "S256",
        "login_hint": "qa.approver@example.com",
    } | overrides
    return f"{provider.local(f'{ISSUER}/oauth2/authorize')}?{urlencode(parameters)}"


class Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.alerts: list[str] = []
        self._in_alert = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "input" and attributes.get("name"):
            self.fields[str(attributes["name"])] = attributes.get("value") or ""
        self._in_alert = attributes.get("role") == "alert"

    def handle_data(self, data: str) -> None:
        if self._in_alert:
            self.alerts.append(data)
            self._in_alert = False


def form_of(html: str) -> Inputs:
    inputs = Inputs()
    inputs.feed(html)
    return inputs


def sign_in_as(provider: IdentityProviderStandIn, email: str, **overrides: str) -> tuple[int, dict[str, str], str]:
    """Open the sign-in form and submit `email` on it."""
    url = authorization_url(provider, **overrides)
    status, _, html = request(url)
    assert status == 200, html
    return request(url.split("?")[0], form=form_of(html).fields | {"email": email})


def code_of(response: tuple[int, dict[str, str], str]) -> str:
    status, headers, _ = response
    assert status == 302
    return dict(parse_qsl(urlsplit(headers["Location"]).query))["code"]


def basic(client_id: str = CLIENT_ID, secret: str = SECRET) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def redeem(provider: IdentityProviderStandIn, code: str, **overrides: str) -> tuple[int, Any]:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, "code_verifier": VERIFIER}
    headers = basic()
    if "headers" in overrides:
        headers = json.loads(overrides.pop("headers"))
    status, _, body = request(provider.local(f"{ISSUER}/oauth2/token"), form=form | overrides, headers=headers)
    return status, json.loads(body)


def claims_of(id_token: str) -> dict[str, Any]:
    payload = id_token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


# -- the sign-in form -------------------------------------------------------------------------------------


def test_the_stand_in_is_another_site_than_the_gateways_loopback_address(provider: IdentityProviderStandIn) -> None:
    assert urlsplit(provider.url).hostname == "localhost"
    assert provider.local(f"{ISSUER}/oauth2/token?x=1") == f"{provider.url}/oauth2/token?x=1"


def test_an_approver_who_types_their_email_is_sent_back_with_a_code_and_the_state(
    provider: IdentityProviderStandIn,
) -> None:
    status, _, html = request(authorization_url(provider))
    assert status == 200
    assert "<title>Sign in to modelops (sandbox identity provider)</title>" in html
    assert "The review page asked for qa.approver@example.com." in html
    assert form_of(html).fields == {"request": form_of(html).fields["request"], "email": ""}  # nothing prefilled

    status, headers, _ = request(
        authorization_url(provider).split("?")[0], form=form_of(html).fields | {"email": "QA.Approver@example.com"}
    )

    assert status == 302
    location = urlsplit(headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    assert sorted(dict(parse_qsl(location.query))) == ["code", "state"]
    assert dict(parse_qsl(location.query))["state"] == "the-state"
    assert provider.signed_in == ["qa.approver@example.com"]


def test_someone_who_is_not_an_approver_of_the_organisation_cannot_sign_in(provider: IdentityProviderStandIn) -> None:
    status, _, html = sign_in_as(provider, "data.scientist@example.com")
    assert status == 200
    assert form_of(html).alerts == [
        "There is no account for data.scientist@example.com here: the sandbox's people are the approvers of "
        "accounts.yaml."
    ]
    assert provider.signed_in == []
    assert provider.people == ["prod.approver@example.com", "qa.approver@example.com", "risk.officer@example.com"]


@pytest.mark.parametrize(
    ("override", "title"),
    [
        ({"client_id": "another-client"}, "Unknown client"),
        ({"redirect_uri": "https://evil.example/cb"}, "Unknown redirect URI"),
    ],
    ids=["client", "redirect-uri"],
)
def test_an_unknown_client_or_redirect_uri_is_answered_here_and_never_redirected(
    provider: IdentityProviderStandIn, override: dict[str, str], title: str
) -> None:
    status, headers, html = request(authorization_url(provider, **override))
    assert (status, "Location" in headers) == (400, False)
    assert f"<h1>{title}</h1>" in html


@pytest.mark.parametrize(
    ("override", "error", "description"),
    [
        ({"response_type": "token"}, "unsupported_response_type", "only the authorization code flow is supported"),
        ({"scope": "email"}, "invalid_scope", "the openid scope is required"),
        ({"code_challenge_method": "plain"}, "invalid_request", "PKCE with S256 is required"),
        ({"code_challenge": ""}, "invalid_request", "PKCE with S256 is required"),
    ],
    ids=["implicit-flow", "no-openid-scope", "plain-pkce", "no-pkce"],
)
def test_a_request_the_provider_will_not_serve_goes_back_to_the_client_with_an_error(
    provider: IdentityProviderStandIn, override: dict[str, str], error: str, description: str
) -> None:
    status, headers, _ = request(authorization_url(provider, **override))
    assert status == 302
    assert dict(parse_qsl(urlsplit(headers["Location"]).query)) == {
        "error": error,
        "error_description": description,
        "state": "the-state",
    }


# -- the token endpoint -----------------------------------------------------------------------------------


def test_a_code_is_redeemed_once_for_an_id_token_naming_the_person_for_this_client(
    provider: IdentityProviderStandIn,
) -> None:
    code = code_of(sign_in_as(provider, "qa.approver@example.com"))

    status, answer = redeem(provider, code)

    assert status == 200
    assert sorted(answer) == ["access_token", "expires_in", "id_token", "token_type"]
    assert claims_of(answer["id_token"]) == {
        "iss": ISSUER,
        "sub": hashlib.sha256(b"qa.approver@example.com").hexdigest()[:32],
        "aud": CLIENT_ID,
        "iat": int(NOW.timestamp()),
        "exp": int(NOW.timestamp()) + 300,
        "auth_time": int(NOW.timestamp()),
        "nonce": "the-nonce",
        "email": "qa.approver@example.com",
        "email_verified": True,
    }
    header, payload, signature = answer["id_token"].split(".")
    expected = hmac.new(SECRET.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    assert base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)) == expected
    assert redeem(provider, code) == (
        400,
        {"error": "invalid_grant", "error_description": "the code is unknown, used or expired"},
    )


def test_the_client_may_authenticate_with_form_fields_instead_of_http_basic(provider: IdentityProviderStandIn) -> None:
    code = code_of(sign_in_as(provider, "prod.approver@example.com"))
    status, answer = redeem(provider, code, headers="{}", client_id=CLIENT_ID, client_secret=SECRET)
    assert (status, claims_of(answer["id_token"])["email"]) == (200, "prod.approver@example.com")


@pytest.mark.parametrize(
    ("overrides", "status", "error", "description"),
    [
        ({"headers": json.dumps(basic(secret="wrong"))}, 401, "invalid_client", "client authentication failed"),
        ({"grant_type": "refresh_token"}, 400, "unsupported_grant_type", "only authorization_code is supported"),
        (
            {"code_verifier": "another-verifier-of-at-least-forty-three-characters-000"},
            400,
            "invalid_grant",
            "PKCE verification failed",
        ),
        ({"code_verifier": ""}, 400, "invalid_grant", "PKCE verification failed"),
        (
            {"redirect_uri": "https://evil.example/cb"},
            400,
            "invalid_grant",
            "the code was issued to another client or redirect URI",
        ),
    ],
    ids=["wrong-secret", "another-grant", "wrong-verifier", "no-verifier", "another-redirect-uri"],
)
def test_the_token_endpoint_refuses_with_the_oauth_error(
    provider: IdentityProviderStandIn, overrides: dict[str, str], status: int, error: str, description: str
) -> None:
    code = code_of(sign_in_as(provider, "qa.approver@example.com"))
    assert redeem(provider, code, **overrides) == (status, {"error": error, "error_description": description})


def test_a_code_older_than_a_minute_is_refused(provider: IdentityProviderStandIn, clock: Clock) -> None:
    code = code_of(sign_in_as(provider, "qa.approver@example.com"))
    clock.now = NOW + timedelta(seconds=60)
    assert redeem(provider, code) == (
        400,
        {"error": "invalid_grant", "error_description": "the code is unknown, used or expired"},
    )
