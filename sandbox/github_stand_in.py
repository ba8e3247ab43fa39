"""A local HTTP server standing in for GitHub's REST API, for the one call modelops makes to it.

`POST /repos/<owner>/<repo>/dispatches` (repository_dispatch) is recorded exactly as it arrived (path,
headers, raw and parsed body) and answered 204 No Content, as GitHub does. Anything else gets GitHub's
404 {"message": "Not Found"}; a body that is not a JSON object gets GitHub's 400 "Problems parsing JSON".
The dispatch Lambda is pointed here through its GITHUB_API_URL (an environment override of the runner).
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

BIND_ADDRESS = "127.0.0.1"
DISPATCHES_PATH = re.compile(r"^/repos/(?P<owner>[A-Za-z0-9_.-]+)/(?P<repo>[A-Za-z0-9_.-]+)/dispatches$")


@dataclass(frozen=True)
class RecordedRequest:
    """A request as GitHub received it; header names are lower-cased (HTTP header names are case-blind)."""

    method: str
    path: str
    headers: dict[str, str]
    raw_body: bytes
    body: dict[str, Any]


@dataclass
class GitHubStandIn:
    """Use as a context manager; `url` replaces https://api.github.com, `requests` holds what arrived."""

    requests: list[RecordedRequest] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = field(default=None, init=False, repr=False)

    def __enter__(self) -> GitHubStandIn:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the GitHub stand-in is not started")
        return f"http://{BIND_ADDRESS}:{self._server.server_address[1]}"

    def start(self) -> None:
        """Serve on a free loopback port, in a background thread."""
        self._server = ThreadingHTTPServer((BIND_ADDRESS, 0), _handler_class(self.requests))
        threading.Thread(target=self._server.serve_forever, name="github-stand-in", daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def _handler_class(recorded: list[RecordedRequest]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _reply(self, status: int, message: str | None = None) -> None:
            payload = json.dumps({"message": message}).encode() if message else b""
            self.send_response(status)
            if payload:
                self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if DISPATCHES_PATH.fullmatch(self.path) is None:
                self._reply(404, "Not Found")
                return
            try:
                body = json.loads(raw)
            except json.JSONDecodeError:
                body = None
            if not isinstance(body, dict):
                self._reply(400, "Problems parsing JSON")
                return
            headers = {name.lower(): value for name, value in self.headers.items()}
            recorded.append(RecordedRequest("POST", self.path, headers, raw, body))
            self._reply(204)

        def do_GET(self) -> None:
            self._reply(404, "Not Found")

        def log_message(self, *_: Any) -> None:
            return

    return Handler
