"""CLI commands of the logs stage: `parse`, `sessions`, `coverage`."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Optional

import typer

from anomalygen import atomic
from anomalygen.checks import readable, writable
from anomalygen.errors import InputError
from anomalygen.jsonl import Skipped

FORMAT_HELP = ("header format: a preset (hdfs, zookeeper, hadoop, spark) or a logparser-style string such as "
               "'<Date> <Time> <Pid> <Level> <Component>: <Content>'")


def _statements(source: Optional[Path], inventory: Optional[Path]):
    from anomalygen.source.inventory import build_inventory, read_inventory

    if inventory is not None:
        readable([inventory], "inventory file")
        skipped = Skipped()
        statements = read_inventory(inventory, skipped)
        for line in skipped.lines(str(inventory)):
            typer.echo(line, err=True)
        return statements
    if source is None:
        raise typer.BadParameter("give --source SRC (a Java tree) or --inventory inventory.jsonl")
    readable([source], "source file or folder", folder_ok=True)
    inv, _ = build_inventory(source)
    return inv.statements


def _nothing_read(read: dict, logs: list[Path]) -> None:
    """Exit 2 with one line when no line of the logs could be parsed: an empty result is not a success."""
    if read["parsed"]:
        return
    why = (f"all {read['lines_read']} lines rejected ({read['rejected_by_kind']})" if read["lines_read"]
           else "no lines (empty or unreadable)")
    first = next((e for ex in read["examples"].values() for e in ex), "")
    raise InputError(f"{', '.join(map(str, logs))}: nothing parsed: {why}" + (f"; first: {first}" if first else ""))


def _format(spec: str, time_format: Optional[str] = None):
    from anomalygen.logs.formats import FormatError, LogFormat

    try:
        return LogFormat.parse(spec, time_format)
    except FormatError as err:
        raise typer.BadParameter(str(err)) from None


def _report_read(read: dict) -> None:
    typer.echo(f"lines read {read['lines_read']}: parsed {read['parsed']}, rejected {read['rejected']}"
               + (f" {read['rejected_by_kind']}" if read["rejected"] else ""))
    if read["warnings_by_kind"]:
        typer.echo(f"warnings: {read['warnings_by_kind']}")
    for kind, ex in read["examples"].items():
        for e in ex:
            typer.echo(f"  [{kind}] {e}")


def parse(
    logs: list[Path] = typer.Argument(..., help="raw log files (plain or .gz), read in order"),
    source: Optional[Path] = typer.Option(None, help="Java source tree to build the statement inventory from"),
    inventory: Optional[Path] = typer.Option(None, help="inventory.jsonl written by `anomalygen inventory`"),
    format: str = typer.Option("hdfs", "--format", help=FORMAT_HELP),
    out: Path = typer.Option(Path("parsed"), help="output folder"),
    parquet: bool = typer.Option(False, help="also write structured.parquet (needs pyarrow: the 'parquet' extra)"),
    fallback: bool = typer.Option(True, help="Drain3 templates for lines no statement matches"),
    jobs: int = typer.Option(0, "--jobs", "-j", help="processes for big plain files, cut into 1 MiB spans at line "
                             "starts (0: every core of this machine); the output is the same for any number"),
    executor: str = typer.Option("process", "--executor", help="process: a pool on this machine; ray: Ray tasks "
                                 "(the 'ray' extra), on the cluster at --ray-address / RAY_ADDRESS or a local one"),
    ray_address: Optional[str] = typer.Option(None, "--ray-address", help="Ray cluster address (default: "
                                              "RAY_ADDRESS, else a local Ray instance)"),
) -> None:
    """Trace every log line back to the source statement that printed it (Drain3 for the rest)."""
    from anomalygen.logs.chunked import parse_parallel_ok, write_structured_parallel
    from anomalygen.logs.output import write_structured, write_templates
    from anomalygen.logs.parse import LogParser
    from anomalygen.parallel import resolve_jobs

    readable(logs, "log file")
    writable(out, folder=True)
    fmt = _format(format)
    statements = _statements(source, inventory)
    started = time.perf_counter()
    parser = LogParser(statements, fmt, fallback=fallback)
    jobs = resolve_jobs(jobs) if executor == "process" else max(jobs, 2)
    try:
        if parse_parallel_ok(logs, jobs, parquet):
            res = write_structured_parallel(parser, statements, logs, out, jobs, executor, ray_address)
        else:
            res = write_structured(parser.parse(logs), fmt, out, parquet=parquet)
    except (RuntimeError, ValueError) as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None
    seconds = time.perf_counter() - started
    drain_final = parser.drain.templates() if parser.drain is not None else {}
    write_templates(out / "templates.csv", res["counts"], res["templates"], statements, drain_final)
    summary = parser.summary.to_dict(parser.matcher)
    summary["seconds"] = round(seconds, 3)
    summary["format"] = fmt.spec
    if parser.drain is not None:
        summary["fallback_bounds"] = parser.drain.bounds()
    summary["files"] = {**res["files"], "templates": str(out / "templates.csv"), "summary": str(out / "summary.json")}
    atomic.write_text(out / "summary.json", json.dumps(summary, indent=1, ensure_ascii=False) + "\n")
    _report_read(summary["read"])
    _nothing_read(summary["read"], logs)
    parsed = summary["read"]["parsed"]
    typer.echo(f"matched to a source statement: {summary['matched']} of {parsed} "
               f"({100 * summary['matched_share']:.2f}%), Drain3 fallback {summary['fallback']}; "
               f"ambiguous {summary['ambiguous']} ({summary['ambiguous_different_templates']} with different "
               f"templates); statements seen {summary['statements_seen']} of {summary['statements']}")
    b = summary.get("fallback_bounds") or {}
    if b.get("lines_over_leaf_budget") or b.get("lines_over_cluster_cap"):
        typer.echo(f"warning: Drain3 fallback bounded: {b['lines_over_leaf_budget']} lines compared with only the "
                   f"{b['leaf_budget']} newest clusters of their leaf; {b['lines_over_cluster_cap']} lines arrived "
                   f"after the cap of {b['max_clusters']} clusters (event D0)", err=True)
    typer.echo(f"wrote {', '.join(summary['files'].values())} in {seconds:.2f}s")


def sessions(
    logs: list[Path] = typer.Argument(..., help="raw log files, in time order"),
    source: Optional[Path] = typer.Option(None, help="Java source tree"),
    inventory: Optional[Path] = typer.Option(None, help="inventory.jsonl"),
    format: str = typer.Option("hdfs", "--format", help=FORMAT_HELP),
    by: str = typer.Option("auto", help="auto (chosen from the logs: an identifier most lines carry, else time "
                                        "windows per server) | id (HDFS blk_ ids) | regex:PATTERN | field:NAME | "
                                        "window:count:N[:STEP] | window:time:SECONDS[:STEP]"),
    labels: Optional[Path] = typer.Option(None, help="labels: anomaly_label.csv (BlockId,Label) or a sessions "
                                                     "JSONL with labels"),
    time_format: Optional[str] = typer.Option(None, help="strptime format of '<Date> <Time>' for time windows"),
    weak_labels: Optional[str] = typer.Option(None, "--weak-labels", help="error: a session with an ERROR line is "
                                              "anomalous, the others normal (weak labels, recorded as such)"),
    out: Path = typer.Option(Path("sessions.jsonl"), help="output JSONL"),
) -> None:
    """Group parsed lines into sessions (by identifier, header field, or window) and join labels."""
    from anomalygen.logs.parse import LogParser
    from anomalygen.logs.session_rule import infer_rule
    from anomalygen.logs.sessions import (SessionSpec, attach_labels, group, load_labels, weak_error_labels,
                                          write_sessions_jsonl)
    from anomalygen.manifest import write_manifest

    if weak_labels not in (None, "error"):
        raise typer.BadParameter(f"--weak-labels {weak_labels!r}: the one rule is 'error'")
    if weak_labels and labels:
        raise typer.BadParameter("--weak-labels and --labels exclude each other")
    readable(logs, "log file")
    readable([labels] if labels else [], "labels file")
    writable(out, folder=False)
    fmt = _format(format, time_format)
    skipped = Skipped()
    label_map = load_labels(labels, skipped) if labels else {}
    for line in skipped.lines(f"labels {labels}"):
        typer.echo(line, err=True)
    rule = None
    if by == "auto":
        rule = infer_rule(logs, fmt, label_map)
        by = rule.by
        typer.echo(f"sessions by {by}: {rule.reason}")
    try:
        spec = SessionSpec.parse(by)
    except ValueError as err:
        raise typer.BadParameter(str(err)) from None
    statements = _statements(source, inventory)
    if spec.kind == "field" and spec.field not in fmt.fields:
        raise typer.BadParameter(f"--by {by}: the format has no field {spec.field!r} (fields: {', '.join(fmt.fields)})")
    parser = LogParser(statements, fmt)
    bad_time = [0]

    def on_bad(_ln) -> None:
        bad_time[0] += 1

    out.parent.mkdir(parents=True, exist_ok=True)
    if weak_labels and fmt.level_index < 0:
        raise typer.BadParameter(f"--weak-labels error: the format has no level field "
                                 f"(fields: {', '.join(fmt.fields)})")
    is_error = (lambda ln: ln[2][fmt.level_index].strip().upper() == "ERROR") if weak_labels else None
    groups = group(parser.parse(logs), spec, fmt, on_bad, flag=is_error)
    labelled = weak_error_labels(groups) if weak_labels else attach_labels(groups, label_map)
    counts = write_sessions_jsonl(labelled, out)
    write_manifest(out.with_name(out.stem + ".manifest.json"), "sessions",
                   inputs={"logs": [str(p) for p in logs], "labels": str(labels) if labels else None},
                   params={"by": by, "rule": rule.to_dict() if rule else "given by --by", "format": fmt.spec,
                           "weak_labels": weak_labels}, outputs=counts)
    _report_read(parser.summary.read.to_dict())
    _nothing_read(parser.summary.read.to_dict(), logs)
    if bad_time[0]:
        typer.echo(f"lines without a usable timestamp (left out of time windows): {bad_time[0]}")
    typer.echo(f"sessions {counts['sessions']} ({counts['labelled']} labelled, {counts['anomalous']} anomalous), "
               f"events {counts['events']}; wrote {out}")


def coverage(
    source: Optional[Path] = typer.Option(None, help="Java source tree"),
    inventory: Optional[Path] = typer.Option(None, help="inventory.jsonl"),
    logs: list[Path] = typer.Option([], "--logs", help="raw log file (repeatable): the exact method"),
    templates: list[Path] = typer.Option([], "--templates", help="loghub templates CSV (repeatable): the token method"),
    format: str = typer.Option("hdfs", "--format", help=FORMAT_HELP),
    title: str = typer.Option("", help="plot title"),
    out: Path = typer.Option(Path("coverage"), help="output folder (coverage.json, coverage.txt, coverage.png)"),
) -> None:
    """How many of the source's log statements appear in real logs (exact) or in loghub templates (token)."""
    from anomalygen.logs.coverage import measure, render_table, write_outputs

    if not logs and not templates:
        raise typer.BadParameter("give --logs LOG and/or --templates TEMPLATES.csv")
    readable([*logs, *templates], "log or templates file")
    writable(out, folder=True)
    fmt = _format(format)
    statements = _statements(source, inventory)
    try:
        report = measure(statements, logs, fmt, templates).to_dict()
    except (OSError, ValueError) as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None
    if logs:
        _nothing_read(report["inputs"]["parse"]["read"], logs)
    report["inputs"]["source"] = str(source) if source else None
    report["inputs"]["inventory"] = str(inventory) if inventory else None
    files = write_outputs(report, out, title)
    typer.echo(render_table(report))
    typer.echo(f"wrote {', '.join(files.values())}")


def register(app: typer.Typer) -> None:
    app.command("parse")(parse)
    app.command("sessions")(sessions)
    app.command("coverage")(coverage)
