"""CLI commands of the logs stage: `parse`, `sessions`, `coverage`."""

from __future__ import annotations

from pathlib import Path

import typer

from anomalygen.options import LABELS_CONFLICT_HELP, format_option
from anomalygen.parallel import EXECUTOR_HELP, RAY_ADDRESS_HELP


def _echo(result) -> None:
    for line in result.describe():
        typer.echo(line)


def parse(
    logs: list[Path] = typer.Argument(..., help="raw log files (plain or .gz), read in order"),
    source: Path | None = typer.Option(None, help="Java source tree to build the statement inventory from"),
    inventory: Path | None = typer.Option(None, help="inventory.jsonl written by `anomalygen inventory`"),
    format: str = format_option("hdfs"),
    out: Path = typer.Option(Path("parsed"), help="output folder"),
    parquet: bool = typer.Option(False, help="also write structured.parquet (needs pyarrow: the 'parquet' extra)"),
    fallback: bool = typer.Option(True, help="Drain3 templates for lines no statement matches"),
    jobs: int = typer.Option(
        0,
        "--jobs",
        "-j",
        help="processes for big plain files, cut into 1 MiB spans at line "
        "starts (0: every core of this machine); the output is the same for any number",
    ),
    executor: str = typer.Option("process", "--executor", help=EXECUTOR_HELP),
    ray_address: str | None = typer.Option(None, "--ray-address", help=RAY_ADDRESS_HELP),
) -> None:
    """Trace every log line back to the source statement that printed it (Drain3 for the rest)."""
    from anomalygen.logs.api import ParseRequest, parse_logs

    res = parse_logs(
        ParseRequest(
            list(logs),
            out,
            format,
            source=source,
            inventory=inventory,
            parquet=parquet,
            fallback=fallback,
            jobs=jobs,
            executor=executor,
            ray_address=ray_address,
        )
    )
    _echo(res)
    for line in res.warnings:
        typer.echo(f"warning: {line}", err=True)


def sessions(
    logs: list[Path] = typer.Argument(..., help="raw log files, in time order"),
    source: Path | None = typer.Option(None, help="Java source tree"),
    inventory: Path | None = typer.Option(None, help="inventory.jsonl"),
    format: str = format_option("hdfs"),
    by: str = typer.Option(
        "auto",
        help="auto (chosen from the logs: an identifier most lines carry, else time "
        "windows per server) | id (HDFS blk_ ids) | regex:PATTERN | field:NAME | "
        "window:count:N[:STEP] | window:time:SECONDS[:STEP]",
    ),
    labels: Path | None = typer.Option(
        None, help="labels: anomaly_label.csv (BlockId,Label) or a sessions JSONL with labels"
    ),
    time_format: str | None = typer.Option(None, help="strptime format of '<Date> <Time>' for time windows"),
    weak_labels: str | None = typer.Option(
        None,
        "--weak-labels",
        help="error: a session with an ERROR line is anomalous, the others normal (weak labels, recorded as such)",
    ),
    out: Path = typer.Option(Path("sessions.jsonl"), help="output JSONL"),
    labels_conflict: str = typer.Option("error", "--labels-conflict", help=LABELS_CONFLICT_HELP),
) -> None:
    """Group parsed lines into sessions (by identifier, header field, or window) and join labels."""
    from anomalygen.logs.api import SessionsRequest, make_sessions

    _echo(
        make_sessions(
            SessionsRequest(
                list(logs),
                out,
                format,
                by=by,
                labels=labels,
                weak_labels=weak_labels,
                time_format=time_format,
                source=source,
                inventory=inventory,
                labels_conflict=labels_conflict,
            )
        )
    )


def coverage(
    source: Path | None = typer.Option(None, help="Java source tree"),
    inventory: Path | None = typer.Option(None, help="inventory.jsonl"),
    logs: list[Path] = typer.Option([], "--logs", help="raw log file (repeatable): the exact method"),
    templates: list[Path] = typer.Option([], "--templates", help="loghub templates CSV (repeatable): the token method"),
    format: str = format_option("hdfs"),
    title: str = typer.Option("", help="plot title"),
    out: Path = typer.Option(Path("coverage"), help="output folder (coverage.json, coverage.txt, coverage.png)"),
) -> None:
    """How many of the source's log statements appear in real logs (exact) or in loghub templates (token)."""
    from anomalygen.logs.api import CoverageRequest, measure_coverage

    _echo(
        measure_coverage(
            CoverageRequest(list(logs), list(templates), out, format, title, source=source, inventory=inventory)
        )
    )


def register(app: typer.Typer) -> None:
    app.command("parse")(parse)
    app.command("sessions")(sessions)
    app.command("coverage")(coverage)
