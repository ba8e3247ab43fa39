"""IAM authentication (AWS_IAM) of a request to a deployed API, as API Gateway does it, against the
credentials the sandbox issued.

moto runs in this process (sandbox/server.py) and keeps every credential it hands out: the access keys of
IAM users in its IAM backend, and each session of sts:AssumeRole (AssumeRoleWithWebIdentity, WithSAML) in
its STS backend with the session's secret key and session token. `authenticate` finds the secret of the
request's access key there, recomputes the Signature Version 4 signature over the request as received (the
method, the path and query as sent, the headers the client listed in SignedHeaders, the SHA-256 of the
body) with botocore's SigV4Auth, and compares the two in constant time. The `Caller` it returns is what API
Gateway puts in the proxy event's `requestContext.identity`.

A refusal is a `Refused` carrying API Gateway's message; the gateway answers it 403 `{"message": ...}`. The
messages are AWS's (IAM User Guide, "Troubleshoot Signature Version 4 signing", and AWS re:Post,
"Troubleshoot signature mismatch errors ... with IAM authentication to API Gateway"):
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-troubleshooting.html
https://repost.aws/knowledge-center/api-gateway-iam-sigv4-mismatch

Not done here (API Gateway does them): IAM policy evaluation (whether the caller may `execute-api:Invoke`
the method) and the API's resource policy, which sandbox/gateway_policy.py judges for the review gateway;
signatures in the query string (presigned URLs); SigV4a.
Credentials moto does not record (its GetSessionToken and GetFederationToken return fixed keys) are
refused as unknown.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials
from moto.iam import models as _iam_models
from moto.sts import models as _sts_models
from moto.utilities.utils import get_partition

iam_backends: Any = _iam_models.iam_backends
sts_backends: Any = _sts_models.sts_backends

SERVICE = "execute-api"
ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
AMZ_DATE = "%Y%m%dT%H%M%SZ"
# "a request must reach AWS within five minutes of the time stamp in the request" (IAM User Guide, SigV4).
MAX_SKEW = timedelta(minutes=5)

UNSIGNED = "Missing Authentication Token"
UNKNOWN_KEY = "The security token included in the request is invalid."
EXPIRED_SESSION = "The security token included in the request is expired"
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)
HOST_NOT_SIGNED = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
_PARAMETER = re.compile(r"([A-Za-z]+)=([^,\s]*)")


class Refused(Exception):
    """API Gateway's 403 for a request whose IAM authentication failed; `message` is its body's message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Caller:
    """Who signed a request: the identity API Gateway hands the integration for AWS_IAM routes."""

    account: str
    arn: str
    # AROA...:<session name> for an assumed-role session, AIDA... for an IAM user (API Gateway's "user").
    principal_id: str
    access_key: str

    def identity(self) -> dict[str, str]:
        """The fields of `requestContext.identity` API Gateway fills for an IAM-authenticated caller."""
        return {
            "accountId": self.account,
            "caller": self.principal_id,
            "user": self.principal_id,
            "userArn": self.arn,
            "accessKey": self.access_key,
        }


@dataclass(frozen=True)
class IssuedKey:
    """An access key the sandbox issued: its secret, the session token that must come with it (temporary
    credentials only), when it expires, and whose it is."""

    secret_key: str
    session_token: str | None
    expiration: datetime | None
    caller: Caller


def issued_key(access_key_id: str, region: str) -> IssuedKey | None:
    """The active access key `access_key_id` as moto issued it in any account, or None."""
    partition = get_partition(region)
    # The moto server thread adds accounts while this runs: iterate over a copy, as moto itself does.
    for account_id, account in list(iam_backends.items()):
        iam = account.get(partition)
        key = iam.access_keys.get(access_key_id) if iam is not None else None
        if key is None or key.status != "Active":
            continue
        if key.user_name is not None:
            user = iam.get_user_from_access_key_id(access_key_id)
            if user is None:
                return None
            return IssuedKey(
                secret_key=str(key.secret_access_key),
                session_token=None,
                expiration=None,
                caller=Caller(
                    account=account_id, arn=str(user.arn), principal_id=str(user.id), access_key=access_key_id
                ),
            )
        return _assumed_role_key(access_key_id, partition)
    return None


def _assumed_role_key(access_key_id: str, partition: str) -> IssuedKey | None:
    """The STS session a temporary key belongs to. moto files a session under the role's account
    (AssumeRole) or the caller's (AssumeRoleWithSAML), so every account is searched."""
    for account in list(sts_backends.values()):
        sts = account.get(partition)
        session = sts.get_assumed_role_from_access_key(access_key_id) if sts is not None else None
        if session is None:
            continue
        return IssuedKey(
            secret_key=str(session.secret_access_key),
            session_token=str(session.session_token),
            # moto keeps naive UTC datetimes
            expiration=session.expiration.replace(tzinfo=UTC),
            caller=Caller(
                account=str(session.account_id),
                arn=str(session.arn),
                principal_id=str(session.user_id),
                access_key=access_key_id,
            ),
        )
    return None


@dataclass(frozen=True)
class _Authorization:
    """The parts of an `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`
    header, and the signing time from the request's date header."""

    access_key: str
    scope: tuple[str, str, str, str]  # date, region, service, terminator
    signed_headers: tuple[str, ...]
    signature: str
    timestamp: datetime


def authenticate(
    *, method: str, target: str, headers: Mapping[str, str], body: bytes, region: str, now: datetime
) -> Caller:
    """The caller who signed this request for `execute-api` in `region`, or Refused with API Gateway's message.

    `target` is the request target as received (path and query, still percent-encoded), `body` the bytes
    received, `now` the gateway's clock (aware).
    """
    fields = {name.lower(): value for name, value in headers.items()}
    authorization = fields.get("authorization")
    if not authorization:
        raise Refused(UNSIGNED)
    parsed = _parse_authorization(authorization, _request_time(fields))
    _check_scope(parsed, region)
    _check_clock(parsed.timestamp, now)
    if "host" not in parsed.signed_headers:
        raise Refused(HOST_NOT_SIGNED)
    issued = issued_key(parsed.access_key, region)
    if issued is None or not _same_token(fields.get("x-amz-security-token"), issued.session_token):
        raise Refused(UNKNOWN_KEY)
    if issued.expiration is not None and issued.expiration <= now:
        raise Refused(EXPIRED_SESSION)
    signer = _ReceivedRequestAuth(
        Credentials(parsed.access_key, issued.secret_key, issued.session_token),
        region,
        signed=_signed_header_values(parsed.signed_headers, headers),
        body=body,
    )
    path, _, query = target.partition("?")
    request = AWSRequest(method=method, url=f"http://{fields.get('host', '')}{path}" + (f"?{query}" if query else ""))
    request.context["timestamp"] = parsed.timestamp.strftime(AMZ_DATE)
    canonical = signer.canonical_request(request)
    string_to_sign = signer.string_to_sign(request, canonical)
    expected = signer.signature(string_to_sign, request)
    if not hmac.compare_digest(expected.encode(), parsed.signature.encode()):
        # API Gateway shows what it computed, so a client can find where its signing differs.
        raise Refused(
            f"{SIGNATURE_MISMATCH}\n\nThe Canonical String for this request should have been\n'{canonical}'\n\n"
            f"The String-to-Sign should have been\n'{string_to_sign}'\n"
        )
    return issued.caller


class _ReceivedRequestAuth(SigV4Auth):
    """botocore's SigV4 computation over a request as received rather than one being sent.

    botocore signs every header of an outgoing request; a received request is signed over exactly the
    headers its SignedHeaders lists. botocore also takes the payload hash from an X-Amz-Content-SHA256
    header when one is present (S3's rule) or skips it over https; the gateway always hashes the body it
    received, so a signed request whose body was changed is refused. (The AWSRequest built in
    `authenticate` carries no headers, so botocore's X-Amz-Content-SHA256 branch is never taken.)
    """

    def __init__(self, credentials: Credentials, region: str, *, signed: HTTPHeaders, body: bytes) -> None:
        super().__init__(credentials, SERVICE, region)
        self._signed = signed
        self._body = body

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        return self._signed

    def payload(self, request: AWSRequest) -> str:
        return hashlib.sha256(self._body).hexdigest()


def _signed_header_values(names: tuple[str, ...], headers: Mapping[str, str]) -> HTTPHeaders:
    """The headers the client signed, with the values received. A listed header that was not received is
    left out, so the recomputed SignedHeaders differ and the signature does not match, as in AWS."""
    received = {name.lower(): value for name, value in headers.items()}
    signed = HTTPHeaders()
    for name in names:
        if name in received:
            signed[name] = received[name]
    return signed


def _parse_authorization(authorization: str, timestamp: datetime | None) -> _Authorization:
    algorithm, _, rest = authorization.strip().partition(" ")
    parameters = dict(_PARAMETER.findall(rest))
    # AWS names every missing part in one message (and appends a digest of the header, left out here).
    missing = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if not parameters.get(name)
    ]
    if timestamp is None:
        missing.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
    if missing or timestamp is None:
        raise Refused(" ".join(missing))
    if algorithm != ALGORITHM:
        raise Refused(f"Unsupported AWS 'algorithm': '{algorithm}'")
    access_key, *scope = parameters["Credential"].split("/")
    date, region, service, terminator = [*scope, "", "", "", ""][:4]
    return _Authorization(
        access_key=access_key,
        scope=(date, region, service, terminator),
        signed_headers=tuple(parameters["SignedHeaders"].split(";")),
        signature=parameters["Signature"],
        timestamp=timestamp,
    )


def _request_time(fields: Mapping[str, str]) -> datetime | None:
    """The signing time: X-Amz-Date in ISO 8601 basic format, else the HTTP Date header; None without
    either (a Date that does not parse counts as none)."""
    if "x-amz-date" in fields:
        value = fields["x-amz-date"]
        try:
            return datetime.strptime(value, AMZ_DATE).replace(tzinfo=UTC)
        except ValueError:
            raise Refused(
                f"Date must be in ISO-8601 'basic format'. Got '{value}'. See http://en.wikipedia.org/wiki/ISO_8601"
            ) from None
    try:
        return parsedate_to_datetime(fields["date"]).astimezone(UTC)
    except (KeyError, TypeError, ValueError):
        return None


def _check_scope(parsed: _Authorization, region: str) -> None:
    """The credential scope names this region, execute-api, aws4_request and the request's own date; AWS
    lists every part that is wrong, each sentence followed by a space except the date's."""
    date, scoped_region, service, terminator = parsed.scope
    problems = []
    if scoped_region != region:
        problems.append(f"Credential should be scoped to a valid region, not '{scoped_region}'. ")
    if service != SERVICE:
        problems.append(f"Credential should be scoped to correct service: '{SERVICE}'. ")
    if terminator != TERMINATOR:
        problems.append(f"Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{terminator}'. ")
    stamp = parsed.timestamp.strftime(AMZ_DATE)
    if date != stamp[:8]:
        problems.append(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{date}' != '{stamp[:8]}', from '{stamp}'."
        )
    if problems:
        raise Refused("".join(problems))


def _check_clock(timestamp: datetime, now: datetime) -> None:
    """Within five minutes of the gateway's clock, either way. The wording is AWS's, e.g.
    "Signature expired: 20230118T161739Z is now earlier than 20230118T161739Z (20190318T162239Z - 5 min.)"
    (https://repost.aws/knowledge-center/lambda-sdk-signature)."""
    now = now.astimezone(UTC).replace(microsecond=0)
    stamp = timestamp.strftime(AMZ_DATE)
    if timestamp < now - MAX_SKEW:
        raise Refused(
            f"Signature expired: {stamp} is now earlier than {(now - MAX_SKEW).strftime(AMZ_DATE)} "
            f"({now.strftime(AMZ_DATE)} - 5 min.)"
        )
    if timestamp > now + MAX_SKEW:
        raise Refused(
            f"Signature not yet current: {stamp} is still later than {(now + MAX_SKEW).strftime(AMZ_DATE)} "
            f"({now.strftime(AMZ_DATE)} + 5 min.)"
        )


def _same_token(received: str | None, issued: str | None) -> bool:
    """The session token sent is the session's own (and none is sent with a long-term key)."""
    if received is None or issued is None:
        return received is None and issued is None
    return hmac.compare_digest(received.encode(), issued.encode())
