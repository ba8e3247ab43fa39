"""Sessions for each role of the role model, and AWS errors turned into one plain line.

Every session comes from sts:AssumeRole, starting from the ambient credentials (SSO, OIDC, profile),
so the same code reaches real AWS or the sandbox through `AWS_ENDPOINT_URL`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from urllib.parse import urlsplit

import boto3
import botocore.loaders
import botocore.session
from botocore.exceptions import ClientError, CredentialRetrievalError, HTTPClientError, NoCredentialsError
from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.utils import is_valid_endpoint_url, is_valid_ipv6_endpoint_url

from accounts import naming
from accounts.config import OrgConfig
from accounts.validation import InputError
from promotion.errors import AwsAccessDenied, AwsCallFailed, AwsUnreachable
from promotion.sessions import assume_role

SessionHook = Callable[[boto3.Session], None]

# Each boto3 session otherwise parses the service models (SageMaker's is large) again: about 0.5 s per
# client. One loader per process caches them, shared by every session of every role.
_SHARED_LOADER = botocore.loaders.create_loader()


def new_session(
    *,
    region: str,
    access_key: str | None = None,
    secret_key: str | None = None,
    token: str | None = None,
) -> boto3.Session:
    """A boto3 session sharing the process's model loader; without keys, the default credential chain."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _SHARED_LOADER)
    return boto3.Session(
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        aws_session_token=token,
        region_name=region,
        botocore_session=core,
    )


def _with_shared_loader(session: boto3.Session, region: str) -> boto3.Session:
    credentials = session.get_credentials()
    if credentials is None:
        return session
    frozen = credentials.get_frozen_credentials()
    return new_session(region=region, access_key=frozen.access_key, secret_key=frozen.secret_key, token=frozen.token)


ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL"
# Where `modelops sandbox up` listens: a connection refused there means the sandbox is not running.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def check_endpoint_url(environ: Mapping[str, str] = os.environ) -> None:
    """Refuse an AWS_ENDPOINT_URL botocore cannot use, naming it, before any client is made (botocore would
    raise a bare `ValueError: Invalid endpoint` from the first one)."""
    url = environ.get(ENDPOINT_VARIABLE)
    if url is None:
        return
    scheme = urlsplit(url).scheme
    if scheme not in ("http", "https") or not (is_valid_endpoint_url(url) or is_valid_ipv6_endpoint_url(url)):
        raise InputError(
            f"{ENDPOINT_VARIABLE}: {url!r} is not an endpoint URL; expected http:// or https:// and a host, such as "
            f"the http://127.0.0.1:<port> that `modelops sandbox up` prints (unset it to reach AWS itself)"
        )


def _unreachable_hint(endpoint: str) -> str:
    if urlsplit(endpoint).hostname in LOCAL_HOSTS:
        return "; is the sandbox running? Start it with `modelops sandbox up`"
    return ""


ACCESS_DENIED_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"}
)
_ERRNO = re.compile(r"\[Errno -?\d+\] (?P<reason>[^)\"']+)")


def _unreachable_reason(exc: Exception) -> str:
    """The socket-level reason ('Connection refused') rather than urllib3's wrapper text."""
    kwargs = getattr(exc, "kwargs", {}) or {}
    detail = str(kwargs.get("error", exc))
    match = _ERRNO.search(detail)
    return match["reason"].strip() if match else detail


def translate(exc: Exception, what: str, *, role: str | None = None) -> Exception:
    """The one-line error for a botocore failure calling `what` as `role`; other exceptions unchanged."""
    if isinstance(exc, BotoConnectionError | HTTPClientError):
        endpoint = str((getattr(exc, "kwargs", {}) or {}).get("endpoint_url", "its endpoint")).rstrip("/")
        reason = _unreachable_reason(exc)
        return AwsUnreachable(f"cannot reach {what} at {endpoint}: {reason}{_unreachable_hint(endpoint)}")
    if isinstance(exc, CredentialRetrievalError):
        # A profile's credential_process (or SSO) failed; its own one-line error says why.
        provider = (getattr(exc, "kwargs", {}) or {}).get("provider", "credential provider")
        detail = str((getattr(exc, "kwargs", {}) or {}).get("error_msg", exc)).strip().removeprefix("error: ")
        return AwsAccessDenied(f"cannot sign in: the AWS profile's {provider} failed: {detail}")
    if isinstance(exc, NoCredentialsError):
        return AwsAccessDenied(f"no AWS credentials found to reach {what}; sign in first (for example `aws sso login`)")
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        message = " ".join(str(error.get("Message", "")).split())  # one line, always
        operation = exc.operation_name
        if message.startswith("<"):  # a proxy's or server's HTML error page, not an AWS error
            message = "the service answered with an HTML error page"
        if code in ACCESS_DENIED_CODES:
            if operation == "AssumeRole":
                return AwsAccessDenied(f"access denied: cannot assume {role}: {message}")
            acting = role or "the current identity"
            return AwsAccessDenied(f"access denied: {acting} may not call {operation} on {what}: {message}")
        return AwsCallFailed(f"{what}: {operation} failed: {code}: {message}")
    return exc


@contextmanager
def calling(what: str, *, role: str | None = None) -> Iterator[None]:
    """Run AWS calls about `what` (e.g. 'the SageMaker registry') as `role`; failures become one line."""
    try:
        yield
    except (BotoConnectionError, HTTPClientError, NoCredentialsError, ClientError) as exc:
        raise translate(exc, what, role=role) from None


def short_identity(caller_arn: str) -> str:
    """A person's or job's identity from an STS caller ARN.

    For an assumed role (SSO included) that is the session name, which IAM Identity Center sets to the
    user's email; anything else is identified by its full ARN.
    """
    if ":assumed-role/" in caller_arn:
        return caller_arn.rsplit("/", 1)[1]
    return caller_arn


ROOT_USER_ARN = re.compile(r"^arn:aws[\w-]*:iam::(?P<account>\d{12}):root$")


def root_user_note(caller_arn: str) -> str | None:
    """The note that says plainly who acts when the credentials are an account's root user (no person, so
    nothing records who did it); None for anyone else."""
    match = ROOT_USER_ARN.fullmatch(caller_arn)
    if match is None:
        return None
    return (
        f"note: acting as {caller_arn}, the root user of account {match['account']}, not a person; "
        "people act with their own sign-in: AWS_PROFILE=<their profile>"
    )


class AwsContext:
    """Credentials for one command: the ambient session and the role sessions assumed from it."""

    def __init__(
        self,
        config: OrgConfig,
        *,
        base: boto3.Session | None = None,
        on_session: SessionHook | None = None,
        on_note: Callable[[str], None] | None = None,
    ) -> None:
        self.config = config
        self._base = base
        self._on_session = on_session
        self._on_note = on_note
        self._sessions: dict[tuple[str, str], boto3.Session] = {}
        self._caller: str | None = None

    @property
    def base(self) -> boto3.Session:
        """The ambient session (environment, profile, SSO or OIDC credentials)."""
        if self._base is None:
            check_endpoint_url()
            self._base = new_session(region=self.config.region)
            self._hook(self._base)
        return self._base

    def _hook(self, session: boto3.Session) -> None:
        if self._on_session is not None:
            self._on_session(session)

    def caller_arn(self) -> str:
        """Who is acting, as STS reports the ambient credentials."""
        # Connection errors propagate untranslated, so the caller's `calling()` names what it was reaching.
        if self._caller is None:
            sts = self.base.client("sts", region_name=self.config.region)
            self._caller = str(sts.get_caller_identity()["Arn"])
            note = root_user_note(self._caller)
            if note is not None and self._on_note is not None:
                self._on_note(note)
        return self._caller

    def identity(self) -> str:
        """The acting person or job, as recorded in history and used as the role session name."""
        return short_identity(self.caller_arn())

    def assume(self, role_arn: str, *, via: str | None = None, stamp_identity: bool = False) -> boto3.Session:
        """A session of `role_arn`, assumed from the ambient session or from the session of role `via`;
        `stamp_identity` also sets the caller's identity as the session's source identity, which AWS then
        records on everything the session creates (CreatedBy) and keeps through role chains."""
        key = (role_arn, via or "")
        if key not in self._sessions:
            parent = self.assume(via) if via is not None else self.base
            self._sessions[key] = self._assume_from(parent, role_arn, stamp_identity=stamp_identity)
        return self._sessions[key]

    def _assume_from(self, parent: boto3.Session, role_arn: str, *, stamp_identity: bool = False) -> boto3.Session:
        """A new session of `role_arn`, assumed from `parent`, named after the caller."""
        identity = self.identity()
        try:
            assumed = assume_role(
                role_arn,
                session_name=identity,
                source_identity=identity if stamp_identity else None,
                base=parent,
                region=self.config.region,
            )
        except ClientError as exc:
            # Refusals name the role; connection errors propagate to the caller's `calling()`.
            raise translate(exc, "AWS STS", role=role_arn) from None
        session = _with_shared_loader(assumed, self.config.region)
        self._hook(session)
        return session

    # -- the roles of the role model -------------------------------------------------

    def promoter(self, *, via: str | None = None) -> boto3.Session:
        """Shared services: reads the registry, live records and ledger; appends promotions to the ledger."""
        return self.assume(naming.promoter_role_arn(self.config), via=via)

    def verifier(self, *, via: str | None = None) -> boto3.Session:
        """Shared services: reads the registry, live records and ledger for the gates; writes nothing."""
        return self.assume(naming.verifier_role_arn(self.config), via=via)

    def recorder(self, env: str, *, via: str | None = None) -> boto3.Session:
        """Shared services: `env`'s deploy records and live record, and nothing of another environment."""
        return self.assume(naming.recorder_role_arn(self.config, env), via=via)

    def releaser(self) -> boto3.Session:
        """Shared services: releases holds, in the person's name (its trust requires it); nothing else."""
        return self.assume(naming.releaser_role_arn(self.config), stamp_identity=True)

    def soak_reader(self, env: str, *, reader: str, via: str | None = None) -> boto3.Session:
        """`env`'s workload account: reads its endpoints' alarms and their history; chained from the session of
        role `reader` (the promoter or the verifier), itself assumed from role `via` when given."""
        role_arn = naming.soak_reader_role_arn(self.config, env)
        key = (role_arn, f"{reader}<{via or ''}")
        if key not in self._sessions:
            self._sessions[key] = self._assume_from(self.assume(reader, via=via), role_arn)
        return self._sessions[key]

    def data_science(self) -> boto3.Session:
        """Data-science account: registers model packages, in the person's name (its trust requires it)."""
        return self.assume(naming.data_science_role_arn(self.config), stamp_identity=True)

    def operator(self, env: str, *, via: str | None = None) -> boto3.Session:
        """A workload account: describes and invokes endpoints, records the live ARN."""
        return self.assume(naming.operator_role_arn(self.config, env), via=via)
