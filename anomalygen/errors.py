"""The one place that turns known errors into a one-line message and an exit code.

Every command runs inside `SafeGroup.invoke`: a problem with the user's input (a file that is missing, unreadable,
not text, malformed; a bad setting) ends the command with `error: FILE[:LINE]: why` on stderr and exit code 2, an
output that cannot be written with exit 2 as well, Ctrl-C with exit 130; anything else is a bug and says so in one
line. The Python traceback is shown only with `anomalygen --debug` (or ANOMALYGEN_DEBUG=1).
"""

from __future__ import annotations

import errno
import os

import typer
from typer.core import TyperGroup

from anomalygen.core.errors import InputError

INTERRUPTED = 130
BAD_INPUT = 2
FAILED = 1
# usage errors keep click's own message and exit code 2 (typer may vendor click, so found through typer)
_USAGE: tuple[type[Exception], ...] = tuple(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
# what the top-level group lets through as it is: an exit, and usage errors for click to print
_THROUGH: tuple[type[Exception], ...] = (typer.Exit, *_USAGE)


def describe(exc: BaseException) -> tuple[str, int] | None:
    """(one line, exit code) for a known error; None for anything else (a bug)."""
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted", INTERRUPTED
    from concurrent.futures.process import BrokenProcessPool

    from anomalygen.parallel import WorkerDied

    if isinstance(exc, WorkerDied):  # not the input's fault, and not a bug of ours: exit 1, said in one line
        return str(exc), FAILED
    if isinstance(exc, BrokenProcessPool):  # a pool of its own (the evaluation's)
        return (
            "a worker process died before it finished its task (out of memory, or killed?); the command stopped"
        ), FAILED
    if isinstance(exc, OSError) and (exc.filename is not None or exc.errno in (errno.ENOSPC, errno.EDQUOT)):
        where = f"{exc.filename}: " if exc.filename is not None else ""
        return f"{where}{exc.strerror or exc}", BAD_INPUT
    if isinstance(exc, UnicodeDecodeError):
        return (
            f"input is not UTF-8 text (byte {exc.object[exc.start : exc.start + 1]!r} at offset {exc.start})",
            BAD_INPUT,
        )
    if isinstance(exc, InputError):  # every stage's input errors subclass it
        return str(exc), BAD_INPUT
    return None


def debug_wanted(ctx: typer.Context | None = None) -> bool:
    if os.environ.get("ANOMALYGEN_DEBUG", "") not in ("", "0"):
        return True
    while ctx is not None:
        if ctx.params.get("debug"):
            return True
        ctx = ctx.parent  # type: ignore[assignment]  # typer's Context is click's, which typer vendors
    return False


class SafeGroup(TyperGroup):
    """The top-level command group: the outermost invocation maps errors (nested ones, as `anomalygen run` makes,
    let them through to the caller, which records them)."""

    _depth = 0
    worker_died = False  # the program then leaves without the interpreter's exit (`cli.main`)

    def invoke(self, ctx: typer.Context):  # type: ignore[override]  # typer's Context is click's, as above
        if SafeGroup._depth or debug_wanted(ctx):
            return super().invoke(ctx)
        SafeGroup._depth += 1
        try:
            return super().invoke(ctx)
        except _THROUGH:
            raise
        except typer.Abort:
            typer.echo("interrupted", err=True)
            raise typer.Exit(INTERRUPTED) from None
        except Exception as exc:  # the one place where errors become messages
            known = describe(exc)
            if known is None:
                typer.echo(
                    f"error: internal error: {type(exc).__name__}: {exc} (run `anomalygen --debug ...` for "
                    "the traceback)",
                    err=True,
                )
                raise typer.Exit(1) from None
            typer.echo(f"error: {known[0]}", err=True)
            SafeGroup.worker_died = known[1] == FAILED and "worker process died" in known[0]
            raise typer.Exit(known[1]) from None
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            raise typer.Exit(INTERRUPTED) from None
        finally:
            SafeGroup._depth -= 1
