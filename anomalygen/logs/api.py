"""The logs stage as functions over plain requests: `parse_logs` (each line traced to the statement that printed
it), `make_sessions` (lines grouped into sessions, labels joined) and `measure_coverage` (how much of the code
the logs show). The command line (`logs/cli.py`) and `anomalygen run` are layers over these.

Each takes the statements from an already read `SourceTree` (what `run` passes along), an inventory file, or a
source tree read on the spot. Bad records are counted and named (`Skipped`), not fatal.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from anomalygen import atomic
from anomalygen.checks import apart_from_inputs, readable, writable
from anomalygen.core.errors import InputError
from anomalygen.core.formats import LogFormat
from anomalygen.jsonl import Skipped
from anomalygen.source.api import SourceTree, statements_for


def nothing_read(read: dict, logs: list) -> None:
    """One line naming the logs when no line could be parsed: an empty result is not a success."""
    if read["parsed"]:
        return
    why = (
        f"all {read['lines_read']} lines rejected ({read['rejected_by_kind']})"
        if read["lines_read"]
        else "no lines (empty or unreadable)"
    )
    first = next((e for ex in read["examples"].values() for e in ex), "")
    raise InputError(f"{', '.join(map(str, logs))}: nothing parsed: {why}" + (f"; first: {first}" if first else ""))


def read_lines(read: dict) -> list[str]:
    """What reading the logs met: counts of parsed and rejected lines, warnings, a few examples of each kind."""
    out = [
        f"lines read {read['lines_read']}: parsed {read['parsed']}, rejected {read['rejected']}"
        + (f" {read['rejected_by_kind']}" if read["rejected"] else "")
    ]
    if read["warnings_by_kind"]:
        out.append(f"warnings: {read['warnings_by_kind']}")
    out += [f"  [{kind}] {e}" for kind, ex in read["examples"].items() for e in ex]
    return out


@dataclass
class ParseRequest:
    logs: list[Path]  # raw log files (plain or .gz), read in order
    out: Path = Path("parsed")
    format: str = "hdfs"  # a preset or a logparser-style format string
    source: Path | None = None
    inventory: Path | None = None  # inventory.jsonl instead of a source tree
    tree: SourceTree | None = None  # an already read tree instead of either
    parquet: bool = False
    fallback: bool = True  # Drain3 templates for lines no statement matches
    jobs: int = 0
    executor: str = "process"
    ray_address: str | None = None


@dataclass
class ParseResult:
    summary: dict  # summary.json's content
    files: dict[str, str]
    skipped: list[str] = field(default_factory=list)  # inventory records left out, one line each
    warnings: list[str] = field(default_factory=list)

    def describe(self) -> list[str]:
        s = self.summary
        parsed = s["read"]["parsed"]
        out = [
            *self.skipped,
            *read_lines(s["read"]),
            f"matched to a source statement: {s['matched']} of {parsed} ({100 * s['matched_share']:.2f}%), "
            f"Drain3 fallback {s['fallback']}; ambiguous {s['ambiguous']} ({s['ambiguous_different_templates']} "
            f"with different templates); statements seen {s['statements_seen']} of {s['statements']}",
        ]
        return out + [f"wrote {', '.join(self.files.values())} in {s['seconds']:.2f}s"]


def _fallback_bounded(summary: dict) -> list[str]:
    b = summary.get("fallback_bounds") or {}
    if not (b.get("lines_over_leaf_budget") or b.get("lines_over_cluster_cap")):
        return []
    return [
        f"Drain3 fallback bounded: {b['lines_over_leaf_budget']} lines compared with only the "
        f"{b['leaf_budget']} newest clusters of their leaf; {b['lines_over_cluster_cap']} lines arrived "
        f"after the cap of {b['max_clusters']} clusters (event D0)"
    ]


def parse_logs(req: ParseRequest) -> ParseResult:
    """Trace every log line back to the source statement that printed it (Drain3 for the rest): writes
    structured.csv, templates.csv and summary.json into `req.out`."""
    from anomalygen.logs.chunked import parse_parallel_ok, write_structured_parallel
    from anomalygen.logs.output import write_structured, write_templates
    from anomalygen.logs.parse import LogParser
    from anomalygen.parallel import resolve_jobs

    logs, out = list(req.logs), Path(req.out)
    readable(logs, "log file")
    writable(out, folder=True)
    apart_from_inputs(
        [out / n for n in ("structured.csv", "structured.parquet", "templates.csv", "summary.json")],
        [*logs, req.inventory],
    )
    fmt = LogFormat.parse(req.format)
    skipped = Skipped()
    statements = statements_for(req.source, req.inventory, req.tree, skipped)
    started = time.perf_counter()
    parser = LogParser(statements, fmt, fallback=req.fallback)
    jobs = resolve_jobs(req.jobs) if req.executor == "process" else max(req.jobs, 2)
    try:
        if parse_parallel_ok(logs, jobs, req.parquet):
            res = write_structured_parallel(parser, statements, logs, out, jobs, req.executor, req.ray_address)
        else:
            res = write_structured(parser, logs, out, parquet=req.parquet)
    except (RuntimeError, ValueError) as err:  # an unknown executor, Ray missing, pyarrow missing
        raise InputError(str(err)) from None
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
    result = ParseResult(summary, summary["files"], skipped.lines(str(req.inventory)), _fallback_bounded(summary))
    nothing_read(summary["read"], logs)
    return result


@dataclass
class SessionsRequest:
    logs: list[Path]  # raw log files, in time order
    out: Path = Path("sessions.jsonl")
    format: str = "hdfs"
    by: str = "auto"  # auto | id | regex:PATTERN | field:NAME | window:count:N[:STEP] | window:time:SECONDS[:STEP]
    labels: Path | None = None  # anomaly_label.csv (BlockId,Label) or a labelled sessions JSONL
    weak_labels: str | None = None  # "error": a session with an ERROR line is anomalous (weak, recorded as such)
    time_format: str | None = None  # strptime format of '<Date> <Time>' for time windows
    source: Path | None = None
    inventory: Path | None = None
    tree: SourceTree | None = None
    labels_conflict: str = "error"  # an id labelled twice, differently: error | first | last


@dataclass
class SessionsResult:
    counts: dict  # sessions, labelled, anomalous, events
    by: str  # the rule used (chosen from the logs when the request said auto)
    rule_reason: str | None  # why that rule, when chosen
    read: dict  # lines read, parsed, rejected
    untimed: int  # lines without a usable timestamp, left out of time windows
    files: dict[str, Path]
    skipped: list[str] = field(default_factory=list)

    def describe(self) -> list[str]:
        c = self.counts
        out = list(self.skipped)
        if self.rule_reason:
            out.append(f"sessions by {self.by}: {self.rule_reason}")
        out += read_lines(self.read)
        if self.untimed:
            out.append(f"lines without a usable timestamp (left out of time windows): {self.untimed}")
        return out + [
            f"sessions {c['sessions']} ({c['labelled']} labelled, {c['anomalous']} anomalous), "
            f"events {c['events']}; wrote {self.files['sessions']}"
        ]


def _session_rule(req: SessionsRequest, fmt: LogFormat, label_map: dict):
    from anomalygen.core.session_spec import SessionSpec
    from anomalygen.logs.session_rule import infer_rule

    rule = infer_rule(req.logs, fmt, label_map) if req.by == "auto" else None
    by = rule.by if rule else req.by
    try:
        spec = SessionSpec.parse(by)
    except ValueError as err:
        raise InputError(f"--by: {err}") from None
    if spec.kind == "field" and spec.field not in fmt.fields:
        raise InputError(f"--by {by}: the format has no field {spec.field!r} (fields: {', '.join(fmt.fields)})")
    return by, rule, spec


def make_sessions(req: SessionsRequest) -> SessionsResult:
    """Group parsed lines into sessions (by identifier, header field, or window) and join labels; writes the
    sessions JSONL and a manifest beside it."""
    from anomalygen.logs.parse import LogParser
    from anomalygen.logs.sessions import attach_labels, group, load_labels, weak_error_labels, write_sessions_jsonl
    from anomalygen.manifest import write_manifest

    if req.weak_labels not in (None, "error"):
        raise InputError(f"--weak-labels {req.weak_labels!r}: the one rule is 'error'")
    if req.weak_labels and req.labels:
        raise InputError("--weak-labels and --labels exclude each other")
    logs, out = list(req.logs), Path(req.out)
    readable(logs, "log file")
    readable([req.labels] if req.labels else [], "labels file")
    writable(out, folder=False)
    apart_from_inputs([out, out.with_name(out.stem + ".manifest.json")], [*logs, req.labels, req.inventory])
    fmt = LogFormat.parse(req.format, req.time_format)
    if req.weak_labels and fmt.level_index < 0:
        raise InputError(f"--weak-labels error: the format has no level field (fields: {', '.join(fmt.fields)})")
    skipped, label_skips = Skipped(), Skipped()
    label_map = load_labels(req.labels, label_skips, req.labels_conflict) if req.labels else {}
    by, rule, spec = _session_rule(req, fmt, label_map)
    statements = statements_for(req.source, req.inventory, req.tree, skipped)
    parser = LogParser(statements, fmt)
    untimed = [0]

    def on_bad(_line) -> None:
        untimed[0] += 1

    out.parent.mkdir(parents=True, exist_ok=True)
    is_error = (lambda ln: ln.fields[fmt.level_index].strip().upper() == "ERROR") if req.weak_labels else None
    groups = group(parser.parse(logs), spec, fmt, on_bad, flag=is_error)
    labelled = weak_error_labels(groups) if req.weak_labels else attach_labels(groups, label_map)
    counts = write_sessions_jsonl(labelled, out)
    manifest = out.with_name(out.stem + ".manifest.json")
    write_manifest(
        manifest,
        "sessions",
        inputs={"logs": [str(p) for p in logs], "labels": str(req.labels) if req.labels else None},
        params={
            "by": by,
            "rule": rule.to_dict() if rule else "given by --by",
            "format": fmt.spec,
            "weak_labels": req.weak_labels,
        },
        outputs=counts,
    )
    read = parser.summary.read.to_dict()
    nothing_read(read, logs)
    return SessionsResult(
        counts,
        by,
        rule.reason if rule else None,
        read,
        untimed[0],
        {"sessions": out, "manifest": manifest},
        [
            *label_skips.lines(f"labels {req.labels}"),
            *skipped.lines(str(req.inventory)),
            *_unmatched(label_map, counts, req.labels),
        ],
    )


def _unmatched(label_map: dict, counts: dict, path) -> list[str]:
    """Labels that labelled no session (one session per id, as keyed sessions have)."""
    gone = len(label_map) - counts["labelled"]
    return [f"warning: {gone} of the {len(label_map)} labels in {path} name no session of the logs"] if gone > 0 else []


@dataclass
class CoverageRequest:
    logs: list[Path] = field(default_factory=list)  # raw logs: the exact method
    templates: list[Path] = field(default_factory=list)  # loghub templates CSVs: the token method
    out: Path = Path("coverage")
    format: str = "hdfs"
    title: str = ""  # plot title
    source: Path | None = None
    inventory: Path | None = None
    tree: SourceTree | None = None


@dataclass
class CoverageResult:
    report: dict  # coverage.json's content
    files: dict[str, str]

    def describe(self) -> list[str]:
        from anomalygen.logs.coverage import render_table

        return [render_table(self.report), f"wrote {', '.join(self.files.values())}"]


def measure_coverage(req: CoverageRequest) -> CoverageResult:
    """How many of the source's log statements appear in real logs (exact) or in loghub templates (token)."""
    from anomalygen.logs.coverage import measure, write_outputs

    if not req.logs and not req.templates:
        raise InputError("give --logs LOG and/or --templates TEMPLATES.csv")
    readable([*req.logs, *req.templates], "log or templates file")
    writable(req.out, folder=True)
    fmt = LogFormat.parse(req.format)
    statements = statements_for(req.source, req.inventory, req.tree)
    try:
        report = measure(statements, req.logs, fmt, req.templates).to_dict()
    except (OSError, ValueError) as err:
        raise InputError(str(err)) from None
    if req.logs:
        nothing_read(report["inputs"]["parse"]["read"], req.logs)
    report["inputs"]["source"] = str(req.source) if req.source else (str(req.tree.root) if req.tree else None)
    report["inputs"]["inventory"] = str(req.inventory) if req.inventory else None
    return CoverageResult(report, write_outputs(report, req.out, req.title))
