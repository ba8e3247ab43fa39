"""`status`, `drift` and `history`: what runs where, and the audit trail."""

from __future__ import annotations

from typing import Annotated

import typer

from cli import output
from cli.errors import EXIT_FAILED, handled
from cli.settings import settings
from promotion import audit, drift, status

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@handled
def status_command(
    ctx: typer.Context,
    model: Annotated[str | None, typer.Argument(help="One model (default: all).")] = None,
    versions: Annotated[
        int, typer.Option("--versions", min=1, max=100, help="Newest versions to list per model.")
    ] = status.DEFAULT_VERSIONS,
    json: JsonFlag = False,
) -> None:
    """The promotion board: versions and their status; pinned and live per environment, drift marked."""
    s = settings(ctx)
    with output.progress("reading the registry") as update:
        rows = status.board(s.aws(), s.config, s.workloads, model=model, versions=versions, progress=update)
    if json:
        output.emit_json(output.board_json(rows))
    else:
        output.stdout().print(output.board_table(rows, s.config.chain))


@handled
def drift_command(ctx: typer.Context, json: JsonFlag = False) -> None:
    """Exit 1 listing every live endpoint that differs from git."""
    s = settings(ctx)
    with output.progress("reading the live endpoints") as update:
        checks = drift.check_drift(s.aws(), s.config, s.workloads, progress=update)
    drifting = [check for check in checks if check.drift]
    if json:
        output.emit_json(output.drift_json(checks))
    else:
        output.stdout().print(output.drift_table(checks))
        output.say(f"{len(drifting)} drifting endpoint(s)" if drifting else "no drift: every endpoint runs its pin")
    if drifting:
        raise typer.Exit(EXIT_FAILED)


@handled
def history_command(
    ctx: typer.Context, model: Annotated[str, typer.Argument(help="The model.")], json: JsonFlag = False
) -> None:
    """The audit trail: registrations, decisions, promotions, deploys (who, when, why, ARN, account)."""
    s = settings(ctx)
    with output.progress(f"reading the history of {model}"):
        records = audit.audit_trail(s.aws(), s.config, model)
    if json:
        output.emit_json([record.as_dict() for record in records])
    else:
        output.stdout().print(output.history_table(model, records))


COMMANDS = [("status", status_command), ("drift", drift_command), ("history", history_command)]
