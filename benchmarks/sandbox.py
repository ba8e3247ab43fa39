"""The local sandbox server the benchmarks run against, reached as the CLI reaches it."""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
from collections.abc import Iterator

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


@contextlib.contextmanager
def sandbox_process(*, enforcing: bool = False) -> Iterator[str]:
    """The sandbox in a process of its own, as `modelops sandbox up` runs it beside the CLI; yields its endpoint URL
    and points boto3 at it.

    A server in the benchmark's own process shares its interpreter lock with the client being timed; on AWS, and with
    `sandbox up`, the client has its process to itself."""
    command = [sys.executable, "-m", "benchmarks.sandbox", "--enforcing" if enforcing else "--judging"]
    child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # noqa: S603
    try:
        assert child.stdout is not None
        url = child.stdout.readline().strip()
        if not url.startswith("http://"):
            raise RuntimeError(f"the sandbox process did not start (exit {child.poll()})")
        os.environ["AWS_ENDPOINT_URL"] = url
        os.environ["AWS_ACCESS_KEY_ID"] = MANAGEMENT_CREDENTIALS["aws_access_key_id"]
        os.environ["AWS_SECRET_ACCESS_KEY"] = MANAGEMENT_CREDENTIALS["aws_secret_access_key"]
        yield url
    finally:
        if child.stdin is not None:
            child.stdin.close()  # the child stops when its stdin closes
        child.wait(timeout=30)


def _serve(argv: list[str]) -> None:
    """The child of `sandbox_process`: print the endpoint URL, serve until stdin closes."""
    server = start_sandbox_server(enforcing="--enforcing" in argv)
    print(server.endpoint_url, flush=True)
    try:
        sys.stdin.read()
    finally:
        server.stop()


if __name__ == "__main__":
    _serve(sys.argv[1:])
