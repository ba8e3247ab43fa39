"""The local sandbox server the benchmarks run against, reached as the CLI reaches it."""

from __future__ import annotations

import logging
import os

from sandbox.server import SandboxServer, start_server


def start_sandbox_server() -> SandboxServer:
    """Start the sandbox on a free port and point boto3 at it (AWS_ENDPOINT_URL, placeholder credentials)."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = start_server(port=0)
    os.environ["AWS_ENDPOINT_URL"] = server.endpoint_url
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    return server
