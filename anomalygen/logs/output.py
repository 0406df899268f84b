"""Writing parsed lines: a loghub-style structured CSV (streamed), optional Parquet, a templates CSV, a summary."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections import Counter
from pathlib import Path
from typing import Iterable

from anomalygen.atomic import atomic_open, temp_name
from anomalygen.logs.formats import LogFormat
from anomalygen.source.model import LogStatement

EXTRA_COLUMNS = ["EventId", "EventTemplate", "ParameterList", "Match", "Candidates", "File", "FileLine"]


_ESCAPED = re.compile(r'["\\\x00-\x1f]')


def params_json(params) -> str:
    """`json.dumps(list(params), ensure_ascii=False)`, without the encoder for the usual plain values."""
    if not params:
        return "[]"
    try:
        plain = _ESCAPED.search("".join(params)) is None
    except TypeError:  # a value that is not a string
        plain = False
    return '["' + '", "'.join(params) + '"]' if plain else json.dumps(list(params), ensure_ascii=False)


def columns(fmt: LogFormat) -> list[str]:
    return ["LineId", *fmt.fields, *EXTRA_COLUMNS]


class _Parquet:
    def __init__(self, path: Path, cols: list[str], batch: int = 65536):
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:  # pragma: no cover - depends on the environment
            raise RuntimeError("Parquet output needs pyarrow: pip install 'anomalygen[parquet]'") from None
        self.pa, self.pq = pa, pq
        self.cols = cols
        self.schema = pa.schema([(c, pa.int64() if c in ("LineId", "Candidates", "FileLine") else pa.string())
                                 for c in cols])
        self.path, self.tmp = path, temp_name(path)
        self.writer = pq.ParquetWriter(str(self.tmp), self.schema)
        self.rows: list[list] = []
        self.batch = batch

    def add(self, row: list) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.batch:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            data = list(zip(*self.rows))
            self.writer.write_table(self.pa.table([list(c) for c in data], schema=self.schema))
            self.rows = []

    def close(self) -> None:
        self.flush()
        self.writer.close()
        os.replace(self.tmp, self.path)


def write_structured(lines: Iterable[tuple], fmt: LogFormat, out_dir: Path, parquet: bool = False) -> dict:
    """Stream `ParsedLine` tuples to OUT/structured.csv (and .parquet); returns per-event counts and file paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    cols = columns(fmt)
    csv_path = out_dir / "structured.csv"
    pq = _Parquet(out_dir / "structured.parquet", cols) if parquet else None
    counts: Counter = Counter()
    first_template: dict[str, str] = {}
    with atomic_open(csv_path, "w", newline="") as fh:
        buf = io.StringIO()  # rows go to the file in large writes: one write per row costs more than the row
        w = csv.writer(buf)
        w.writerow(cols)
        n = 0
        for file, lineno, values, eid, tpl, params, kind, ncand in lines:
            n += 1
            row = [n, *values, eid, tpl, params_json(params), kind, ncand, file, lineno]
            w.writerow(row)
            if pq is not None:
                pq.add(row)
            counts[eid] += 1
            if eid not in first_template:
                first_template[eid] = tpl
            if n & 4095 == 0:
                fh.write(buf.getvalue())
                buf.seek(0)
                buf.truncate()
        fh.write(buf.getvalue())
    if pq is not None:
        pq.close()
    files = {"structured": str(csv_path)}
    if pq is not None:
        files["parquet"] = str(out_dir / "structured.parquet")
    return {"counts": counts, "templates": first_template, "files": files}


def write_templates(path: Path, counts: Counter, templates: dict[str, str], statements: Iterable[LogStatement],
                    drain_final: dict[str, str]) -> None:
    """OUT/templates.csv: one row per event seen, most frequent first."""
    by_id = {s.id: s for s in statements}
    with atomic_open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["EventId", "EventTemplate", "Occurrences", "Match", "Level", "Class", "Method", "File", "Line"])
        for eid, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            st = by_id.get(eid)
            if st is not None:
                w.writerow([eid, st.template, n, "source", st.level, st.class_name, st.method, st.file, st.line])
            else:
                w.writerow([eid, drain_final.get(eid, templates.get(eid, "")), n, "fallback", "", "", "", "", ""])
