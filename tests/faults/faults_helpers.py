"""Helpers of the fault tests: a command run as a user runs it, with no traceback allowed through."""

from __future__ import annotations

from typer.testing import CliRunner

from anomalygen.cli import app

SMALL = ["--models", "PCA", "--n", "120", "--seeds", "1", "--epochs", "1"]


class Result:
    def __init__(self, r):
        self.code, self.output, self.exception = r.exit_code, r.output, r.exception


def invoke(*args: str) -> Result:
    """One command as a user runs it; whatever happens, no Python traceback may reach the user."""
    r = CliRunner().invoke(app, [str(a) for a in args])
    assert "Traceback" not in r.output, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    return Result(r)


def error_line(res: Result) -> str:
    """The one `error: ...` line of a failed command."""
    lines = [ln for ln in res.output.splitlines() if ln.startswith("error: ")]
    assert len(lines) == 1, res.output
    return lines[0]
