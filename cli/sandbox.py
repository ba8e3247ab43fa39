"""`modelops sandbox up`: the local AWS organisation, running until interrupted.

Everything else reaches it as it reaches AWS: through `AWS_ENDPOINT_URL` and STS, printed on start. The
deployed approval API is served too (the decision service, in this process), at the address printed as
`AWS_ENDPOINT_URL_EXECUTE_API`, so `modelops approve` and `reject` work by hand.
"""

from __future__ import annotations

import threading
from typing import Annotated

import typer

from cli import output
from cli.errors import handled
from cli.settings import settings

sandbox_app = typer.Typer(
    name="sandbox", help="The local AWS organisation (moto), for demos and tests.", no_args_is_help=True
)


@sandbox_app.command("up")
@handled
def up(
    ctx: typer.Context,
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port to listen on (0: any free one).")] = 0,
) -> None:
    """Start the sandbox organisation: every account, bootstrapped, with the shared-services stack deployed."""
    # moto and the sandbox are imported only for this command
    from sandbox.lambda_runner import LambdaRunner
    from sandbox.organization import start_sandbox
    from sandbox.review_gateway import ReviewGateway

    config = settings(ctx).config
    with output.progress("starting the sandbox", log_lines=True) as update:
        sandbox = start_sandbox(config, port=port, progress=update)
    try:
        with LambdaRunner(config, sandbox.endpoint_url) as runner, ReviewGateway(runner) as gateway:
            output.note("sandbox ready; in another shell:")
            for line in exports(sandbox.environ, gateway.url):
                output.say(line)
            output.note("press Ctrl-C to stop")
            threading.Event().wait()
    except KeyboardInterrupt:
        output.note("stopping the sandbox")
    finally:
        sandbox.stop()


def exports(environ: dict[str, str], gateway_url: str) -> list[str]:
    """The shell lines that point AWS clients, and `modelops approve`, at the sandbox."""
    from promotion.decision_client import ENDPOINT_VARIABLE

    # The gateway's URL ends in the API's stage; the endpoint variable is the host part, as for AWS's own.
    values = {**environ, ENDPOINT_VARIABLE: gateway_url.rsplit("/", 1)[0]}
    return [f"export {name}={value}" for name, value in sorted(values.items())]
