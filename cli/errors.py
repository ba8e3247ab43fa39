"""Every failure a command can meet, turned into plain `error:` lines on stderr and an exit code.

0 success; 1 a failed gate or check (and AWS refusing or unreachable); 2 a usage or input error.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import IO, Any, ParamSpec, TypeVar

import typer
from botocore.exceptions import BotoCoreError, ClientError
from typer._click.core import Context
from typer._click.exceptions import NoArgsIsHelpError, UsageError
from typer.core import TyperGroup

from accounts.validation import InputError
from deployment.entry_point import EXIT_INTERRUPTED, interrupted, stop_jsii_kernel
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
            raise interrupted_exit() from None
        except Exception:
            # After Ctrl-C, jsii's Node kernel (which got SIGINT too) may fail first: the failure is the interrupt.
            if interrupted():
                raise interrupted_exit() from None
            raise

    return run


def interrupted_exit() -> typer.Exit:
    """Ctrl-C: stop jsii's kernel quietly if it ran, print `error: interrupted`; return the Exit (130)."""
    stop_jsii_kernel()
    return fail("interrupted", EXIT_INTERRUPTED)


# typer (pinned in pyproject.toml) carries its own copy of click: its usage errors are typer._click's
# classes, not those of the click package.
class OneLineUsageError(UsageError):
    """A usage error shown as one `error:` line naming the command's help, in place of click's usage block."""

    def show(self, file: IO[Any] | None = None) -> None:
        """Print `error: <what is wrong> (see '<command> --help')` on stderr."""
        where = f" (see '{self.ctx.command_path} --help')" if self.ctx is not None else ""
        typer.echo(f"error: {self.format_message().rstrip('.')}{where}", err=True)


def _one_line(exc: UsageError) -> UsageError:
    # Asking for help with no arguments is also a UsageError to click; it must still print the help.
    if isinstance(exc, NoArgsIsHelpError | OneLineUsageError):
        return exc
    return OneLineUsageError(exc.format_message(), exc.ctx)


class OneLineUsageGroup(TyperGroup):
    """The `modelops` group: a usage error in it or in any command under it is one line, exit 2."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: Context | None = None,
        **extra: object,
    ) -> Context:
        """Parse the group's own options; a usage error among them becomes one line."""
        try:
            return super().make_context(info_name, args, parent, **extra)
        except UsageError as exc:
            raise _one_line(exc) from None

    def invoke(self, ctx: Context) -> object:
        """Run the command; a usage error while parsing its arguments becomes one line."""
        try:
            return super().invoke(ctx)
        except UsageError as exc:
            raise _one_line(exc) from None
