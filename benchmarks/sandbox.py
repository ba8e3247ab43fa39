"""The local sandbox server the benchmarks run against, reached as the CLI reaches it."""

from __future__ import annotations

import logging
import os

from sandbox.accounts import MANAGEMENT_CREDENTIALS
from sandbox.authorization.gate import GATES
from sandbox.server import SandboxServer, start_server


def start_sandbox_server(*, enforcing: bool = False) -> SandboxServer:
    """Start the sandbox on a free port and point boto3 at it (AWS_ENDPOINT_URL, the management keys).

    The flow benchmarks set accounts up directly, with none of the organisation's roles (like the tests'
    `local_aws`), so by default the sandbox's IAM judges and counts their requests (its cost is in their
    figures) without refusing them; `enforcing` makes it refuse."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = start_server(port=0)
    for gate in GATES:
        gate.enforcing = enforcing
    os.environ["AWS_ENDPOINT_URL"] = server.endpoint_url
    os.environ["AWS_ACCESS_KEY_ID"] = MANAGEMENT_CREDENTIALS["aws_access_key_id"]
    os.environ["AWS_SECRET_ACCESS_KEY"] = MANAGEMENT_CREDENTIALS["aws_secret_access_key"]
    return server
