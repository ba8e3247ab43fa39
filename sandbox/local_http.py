"""The sandbox's local HTTP servers (review gateway, identity provider and GitHub stand-ins, inbox): each serves
on a free loopback port in a daemon thread, and stops when its owner closes it."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BIND_ADDRESS = "127.0.0.1"
DEFAULT_POLL_SECONDS = 0.5  # serve_forever's own default: how long shutdown() may wait for the loop


def serve(
    handler: type[BaseHTTPRequestHandler], *, name: str, poll_seconds: float = DEFAULT_POLL_SECONDS
) -> ThreadingHTTPServer:
    """A server for `handler` on a free port of `BIND_ADDRESS`, already serving in a daemon thread `name`."""
    server = ThreadingHTTPServer((BIND_ADDRESS, 0), handler)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": poll_seconds}, name=name, daemon=True
    ).start()
    return server


def close(server: ThreadingHTTPServer | None) -> None:
    """Stop serving and release the port; nothing to do for a server never started (None)."""
    if server is not None:
        server.shutdown()
        server.server_close()
