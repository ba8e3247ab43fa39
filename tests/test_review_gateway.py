"""The review gateway serves the deployed approval API as API Gateway does, IAM authentication included.

Requests to the AWS_IAM route `POST /decisions` are signed with botocore's SigV4Auth, as any AWS SDK signs
them, with credentials the sandbox issued: an Identity Center person's assumed-role session or an IAM user's
access key. The deployed review function shows which caller it received: `caller_approver` refuses anyone
but the approver permission set with a message naming the caller's ARN.

The gateway's clock is fixed for the module and requests are signed at chosen times, so nothing depends on
how long a test takes.
"""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import ReadOnlyCredentials

from accounts import naming
from policies.iam import PolicyKind
from sandbox.authorization.resource_policies import compiled
from sandbox.lambda_runner import LambdaRunner
from sandbox.organization import Sandbox, account_admin_session, person_role_name, person_session
from sandbox.review_gateway import ReviewGateway, response_headers
from sandbox.sigv4 import Caller, Refused, authenticate
from tests.sandbox_fixtures import REGION, data_scientist_session

PLATFORM_ENGINEER = "platform.engineer@example.com"
PLATFORM_ROLE = person_role_name(naming.PLATFORM_PERMISSION_SET)
PROBE_USER = "sigv4-probe"
DECISION = {"arn": "", "env": "qa", "decision": "Approved", "reason": "AUC 0.91 meets the qa gate"}
NEVER_ISSUED = ReadOnlyCredentials("AKIAEXAMPLENEVERISSUED", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", None)
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)


@pytest.fixture(scope="module")
def now() -> datetime:
    """The gateway's clock for the whole module."""
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def gateway(sandbox_organization: Sandbox, now: datetime) -> Iterator[ReviewGateway]:
    """The gateway in front of the deployed review function, on the module's fixed clock."""
    if not sandbox_organization.is_set_up():
        sandbox_organization.reset()
    with (
        LambdaRunner(sandbox_organization.config, sandbox_organization.endpoint_url) as runner,
        ReviewGateway(runner, clock=lambda: now) as served,
    ):
        yield served


def _platform_engineer(sandbox: Sandbox) -> ReadOnlyCredentials:
    """A person signed in with the ModelOpsPlatform permission set of shared services (not an approver)."""
    session = person_session(
        sandbox.config,
        sandbox.endpoint_url,
        account=sandbox.config.accounts.shared_services,
        role_name=person_role_name(naming.PLATFORM_PERMISSION_SET),
        email=PLATFORM_ENGINEER,
    )
    return _frozen(session)


def _frozen(session: boto3.Session) -> ReadOnlyCredentials:
    credentials = session.get_credentials()
    assert credentials is not None
    return credentials.get_frozen_credentials()


def _sign(
    url: str,
    body: bytes,
    credentials: ReadOnlyCredentials,
    *,
    at: datetime,
    service: str = "execute-api",
    region: str = REGION,
) -> dict[str, str]:
    """The headers botocore's SigV4Auth adds to a JSON POST of `body` to `url`, signed at `at`."""
    request = AWSRequest(method="POST", url=url, data=body, headers={"Content-Type": "application/json"})
    # SigV4Auth stamps the request with botocore's current time; the tests choose the signing time.
    with mock.patch("botocore.auth.get_current_datetime", return_value=at):
        SigV4Auth(credentials, service, region).add_auth(request)
    return dict(request.headers.items())


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 (loopback)
    try:
        with urllib.request.urlopen(request) as response:  # noqa: S310 (loopback)
            return int(response.status), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _body(**overrides: str) -> bytes:
    return json.dumps({**DECISION, **overrides}).encode()


def _not_an_approver(arn: str) -> dict[str, str]:
    """The review function's refusal of a caller that is not the approver permission set."""
    return {
        "error": f"caller {arn} is not signed in with the ModelOpsApprover permission set of the "
        "shared-services account"
    }


def _amz(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


# -- the routes --------------------------------------------------------------------------------------------


def test_the_gateway_serves_the_deployed_routes_and_answers_other_paths_missing_authentication_token(
    sandbox: Sandbox, gateway: ReviewGateway
) -> None:
    assert sorted((method, path, route.authorization) for (method, path), route in gateway.api.routes.items()) == [
        ("GET", "/callback", "NONE"),
        ("GET", "/review", "NONE"),
        ("GET", "/signin", "NONE"),
        ("POST", "/decision", "NONE"),
        ("POST", "/decisions", "AWS_IAM"),
    ]
    assert _post(f"{gateway.url}/approve-everything", b"{}", {}) == (403, {"message": "Missing Authentication Token"})


def test_headers_and_multi_value_headers_are_merged_as_api_gateway_merges_them() -> None:
    """Each value of a multi-value header is a header line of its own (two cookies, two Set-Cookie lines); a
    name in both keeps multiValueHeaders' values only."""
    response = {
        "headers": {"Content-Type": "text/html", "Set-Cookie": "dropped=1", "Cache-Control": "no-store"},
        "multiValueHeaders": {"set-cookie": ["a=1; Secure", "b=; Max-Age=0"]},
    }
    assert response_headers(response) == [
        ("Content-Type", "text/html"),
        ("Cache-Control", "no-store"),
        ("set-cookie", "a=1; Secure"),
        ("set-cookie", "b=; Max-Age=0"),
    ]


# -- AWS_IAM: accepted -------------------------------------------------------------------------------------


def test_a_signed_request_reaches_the_function_with_the_assumed_role_sessions_arn(
    sandbox: Sandbox, gateway: ReviewGateway, now: datetime
) -> None:
    url = f"{gateway.url}/decisions"
    body = _body()

    status, answer = _post(url, body, _sign(url, body, _platform_engineer(sandbox), at=now))

    shared = sandbox.config.accounts.shared_services
    assert (status, answer) == (
        403,
        _not_an_approver(f"arn:aws:sts::{shared}:assumed-role/{PLATFORM_ROLE}/{PLATFORM_ENGINEER}"),
    )
    assert gateway.failures == []


def test_the_caller_of_an_assumed_role_session_is_the_identity_api_gateway_sends(
    sandbox: Sandbox, now: datetime
) -> None:
    """Signed for the API's real host name: the host the client signed is the Host header received."""
    credentials = _platform_engineer(sandbox)
    shared = sandbox.config.accounts.shared_services
    role = account_admin_session(sandbox.config, shared).client("iam").get_role(RoleName=PLATFORM_ROLE)["Role"]
    host = f"a1b2c3d4e5.execute-api.{REGION}.amazonaws.com"
    body = _body()
    headers = {"Host": host, **_sign(f"https://{host}/prod/decisions", body, credentials, at=now)}

    caller = authenticate(method="POST", target="/prod/decisions", headers=headers, body=body, region=REGION, now=now)

    assert caller.identity() == {
        "accountId": shared,
        "caller": f"{role['RoleId']}:{PLATFORM_ENGINEER}",
        "user": f"{role['RoleId']}:{PLATFORM_ENGINEER}",
        "userArn": f"arn:aws:sts::{shared}:assumed-role/{PLATFORM_ROLE}/{PLATFORM_ENGINEER}",
        "accessKey": credentials.access_key,
    }
    assert str(role["RoleId"]).startswith("AROA")


def test_an_iam_users_access_key_is_accepted_and_the_function_sees_the_users_arn(
    sandbox: Sandbox, gateway: ReviewGateway, now: datetime
) -> None:
    shared = sandbox.config.accounts.shared_services
    iam = account_admin_session(sandbox.config, shared).client("iam")
    user = iam.create_user(UserName=PROBE_USER)["User"]
    key = iam.create_access_key(UserName=PROBE_USER)["AccessKey"]
    try:
        credentials = ReadOnlyCredentials(key["AccessKeyId"], key["SecretAccessKey"], None)
        url = f"{gateway.url}/decisions"
        body = _body()

        status, answer = _post(url, body, _sign(url, body, credentials, at=now))
        caller = authenticate(
            method="POST",
            target=f"/{gateway.api.stage}/decisions",
            headers={"Host": url.split("/")[2], **_sign(url, body, credentials, at=now)},
            body=body,
            region=REGION,
            now=now,
        )
    finally:
        iam.delete_access_key(UserName=PROBE_USER, AccessKeyId=key["AccessKeyId"])
        iam.delete_user(UserName=PROBE_USER)

    assert (status, answer) == (403, _not_an_approver(f"arn:aws:iam::{shared}:user/{PROBE_USER}"))
    assert caller == Caller(
        account=shared,
        arn=f"arn:aws:iam::{shared}:user/{PROBE_USER}",
        principal_id=user["UserId"],
        access_key=key["AccessKeyId"],
    )


# -- AWS_IAM: refused, with API Gateway's 403 and message ----------------------------------------------------


def test_an_unsigned_request_is_refused_as_missing_authentication_token(
    sandbox: Sandbox, gateway: ReviewGateway
) -> None:
    assert _post(f"{gateway.url}/decisions", _body(), {"Content-Type": "application/json"}) == (
        403,
        {"message": "Missing Authentication Token"},
    )


def test_a_body_changed_after_signing_is_refused_with_the_canonical_request_the_gateway_computed(
    sandbox: Sandbox, gateway: ReviewGateway, now: datetime
) -> None:
    credentials = _platform_engineer(sandbox)
    url = f"{gateway.url}/decisions"
    headers = _sign(url, _body(), credentials, at=now)
    tampered = _body(decision="Rejected")

    status, answer = _post(url, tampered, headers)

    canonical = "\n".join(
        [
            "POST",
            f"/{gateway.api.stage}/decisions",
            "",
            "content-type:application/json",
            f"host:{url.split('/')[2]}",
            f"x-amz-date:{_amz(now)}",
            f"x-amz-security-token:{credentials.token}",
            "",
            "content-type;host;x-amz-date;x-amz-security-token",
            hashlib.sha256(tampered).hexdigest(),
        ]
    )
    string_to_sign = "\n".join(
        [
            "AWS4-HMAC-SHA256",
            _amz(now),
            f"{now:%Y%m%d}/{REGION}/execute-api/aws4_request",
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )
    assert (status, answer) == (
        403,
        {
            "message": f"{SIGNATURE_MISMATCH}\n\nThe Canonical String for this request should have been\n"
            f"'{canonical}'\n\nThe String-to-Sign should have been\n'{string_to_sign}'\n"
        },
    )


def test_an_access_key_the_sandbox_never_issued_is_refused_as_an_invalid_security_token(
    sandbox: Sandbox, gateway: ReviewGateway, now: datetime
) -> None:
    url = f"{gateway.url}/decisions"
    body = _body()

    assert _post(url, body, _sign(url, body, NEVER_ISSUED, at=now)) == (
        403,
        {"message": "The security token included in the request is invalid."},
    )


def test_a_session_key_sent_with_another_sessions_token_is_refused_as_an_invalid_security_token(
    sandbox: Sandbox, gateway: ReviewGateway, now: datetime
) -> None:
    mine, other = _platform_engineer(sandbox), _platform_engineer(sandbox)
    url = f"{gateway.url}/decisions"
    body = _body()

    status, answer = _post(url, body, _sign(url, body, mine._replace(token=other.token), at=now))

    assert (status, answer) == (403, {"message": "The security token included in the request is invalid."})


@pytest.mark.parametrize(
    ("offset", "message"),
    [
        (
            timedelta(minutes=-5, seconds=-1),
            "Signature expired: {signed} is now earlier than {now_minus_5} ({now} - 5 min.)",
        ),
        (
            timedelta(minutes=5, seconds=1),
            "Signature not yet current: {signed} is still later than {now_plus_5} ({now} + 5 min.)",
        ),
    ],
    ids=["signed-too-long-ago", "signed-in-the-future"],
)
def test_a_request_signed_more_than_five_minutes_from_the_gateways_clock_is_refused(
    sandbox: Sandbox, gateway: ReviewGateway, now: datetime, offset: timedelta, message: str
) -> None:
    url = f"{gateway.url}/decisions"
    body = _body()

    status, answer = _post(url, body, _sign(url, body, _platform_engineer(sandbox), at=now + offset))

    expected = message.format(
        signed=_amz(now + offset),
        now=_amz(now),
        now_minus_5=_amz(now - timedelta(minutes=5)),
        now_plus_5=_amz(now + timedelta(minutes=5)),
    )
    assert (status, answer) == (403, {"message": expected})


def test_a_request_signed_for_another_region_and_service_is_refused_naming_both(
    sandbox: Sandbox, gateway: ReviewGateway, now: datetime
) -> None:
    url = f"{gateway.url}/decisions"
    body = _body()
    headers = _sign(url, body, _platform_engineer(sandbox), at=now, service="lambda", region="us-east-1")

    assert _post(url, body, headers) == (
        403,
        {
            "message": "Credential should be scoped to a valid region, not 'us-east-1'. "
            "Credential should be scoped to correct service: 'execute-api'. "
        },
    )


def test_a_session_used_after_it_expired_is_refused_as_an_expired_security_token(
    sandbox: Sandbox, now: datetime
) -> None:
    """Sessions last an hour (the sandbox assumes roles for 3600 s); two hours on, it has expired."""
    later = now + timedelta(hours=2)
    host = f"a1b2c3d4e5.execute-api.{REGION}.amazonaws.com"
    body = _body()
    headers = {"Host": host, **_sign(f"https://{host}/prod/decisions", body, _platform_engineer(sandbox), at=later)}

    with pytest.raises(Refused) as refused:
        authenticate(method="POST", target="/prod/decisions", headers=headers, body=body, region=REGION, now=later)

    assert refused.value.message == "The security token included in the request is expired"


# -- the API's resource policy -------------------------------------------------------------------------------

DATA_SCIENTIST = "data.scientist@example.com"
SCIENTIST_ROLE = person_role_name(naming.DATA_SCIENTIST_PERMISSION_SET)


def _data_scientist(sandbox: Sandbox) -> ReadOnlyCredentials:
    """A person signed in with the DataScientist permission set of the data-science account."""
    return _frozen(
        person_session(
            sandbox.config,
            sandbox.endpoint_url,
            account=sandbox.config.accounts.data_science,
            role_name=SCIENTIST_ROLE,
            email=DATA_SCIENTIST,
        )
    )


def _method_arn(sandbox: Sandbox, gateway: ReviewGateway, method: str) -> str:
    shared = sandbox.config.accounts.shared_services
    return f"arn:aws:execute-api:{REGION}:{shared}:{gateway.api.api_id}/{gateway.api.stage}/{method}"


def _denied(who: str, arn: str) -> dict[str, str]:
    """API Gateway's 403 body when the policies do not allow the request."""
    return {"message": f"User: {who} is not authorized to perform: execute-api:Invoke on resource: {arn}"}


@pytest.fixture
def without(sandbox: Sandbox, gateway: ReviewGateway, now: datetime) -> Iterator[Callable[[str], ReviewGateway]]:
    """A second gateway in front of the same deployment whose API policy lacks the statement of a given Sid."""
    started: list[ReviewGateway] = []

    def serve(sid: str) -> ReviewGateway:
        text = gateway.runner.service_session().client("apigateway").get_rest_api(restApiId=gateway.api.api_id)
        document = json.loads(text["policy"])
        document["Statement"] = [s for s in document["Statement"] if s.get("Sid") != sid]
        variant = ReviewGateway(gateway.runner, clock=lambda: now)
        variant.api = replace(variant.api, policy=compiled("variant", json.dumps(document), PolicyKind.RESOURCE))
        variant.start()
        started.append(variant)
        return variant

    yield serve
    for variant in started:
        variant.stop()


def test_the_gateway_reads_the_deployed_api_policy_with_its_resources_expanded(
    sandbox: Sandbox, gateway: ReviewGateway
) -> None:
    assert gateway.api.policy is not None
    statements = gateway.api.policy.document["Statement"]
    assert [(s["Sid"], s["Resource"]) for s in statements] == [
        ("DataScientistsSubmitModelCards", _method_arn(sandbox, gateway, "POST/decisions")),
        (
            "ReviewPagesArePublic",
            [_method_arn(sandbox, gateway, m) for m in ("GET/callback", "GET/review", "GET/signin", "POST/decision")],
        ),
    ]


def test_a_data_scientist_of_the_data_science_account_reaches_the_function_through_the_api_policy(
    sandbox: Sandbox, gateway: ReviewGateway, now: datetime
) -> None:
    """Cross-account: the DataScientist permission set allows execute-api:Invoke, and so does the API policy. The
    function answers (it takes only card submissions from a data scientist)."""
    url = f"{gateway.url}/decisions"
    body = _body()

    status, answer = _post(url, body, _sign(url, body, _data_scientist(sandbox), at=now))

    data_science = sandbox.config.accounts.data_science
    assert (status, answer) == (
        403,
        _not_an_approver(f"arn:aws:sts::{data_science}:assumed-role/{SCIENTIST_ROLE}/{DATA_SCIENTIST}"),
    )


def test_another_role_of_the_data_science_account_is_refused_by_the_api_policy(
    sandbox: Sandbox, gateway: ReviewGateway, now: datetime
) -> None:
    """The policy names the DataScientist permission set's role only (ArnLike aws:PrincipalArn)."""
    url = f"{gateway.url}/decisions"
    body = _body()
    credentials = _frozen(data_scientist_session(sandbox, DATA_SCIENTIST))

    status, answer = _post(url, body, _sign(url, body, credentials, at=now))

    role = naming.DATA_SCIENCE_ROLE
    caller = f"arn:aws:sts::{sandbox.config.accounts.data_science}:assumed-role/{role}/{DATA_SCIENTIST}"
    assert (status, answer) == (403, _denied(caller, _method_arn(sandbox, gateway, "POST/decisions")))
    assert gateway.failures == []


def test_without_the_data_scientists_statement_their_submission_is_refused(
    sandbox: Sandbox, without: Callable[[str], ReviewGateway], now: datetime
) -> None:
    variant = without("DataScientistsSubmitModelCards")
    url = f"{variant.url}/decisions"
    body = json.dumps({"subject": "card", "arn": "", "decision": "PendingReview"}).encode()

    status, answer = _post(url, body, _sign(url, body, _data_scientist(sandbox), at=now))

    caller = f"arn:aws:sts::{sandbox.config.accounts.data_science}:assumed-role/{SCIENTIST_ROLE}/{DATA_SCIENTIST}"
    assert (status, answer) == (403, _denied(caller, _method_arn(sandbox, variant, "POST/decisions")))


def test_without_the_public_statement_the_review_page_is_refused_to_anonymous_callers(
    sandbox: Sandbox, without: Callable[[str], ReviewGateway]
) -> None:
    """A method without authorization on an API with a resource policy needs the policy's explicit allow."""
    variant = without("ReviewPagesArePublic")
    request = urllib.request.Request(f"{variant.review_url}?token=x", method="GET")  # noqa: S310 (loopback)

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)  # noqa: S310 (loopback)

    assert (refused.value.code, json.loads(refused.value.read())) == (
        403,
        _denied("anonymous", _method_arn(sandbox, variant, "GET/review")),
    )


def test_the_same_accounts_platform_engineer_is_not_judged_by_the_api_policy(
    sandbox: Sandbox, without: Callable[[str], ReviewGateway], now: datetime
) -> None:
    """Same account: the identity policy alone may allow (API Gateway); the policy names no shared-services
    caller, and the request reaches the function."""
    variant = without("DataScientistsSubmitModelCards")
    url = f"{variant.url}/decisions"
    body = _body()

    status, answer = _post(url, body, _sign(url, body, _platform_engineer(sandbox), at=now))

    shared = sandbox.config.accounts.shared_services
    assert (status, answer) == (
        403,
        _not_an_approver(f"arn:aws:sts::{shared}:assumed-role/{PLATFORM_ROLE}/{PLATFORM_ENGINEER}"),
    )
