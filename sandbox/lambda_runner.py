"""Run a DEPLOYED Lambda function of the sandbox in this process, as the Lambda service would.

moto stores functions but runs them only in Docker, which the sandbox does not use. The runner takes
everything that defines an invocation from what CloudFormation deployed, and only the interpreter from
this process:

- the configuration comes from `GetFunctionConfiguration`: Handler, Environment.Variables, Role, Timeout,
  MemorySize, the log group;
- the code is the deployed bundle: it is unpacked as the task root (the working directory during the call,
  as `/var/task` is in Lambda), and every repository module it carries must be byte-identical to the
  repository's, because the handler is imported from the repository (this process already holds those
  modules; a second copy under the same names would clash). A difference stops the run and names the file;
- the credentials are the execution role's: the role is assumed with the function name as session name,
  and handed to the handler through AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, as Lambda
  does, so each boto3 call the handler makes acts as that role in the function's account;
- the environment is Lambda's: the host's AWS_*, POWERTOOLS_* and MODELOPS_* variables are removed, the
  function's variables and Lambda's reserved ones are set, and everything is restored afterwards. One
  variable is added that Lambda does not set: AWS_ENDPOINT_URL, the sandbox's network, where AWS's APIs are;
- every invocation is a cold start: functools caches of the bundled modules, Powertools' parameter
  providers and boto3's default session are cleared first (in Lambda each function has its own process);
- the handler's log lines go to the function's CloudWatch log group, written as the execution role (the
  role's WriteOwnLogs statement), and come back on the Invocation;
- the event and the result cross a JSON boundary, as they do in Lambda.

Overrides are the only place the sandbox differs from what was deployed, and only for URLs that point
outside it: the review link base (the local review gateway instead of execute-api), GitHub's API base
(the local stand-in), and the review function's identity provider endpoints and callback URL (the local
identity provider stand-in and gateway; sandbox/identity_provider.py `wire`). This is how the sandbox maps
accounts.yaml's `*.sandbox.modelops.invalid` sign-in hosts to this machine: production code reads its
deployed environment and has no sandbox setting. An override must replace a deployed URL with a URL, and
the Invocation records which variables were overridden.

`run_pending` delivers what EventBridge routed to a function: moto records each event a deployed rule
matched for a Lambda target (sandbox/moto_compat/events.py), and the runner invokes the function once per
recorded event, oldest first. Lambda retries a failed asynchronous invocation and then dead-letters it;
the runner raises at once instead, so a failure is seen where it happens.

Invocations change process-wide state (environment, working directory), so they are serialised, and
nothing else in the process should call AWS while one runs.
"""

from __future__ import annotations

import functools
import importlib
import io
import json
import logging
import os
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext
from moto.awslambda import models as _lambda_models

from accounts.config import OrgConfig
from promotion.sessions import assume_role
from sandbox.authorization.callers import service_access_key
from sandbox.moto_compat.events import lambda_deliveries
from sandbox.organization import account_admin_session, aws_endpoint

REPO_ROOT = Path(__file__).resolve().parents[1]
RUNTIME_ENV = "AWS_Lambda_python3.11"
# Host variables that would leak the caller's identity or settings into the function.
HOST_PREFIXES = ("AWS_", "POWERTOOLS_", "MODELOPS_", "_X_AMZN_", "LAMBDA_", "_HANDLER")

lambda_models: Any = _lambda_models
_invocation_lock = threading.RLock()


class FunctionFailed(RuntimeError):
    """The handler raised; the message names the function, the request and the error."""


class DeployedCodeDiffers(RuntimeError):
    """The deployed bundle is not the repository's code, so running the repository's would prove nothing."""


@dataclass(frozen=True)
class RuntimeContext:
    """The context object Lambda's Python runtime passes to a handler (the attributes Powertools reads)."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    deadline: float = field(repr=False)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


@dataclass(frozen=True)
class Invocation:
    """One completed invocation: what ran, as which role, its JSON result and its log lines."""

    function_name: str
    handler: str
    role: str
    request_id: str
    result: Any
    logs: list[str]
    log_stream: str
    overridden: tuple[str, ...]


@dataclass(frozen=True)
class _Function:
    """What GetFunctionConfiguration says about a deployed function, plus its unpacked bundle."""

    name: str
    arn: str
    handler: str
    role: str
    environment: dict[str, str]
    timeout: int
    memory: int
    log_group: str
    task_root: Path


LAMBDA_SERVICE = "lambda.amazonaws.com"


class LambdaRunner:
    """Invokes the functions deployed in one account of the sandbox (default: shared services)."""

    def __init__(
        self,
        config: OrgConfig,
        endpoint_url: str,
        *,
        account: str | None = None,
        overrides: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self.config = config
        self.endpoint_url = endpoint_url
        self.account = account or config.accounts.shared_services
        self._overrides = {name: dict(values) for name, values in (overrides or {}).items()}
        self._scratch = tempfile.TemporaryDirectory(prefix="modelops-lambda-")
        self._task_roots: dict[str, Path] = {}
        with aws_endpoint(endpoint_url):
            # Reads the deployed configurations, as the account's administrator.
            self._service = account_admin_session(config, self.account)
        # Assumes execution roles as lambda.amazonaws.com, the principal their trust policies name.
        self._lambda_service = boto3.Session(
            aws_access_key_id=service_access_key(LAMBDA_SERVICE),
            aws_secret_access_key="sandbox",  # noqa: S106 (no signature of a service stand-in is checked)
            region_name=config.region,
        )

    def __enter__(self) -> LambdaRunner:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Remove the unpacked bundles."""
        self._scratch.cleanup()

    def service_session(self) -> boto3.Session:
        """Administrator credentials in the runner's account (what stands for the Lambda service)."""
        return self._service

    def override(self, function_name: str, **variables: str) -> None:
        """Replace deployed environment variables of `function_name` for the sandbox (URLs only, see above)."""
        self._overrides.setdefault(function_name, {}).update(variables)

    # -- invoking -----------------------------------------------------------------------------------------

    def invoke(self, function_name: str, event: Any) -> Invocation:
        """Run the deployed function on `event` and return its result; FunctionFailed if the handler raised."""
        with _invocation_lock:
            function = self._deployed(function_name)
            overrides = self._checked_overrides(function)
            payload = json.loads(json.dumps(event))
            request_id = str(uuid.uuid4())
            stream = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
            context = RuntimeContext(
                function_name=function.name,
                function_version="$LATEST",
                invoked_function_arn=function.arn,
                memory_limit_in_mb=function.memory,
                aws_request_id=request_id,
                log_group_name=function.log_group,
                log_stream_name=stream,
                deadline=time.monotonic() + function.timeout,
            )
            role = self._execution_role(function)
            environment = self._lambda_environment(function, context, role, overrides)
            captured = io.StringIO()
            failure: BaseException | None = None
            result: Any = None
            with _lambda_process(environment, function.task_root):
                _cold_start(function.task_root)
                handler = _import_handler(function.handler)
                with _captured_logs(captured):
                    try:
                        result = json.loads(json.dumps(handler(payload, cast(LambdaContext, context))))
                    except Exception as exc:  # the runtime reports any error of the handler
                        failure = exc
            lines = captured.getvalue().splitlines()
            if failure is not None:
                lines.append(json.dumps({"errorType": type(failure).__name__, "errorMessage": str(failure)}))
            self._write_logs(role, function.log_group, stream, lines)
        if failure is not None:
            raise FunctionFailed(
                f"{function_name} failed on request {request_id}: {type(failure).__name__}: {failure}"
            ) from failure
        return Invocation(
            function_name=function.name,
            handler=function.handler,
            role=function.role,
            request_id=request_id,
            result=result,
            logs=lines,
            log_stream=stream,
            overridden=tuple(sorted(overrides)),
        )

    def pending(self, function_name: str) -> list[dict[str, Any]]:
        """Take the events EventBridge routed to `function_name` and not yet delivered, oldest first."""
        # Under the invocation lock: reading the configuration points AWS_ENDPOINT_URL at the sandbox, which
        # must not interleave with another thread's invocation (it sets the process's environment).
        with _invocation_lock:
            arn = self._deployed(function_name).arn
            deliveries = lambda_deliveries(self.account, self.config.region)
            mine = [item for item in list(deliveries) if item[0] == arn or item[0].startswith(f"{arn}:")]
            for item in mine:
                deliveries.remove(item)
        return [event for _target, event in mine]

    def run_pending(self, function_name: str) -> list[Invocation]:
        """Deliver every event EventBridge routed to `function_name`: one invocation per event, in order."""
        return [self.invoke(function_name, event) for event in self.pending(function_name)]

    # -- what was deployed --------------------------------------------------------------------------------

    def _deployed(self, function_name: str) -> _Function:
        with aws_endpoint(self.endpoint_url):
            configuration = self._service.client("lambda").get_function_configuration(FunctionName=function_name)
        name = str(configuration["FunctionName"])
        logging_config = configuration.get("LoggingConfig") or {}
        return _Function(
            name=name,
            arn=str(configuration["FunctionArn"]),
            handler=str(configuration["Handler"]),
            role=str(configuration["Role"]),
            environment=dict((configuration.get("Environment") or {}).get("Variables") or {}),
            timeout=int(configuration.get("Timeout") or 3),
            memory=int(configuration.get("MemorySize") or 128),
            log_group=str(logging_config.get("LogGroup") or f"/aws/lambda/{name}"),
            task_root=self._task_root(name, str(configuration["CodeSha256"])),
        )

    def _task_root(self, function_name: str, code_sha256: str) -> Path:
        """The deployed bundle unpacked (once per code version), after checking it is the repository's code."""
        if code_sha256 in self._task_roots:
            return self._task_roots[code_sha256]
        # AWS hands out the bundle through a presigned URL (GetFunction Code.Location); moto's location is
        # not downloadable, so the bytes come from moto's store, which is in this process.
        stored = lambda_models.lambda_backends[self.account][self.config.region].get_function(function_name)
        root = Path(self._scratch.name) / code_sha256.replace("/", "_")
        with zipfile.ZipFile(io.BytesIO(stored.code_bytes)) as bundle:
            bundle.extractall(root)
        _check_same_code(function_name, root)
        self._task_roots[code_sha256] = root
        return root

    def _checked_overrides(self, function: _Function) -> dict[str, str]:
        """The function's overrides, each replacing a deployed URL with a URL (nothing else may differ)."""
        overrides = self._overrides.get(function.name, {})
        for name, value in sorted(overrides.items()):
            deployed = function.environment.get(name)
            if deployed is None or not _is_url(deployed) or not _is_url(value):
                raise ValueError(
                    f"override {name}={value!r} of {function.name}: overrides replace a deployed URL with a URL; "
                    f"the deployed value is {deployed!r}"
                )
        return overrides

    def _execution_role(self, function: _Function) -> boto3.Session:
        """The execution role's session, assumed as the Lambda service principal does: the role's trust
        policy must allow lambda.amazonaws.com."""
        with aws_endpoint(self.endpoint_url):
            return assume_role(
                function.role, session_name=function.name, base=self._lambda_service, region=self.config.region
            )

    def _lambda_environment(
        self, function: _Function, context: RuntimeContext, role: boto3.Session, overrides: Mapping[str, str]
    ) -> dict[str, str]:
        credentials = role.get_credentials()
        if credentials is None:
            raise RuntimeError(f"assuming {function.role} gave no credentials")
        frozen = credentials.get_frozen_credentials()
        if not (frozen.access_key and frozen.secret_key and frozen.token):
            raise RuntimeError(f"assuming {function.role} gave incomplete credentials")
        reserved = {
            "_HANDLER": function.handler,
            "AWS_EXECUTION_ENV": RUNTIME_ENV,
            "AWS_LAMBDA_FUNCTION_NAME": function.name,
            "AWS_LAMBDA_FUNCTION_VERSION": context.function_version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory),
            "AWS_LAMBDA_LOG_GROUP_NAME": function.log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": context.log_stream_name,
            "AWS_REGION": self.config.region,
            "AWS_DEFAULT_REGION": self.config.region,
            "AWS_ACCESS_KEY_ID": frozen.access_key,
            "AWS_SECRET_ACCESS_KEY": frozen.secret_key,
            "AWS_SESSION_TOKEN": frozen.token,
            "LAMBDA_TASK_ROOT": str(function.task_root),
            "AWS_ENDPOINT_URL": self.endpoint_url,
        }
        return {**function.environment, **overrides, **reserved}

    def _write_logs(self, role: boto3.Session, group: str, stream: str, lines: list[str]) -> None:
        """Ship the captured lines to the function's log group, as the execution role (as Lambda does)."""
        if not lines:
            return
        with aws_endpoint(self.endpoint_url):
            logs = role.client("logs")
            logs.create_log_stream(logGroupName=group, logStreamName=stream)
            now = int(time.time() * 1000)
            logs.put_log_events(
                logGroupName=group,
                logStreamName=stream,
                logEvents=[{"timestamp": now, "message": line} for line in lines],
            )


# -- the process a function runs in ------------------------------------------------------------------------


def _is_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _check_same_code(function_name: str, task_root: Path) -> None:
    """Every repository module in the bundle must equal the repository's file of the same path."""
    checked = 0
    for path in sorted(task_root.rglob("*.py")):
        relative = path.relative_to(task_root)
        source = REPO_ROOT / relative
        if relative.parts[0] not in _repository_packages() or not source.is_file():
            continue
        if path.read_bytes() != source.read_bytes():
            raise DeployedCodeDiffers(
                f"the deployed code of {function_name} differs from the repository in {relative}; "
                "synthesize and deploy the shared-services stack again"
            )
        checked += 1
    if checked == 0:
        raise DeployedCodeDiffers(f"the deployed code of {function_name} holds no module of this repository")


@functools.cache
def _repository_packages() -> frozenset[str]:
    """Top-level packages of this repository (folders with an __init__.py)."""
    return frozenset(p.parent.name for p in REPO_ROOT.glob("*/__init__.py"))


def _bundled_modules(task_root: Path) -> list[str]:
    modules = []
    for path in task_root.rglob("*.py"):
        relative = path.relative_to(task_root).with_suffix("")
        if relative.parts[0] in _repository_packages():
            parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
            modules.append(".".join(parts))
    return modules


def _cold_start(task_root: Path) -> None:
    """Forget what an earlier invocation (of any function) cached: each invocation is a fresh process."""
    from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS

    DEFAULT_PROVIDERS.clear()
    boto3.DEFAULT_SESSION = None
    for name in _bundled_modules(task_root):
        module = sys.modules.get(name)
        for value in list(vars(module).values()) if module is not None else []:
            if callable(getattr(value, "cache_clear", None)) and getattr(value, "__module__", None) == name:
                value.cache_clear()


def _import_handler(handler: str) -> Any:
    module_name, _, attribute = handler.rpartition(".")
    module = importlib.import_module(module_name)
    if not str(getattr(module, "__file__", "")).startswith(str(REPO_ROOT)):
        raise DeployedCodeDiffers(f"handler module {module_name} is not imported from the repository")
    return getattr(module, attribute)


def _powertools_handlers() -> list[logging.StreamHandler[Any]]:
    """The stream handlers Powertools' Logger attaches (it writes JSON lines to stdout, which Lambda ships)."""
    loggers = [logging.getLogger(name) for name in list(logging.Logger.manager.loggerDict)]
    handlers = [getattr(logger, "powertools_handler", None) for logger in loggers]
    return [h for h in handlers if isinstance(h, logging.StreamHandler)]


@contextmanager
def _captured_logs(logs: io.StringIO) -> Iterator[None]:
    """Powertools' log lines go to `logs` instead of this process's stdout while the handler runs."""
    # Swapped without setStream, which flushes the old stream: a handler created while a test's CLI runner
    # held stdout keeps that stream, closed since.
    streams = [(handler, handler.stream) for handler in _powertools_handlers()]
    for handler, _ in streams:
        handler.stream = logs
    try:
        yield
    finally:
        for handler, previous in streams:
            handler.stream = previous


@contextmanager
def _lambda_process(environment: Mapping[str, str], task_root: Path) -> Iterator[None]:
    """Lambda's environment and working directory for the duration of one invocation."""
    saved_environment = dict(os.environ)
    saved_cwd = Path.cwd()
    saved_session = boto3.DEFAULT_SESSION
    try:
        for name in list(os.environ):
            if name.startswith(HOST_PREFIXES):
                del os.environ[name]
        os.environ.update(environment)
        os.chdir(task_root)
        yield
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_environment)
        boto3.DEFAULT_SESSION = saved_session
