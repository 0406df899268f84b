"""`anomalygen run`: from a source tree and its logs to "how much did synthetic data help my detectors"."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console

from anomalygen.core import layout
from anomalygen.options import command, request_values
from anomalygen.run.config import RunRequest

err = Console(stderr=True, width=None if sys.stderr.isatty() else 160)

HELP = """Run every stage on a Java source tree and its logs, and write one HTML report.

With no arguments it runs on the embedded example service (its own Java code and logs recorded from it with
injected faults), so a fresh install shows the whole pipeline in about two minutes:

  anomalygen run

On your system: point it at the source that printed the logs, the logs, and (for scores) session labels:

  anomalygen run --source hadoop/src/java/org/apache/hadoop/dfs --logs HDFS.log --labels anomaly_label.csv \\
      --format hdfs --out hdfs_run

Stages: inventory (log statements) -> parse (real logs against them) -> sessions (+ labels) -> coverage ->
generate (paths, z3 feasibility, synthetic labelled sessions) -> evaluate (detectors trained without and with
the synthetic sessions, same splits) -> report.html. A re-run skips every stage whose inputs and settings did not
change (run.json in the output folder records them); --force redoes all. Settings can come from a TOML or YAML
file (--config) whose keys are the long flags (e.g. `max-paths = 500`); flags win over the file.
"""


# what the command line alone takes; every setting is a `RunRequest` field (`run/config.py`), its option made
# from it (`anomalygen/options.py`)
_CONTROLS = {
    "verbose": (
        bool,
        typer.Option(
            False,
            "--verbose",
            "-v",
            help="print the whole evaluation summary (every arm, every paired comparison) instead of the verdict alone",
        ),
    )
}


def run(**given: Any) -> None:
    from anomalygen.run.api import run_pipeline

    req = RunRequest(**request_values(RunRequest, given))
    verbose = given["verbose"]
    with _progress() as (_bar, on_event):
        res = run_pipeline(req, on_event, say=lambda msg: err.print(msg, highlight=False))
    if res.summary is not None:
        from anomalygen.report.answer import answer_text

        # the answer, not the 300 lines it rests on: those stay in summary.md and paired.csv
        typer.echo(res.summary if verbose else answer_text(res.out, width=_width()))
        if not verbose and (res.out / layout.EVALUATE / "paired.csv").exists():
            typer.echo("(every arm and paired comparison: summary.md, paired.csv; --verbose prints them)")
    if res.report is not None:
        typer.echo(f"report: {res.report}")
    if res.summary is not None:
        typer.echo(f"summary: {res.out / layout.EVALUATE_SUMMARY}")
    if res.failed:
        raise typer.Exit(1)


def _width() -> int:
    """The terminal's columns, at most 100 (the answer's tables are laid out for that), at least 60."""
    import shutil

    return max(60, min(100, shutil.get_terminal_size((100, 24)).columns))


@contextmanager
def _progress():
    """A progress bar over the stages and one line per finished or skipped stage, on stderr."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description:<32}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
    ) as progress:
        task = progress.add_task("anomalygen run", total=None)

        def on_event(stage: str, what: str, info: dict) -> None:
            if what == "plan":
                progress.update(task, total=len(info["stages"]))
                return
            if what == "start":
                progress.update(task, description=f"{stage} ...")
                return
            status = info.get("status", "")
            colour = "green" if status in ("done", "skipped") else "red"
            secs = f" {info['seconds']:.1f} s" if "seconds" in info and what == "end" else ""
            extra = f" ({info.get('note')})" if what == "skipped" and info.get("note") else ""
            why = f" ({info['why']})" if what == "end" and info.get("why") not in (None, "not run before") else ""
            progress.console.print(f"[{colour}]{stage:<10}[/] {status}{secs}{extra}{why}")
            if colour == "red":
                progress.console.print(f"  see {info.get('log')}")
            progress.advance(task)

        yield progress, on_event


def register(app: typer.Typer) -> None:
    app.command("run", help=HELP)(command(run, RunRequest, controls=_CONTROLS))
