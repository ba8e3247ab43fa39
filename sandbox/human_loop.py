"""The approval workflow's human loop, run on this machine next to the sandbox organisation.

What AWS and GitHub would run around the deployed approval functions, started by `modelops sandbox up` (and
the demo), so a person can register, receive the email, review, decide and see the dispatch:

- the Lambda runner, which runs the deployed functions on the events EventBridge routed to them;
- the review gateway (the deployed approval API, served locally), behind the identity provider stand-in;
- the GitHub stand-in, which receives the dispatch function's repository_dispatch;
- the GitHub token in the deployed dispatch secret, as the operator stores it (a random one: the stand-in
  accepts any, and it is never printed).

The runner overrides the deployed URLs that point outside the sandbox (sandbox/lambda_runner.py): the review
link base (the local gateway), GitHub's API base (the stand-in), and the review function's identity provider
endpoints and callback. `DeliveryLoop` delivers the routed events continuously, in a background thread.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass

from accounts import naming
from accounts.config import OrgConfig
from sandbox import identity_provider
from sandbox.github_stand_in import GitHubStandIn, RecordedRequest
from sandbox.identity_provider import IdentityProviderStandIn
from sandbox.lambda_runner import FunctionFailed, Invocation, LambdaRunner
from sandbox.organization import Sandbox, account_admin_session, aws_endpoint
from sandbox.review_gateway import ReviewGateway

NOTIFY = naming.approval_function_name("notify")
DISPATCH = naming.approval_function_name("dispatch")
FUNCTIONS = tuple(naming.approval_function_name(purpose) for purpose in naming.APPROVAL_FUNCTIONS)


@dataclass(frozen=True)
class Delivery:
    """One event delivered to a deployed function: its invocation, or the error it ended in."""

    function: str
    invocation: Invocation | None
    error: str | None = None

    def line(self) -> str:
        """One line saying what ran, as which role, and what it returned (or how it failed)."""
        if self.invocation is None:
            return f"EventBridge -> {self.function} failed: {self.error}"
        role = self.invocation.role.rsplit("/", 1)[1]
        result = json.dumps(self.invocation.result, sort_keys=True)
        return f"EventBridge -> {self.function} ({self.invocation.handler}, as role {role}): {result}"


def dispatch_line(request: RecordedRequest) -> str:
    """One line for a request the GitHub stand-in received: the repository_dispatch's event type and payload."""
    payload = json.dumps(request.body.get("client_payload"), sort_keys=True)
    return (
        f"GitHub stand-in received {request.method} {request.path}: "
        f"event_type {request.body.get('event_type')}, client_payload {payload}"
    )


class HumanLoop:
    """The runner, gateway, identity provider stand-in and GitHub stand-in, wired to the deployed workflow.
    Each is entered on `stack`, so closing it stops them all (before the sandbox stops)."""

    def __init__(self, config: OrgConfig, sandbox: Sandbox, stack: ExitStack) -> None:
        self.config = config
        self.runner: LambdaRunner = stack.enter_context(LambdaRunner(config, sandbox.endpoint_url))
        self.gateway: ReviewGateway = stack.enter_context(ReviewGateway(self.runner))
        self.github: GitHubStandIn = stack.enter_context(GitHubStandIn())
        self.identity_provider: IdentityProviderStandIn = stack.enter_context(
            identity_provider.wire(self.runner, self.gateway)
        )
        self.runner.override(NOTIFY, REVIEW_URL=self.gateway.review_url)
        self.runner.override(DISPATCH, GITHUB_API_URL=self.github.url)
        with aws_endpoint(sandbox.endpoint_url):
            shared = account_admin_session(config, config.accounts.shared_services)
            shared.client("secretsmanager").put_secret_value(
                SecretId=naming.GITHUB_DISPATCH_SECRET, SecretString=f"ghs_sandbox_{secrets.token_hex(16)}"
            )

    @property
    def execute_api_endpoint(self) -> str:
        """Where `modelops approve` reaches the approval API (`AWS_ENDPOINT_URL_EXECUTE_API`): the gateway's
        host, as the API's own host in AWS (the URL's path keeps the stage)."""
        return self.gateway.url.rsplit("/", 1)[0]

    def deliver(self, function: str) -> list[Delivery]:
        """Run `function` once per event EventBridge routed to it, oldest first. A failed run is kept as a
        Delivery with its error and the next event still runs (Lambda would retry, then dead-letter it)."""
        deliveries = []
        for event in self.runner.pending(function):
            try:
                deliveries.append(Delivery(function, self.runner.invoke(function, event)))
            except FunctionFailed as failure:
                deliveries.append(Delivery(function, None, str(failure)))
        return deliveries

    def deliver_all(self) -> list[Delivery]:
        """`deliver` for every approval function."""
        return [delivery for function in FUNCTIONS for delivery in self.deliver(function)]


class DeliveryLoop:
    """A background thread that delivers routed events every `interval` seconds and reports one line per
    invocation, per dispatch GitHub received and per failure of the review gateway. An error is reported,
    never fatal. Use as a context manager."""

    def __init__(self, loop: HumanLoop, report: Callable[[str], None], *, interval: float = 0.5) -> None:
        self.loop = loop
        self.report = report
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="event-delivery", daemon=True)
        self._seen_requests = len(loop.github.requests)
        self._seen_failures = len(loop.gateway.failures)

    def __enter__(self) -> DeliveryLoop:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.tick()
            except Exception as error:  # a broken round is reported; the next one tries again
                self.report(f"event delivery failed: {type(error).__name__}: {error}")

    def tick(self) -> None:
        """One round: deliver what is pending, then report what GitHub and the gateway saw since the last."""
        for delivery in self.loop.deliver_all():
            self.report(delivery.line())
        requests = self.loop.github.requests
        for request in requests[self._seen_requests :]:
            self.report(dispatch_line(request))
        self._seen_requests = len(requests)
        failures = self.loop.gateway.failures
        for failure in failures[self._seen_failures :]:
            self.report(f"review gateway: {failure}")
        self._seen_failures = len(failures)
