"""`anomalygen generate`: synthetic labelled log sessions from a Java tree (and, optionally, its real logs)."""

from __future__ import annotations

import sys
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from anomalygen.core.errors import InputError
from anomalygen.options import command, request_values
from anomalygen.synthesis.request import GenerateRequest

console = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 160)


# what the command line alone takes; every setting is a `GenerateRequest` field (`synthesis/api.py`)
_CONTROLS = {
    "session_key": (
        str | None,
        typer.Option(None, "--session-key", help="deprecated: --sessions-by, which takes block, none and auto too"),
        "sessions_by",
    )
}


def generate(**given: Any) -> None:
    """Feasible paths -> realistic, consistent, labelled sessions in loghub format (offline by default)."""
    from anomalygen.synthesis.api import generate as run

    settings = request_values(GenerateRequest, given)
    if given["session_key"] is not None:
        settings["sessions_by"] = _session_key_alias(given["session_key"], settings["sessions_by"])
    res = run(GenerateRequest(**settings))
    if res.learned:
        console.print(res.learned)
    table = Table(title=f"paths of {res.entries} entries (feasibility by z3)")
    columns = ("paths", "infeasible", "unknown", "kept", "sequences", "new")
    for c in columns:
        table.add_column(c, justify="right")
    table.add_row(*(f"{res.totals[c]:,}" for c in columns))
    console.print(table)
    console.print(res.describe()[-1])
    for w in res.warnings:
        err.print(f"[yellow]warning[/]: {w}", highlight=False)


def _session_key_alias(key: str, sessions_by: str) -> str:
    """`--session-key`'s words are `--sessions-by`'s (block is id there); a note says so, on stderr."""
    if sessions_by != GenerateRequest.sessions_by:
        raise InputError(f"--session-key {key} and --sessions-by {sessions_by}: give --sessions-by alone")
    err.print(
        f"note: --session-key is deprecated; use --sessions-by {'id' if key == 'block' else key}", highlight=False
    )
    return key


def register(app: typer.Typer) -> None:
    app.command("generate")(command(generate, GenerateRequest, controls=_CONTROLS))
