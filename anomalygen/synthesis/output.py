"""Writing synthetic sessions: raw log, structured CSV, anomaly labels, sessions JSONL, per-entry report;
and the parse-back check (the logs stage's parser must give every line back its statement id)."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path

from anomalygen.atomic import atomic_open
from anomalygen.core.formats import LogFormat
from anomalygen.core.statements import LogStatement
from anomalygen.core.templates import effective_template
from anomalygen.logs.parse import LogParser
from anomalygen.synthesis.explore import EntryReport
from anomalygen.synthesis.generate import Rendered

RAW = "synthetic.log"


def write_sessions(sessions: Iterable[Rendered], fmt: LogFormat, out: Path, id_column: str = "SessionId") -> dict:
    out.mkdir(parents=True, exist_ok=True)
    sessions = list(sessions)
    lines = sorted(((ln.ts, i, j) for i, s in enumerate(sessions) for j, ln in enumerate(s.lines)))
    n_lines = 0
    with atomic_open(out / RAW, "w") as raw, atomic_open(out / f"{RAW}_structured.csv", "w", newline="") as sfh:
        w = csv.writer(sfh)
        w.writerow(["LineId", *fmt.fields, "EventId", "EventTemplate", "ParameterList", "SessionId", "LineLabel"])
        for _, i, j in lines:
            s = sessions[i]
            ln = s.lines[j]
            raw.write(ln.raw + "\n")
            n_lines += 1
            values = fmt.split(ln.raw) or ("",) * len(fmt.fields)
            w.writerow(
                [
                    n_lines,
                    *values,
                    ln.stmt.id,
                    ln.stmt.template,
                    json.dumps(ln.params, ensure_ascii=False),
                    s.session.session_id,
                    ln.state,
                ]
            )
    with atomic_open(out / "anomaly_label.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([id_column, "Label"])
        for s in sessions:
            w.writerow([s.session.session_id, "Anomaly" if s.session.label else "Normal"])
    with atomic_open(out / "sessions.jsonl", "w") as fh:
        for s in sessions:
            fh.write(json.dumps(s.session.to_dict(), ensure_ascii=False) + "\n")
    anomalous = sum(s.session.label or 0 for s in sessions)
    return {
        "sessions": len(sessions),
        "anomalous": anomalous,
        "lines": n_lines,
        "empty_sessions": sum(1 for s in sessions if not s.lines),
    }


def write_entries(reports: list[EntryReport], out: Path) -> None:
    cols = [
        "entry",
        "total",
        "paths",
        "infeasible",
        "unknown",
        "partial",
        "kept",
        "llm_rejected",
        "sequences",
        "seen",
        "new",
    ]
    with atomic_open(out / "entries.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        for r in reports:
            d = asdict(r)
            w.writerow([d[c] for c in cols])
    with atomic_open(out / "entries.jsonl", "w") as fh:
        for r in reports:
            fh.write(json.dumps(asdict(r), ensure_ascii=False) + "\n")


def parse_back(out: Path, statements: list[LogStatement], fmt: LogFormat) -> dict:
    """Parse the raw synthetic log with the logs stage and compare every line's statement id with the one
    that generated it."""
    expected = []
    with open(out / f"{RAW}_structured.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            expected.append(row["EventId"])
    parser = LogParser(statements, fmt, fallback=True)
    # statements that print the same template at the same level from the same class cannot be told apart by
    # any parser (e.g. one message written twice in a method): they count as one
    twin: dict[str, str] = {}
    first: dict[tuple, str] = {}
    for s in statements:
        twin[s.id] = first.setdefault((s.template, s.level, s.class_name), s.id)
    same = regex_ok = twins = 0
    wrong: list[dict] = []
    by_id = {s.id: s for s in statements}
    compiled: dict[str, re.Pattern] = {}
    for k, ln in enumerate(parser.parse([str(out / RAW)])):
        want = expected[k] if k < len(expected) else None
        content = ln.fields[fmt.content_index]
        st = by_id.get(want) if want is not None else None
        if st is not None:
            rx = compiled.get(st.id) or compiled.setdefault(st.id, re.compile(effective_template(st)[1], re.DOTALL))
            regex_ok += bool(rx.fullmatch(content))
        if ln.event_id == want:
            same += 1
        elif want is not None and twin.get(ln.event_id) == twin.get(want):
            same += 1
            twins += 1
        elif len(wrong) < 20:
            wrong.append({"line": k + 1, "expected": want, "parsed": ln.event_id, "content": content[:200]})
    read = parser.summary.read
    return {
        "lines": len(expected),
        "same_statement": same,
        "identical_twins": twins,
        "regex_match": regex_ok,
        "rejected_by_reader": getattr(read, "rejected", 0),
        "mismatches": wrong,
    }
