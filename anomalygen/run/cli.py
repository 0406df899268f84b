"""`anomalygen run`: from a source tree and its logs to "how much did synthetic data help my detectors"."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console

from anomalygen.core import layout
from anomalygen.options import format_option

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


def run(
    source: Path | None = typer.Option(None, "--source", "-s", help="Java source tree (default: the example)"),
    logs: list[Path] = typer.Option([], "--logs", "-l", help="raw log file, repeatable (default: the example's)"),
    labels: Path | None = typer.Option(
        None,
        "--labels",
        help="session labels: anomaly_label.csv (BlockId,Label) "
        "or a labelled sessions JSONL; without them nothing can be scored",
    ),
    fmt: str | None = format_option(None, "zookeeper for the example, else hdfs"),
    sessions_by: str | None = typer.Option(
        None,
        "--sessions-by",
        help="how lines form sessions: auto (default: "
        "an identifier most lines carry, else time windows per server, "
        "chosen from the logs) | id (blk_ ids) | regex:PATTERN | field:NAME | "
        "window:count:N | window:time:SECONDS",
    ),
    weak_labels: str | None = typer.Option(
        None,
        "--weak-labels",
        help="without labels: 'error' marks a "
        "session with an ERROR line anomalous (weak labels, marked as such); "
        "without either, detectors are compared by their alarm rates",
    ),
    labels_conflict: str | None = typer.Option(
        None,
        "--labels-conflict",
        help="a session id labelled twice, differently: error (default, naming both lines) | first | last",
    ),
    testbed: Path | None = typer.Option(
        None,
        "--testbed",
        help="a testbed run folder (`anomalygen testbed "
        "zookeeper --out`) to train on, instead of --logs; --source is then "
        "the ZooKeeper 3.8 source",
    ),
    test_testbed: list[Path] = typer.Option(
        [],
        "--test-testbed",
        help="a testbed run to test on, repeatable (default: the second half of --testbed); none may share a "
        "seed with the training, validation or oracle run",
    ),
    val_testbed: Path | None = typer.Option(
        None,
        "--val-testbed",
        help="a testbed run (faults and planned operations) on which the session form, over all servers or per "
        "server, is chosen; never a test run",
    ),
    oracle_testbed: Path | None = typer.Option(
        None,
        "--oracle-testbed",
        help="a testbed run with real planned operations (other seeds): the oracle arm trains on its windows too",
    ),
    out: Path | None = typer.Option(None, "--out", "-o", help="run folder (default: anomalygen_run)"),
    n: int | None = typer.Option(None, "--n", help="synthetic sessions to generate (default 1000)"),
    seed: int | None = typer.Option(None, "--seed", help="seed of every random choice (default 0)"),
    max_paths: int | None = typer.Option(None, "--max-paths", help="paths per entry point (default 200)"),
    anomalous_share: float | None = typer.Option(
        None, "--anomalous-share", help="anomalous share of the synthetic sessions (default 0.1)"
    ),
    models: str | None = typer.Option(None, "--models", help="detectors, comma-separated, or 'all' (default: all 14)"),
    ratios: str | None = typer.Option(
        None, "--ratios", help="sessions each augmentation arm adds per real training session (default 1)"
    ),
    train_fractions: str | None = typer.Option(
        None,
        "--train-fractions",
        help="share of the real training pool used, the sparse regime of a young system (default 0.05)",
    ),
    split: str | None = typer.Option(
        None,
        "--split",
        help="chronological (default: the first 80% of sessions "
        "train, the rest test; synthetic paths are spliced into training sessions "
        "only) | random (80/20 per seed; then synthetic sessions are whole paths, "
        "since any real session may be a test one)",
    ),
    seeds: int | None = typer.Option(None, "--seeds", help="seeds per setting (default 5)"),
    epochs: int | None = typer.Option(None, "--epochs", help="epochs of the deep detectors (default 3)"),
    llm: str | None = typer.Option(None, "--llm", help="none | openai | local (default none: fully offline)"),
    config: Path | None = typer.Option(None, "--config", "-c", help="TOML/YAML file with these settings"),
    force: bool = typer.Option(False, "--force", help="redo every stage"),
    report_on_interrupt: bool = typer.Option(
        False,
        help="on Ctrl-C, still write report.html from what is done "
        "(by default an interrupted run ends with exit code 130 and no report)",
    ),
    verbose: bool = typer.Option(
        False,
        "--verbose",
        "-v",
        help="print the whole evaluation summary (every arm, every paired comparison) instead of the verdict alone",
    ),
) -> None:
    from anomalygen.run.api import RunRequest, run_pipeline

    req = RunRequest(
        source=source,
        logs=list(logs),
        labels=labels,
        format=fmt,
        sessions_by=sessions_by,
        weak_labels=weak_labels,
        labels_conflict=labels_conflict,
        testbed=testbed,
        test_testbed=list(test_testbed),
        val_testbed=val_testbed,
        oracle_testbed=oracle_testbed,
        out=out,
        n=n,
        seed=seed,
        max_paths=max_paths,
        anomalous_share=anomalous_share,
        models=models,
        ratios=ratios,
        train_fractions=train_fractions,
        split=split,
        seeds=seeds,
        epochs=epochs,
        llm=llm,
        config=config,
        force=force,
        report_on_interrupt=report_on_interrupt,
    )
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
    app.command("run", help=HELP)(run)
