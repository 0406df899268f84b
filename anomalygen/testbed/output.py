"""From a run's raw server logs and fault records to the labelled outputs.

- `structured.csv`: every server's lines in one loghub-format table (time order), parsed with the logs stage
  (`anomalygen.logs`, zookeeper preset; statement ids when a 3.8 inventory/source is given, Drain3 templates
  otherwise), with `Server`, `Timestamp`, `Label` (1 when a labelled fault interval holds the line) and `Faults`.
- `templates.csv`, `parse_summary.json`: as `anomalygen parse` writes them.
- `sessions.jsonl`: time windows over all servers' lines together (`sessions_startup.jsonl`: the same over the
  servers' start-up, before the workload); `sessions_by_server.jsonl` (and `sessions_startup_by_server.jsonl`):
  the same windows per server (`zk2/w00012`; `labels.per_host_windows`, one stream per log file). Both are rows
  of core `Session`s and load with `anomalygen.core.datasets.load_sessions_jsonl`, so
  `anomalygen evaluate --dataset OUT/sessions.jsonl` runs on them.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from anomalygen.core.formats import LogFormat
from anomalygen.core.sessions import Session
from anomalygen.logs.output import EXTRA_COLUMNS, write_templates
from anomalygen.logs.parse import LogParser
from anomalygen.testbed.labels import Interval, covering, per_host_windows, windows

ZK_TIME = "%Y-%m-%d %H:%M:%S,%f"
_SERVER = re.compile(r"zookeeper-(\d+)\.log$")


def log_time(date: str, time_: str) -> float | None:
    """Epoch seconds of a log4j ISO8601 stamp written in UTC (the servers run with -Duser.timezone=UTC)."""
    try:
        return datetime.strptime(f"{date} {time_}", ZK_TIME).replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None


def server_of(path: str) -> str:
    m = _SERVER.search(str(path))
    return f"zk{m.group(1)}" if m else Path(path).stem


def parse_logs(logs: Sequence[Path], statements, fmt: LogFormat | None = None) -> tuple[list[tuple], LogParser]:
    """Rows (t, server, fields, event_id, template, params, kind, candidates, file, lineno), sorted by time
    (stable: a server's lines keep their order); lines without a usable time are dropped (counted by caller)."""
    fmt = fmt or LogFormat.parse("zookeeper")
    parser = LogParser(statements, fmt)
    di, ti = fmt.fields.index("Date"), fmt.fields.index("Time")
    rows = []
    for ln in parser.parse(logs):
        values = ln.fields
        t = log_time(values[di], values[ti])
        if t is None:
            parser.summary.read.note("bad_time", f"{ln.file}:{ln.lineno}", values[di] + " " + values[ti], reject=False)
            continue
        rows.append(
            (
                t,
                server_of(ln.file),
                values,
                ln.event_id,
                ln.template,
                ln.params,
                ln.kind,
                ln.candidates,
                ln.file,
                ln.lineno,
            )
        )
    rows.sort(key=lambda r: r[0])
    return rows, parser


def phase(t: float, t0: float | None, t1: float | None) -> str:
    """startup (before the workload), run, or shutdown (after it: the harness stopping the servers)."""
    if t0 is not None and t < t0:
        return "startup"
    if t1 is not None and t >= t1:
        return "shutdown"
    return "run"


def write_structured(
    rows: Sequence[tuple],
    fmt: LogFormat,
    ivs: Sequence[Interval],
    path: Path,
    t0: float | None = None,
    t1: float | None = None,
) -> dict:
    """The combined CSV; `Label` is 0/1 for lines of the run phase and empty for startup/shutdown lines."""
    cols = ["LineId", "Server", "Timestamp", "Phase", *fmt.fields, *EXTRA_COLUMNS, "Label", "Faults"]
    anomalous = 0
    phases: Counter = Counter()
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        for n, (t, server, values, eid, tpl, params, kind, ncand, file, lineno) in enumerate(rows, 1):
            ph = phase(t, t0, t1)
            phases[ph] += 1
            hits = covering(t, ivs) if ph == "run" else []
            anomalous += bool(hits)
            label = int(bool(hits)) if ph == "run" else ""
            w.writerow(
                [
                    n,
                    server,
                    f"{t:.3f}",
                    ph,
                    *values,
                    eid,
                    tpl,
                    json.dumps(list(params), ensure_ascii=False),
                    kind,
                    ncand,
                    file,
                    lineno,
                    label,
                    " ".join(map(str, hits)),
                ]
            )
    return {
        "lines": len(rows),
        "run_lines": phases["run"],
        "startup_lines": phases["startup"],
        "shutdown_lines": phases["shutdown"],
        "anomalous_lines": anomalous,
    }


def write_sessions(sessions: Iterable[Session], path: Path) -> dict:
    n = anomalous = events = 0
    with open(path, "w", encoding="utf-8") as fh:
        for s in sessions:
            fh.write(json.dumps(s.to_dict(), ensure_ascii=False) + "\n")
            n += 1
            anomalous += s.label
            events += len(s.events)
    return {
        "windows": n,
        "anomalous": anomalous,
        "normal": n - anomalous,
        "events": events,
        "anomalous_share": round(anomalous / n, 4) if n else 0.0,
    }


def _by_server(sessions: list[Session]) -> list[Session]:
    """Per-host windows as this folder has always written them: the host also under `server` (zk2)."""
    for s in sessions:
        s.extra["server"] = s.extra["host"]
    return sessions


def build(
    out: Path,
    logs: Sequence[Path],
    statements,
    ivs: Sequence[Interval],
    window: float,
    step: float | None = None,
    t0: float | None = None,
    t1: float | None = None,
    ops: Sequence[Interval] = (),
) -> dict:
    """Write the parsed and labelled outputs of a run into OUT; returns their counts.

    Windows cover [t0, t1), the workload's span: the servers' startup and the harness's shutdown are left out
    of the sessions (their lines stay in structured.csv with Phase startup/shutdown and no label)."""
    fmt = LogFormat.parse("zookeeper")
    rows, parser = parse_logs(logs, statements, fmt)
    res = {"structured": write_structured(rows, fmt, ivs, out / "structured.csv", t0, t1)}
    counts = Counter(r[3] for r in rows)
    first: dict[str, str] = {}
    for r in rows:
        first.setdefault(r[3], r[4])
    drain = parser.drain.templates() if parser.drain is not None else {}
    write_templates(out / "templates.csv", counts, first, statements, drain)
    summary = parser.summary.to_dict(parser.matcher)
    (out / "parse_summary.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    res["parse"] = {
        "lines_read": summary["read"]["lines_read"],
        "parsed": summary["read"]["parsed"],
        "matched": summary["matched"],
        "fallback": summary["fallback"],
        "statements_seen": summary["statements_seen"],
        "events": len(counts),
    }
    startup = [r for r in rows if phase(r[0], t0, t1) == "startup"]
    # the servers' start-up, windowed like the run: what an operator who also trains on start-up logs has
    res["sessions_startup"] = write_sessions(
        windows([(r[0], r[3], r[4]) for r in startup], [], window, step, prefix="s"), out / "sessions_startup.jsonl"
    )
    res["sessions_startup_by_server"] = write_sessions(
        _by_server(per_host_windows([(r[0], r[1], r[3], r[4]) for r in startup], [], window, step, prefix="s")),
        out / "sessions_startup_by_server.jsonl",
    )
    run_rows = [r for r in rows if phase(r[0], t0, t1) == "run"]
    if run_rows:
        t0 = run_rows[0][0] if t0 is None else t0
        t1 = run_rows[-1][0] if t1 is None else t1
    rows = run_rows
    slim = [(r[0], r[3], r[4]) for r in rows]
    res["sessions"] = write_sessions(windows(slim, ivs, window, step, t0, t1, ops=ops), out / "sessions.jsonl")
    per_server = per_host_windows([(r[0], r[1], r[3], r[4]) for r in rows], ivs, window, step, t0, t1, ops=ops)
    res["sessions_by_server"] = write_sessions(_by_server(per_server), out / "sessions_by_server.jsonl")
    res["lines_by_server"] = dict(sorted(Counter(r[1] for r in rows).items()))
    res["levels"] = dict(sorted(Counter(r[2][fmt.fields.index("Level")] for r in rows).items()))
    return res
