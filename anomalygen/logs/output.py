"""Writing parsed lines: a loghub-style structured CSV (streamed), optional Parquet, a templates CSV, a summary."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from itertools import repeat
from pathlib import Path

import numpy as np

from anomalygen.atomic import atomic_open, temp_name
from anomalygen.core.formats import LogFormat
from anomalygen.core.statements import LogStatement
from anomalygen.logs.parse import FALLBACK, SOURCE, LogParser, ParsedColumns, ParsedLine
from anomalygen.logs.reader import iter_chunks

EXTRA_COLUMNS = ["EventId", "EventTemplate", "ParameterList", "Match", "Candidates", "File", "FileLine"]


_ESCAPED = re.compile(r'["\\\x00-\x1f]')
_NEEDS_QUOTES = re.compile('[,"\r\n]')  # what makes csv.writer (excel dialect) quote a field
_PARAM_SEP = '"", ""'  # between plain parameters: `", "` of the JSON list, its quotes doubled by the CSV
BATCH = 4096  # rows per write: one write per row costs more than the row


def params_json(params) -> str:
    """`json.dumps(list(params), ensure_ascii=False)`, without the encoder for the usual plain values."""
    if not params:
        return "[]"
    try:
        plain = _ESCAPED.search("".join(params)) is None
    except TypeError:  # a value that is not a string
        plain = False
    return '["' + '", "'.join(params) + '"]' if plain else json.dumps(list(params), ensure_ascii=False)


def csv_field(value: str) -> str:
    """A field of a row of several fields as csv.writer writes it (QUOTE_MINIMAL, doubled quotes)."""
    return '"' + value.replace('"', '""') + '"' if _NEEDS_QUOTES.search(value) else value


class CsvRows:
    """Rows of the structured CSV, byte for byte what `csv.writer` writes for them, from pieces computed once per
    event (id, template, candidates, file) so that a usual row costs one check and one join instead of quoting
    14 fields. Also counts the rows of each event and keeps each event's first template (`counts`, `first`).

    The usual row: no header field holds a comma, quote, backslash or unprintable character. Then no field
    needs quotes and the parameters (pieces of the message, a header field) need no JSON escapes either."""

    def __init__(self, fmt: LogFormat):
        self.commas = len(fmt.fields) - 1
        # event id -> (template, candidates, file, kind, and the pieces "EventId,EventTemplate," and
        # ",Match,Candidates,File," they make)
        self.events: dict[str, tuple] = {}
        self.counts: dict[str, int] = {}  # a plain dict: its item updates are faster than a Counter's
        self.first: dict[str, str] = {}

    def render(
        self, lines: Iterable[ParsedLine], line_id: int = 0, keep_fallback: bool = False, plain: bool = False
    ) -> Iterator[list[str] | ParsedLine]:
        """Batches (lists) of rows in line order, each ending in CRLF; numbered from `line_id`, or with 0 each
        row without its LineId but with the comma after it (`number` adds them). With `keep_fallback`, a fallback
        line is not rendered but handed back as it is, between batches. `plain`: the text the lines come from
        is known to be `plain_text`, so only commas are looked for in each row."""
        events, counts, first = self.events, self.counts, self.first
        commas = self.commas
        out: list[str] = []
        n = line_id
        # unpacked by position: attribute reads would cost more than the rest of the row (ParsedLine's order)
        for ln in lines:
            file, lineno, values, eid, tpl, params, kind, ncand = ln
            if keep_fallback and kind == FALLBACK:
                if out:
                    yield out
                    out = []
                yield ln
                continue
            ev = events.get(eid)
            # Drain3 templates change as lines come
            if ev is None or ev[0] != tpl or ev[1] != ncand or ev[2] != file or ev[3] != kind:
                first.setdefault(eid, tpl)
                counts.setdefault(eid, 0)
                ev = events[eid] = (
                    tpl,
                    ncand,
                    file,
                    kind,
                    f"{csv_field(eid)},{csv_field(tpl)},",
                    f",{csv_field(kind)},{ncand},{csv_field(file)},",
                )
            counts[eid] += 1
            head = ",".join(values)
            # str methods: a regex character class scans this text several times slower
            if head.count(",") == commas and (plain or (head.isprintable() and '"' not in head and "\\" not in head)):
                pj = f'"[""{_PARAM_SEP.join(params)}""]"' if params else "[]"
            else:
                head = ",".join(map(csv_field, values))
                pj = csv_field(params_json(params))
            if line_id:
                out.append(f"{n},{head},{ev[4]}{pj}{ev[5]}{lineno}\r\n")
                n += 1
            else:
                out.append(f",{head},{ev[4]}{pj}{ev[5]}{lineno}\r\n")
            if len(out) >= BATCH:
                yield out
                out = []
        if out:
            yield out

    def render_columns(
        self,
        cols: ParsedColumns,
        ids: list[str],
        templates: list[str],
        keep_fallback: bool = False,
        plain: bool = False,
    ) -> Iterator[list[str] | ParsedLine]:
        """As `render` with `line_id` 0, from a block of columns (`LogParser.parse_columns`); `ids` and `templates`
        are the event id and template of each matcher entry (`Matcher.event_ids`, `Matcher.event_templates`). The
        rows of statements are made by joins over the columns, with no Python-level step per usual row; the
        fallback lines go through `render`."""
        rows: list[str] = []
        start = 0
        for pos, eid, tpl, params in [*cols.fallback, (len(cols.entries), None, "", ())]:
            if pos > start:
                rows += self._rows(cols, start, pos, ids, templates, plain)
            if eid is not None:
                line = ParsedLine(cols.file, cols.linenos[pos], cols.values[pos], eid, tpl, params, FALLBACK, 0)
                if keep_fallback:
                    if rows:
                        yield rows
                        rows = []
                    yield line
                else:
                    rows += next(self.render([line], plain=plain))  # type: ignore[arg-type]  # rows: no keep_fallback
            start = pos + 1
        if rows:
            yield rows

    def _rows(
        self, cols: ParsedColumns, a: int, b: int, ids: list[str], templates: list[str], plain: bool
    ) -> list[str]:
        """Rows a..b-1 of a block, none of them a fallback line."""
        values, ks, ns, params = cols.values[a:b], cols.entries[a:b], cols.candidates[a:b], cols.params[a:b]
        heads = list(map(",".join, values))
        # one look at the block's text, then row by row only when it holds a field to quote or escape
        whole = "".join(heads)
        ok = np.ones(len(heads), dtype=bool)
        if whole.count(",") != self.commas * len(heads):  # a comma inside a field
            ok &= np.array(list(map(str.count, heads, repeat(",")))) == self.commas
        if not plain and not (
            plain_text(whole.encode()) and "\n" not in whole
            if whole.isascii()
            else whole.isprintable() and '"' not in whole and "\\" not in whole
        ):
            ok &= np.array(list(map(str.isprintable, heads)), dtype=bool)
            for ch in '"\\':
                ok &= ~np.array(list(map(str.__contains__, heads, repeat(ch))), dtype=bool)
        counts, first = self.counts, self.first
        kinds = Counter(ks)  # in order of first appearance, as `render` counts them
        for k, c in kinds.items():
            eid = ids[k]
            first.setdefault(eid, templates[k])
            counts[eid] = counts.get(eid, 0) + c
        ev4 = {k: f",{csv_field(ids[k])},{csv_field(templates[k])}," for k in kinds}
        ev5 = {n: f",{SOURCE},{n},{csv_field(cols.file)}," for n in set(ns)}
        full = list(map(bool, params))
        try:
            mids = list(map(_PARAM_SEP.join, params))
        except TypeError:  # a value that is not a string (an optional group that took no part): escaped below
            mids = [""] * len(params)
            ok[:] = False
        rows = list(
            map(
                "".join,
                zip(
                    repeat(","),
                    heads,
                    map(ev4.__getitem__, ks),
                    map(_PJ_OPEN.__getitem__, full),
                    mids,
                    map(_PJ_CLOSE.__getitem__, full),
                    map(ev5.__getitem__, ns),
                    map(str, cols.linenos[a:b]),
                    repeat("\r\n"),
                ),
            )
        )
        for i in np.flatnonzero(~ok).tolist():
            rows[i] = (
                f",{','.join(map(csv_field, values[i]))}{ev4[ks[i]]}{csv_field(params_json(params[i]))}"
                f"{ev5[ns[i]]}{cols.linenos[a + i]}\r\n"
            )
        return rows


_PJ_OPEN = ("[", '"[""')  # around a row's parameters (a JSON list, its quotes doubled): none, some
_PJ_CLOSE = ("]", '""]"')


_PLAIN_BYTES = bytes(b for b in range(0x20, 0x7F) if b not in b'"\\') + b"\n"


def plain_text(data: bytes) -> bool:
    """Whether `data` is lines of printable ASCII without quotes or backslashes: then no field cut from them
    needs csv.writer's quotes (commas apart) or JSON escapes. One pass in C, far cheaper than a check per row."""
    return not data.translate(None, _PLAIN_BYTES)


def number(rows: list[str], first: int) -> str:
    """Rows rendered without their LineId, numbered from `first`, as one text (no Python loop per row)."""
    parts = rows * 2  # ids and rows interleaved by slice assignment: no tuple per row, unlike zip
    parts[::2] = map(str, range(first, first + len(rows)))
    parts[1::2] = rows
    return "".join(parts)


def columns(fmt: LogFormat) -> list[str]:
    return ["LineId", *fmt.fields, *EXTRA_COLUMNS]


def header_row(fmt: LogFormat) -> str:
    """The structured CSV's first row, as `csv.writer` writes it."""
    buf = io.StringIO()
    csv.writer(buf).writerow(columns(fmt))
    return buf.getvalue()


class _Parquet:
    def __init__(self, path: Path, cols: list[str], batch: int = 65536):
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:  # pragma: no cover - depends on the environment
            raise RuntimeError("Parquet output needs pyarrow: pip install 'anomalygen[parquet]'") from None
        self.pa, self.pq = pa, pq
        self.cols = cols
        self.schema = pa.schema(
            [(c, pa.int64() if c in ("LineId", "Candidates", "FileLine") else pa.string()) for c in cols]
        )
        self.path, self.tmp = path, temp_name(path)
        self.writer = pq.ParquetWriter(str(self.tmp), self.schema)
        self.rows: list[list] = []
        self.batch = batch

    def tap(self, lines: Iterable[ParsedLine]) -> Iterator[ParsedLine]:
        """The lines, each also added as a row."""
        for n, ln in enumerate(lines, 1):
            self.rows.append(
                [
                    n,
                    *ln.fields,
                    ln.event_id,
                    ln.template,
                    params_json(ln.params),
                    ln.kind,
                    ln.candidates,
                    ln.file,
                    ln.lineno,
                ]
            )
            if len(self.rows) >= self.batch:
                self.flush()
            yield ln

    def flush(self) -> None:
        if self.rows:
            data = list(zip(*self.rows, strict=True))
            self.writer.write_table(self.pa.table([list(c) for c in data], schema=self.schema))
            self.rows = []

    def close(self) -> None:
        self.flush()
        self.writer.close()
        os.replace(self.tmp, self.path)


def write_structured(parser: LogParser, paths: Sequence[str | Path], out_dir: Path, parquet: bool = False) -> dict:
    """Stream `paths` parsed by `parser` to OUT/structured.csv (and .parquet); returns per-event counts and file
    paths. Without Parquet, a block of columns at a time (`LogParser.parse_columns`)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    fmt = parser.fmt
    cols = columns(fmt)
    csv_path = out_dir / "structured.csv"
    pq = _Parquet(out_dir / "structured.parquet", cols) if parquet else None
    rows = CsvRows(fmt)
    with atomic_open(csv_path, "w", newline="") as fh:
        fh.write(header_row(fmt))
        if pq is not None:
            for batch in rows.render(pq.tap(parser.parse(paths)), line_id=1):
                fh.write("".join(batch))  # type: ignore[arg-type]  # rows only: no keep_fallback
        else:
            n = 1
            m = parser.matcher
            for block in parser.parse_columns(iter_chunks(paths, parser.summary.read)):
                for batch in rows.render_columns(block, m.event_ids, m.event_templates):
                    fh.write(number(batch, n))  # type: ignore[arg-type]  # rows only: no keep_fallback
                    n += len(batch)
    if pq is not None:
        pq.close()
    files = {"structured": str(csv_path)}
    if pq is not None:
        files["parquet"] = str(out_dir / "structured.parquet")
    return {"counts": rows.counts, "templates": rows.first, "files": files}


def write_templates(
    path: Path,
    counts: Counter,
    templates: dict[str, str],
    statements: Iterable[LogStatement],
    drain_final: dict[str, str],
) -> None:
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
