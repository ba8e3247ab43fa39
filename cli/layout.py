"""Tables where they fit whole, blocks of lines everywhere else: a view never drops or cuts a value.

Rich shrinks a table that is wider than the console by narrowing its widest columns, whatever they hold,
and then ellipsizes the words that no longer fit (its measured minimum width does not prevent this); a
console that is not a terminal (a pipe, a CI log) is 80 columns wide unless told otherwise. So a view is a
table only on a terminal as wide as the table's natural width, where no cell is narrowed; otherwise it is
blocks: a head line per item, then one indented `label: value` line per field. On a terminal the blocks wrap
at the console's width with a hanging indent; in a pipe every field stays on one line, so that `grep` finds
a record's whole reason.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field

import typer
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

INDENT = "  "


@dataclass(frozen=True)
class Block:
    """One item of a view: its head line, then its fields as (label, value); an empty label prints the value alone."""

    head: str
    fields: Sequence[tuple[str, str]] = field(default_factory=tuple)


def fits(console: Console, table: Table) -> bool:
    """Whether `console` is a terminal on which `table` renders at its natural width (no cell narrowed)."""
    if not console.is_terminal:
        return False
    unbounded = console.options.update_width(sys.maxsize)
    return Measurement.get(console, unbounded, table).maximum <= console.width


def block_lines(title: str, blocks: Sequence[Block], width: int | None) -> list[str]:
    """`title`, then each block after a blank line; with `width`, long lines wrap at spaces under their value."""
    lines = [title]
    for block in blocks:
        lines += ["", *_wrapped(block.head, "", width)]
        for label, value in block.fields:
            prefix = f"{INDENT}{label}: " if label else INDENT
            lines += _wrapped(f"{prefix}{value}", " " * len(prefix), width)
    return lines


def _wrapped(text: str, indent: str, width: int | None) -> list[str]:
    if width is None or len(text) <= width:
        return [text]
    # Words longer than the width (an ARN, an email) stay whole: a terminal shows them on its next line.
    return textwrap.wrap(
        text, width=width, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False
    ) or [text]


def show(console: Console, table: Table, title: str, blocks: Sequence[Block]) -> None:
    """Print `table` where it fits whole (see `fits`), else `blocks` under `title`."""
    if fits(console, table):
        console.print(table)
        return
    width = console.width if console.is_terminal else None
    for line in block_lines(title, blocks, width):
        typer.echo(line)
