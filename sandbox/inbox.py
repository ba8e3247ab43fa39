"""The approvers' mailboxes, served on this machine while `modelops sandbox up` runs.

The shared-services stack subscribes each approver's email to their environment's topic, with a filter
policy on their address; the sandbox records each email such a subscription receives
(sandbox/moto_compat/sns.py `email_deliveries`). This server shows them:

- `GET /`: a page listing every approver of accounts.yaml with their emails (subject, body, the review link
  as a link), oldest first;
- `GET /emails?to=EMAIL`: `{"to": EMAIL, "emails": [{"subject", "message", "topic_arn"}, ...]}`, or 404
  `{"message": ...}` for an address that is not an approver's.

`read_inbox` is the client `modelops sandbox inbox EMAIL` uses from another process.
"""

from __future__ import annotations

import html
import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from accounts.config import OrgConfig
from sandbox import local_http
from sandbox.local_http import BIND_ADDRESS
from sandbox.moto_compat.sns import EmailDelivery, email_deliveries

TIMEOUT_SECONDS = 10
LINK = re.compile(r"(https?://\S+)")


class UnknownPerson(LookupError):
    """The address is not an approver's: nobody with that address receives the workflow's email."""


class InboxUnreachable(ConnectionError):
    """No inbox answers at the URL (the sandbox is not running)."""


@dataclass(frozen=True)
class Email:
    """One email as the person received it."""

    subject: str
    message: str
    topic_arn: str


def approvers(config: OrgConfig) -> list[str]:
    """Everyone the workflow emails: the approvers of accounts.yaml, sorted."""
    return sorted({member for group in config.approver_groups.values() for member in group.members})


def emails_to(config: OrgConfig, address: str) -> list[Email]:
    """The emails the stack's subscriptions delivered to `address`, oldest first; UnknownPerson for anyone
    who is not an approver."""
    known = approvers(config)
    if address not in known:
        raise UnknownPerson(f"{address} is not an approver in accounts.yaml; the approvers are {', '.join(known)}")
    deliveries: list[EmailDelivery] = email_deliveries(config.accounts.shared_services, config.region)
    return [Email(d.subject or "", d.message, d.topic_arn) for d in list(deliveries) if d.endpoint == address]


def inbox_page(config: OrgConfig) -> str:
    """The HTML page: each approver and their emails."""
    sections = []
    for address in approvers(config):
        emails = emails_to(config, address)
        items = "".join(
            f"<article><h3>{html.escape(email.subject)}</h3><pre>{_linked(email.message)}</pre></article>"
            for email in emails
        )
        sections.append(
            f"<section><h2>{html.escape(address)} ({len(emails)} email{'' if len(emails) == 1 else 's'})</h2>"
            f"{items or '<p>no email yet</p>'}</section>"
        )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sandbox inbox</title></head>'
        f"<body><h1>Sandbox inbox</h1>{''.join(sections)}</body></html>"
    )


def _linked(text: str) -> str:
    """`text` escaped for HTML, each URL in it a link."""
    return LINK.sub(r'<a href="\1">\1</a>', html.escape(text, quote=False))


class InboxServer:
    """The inbox's HTTP server on a free loopback port; use as a context manager."""

    def __init__(self, config: OrgConfig) -> None:
        self.config = config
        self._server: ThreadingHTTPServer | None = None

    def __enter__(self) -> InboxServer:
        self._server = local_http.serve(_handler_class(self.config), name="inbox")
        return self

    def __exit__(self, *_: object) -> None:
        local_http.close(self._server)
        self._server = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the inbox is not started")
        return f"http://{BIND_ADDRESS}:{self._server.server_address[1]}"


def _handler_class(config: OrgConfig) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path == "/":
                self._reply(200, "text/html; charset=utf-8", inbox_page(config).encode())
            elif parts.path == "/emails":
                address = parse_qs(parts.query).get("to", [""])[0]
                try:
                    emails = emails_to(config, address)
                except UnknownPerson as unknown:
                    self._json(404, {"message": str(unknown)})
                    return
                self._json(200, {"to": address, "emails": [email.__dict__ for email in emails]})
            else:
                self._json(404, {"message": f"no page {parts.path}"})

        def _json(self, status: int, payload: dict[str, Any]) -> None:
            self._reply(status, "application/json", json.dumps(payload).encode())

        def _reply(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:  # the sandbox reports its own progress
            pass

    return Handler


def read_inbox(url: str, address: str) -> list[Email]:
    """`address`'s emails from the inbox at `url`; UnknownPerson or InboxUnreachable, each with one line."""
    request = f"{url.rstrip('/')}/emails?to={quote(address)}"
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (loopback URL)
            answer = json.loads(response.read())
    except urllib.error.HTTPError as refused:
        message = json.loads(refused.read() or b"{}").get("message", f"HTTP {refused.code}")
        if refused.code == 404:
            raise UnknownPerson(message) from None
        raise InboxUnreachable(f"the inbox at {url} answered {refused.code}: {message}") from None
    except (urllib.error.URLError, ConnectionError) as unreachable:
        reason = getattr(unreachable, "reason", unreachable)
        raise InboxUnreachable(f"cannot reach the sandbox's inbox at {url}: {reason}") from None
    return [Email(e["subject"], e["message"], e["topic_arn"]) for e in answer["emails"]]
