"""How a command-line entry point ends: one `error:` line and an exit code, never a traceback.

`python app.py` (so `cdk synth`/`cdk ls`), `python -m deployment.generate` and the `modelops` console script
share it. Exit codes are those of `modelops` (cli/errors.py): 2 an input error, 130 interrupted.

Ctrl-C reaches jsii's Node kernel as well as Python: the terminal sends SIGINT to the whole foreground process
group, so Node dies while Python waits on it. What Python then meets depends on the moment: KeyboardInterrupt,
a JSONDecodeError (the kernel's pipe closed mid-answer) or a BrokenPipeError; and at exit jsii's own hook
writes `exit` to the dead kernel and prints a BrokenPipeError traceback. So SIGINT is recorded when it
arrives (`watch_interrupts`), any failure after it is the interrupt, and `stop_jsii_kernel` closes the dead
kernel's pipes before jsii's exit hook runs.
"""

from __future__ import annotations

import contextlib
import gc
import io
import signal
import subprocess
import sys
from collections.abc import Callable
from types import FrameType
from typing import NoReturn

from accounts.validation import InputError

EXIT_INPUT = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command Ctrl-C ended

_interrupted = False


JSII_PROCESS_MODULE = "jsii._kernel.providers.process"


class _SysWithQuietStderr:
    """`sys` as jsii's stderr relay sees it once Ctrl-C arrived: its stderr a sink, all else the real `sys`."""

    stderr = io.StringIO()

    def __getattr__(self, name: str) -> object:
        return getattr(sys, name)


def _quiet_jsii_relay() -> None:
    """Drop what jsii's stderr relay thread prints from now on: the dying kernel's messages (`Error on jsii
    API channel to child process: Error: read ECONNRESET`), which the Node host writes as soon as the kernel
    gets the terminal's SIGINT, often before `stop_jsii_kernel` runs. The relay resolves `sys` in its own
    module at each line, so only it is silenced; the process's own stderr stays as it is."""
    module = sys.modules.get(JSII_PROCESS_MODULE)
    if module is not None:
        module.sys = _SysWithQuietStderr()  # type: ignore[attr-defined]


def _record_interrupt(_signum: int, _frame: FrameType | None) -> None:
    global _interrupted
    _interrupted = True
    _quiet_jsii_relay()
    raise KeyboardInterrupt


def watch_interrupts() -> None:
    """Record SIGINT when it arrives (it still raises KeyboardInterrupt, as Python's own handler does)."""
    signal.signal(signal.SIGINT, _record_interrupt)


def interrupted() -> bool:
    """Whether Ctrl-C arrived: a failure after it (jsii's kernel gone) is the interrupt, not a bug."""
    return _interrupted


def stop_jsii_kernel() -> None:
    """Stop jsii's Node kernel, if one started, quietly: after Ctrl-C it is dead or dying.

    jsii (pinned in requirements.lock) keeps its kernel in a private `_NodeProcess` and registers that
    object's `stop` to run at exit, which writes `exit` to the kernel unless its stdin is closed. Closing
    stdin here, with the kernel ended, leaves that hook only its clean-up (waiting, closing the pipes and
    deleting the runtime's temporary directory). Whatever the dying kernel writes meanwhile is dropped.
    """
    module = sys.modules.get(JSII_PROCESS_MODULE)
    if module is None:  # jsii never loaded: no kernel to stop
        return
    _quiet_jsii_relay()
    kernels = [obj for obj in gc.get_objects() if isinstance(obj, module._NodeProcess)]
    stderr = sys.stderr
    sys.stderr = io.StringIO()  # jsii's stderr thread relays the dying kernel's messages through sys.stderr
    try:
        for kernel in kernels:
            process: subprocess.Popen[bytes] | None = getattr(kernel, "_process", None)
            if process is None:
                continue
            if process.poll() is None:
                process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
            if process.stdin is not None:
                with contextlib.suppress(OSError):  # a buffered write to a dead kernel fails as it closes
                    process.stdin.close()
            sink = getattr(kernel, "sink_thread", None)
            if sink is not None:
                sink.join(timeout=5)
    finally:
        sys.stderr = stderr


def run(main: Callable[[], int]) -> NoReturn:
    """Run an entry point's `main` and exit with its code; an input error or Ctrl-C is one `error:` line."""
    watch_interrupts()
    try:
        code = main()
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = EXIT_INPUT
    except KeyboardInterrupt:
        code = _interrupted_exit()
    except Exception:
        if not interrupted():
            raise
        code = _interrupted_exit()
    sys.exit(code)


def _interrupted_exit() -> int:
    stop_jsii_kernel()
    print("error: interrupted", file=sys.stderr)
    return EXIT_INTERRUPTED
