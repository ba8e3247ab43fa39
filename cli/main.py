"""`modelops`: one console script for every human and CI action of the model lifecycle.

Credentials come from the environment as for any AWS tool (SSO, profile, OIDC in CI); each command
assumes the role the role model gives its purpose. `AWS_ENDPOINT_URL` points every call at the sandbox.
"""

from __future__ import annotations

import importlib.metadata
import tomllib
from pathlib import Path
from typing import Annotated

import typer

from accounts.config import OrgConfig
from cli import output
from cli.commands import audit, cards, decisions, deploys, inference, promotion, registration, training
from cli.commands.github import github_app
from cli.errors import EXIT_FAILED, OneLineUsageGroup, fail, interrupted_exit
from cli.sandbox import sandbox_app
from cli.settings import CONFIG_VARIABLE, DEFAULT_CONFIG, DEFAULT_WORKLOADS, WORKLOADS_VARIABLE, Settings
from deployment.entry_point import interrupted, watch_interrupts
from promotion.aws import AwsContext

app = typer.Typer(
    name="modelops",
    help="GitOps for SageMaker models across AWS accounts, with a human decision behind every step.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    cls=OneLineUsageGroup,
)
app.add_typer(sandbox_app)
app.add_typer(github_app)


def make_aws(config: OrgConfig) -> AwsContext:
    """The credentials of one command; a seam for tests that stub AWS responses."""
    return AwsContext(config, on_note=output.note)


PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def package_version() -> str:
    """The installed package's version; from pyproject.toml when run from a checkout that is not installed."""
    try:
        return importlib.metadata.version("modelops")
    except importlib.metadata.PackageNotFoundError:
        return str(tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["version"])


def _print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"modelops {package_version()}")
        raise typer.Exit(0)


@app.callback()
def main_options(
    ctx: typer.Context,
    config: Annotated[
        Path, typer.Option("--config", envvar=CONFIG_VARIABLE, help="The organisation file.", show_default=True)
    ] = DEFAULT_CONFIG,
    workloads: Annotated[
        Path,
        typer.Option(
            "--workloads", envvar=WORKLOADS_VARIABLE, help="The manifests folder (workloads/<env>/<model>.yaml)."
        ),
    ] = DEFAULT_WORKLOADS,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the version and exit.",
            callback=_print_version,
            is_eager=True,  # before the required command is looked for
            expose_value=False,
        ),
    ] = False,
) -> None:
    """GitOps for SageMaker models across AWS accounts, with a human decision behind every step."""
    ctx.obj = Settings(config_path=config, workloads=workloads, make_aws=make_aws)


for family in (registration, decisions, promotion, deploys, audit, training, cards, inference):
    for name, command in family.COMMANDS:
        app.command(name=name)(command)


def main() -> None:
    """The console script: run the app; anything that escaped a command still ends as one line."""
    watch_interrupts()
    try:
        app()
    except Exception as exc:  # the last line of defence against a traceback
        if interrupted():
            raise SystemExit(interrupted_exit().exit_code) from None
        raise SystemExit(fail(f"unexpected failure: {type(exc).__name__}: {exc}", EXIT_FAILED).exit_code) from None
