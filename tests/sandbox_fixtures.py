"""Fixtures for tests that run against the local AWS.

One moto server per test session. moto keeps its state per process, so a reset by any test (7 ms)
clears every account: `empty_aws` resets on purpose, and `sandbox` sets the organisation up again
when an earlier test cleared it. Both make the server the ambient AWS of the test through
`AWS_ENDPOINT_URL`, as the CLI and CI see it; no code path has a sandbox flag. The organisation set up is the
session's: `config` and `synth`, the two_env test organisation (tests/orgs/two_env).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import boto3
import pytest

from accounts import naming
from accounts.config import OrgConfig
from cli.sandbox import exports
from promotion.sessions import assume_role
from sandbox.accounts import MANAGEMENT_CREDENTIALS, ORGANIZATION_ACCESS_ROLE, create_member_account
from sandbox.authorization.gate import GATES
from sandbox.lambda_runner import LambdaRunner
from sandbox.organization import Sandbox, person_role_name, person_session, start_sandbox
from sandbox.review_gateway import ReviewGateway
from sandbox.server import SandboxServer, start_server

if TYPE_CHECKING:
    from tests.conftest import Synth

REGION = "eu-west-1"  # two_env's


@pytest.fixture(autouse=True, scope="module")
def sandbox_iam_mode(request: pytest.FixtureRequest) -> Iterator[None]:
    """The sandbox's IAM enforces for every module but those marked `iam_audit_only`, whose requests it
    judges and counts without refusing them (the list of such modules is the remaining work). Module scope:
    the module's own fixtures run in its mode too."""
    audit = request.node.get_closest_marker("iam_audit_only") is not None
    for gate in GATES:
        gate.enforcing = not audit
    yield
    for gate in GATES:
        gate.enforcing = True


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    """The session's moto server, with the compatibility patches applied."""
    server = start_server()
    yield server
    server.stop()


def _point_at(monkeypatch: pytest.MonkeyPatch, endpoint_url: str) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", MANAGEMENT_CREDENTIALS["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", MANAGEMENT_CREDENTIALS["aws_secret_access_key"])
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_STS"):
        monkeypatch.delenv(name, raising=False)


@dataclass
class EmptyAws:
    """An empty local AWS: any account is reached by assuming a role in it."""

    server: SandboxServer

    def session(self, account: str, role: str = ORGANIZATION_ACCESS_ROLE) -> boto3.Session:
        """Administrator credentials in `account`: a member account of the sandbox's organisation, reached
        from the management account's root through its administrator role (the sandbox's IAM checks the
        role's trust, as AWS does)."""
        create_member_account(account, role)
        return assume_role(f"arn:aws:iam::{account}:role/{role}", session_name="pytest", region=REGION)


@pytest.fixture
def empty_aws(sandbox_server: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> EmptyAws:
    """A reset, empty local AWS (no organisation), as the ambient AWS of the test."""
    sandbox_server.reset()
    _point_at(monkeypatch, sandbox_server.endpoint_url)
    return EmptyAws(sandbox_server)


@pytest.fixture(scope="session")
def sandbox_organization(config: OrgConfig, synth: Synth, sandbox_server: SandboxServer) -> Sandbox:
    """The session's organisation (two_env) set up once from its synthesized assembly, in a reset server."""
    sandbox_server.reset()
    return start_sandbox(config, cdk_out=synth.outdir, server=sandbox_server)


@pytest.fixture
def sandbox(sandbox_organization: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """The sandbox organisation as the ambient AWS of the test (set up again if a reset cleared it)."""
    if not sandbox_organization.is_set_up():
        sandbox_organization.reset()
    _point_at(monkeypatch, sandbox_organization.endpoint_url)
    return sandbox_organization


def data_scientist_session(sandbox: Sandbox, email: str) -> boto3.Session:
    """`email` signed in through Identity Center (DataScientist), in the modelops-data-science role with their
    identity as the source identity, as `modelops register` reaches it (the role's trust requires it)."""
    config = sandbox.config
    person = person_session(
        config,
        sandbox.endpoint_url,
        account=config.accounts.data_science,
        role_name=person_role_name(naming.DATA_SCIENTIST_PERMISSION_SET),
        email=email,
    )
    return assume_role(
        naming.data_science_role_arn(config), session_name=email, source_identity=email, base=person, region=REGION
    )


@contextmanager
def approval_api_served(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[ReviewGateway]:
    """The deployed approval API served on this machine, where `modelops approve` and `reject` reach it
    (AWS_ENDPOINT_URL_EXECUTE_API, as AWS_ENDPOINT_URL reaches the other services)."""
    with LambdaRunner(sandbox.config, sandbox.endpoint_url) as runner, ReviewGateway(runner) as gateway:
        for line in exports(sandbox.endpoint_url, gateway.url, api_url=gateway.published_url):
            name, _, value = line.removeprefix("export ").partition("=")
            monkeypatch.setenv(name, value)
        yield gateway


@pytest.fixture
def approval_api(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[ReviewGateway]:
    """The approval API of the test's sandbox organisation, served locally (see `approval_api_served`)."""
    with approval_api_served(sandbox, monkeypatch) as gateway:
        yield gateway
