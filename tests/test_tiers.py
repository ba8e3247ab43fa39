"""The tiers of tests/conftest.py name fixtures and modules that exist, so a rename cannot slow `make test-fast`."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import SLOW_FIXTURES, SLOW_MODULES

TESTS = Path(__file__).resolve().parent


def test_every_slow_module_exists() -> None:
    modules = {path.stem for path in TESTS.rglob("test_*.py")}
    assert SLOW_MODULES - modules == set()


def test_every_slow_fixture_is_defined() -> None:
    source = "\n".join(path.read_text() for path in TESTS.rglob("*.py"))
    defined = set(re.findall(r"^def (\w+)\(", source, flags=re.MULTILINE))
    assert SLOW_FIXTURES - defined == set()
