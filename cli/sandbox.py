"""`modelops sandbox`: the local AWS organisation and the human loop around it, running until interrupted.

`sandbox up` starts the organisation (every account bootstrapped, the account stacks deployed) and, around
the deployed approval workflow, what AWS and GitHub would run (sandbox/human_loop.py): the Lambdas on the
events delivered to them, the review gateway behind the sign-in stand-in, and the GitHub stand-in. It pushes a
sample image per model, serves the approvers' inbox, and writes an AWS config file with one profile per person
of accounts.yaml. Everything else reaches it as it reaches AWS: through the printed exports and profiles.
"""

from __future__ import annotations

import errno
import json
import os
import re
import socket
import tempfile
import threading
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from accounts import naming
from accounts.config import OrgConfig
from accounts.validation import InputError
from cli import output
from cli.errors import EXIT_FAILED, EXIT_INPUT, fail, handled
from cli.settings import CONFIG_VARIABLE, WORKLOADS_VARIABLE, settings

if TYPE_CHECKING:
    from sandbox.human_loop import HumanLoop
    from sandbox.organization import Sandbox
    from sandbox.profiles import Profile

sandbox_app = typer.Typer(
    name="sandbox", help="The local AWS organisation (moto), for demos and tests.", no_args_is_help=True
)

BIND_ADDRESS = "127.0.0.1"  # where the sandbox serves (sandbox/server.py)
INBOX_VARIABLE = "MODELOPS_SANDBOX_INBOX"
START_SANDBOX = "start it with `modelops sandbox up` and run the exports it prints"
# The sample image's version: its tag is `<model>-<version>`, as naming.py says the repository's tags are.
SAMPLE_IMAGE_VERSION = "1.0.0"
# A CloudFormation event line of a deploy's progress: `<stack> <RESOURCE_STATUS> <logical id>...`.
STACK_EVENT = re.compile(r"^\S+ [A-Z_]+_(IN_PROGRESS|COMPLETE|FAILED|SKIPPED)\b")


def ensure_port_free(port: int) -> None:
    """InputError naming `port` when something already listens on it (0, any free port, always is)."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the server binds: a port only in TIME_WAIT is free to it, a listening one is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((BIND_ADDRESS, port))
        except OSError as refused:
            why = "is in use" if refused.errno == errno.EADDRINUSE else f"cannot be used ({refused.strerror})"
            raise InputError(f"port {port} {why}; choose another with --port (0 picks a free one)") from None


def shown(message: str, *, verbose: bool) -> bool:
    """Whether a start-up message is printed: every milestone (one per stack); CloudFormation's events only
    with --verbose."""
    return verbose or not STACK_EVENT.match(message)


@sandbox_app.command("up")
@handled
def up(
    ctx: typer.Context,
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port to listen on (0: any free one).")] = 0,
    verbose: Annotated[bool, typer.Option("--verbose", help="Show every CloudFormation event.")] = False,
) -> None:
    """Start the sandbox organisation and the human loop around it: every account bootstrapped, the account
    stacks deployed, the approval Lambdas, review page, sign-in, GitHub stand-in and inbox running."""
    ensure_port_free(port)  # before anything slow: a busy port must not cost a synth
    # moto and the sandbox are imported only for this command
    from sandbox.organization import start_sandbox, synthesize
    from sandbox.server import start_server

    s = settings(ctx)
    config = s.config
    with ExitStack() as stack:
        with output.progress("starting the sandbox") as update:

            def progress(message: str) -> None:
                update(message)
                if shown(message, verbose=verbose):
                    output.note(f"  {message}")

            server = start_server(port)
            stack.callback(server.stop)
            progress("synthesizing the CDK app")
            scratch = stack.enter_context(tempfile.TemporaryDirectory(prefix="modelops-sandbox-app-"))
            cdk_out = synthesize(config, Path(scratch), s.workloads)
            sandbox = start_sandbox(config, cdk_out=cdk_out, server=server, progress=progress)
            progress("starting the approval workflow's Lambdas, review gateway, sign-in and GitHub stand-ins")
            _serve(config, sandbox, stack, (s.config_path, s.workloads))
        output.note("press Ctrl-C to stop")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            output.note("stopping the sandbox")


def _serve(config: OrgConfig, sandbox: Sandbox, stack: ExitStack, repository: tuple[Path, Path]) -> None:
    """Start the human loop, the inbox and the event delivery on `stack`; push the images, write the
    profiles, and print how to reach it all. `repository` is the organisation file and manifests folder the
    sandbox was built from, exported so that commands in another folder (a training repository) use them."""
    from sandbox.human_loop import DeliveryLoop, HumanLoop
    from sandbox.inbox import InboxServer
    from sandbox.profiles import CONFIG_FILE, MANAGEMENT_PROFILE, write_aws_config

    loop = HumanLoop(config, sandbox, stack)
    images = push_sample_images(config, sandbox.endpoint_url)
    inbox = stack.enter_context(InboxServer(config))
    config_file = (Path.cwd() / CONFIG_FILE).resolve()
    profiles = write_aws_config(config_file, config, endpoint_url=sandbox.endpoint_url)
    output.say("sandbox ready; in another shell:")
    lines = exports(
        sandbox.endpoint_url,
        loop.gateway.url,
        config_file=config_file,
        inbox_url=inbox.url,
        region=config.region,
        repository=repository,
        api_url=loop.gateway.published_url,
    )
    for line in lines:
        output.say(line)
    output.say(f"profiles (AWS_PROFILE=<name>; {MANAGEMENT_PROFILE}, the default, is the management account's root):")
    for line in profile_lines(profiles):
        output.say(line)
    for model, image, digest in images:
        output.say(f"image for {model}: {image} ({digest})")
    output.say(_servers(loop, inbox.url))
    stack.enter_context(DeliveryLoop(loop, output.say))


def _servers(loop: HumanLoop, inbox_url: str) -> str:
    return (
        f"review page: {loop.gateway.review_url}; sign-in: {loop.identity_provider.url}; "
        f"GitHub stand-in: {loop.github.url}; inbox: {inbox_url}"
    )


def push_sample_images(config: OrgConfig, endpoint_url: str) -> list[tuple[str, str, str]]:
    """Push one image per configured model to the stack's ECR repository, as the organisation's image build
    would; (model, image URI, digest) for each, so `register --image` has an image to name."""
    from sandbox.images import push_image
    from sandbox.organization import account_admin_session, aws_endpoint

    pushed = []
    with aws_endpoint(endpoint_url):
        shared = account_admin_session(config, config.accounts.shared_services)
        for model in config.models:
            image = f"{naming.model_image_repository_uri(config)}:{model.name}-{SAMPLE_IMAGE_VERSION}"
            pushed.append((model.name, image, push_image(shared, image, create_repository=False)))
    return pushed


def exports(
    endpoint_url: str,
    gateway_url: str,
    *,
    config_file: Path | None = None,
    inbox_url: str | None = None,
    region: str | None = None,
    repository: tuple[Path, Path] | None = None,
    api_url: str | None = None,
) -> list[str]:
    """The shell lines that point AWS clients, `modelops approve` and `modelops sandbox inbox` at the sandbox.

    No keys: exported keys would outrank AWS_PROFILE in botocore's credential chain, so the management
    identity is a profile (the default one) like each person's."""
    from promotion.decision_client import API_URL_VARIABLE, ENDPOINT_VARIABLE
    from sandbox.profiles import MANAGEMENT_PROFILE

    # The gateway's URL ends in the API's stage; the endpoint variable is the host part, as for AWS's own.
    values = {"AWS_ENDPOINT_URL": endpoint_url, ENDPOINT_VARIABLE: gateway_url.rsplit("/", 1)[0]}
    if config_file is not None:
        values |= {"AWS_CONFIG_FILE": str(config_file), "AWS_PROFILE": MANAGEMENT_PROFILE}
    if region is not None:
        values["AWS_DEFAULT_REGION"] = region
    if inbox_url is not None:
        values[INBOX_VARIABLE] = inbox_url
    if api_url is not None:  # data scientists (`card --submit`) cannot read the SSM parameter of shared services
        values[API_URL_VARIABLE] = api_url
    if repository is not None:  # `modelops --config` and `--workloads` read these
        values[CONFIG_VARIABLE], values[WORKLOADS_VARIABLE] = (str(path.resolve()) for path in repository)
    return [f"export {name}={value}" for name, value in sorted(values.items())]


def profile_lines(profiles: list[Profile]) -> list[str]:
    """One line per person's profile: its name, then who it is, as which permission set, in which account."""
    width = max((len(p.name) for p in profiles), default=0)
    return [f"  {p.name:<{width}}  {p.email} as {p.permission_set} in {p.account}" for p in profiles]


@sandbox_app.command("inbox")
@handled
def inbox(email: Annotated[str, typer.Argument(help="The approver's email address.")]) -> None:
    """Print the emails the sandbox delivered to an approver (subject and body, with the review link)."""
    from sandbox.inbox import InboxUnreachable, UnknownPerson, read_inbox

    url = os.environ.get(INBOX_VARIABLE)
    if not url:
        raise fail(f"{INBOX_VARIABLE} is not set, so no sandbox is known: {START_SANDBOX}", EXIT_FAILED)
    try:
        emails = read_inbox(url, email)
    except UnknownPerson as unknown:
        raise fail(str(unknown), EXIT_INPUT) from None
    except InboxUnreachable as unreachable:
        raise fail(f"{unreachable}; is the sandbox running? {START_SANDBOX}", EXIT_FAILED) from None
    if not emails:
        output.say(f"no email to {email} yet")
        return
    output.say(f"{len(emails)} email{'' if len(emails) == 1 else 's'} to {email}, oldest first")
    for number, received in enumerate(emails, 1):
        output.say(f"--- {number} of {len(emails)} (topic {received.topic_arn})")
        output.say(f"Subject: {received.subject}")
        output.say(received.message)


@sandbox_app.command("credentials", hidden=True)
@handled
def credentials(
    email: Annotated[str, typer.Option("--email", help="The person's email (their Identity Center user name).")],
    account: Annotated[str, typer.Option("--account", help="The account to sign in to.")],
    permission_set: Annotated[str, typer.Option("--permission-set", help="The permission set's name.")],
    endpoint: Annotated[str, typer.Option("--endpoint", help="The sandbox's AWS endpoint.")],
    region: Annotated[str, typer.Option("--region", help="The organisation's region.")],
) -> None:
    """A profile's credential_process: sign the person in through the sandbox's Identity Center and print the
    credentials as botocore reads them (Version 1, AccessKeyId, SecretAccessKey, SessionToken, Expiration)."""
    from botocore.exceptions import ConnectionError as BotoConnectionError

    from sandbox.organization import person_credentials

    # The profile that runs this command must not be resolved again by the sign-in's own client.
    for variable in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        os.environ.pop(variable, None)
    try:
        signed_in = person_credentials(region, endpoint, account=account, permission_set=permission_set, email=email)
    except BotoConnectionError:
        raise fail(f"cannot reach the sandbox at {endpoint}; {START_SANDBOX}", EXIT_FAILED) from None
    expiration = signed_in["Expiration"]
    output.say(
        json.dumps(
            {
                "Version": 1,
                "AccessKeyId": signed_in["AccessKeyId"],
                "SecretAccessKey": signed_in["SecretAccessKey"],
                "SessionToken": signed_in["SessionToken"],
                "Expiration": expiration.isoformat() if hasattr(expiration, "isoformat") else str(expiration),
            }
        )
    )
