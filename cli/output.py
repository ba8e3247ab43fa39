"""How commands speak: rich tables and progress for people, JSON for machines, plain lines otherwise."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from promotion.drift import EndpointCheck
from promotion.gates import version_label
from promotion.ledger import LedgerRecord
from promotion.status import BoardRow
from promotion.verify import Failure


def stdout() -> Console:
    # Created per use, so that output follows whatever sys.stdout is now (tests capture it).
    return Console(highlight=False, soft_wrap=False)


def stderr() -> Console:
    return Console(stderr=True, highlight=False)


def emit_json(data: Any) -> None:
    """Machine output: one JSON document on stdout."""
    typer.echo(json.dumps(data, indent=2, sort_keys=True, default=str))


def say(message: str) -> None:
    """A plain line on stdout (never interpreted as rich markup)."""
    typer.echo(message)


def note(message: str) -> None:
    """A plain line on stderr, for what is not the command's result."""
    typer.echo(message, err=True)


@contextmanager
def progress(title: str, *, log_lines: bool = False) -> Iterator[Callable[[str], None]]:
    """A spinner on stderr whose text follows the engine's progress messages.

    With `log_lines`, each message is also printed (CloudFormation events of a deploy).
    """
    console = stderr()
    with console.status(title) as status:

        def update(message: str) -> None:
            status.update(f"{title}: {message}")
            if log_lines:
                console.print(f"  {message}", markup=False, highlight=False)

        yield update


def board_table(rows: list[BoardRow], chain: list[str]) -> Table:
    table = Table(title="promotion board", title_justify="left")
    table.add_column("model")
    table.add_column("versions (newest first)")
    for env in chain:
        table.add_column(f"{env}: pinned / live")
    for row in rows:
        versions = "; ".join(v.label() for v in row.versions) or "none registered"
        cells = []
        for cell in row.envs:
            text = f"{version_label(cell.pinned)} / {version_label(cell.live)}"
            cells.append(f"{text}  [bold red]DRIFT[/]" if cell.drift else text)
        table.add_row(row.model, versions, *cells)
    return table


def board_json(rows: list[BoardRow]) -> list[dict[str, Any]]:
    return [
        {
            "model": row.model,
            "versions": [
                {
                    "version": v.version,
                    "arn": v.arn,
                    "status": v.status,
                    "created": v.created,
                    "stage": None if v.stage is None else {"stage": v.stage.stage, "status": v.stage.status},
                }
                for v in row.versions
            ],
            "environments": [
                {"env": cell.env, "pinned": cell.pinned, "live": cell.live, "drift": cell.drift} for cell in row.envs
            ],
        }
        for row in rows
    ]


def drift_table(checks: list[EndpointCheck]) -> Table:
    table = Table(title="live endpoints against git", title_justify="left")
    for column in ("env", "model", "pinned", "live", "finding"):
        table.add_column(column)
    for check in checks:
        finding = f"[bold red]DRIFT[/] {check.detail}" if check.drift else check.detail
        table.add_row(check.env, check.model, version_label(check.pinned), version_label(check.live), finding)
    return table


def drift_json(checks: list[EndpointCheck]) -> list[dict[str, Any]]:
    return [
        {
            "env": c.env,
            "model": c.model,
            "pinned": c.pinned,
            "live": c.live,
            "endpoint_status": c.endpoint_status,
            "drift": c.drift,
            "detail": c.detail,
        }
        for c in checks
    ]


def history_table(model: str, records: list[LedgerRecord]) -> Table:
    table = Table(title=f"history of {model}", title_justify="left")
    for column in ("when", "record", "action", "who", "env", "version", "account", "why"):
        # Identifiers stay whole; only the free text (who, why) wraps.
        table.add_column(column, no_wrap=column not in ("who", "why"))
    for record in records:
        table.add_row(
            record.when,
            f"{record.stream.removeprefix(model + '/')} {record.seq}",
            record.action,
            record.who,
            record.env or "",
            version_label(record.arn),
            record.account,
            record.reason,
        )
    return table


def failures_json(failures: list[Failure]) -> list[dict[str, Any]]:
    return [{"path": f.path, "arn": f.arn, "rule": f.rule, "message": f.message} for f in failures]
