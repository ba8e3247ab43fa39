"""`modelops sandbox up`: the local AWS organisation, running until interrupted.

Everything else reaches it as it reaches AWS: through `AWS_ENDPOINT_URL` and STS, printed on start.
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
    from sandbox.organization import start_sandbox  # moto is imported only for this command

    config = settings(ctx).config
    with output.progress("starting the sandbox", log_lines=True) as update:
        sandbox = start_sandbox(config, port=port, progress=update)
    output.note("sandbox ready; in another shell:")
    for name, value in sorted(sandbox.environ.items()):
        output.say(f"export {name}={value}")
    output.note("press Ctrl-C to stop")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        output.note("stopping the sandbox")
    finally:
        sandbox.stop()
