"""Run a hot loop without coverage's line tracer.

Some work is done more than once per session only to check other facts: the shipped organisation's synth
(the session's own synth of the test organisation measures the same stack code) and the least-privilege
sweep's 2.3 million evaluator calls (its unit and golden-case tests measure the evaluator). Traced by
coverage, each takes three to four times as long, which would put `make test` over its time budget.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import coverage


@contextmanager
def untraced() -> Iterator[None]:
    """Pause the running coverage measurement (if any) for the duration of the block."""
    current = coverage.Coverage.current()
    if current is None:
        yield
        return
    current.stop()
    try:
        yield
    finally:
        current.start()
