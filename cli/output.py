"""How commands speak: rich tables and progress for people, JSON for machines, plain lines otherwise.

The views (`status`, `drift`, `history`) are tables only where they fit whole, blocks of lines elsewhere
(cli/layout.py): nothing is ever dropped or cut.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from cli.layout import Block, show
from promotion.drift import EndpointCheck
from promotion.gates import version_label
from promotion.ledger import LedgerRecord
from promotion.status import BoardRow, EnvCell
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


BOARD_TITLE = "promotion board"
DRIFT_TITLE = "live endpoints against git"
DRIFT_MARK = "DRIFT"


def hold_and_soak(cell: EnvCell) -> list[str]:
    """An environment's hold and soak, as the board shows them (nothing when it has neither)."""
    lines = []
    if cell.hold is not None:
        lines.append(f"HELD at {version_label(cell.hold.arn)} by {cell.hold.who} ({cell.hold.reason})")
    if cell.soak is not None:
        lines.append(f"soak: {cell.soak}")
    return lines


def hold_json(cell: EnvCell) -> dict[str, str] | None:
    hold = cell.hold
    return None if hold is None else {"arn": hold.arn, "who": hold.who, "when": hold.when, "reason": hold.reason}


def board_table(rows: list[BoardRow], chain: list[str]) -> Table:
    table = Table(title=BOARD_TITLE, title_justify="left")
    table.add_column("model")
    table.add_column("versions (newest first)")
    for env in chain:
        table.add_column(f"{env}: pinned / live")
    for row in rows:
        versions = "; ".join(v.label() for v in row.versions) or "none registered"
        cells = []
        for cell in row.envs:
            text = f"{version_label(cell.pinned)} / {version_label(cell.live)}"
            text = f"{text}  [bold red]{DRIFT_MARK}[/]" if cell.drift else text
            cells.append("\n".join([text, *hold_and_soak(cell)]))
        table.add_row(row.model, versions, *cells)
    return table


def board_blocks(rows: list[BoardRow]) -> list[Block]:
    """A block per model: each version with its status, newest first, then pinned and live per environment."""
    blocks = []
    for row in rows:
        versions = [("", v.label()) for v in row.versions] or [("", "none registered")]
        envs = [
            (
                cell.env,
                "; ".join(
                    [
                        f"pinned {version_label(cell.pinned)}, live {version_label(cell.live)}"
                        + (f"  {DRIFT_MARK}" if cell.drift else ""),
                        *hold_and_soak(cell),
                    ]
                ),
            )
            for cell in row.envs
        ]
        blocks.append(Block(row.model, [*versions, *envs]))
    return blocks


def show_board(rows: list[BoardRow], chain: list[str]) -> None:
    """The promotion board on stdout: a table where it fits whole, else a block per model."""
    show(stdout(), board_table(rows, chain), BOARD_TITLE, board_blocks(rows))


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
                {
                    "env": cell.env,
                    "pinned": cell.pinned,
                    "live": cell.live,
                    "drift": cell.drift,
                    "hold": hold_json(cell),
                    "soak": cell.soak,
                }
                for cell in row.envs
            ],
        }
        for row in rows
    ]


def drift_table(checks: list[EndpointCheck]) -> Table:
    table = Table(title=DRIFT_TITLE, title_justify="left")
    for column in ("env", "model", "pinned", "live", "finding"):
        # Identifiers stay whole; only the finding wraps.
        table.add_column(column, no_wrap=column != "finding")
    for check in checks:
        finding = f"[bold red]{DRIFT_MARK}[/] {check.detail}" if check.drift else check.detail
        table.add_row(check.env, check.model, version_label(check.pinned), version_label(check.live), finding)
    return table


def drift_blocks(checks: list[EndpointCheck]) -> list[Block]:
    """A block per endpoint: where, pinned and live (marked when they differ), then the finding."""
    return [
        Block(
            f"{check.env}  {check.model}  pinned {version_label(check.pinned)}  live {version_label(check.live)}"
            + (f"  {DRIFT_MARK}" if check.drift else ""),
            [("finding", check.detail)],
        )
        for check in checks
    ]


def show_drift(checks: list[EndpointCheck]) -> None:
    """The drift check on stdout: a table where it fits whole, else a block per endpoint."""
    show(stdout(), drift_table(checks), DRIFT_TITLE, drift_blocks(checks))


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


def history_title(model: str) -> str:
    return f"history of {model}"


def record_label(model: str, record: LedgerRecord) -> str:
    """`deploys/qa 3`: the record's stream, without the model, and its seq."""
    return f"{record.stream.removeprefix(model + '/')} {record.seq}"


def history_table(model: str, records: list[LedgerRecord]) -> Table:
    table = Table(title=history_title(model), title_justify="left")
    for column in ("when", "record", "action", "who", "env", "version", "account", "why"):
        # Identifiers stay whole; only the free text (who, why) wraps.
        table.add_column(column, no_wrap=column not in ("who", "why"))
    for record in records:
        table.add_row(
            record.when,
            record_label(model, record),
            record.action,
            record.who,
            record.env or "",
            version_label(record.arn),
            record.account,
            record.reason,
        )
    return table


def history_blocks(model: str, records: list[LedgerRecord]) -> list[Block]:
    """A block per record: when, which record and what happened; then who, where, which ARN, and why."""
    return [
        Block(
            f"{record.when}  {record_label(model, record)}  {record.action}",
            [
                ("who", record.who),
                ("env", record.env or "none"),
                ("account", record.account),
                ("arn", record.arn),
                ("why", record.reason or "none given"),
            ],
        )
        for record in records
    ]


def show_history(model: str, records: list[LedgerRecord]) -> None:
    """The audit trail on stdout: a table where it fits whole, else a block per record."""
    show(stdout(), history_table(model, records), history_title(model), history_blocks(model, records))


def failures_json(failures: list[Failure]) -> list[dict[str, Any]]:
    return [{"path": f.path, "arn": f.arn, "rule": f.rule, "message": f.message} for f in failures]
