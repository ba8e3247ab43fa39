"""Every failure a command can meet, turned into plain `error:` lines on stderr and an exit code.

0 success; 1 a failed gate or check (and AWS refusing or unreachable); 2 a usage or input error.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from botocore.exceptions import BotoCoreError, ClientError

from accounts.validation import InputError
from promotion.aws import translate
from promotion.errors import ModelOpsError

EXIT_FAILED = 1
EXIT_INPUT = 2

P = ParamSpec("P")
R = TypeVar("R")


def fail(message: str, code: int) -> typer.Exit:
    """Print each line of `message` as `error: ...` on stderr; return the Exit to raise."""
    for line in message.splitlines() or [message]:
        typer.echo(f"error: {line}", err=True)
    return typer.Exit(code)


def handled(command: Callable[P, R]) -> Callable[P, R]:
    """Run a command so that no failure reaches the user as a traceback."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except InputError as exc:
            raise fail(str(exc), EXIT_INPUT) from None
        except ModelOpsError as exc:
            raise fail(str(exc), exc.exit_code) from None
        except (BotoCoreError, ClientError) as exc:
            raise fail(str(translate(exc, "AWS")), EXIT_FAILED) from None
        except KeyboardInterrupt:
            raise fail("interrupted", 130) from None

    return run
