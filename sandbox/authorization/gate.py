"""The sandbox's IAM: every request is authorized before moto acts on it, as AWS authorizes it.

A WSGI layer in front of moto's server. For each request it finds the caller (callers.py), the
authorizations AWS would make (catalog/), the resource policies that govern them, and asks the
project's evaluator (policies/iam). A refusal is returned in the service's error shape with IAM's
message, and moto never sees the request. What the sandbox cannot judge (an operation no catalog
module maps, a policy construct the evaluator does not model, an unsigned request other than a
federated sign-in) is refused and says so: nothing is allowed silently.

The tally counts the requests authorized and refused (`make demo` prints them).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sandbox.authorization import errors
from sandbox.authorization.callers import UnknownKey, caller
from sandbox.authorization.calls import Call, UndecodableCall, decode
from sandbox.authorization.catalog import NotModelled, Scope, checks_for
from sandbox.authorization.decide import Verdict, judge
from sandbox.authorization.federation import provider_missing, saml_sign_in, web_identity_sign_in
from sandbox.moto_compat import sts as sts_compat

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
CONTROL_PATH = "/moto-api/"  # moto's own reset and state API: the sandbox's controls, not AWS
FEDERATED = {"AssumeRoleWithSAML": saml_sign_in, "AssumeRoleWithWebIdentity": web_identity_sign_in}


@dataclass
class Tally:
    """How many requests were authorized and refused, and the last refusals (for the demo and the tests)."""

    authorized: int = 0
    refused: int = 0
    refusals: list[str] = field(default_factory=list)
    by_action: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, verdict: Verdict, action: str) -> None:
        with self._lock:
            self.by_action[action] += 1
            if verdict.allowed:
                self.authorized += 1
            else:
                self.refused += 1
                self.refusals.append(f"{verdict.message} ({verdict.detail})" if verdict.detail else verdict.message)
                del self.refusals[:-100]

    def reset(self) -> None:
        with self._lock:
            self.authorized = self.refused = 0
            self.refusals.clear()
            self.by_action.clear()


TALLY = Tally()
GATES: list[Gate] = []  # the gates of this process's servers (the test fixtures switch their mode)


class Gate:
    """WSGI middleware: authorize, then hand the request to moto.

    `enforcing` False is the audit mode: every request is still judged and counted, and a refusal is
    recorded, but the request goes on. Only the test modules that still reach the sandbox through role
    chains AWS would refuse run in it (marked `iam_audit_only`, each with its reason; README, "Not yet
    built"); the demo, `sandbox up` and every other test enforce."""

    def __init__(self, app: WsgiApp, tally: Tally = TALLY, *, enforcing: bool = True) -> None:
        self.app = app
        self.tally = tally
        self.enforcing = enforcing
        GATES.append(self)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if str(environ.get("PATH_INFO", "")).startswith(CONTROL_PATH):
            return self.app(environ, start_response)
        refusal = self._refusal(environ)
        if refusal is None or not self.enforcing:
            return self.app(environ, start_response)
        status, headers, body = refusal
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return [body]

    def _refusal(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes] | None:
        try:
            call = decode(environ, unsigned_service="sts")
        except UndecodableCall as error:
            self.tally.count(Verdict(False, str(error)), "undecodable")
            return errors.response(
                "",
                "rest-json",
                environ.get("REQUEST_METHOD", "GET"),
                f"the sandbox cannot read the request: {error}",
                code="AccessDeniedException",
                status=403,
            )
        verdict = self._verdict(call)
        self.tally.count(verdict, verdict.action or f"{call.service}:{call.operation}")
        if verdict.allowed:
            return None
        if verdict.action == "invalid-identity-token":
            return errors.response(
                call.service, call.protocol, call.method, verdict.message, code="InvalidIdentityToken", status=400
            )
        if verdict.action == "invalid-key":
            code, text = errors.invalid_key_code(call.service, call.protocol)
            return errors.response(call.service, call.protocol, call.method, text, code=code, status=403)
        return errors.response(call.service, call.protocol, call.method, verdict.message)

    def _verdict(self, call: Call) -> Verdict:
        if not call.signed:
            if call.service == "sts" and call.operation in FEDERATED:
                try:
                    federated, checks = FEDERATED[call.operation](call)
                except NotModelled as error:
                    return Verdict(False, f"the sandbox cannot judge this sign-in: {error}", "unsigned")
                missing = provider_missing(federated)
                if missing:
                    return Verdict(False, missing, "invalid-identity-token")
                return judge(federated, checks, region=call.region)
            return Verdict(
                False,
                f"{call.service}:{call.operation}: the sandbox serves only signed requests and federated sign-ins",
                "unsigned",
            )
        assert call.access_key is not None
        try:
            who = caller(call.access_key)
        except UnknownKey:
            return Verdict(False, "", "invalid-key")
        try:
            checks = checks_for(call, Scope(who.account, call.region))
        except NotModelled as error:
            text = errors.message(
                who.arn,
                f"{call.service}:{call.operation}",
                "*",
                f"because the sandbox does not model this operation ({error})",
            )
            return Verdict(False, text, f"{call.service}:{call.operation}")
        session = sts_compat.role_session(call.access_key) if who.principal.session_arn else None
        return judge(who, checks, region=call.region, source_identity=getattr(session, "source_identity", None))
