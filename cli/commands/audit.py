"""`status`, `drift` and `history`: what runs where, and the audit trail."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from accounts.validation import InputError
from cli import output
from cli.errors import EXIT_FAILED, fail, handled
from cli.settings import settings
from promotion import audit, card_review, drift, status
from promotion.ledger import merged

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
        output.show_board(rows, s.config.chain)
        if model is not None and rows[0].versions:
            # One model: its newest version's model card, as sections.
            for line in card_review.newest_card_lines(s.aws(), s.config, model, rows[0].versions[0].arn):
                output.say(line)


@handled
def drift_command(
    ctx: typer.Context,
    env: Annotated[
        str | None,
        typer.Option("--env", help="Only this environment (a deploy job holds one environment's deploy role)."),
    ] = None,
    json: JsonFlag = False,
) -> None:
    """Exit 1 listing every live endpoint that differs from git."""
    s = settings(ctx)
    envs = None
    if env is not None:
        s.config.environment(env)  # an unknown environment is an input error naming it
        envs = [env]
    with output.progress("reading the live endpoints") as update:
        checks = drift.check_drift(s.aws(), s.config, s.workloads, progress=update, envs=envs)
    drifting = [check for check in checks if check.drift]
    if json:
        output.emit_json(output.drift_json(checks))
    else:
        output.show_drift(checks)
        output.say(f"{len(drifting)} drifting endpoint(s)" if drifting else "no drift: every endpoint runs its pin")
    if drifting:
        raise typer.Exit(EXIT_FAILED)


@handled
def history_command(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="The model.")],
    json: JsonFlag = False,
    verify: Annotated[
        bool, typer.Option("--verify", help="Check every stream's hash chain; exit 1 naming the first broken link.")
    ] = False,
    source: Annotated[
        Path | None,
        typer.Option("--from", help="With --verify: check an exported copy (`history MODEL --json`) instead."),
    ] = None,
) -> None:
    """The audit trail, from the ledger: registrations, decisions and refusals, promotions, deploys (who, when,
    why, ARN, account), every record kept."""
    s = settings(ctx)
    if source is not None and not verify:
        raise InputError("--from: only with --verify (it names an exported copy to check)")
    if source is not None:
        s.config.model(model)
        streams = audit.read_export(source, model)
        where = str(source)
    else:
        with output.progress(f"reading the ledger of {model}"):
            streams = audit.ledger_streams(s.aws(), s.config, model)
        where = f"the ledger of {model}"
    if verify:
        result = audit.verify_ledger(streams)
        if not result.holds:
            raise fail("\n".join(result.problems), EXIT_FAILED)
        output.say(f"{where}: {result.records} records in {result.streams} streams, every link holds")
        return
    records = merged(streams)
    if json:
        output.emit_json([record.as_dict() for record in records])
    else:
        output.show_history(model, records)


COMMANDS = [("status", status_command), ("drift", drift_command), ("history", history_command)]
