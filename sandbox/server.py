"""The local AWS: moto's server, run in this process, with the compatibility patches applied."""

from __future__ import annotations

import functools
import json
import logging
import urllib.request
from typing import Any

import botocore.loaders
import botocore.session
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from sandbox import moto_compat
from sandbox.accounts import MANAGEMENT_ACCOUNT, MANAGEMENT_CREDENTIALS
from sandbox.authorization.callers import register_root
from sandbox.authorization.gate import Gate

# Loopback only: the sandbox holds no secrets, but nothing outside this machine needs to reach it.
BIND_ADDRESS = "127.0.0.1"


class _GatedServer(ThreadedMotoServer):
    """moto's threaded server with the sandbox's IAM in front of it (sandbox/authorization)."""

    def _server_entry(self) -> None:
        app = Gate(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(self._ip_address, self._port, app, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()


class SandboxServer:
    """A running moto server. `endpoint_url` is what `AWS_ENDPOINT_URL` should be set to."""

    def __init__(self, server: ThreadedMotoServer, port: int) -> None:
        self._server = server
        self.port = port
        # The CDK CLI treats "localhost" specially (path-style S3, plain HTTP); with 127.0.0.1 it fails.
        self.endpoint_url = f"http://localhost:{port}"

    def reset(self) -> None:
        """Forget every resource in every account (moto's own reset API, a few milliseconds)."""
        request = urllib.request.Request(  # noqa: S310 (always the local http endpoint built above)
            f"{self.endpoint_url}/moto-api/reset", data=b"", method="POST"
        )
        with urllib.request.urlopen(request) as response:  # noqa: S310
            json.loads(response.read() or b"{}")

    def stop(self) -> None:
        """Stop serving; the port is released."""
        self._server.stop()


class _SearchPaths(list[str]):
    """boto3 appends its data path to the loader of every Session it creates; with a shared loader
    that would grow the list by one entry per session."""

    def append(self, path: str) -> None:
        if path not in self:
            super().append(path)


_create_loader = botocore.loaders.create_loader


@functools.cache
def _shared_loader(search_path_string: str | None = None) -> Any:
    loader: Any = _create_loader(search_path_string)
    loader._search_paths = _SearchPaths(loader._search_paths)
    return loader


def share_botocore_data() -> None:
    """Let every boto3 Session in this process share one botocore data loader.

    The sandbox reaches each account through sts:AssumeRole, and each assumed role is a new Session that
    would parse the same service models and endpoint data again (tens of milliseconds per file). The
    loader only reads botocore's packaged JSON, so sharing it changes no request.
    """
    botocore.session.create_loader = _shared_loader


def start_server(port: int = 0) -> SandboxServer:
    """Start moto in-process on `port` (0 picks a free one), after patching the gaps in moto_compat, with
    every request authorized by the sandbox's IAM first (the management keys are the management
    account's root user)."""
    moto_compat.apply()
    share_botocore_data()
    # werkzeug logs every request at INFO; the sandbox reports its own progress instead.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    register_root(MANAGEMENT_CREDENTIALS["aws_access_key_id"], MANAGEMENT_ACCOUNT)
    server = _GatedServer(ip_address=BIND_ADDRESS, port=port, verbose=False)
    server.start()
    _host, bound_port = server.get_host_and_port()
    return SandboxServer(server, bound_port)
