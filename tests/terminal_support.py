"""A command's stdout as a terminal of a given width, as rich detects one, for the views' layout tests."""

from __future__ import annotations

import re

import pytest


def terminal(monkeypatch: pytest.MonkeyPatch, columns: int) -> None:
    """stdout as a colourless terminal of `columns` columns (rich reads these variables)."""
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("COLUMNS", str(columns))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm")  # not "dumb", which rich holds to 80 columns


def unstyled(text: str) -> str:
    """`text` without the bold and italic escape sequences a terminal gets even without colour."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)
