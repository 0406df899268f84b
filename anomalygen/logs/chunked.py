"""`anomalygen parse --jobs N`: big plain files cut into spans at line starts, spans parsed by worker processes
(or Ray tasks), results written in input order: the same structured CSV, templates and summary as one process.

A span starts at a line that fits the header format, so no line's outcome depends on the line before it in
another span (a stack-trace continuation is only recognised after a parsed line). Workers match lines to
statements and write their CSV rows; lines no statement explains go back to the main process, where Drain3 sees
them in file order exactly as in a sequential run. Rows are numbered (`LineId`) as they are written, and at most
two spans per worker are in flight, so memory stays bounded however large the log.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from anomalygen.atomic import atomic_open
from anomalygen.logs.formats import LogFormat
from anomalygen.logs.matcher import MatchStats
from anomalygen.logs.output import CsvRows, columns, number
from anomalygen.logs.parse import FALLBACK, LogParser, ParsedLine, ParseSummary
from anomalygen.logs.reader import MAX_EXAMPLES, ReadStats, Span
from anomalygen.parallel import Shared, imap_ordered
from anomalygen.source.model import LogStatement

SPAN_BYTES = 1 << 20
_PROBE_BYTES = 1 << 20  # how far past a cut point to look for a line that fits the header


def plan(paths: Sequence[str | Path], fmt: LogFormat, span_bytes: int = SPAN_BYTES) -> list[str | Span]:
    """Tasks in input order: whole files (small, compressed, unreadable) and spans of big plain files."""
    out: list[str | Span] = []
    for p in paths:
        path = Path(p)
        try:
            size = path.stat().st_size if path.suffix != ".gz" else 0
        except OSError:
            size = 0
        if size <= span_bytes:
            out.append(str(p))
            continue
        cuts = [0]
        with open(path, "rb") as fh:
            for target in range(span_bytes, size, span_bytes):
                cut = _cut_near(fh, max(target, cuts[-1] + 1), fmt)
                if cut is not None and cut < size and cut > cuts[-1]:
                    cuts.append(cut)
            cuts.append(size)
            lineno = 1
            for a, b in zip(cuts, cuts[1:]):
                out.append(Span(str(p), a, b, lineno))
                lineno += _newlines(fh, a, b)
    return out


def _cut_near(fh, offset: int, fmt: LogFormat) -> int | None:
    """The start of the first line after `offset` that fits the header format (None: none close by)."""
    fh.seek(offset - 1)
    data = fh.read(_PROBE_BYTES)
    nl = data.find(b"\n")
    while 0 <= nl < len(data) - 1:
        end = data.find(b"\n", nl + 1)
        if end < 0:
            return None
        line = data[nl + 1:end].decode("utf-8", "replace")
        if fmt.split(line[:-1] if line.endswith("\r") else line) is not None:
            return offset - 1 + nl + 1
        nl = end
    return None


def _newlines(fh, a: int, b: int) -> int:
    fh.seek(a)
    n, left = 0, b - a
    while left > 0:
        block = fh.read(min(left, 16 << 20))
        if not block:
            break
        n += block.count(b"\n")
        left -= len(block)
    return n


@dataclass
class PartResult:
    segments: list  # lists of CSV rows without their LineId (`output.number`) and fallback lines, in line order
    counts: Counter
    templates: dict[str, str]
    read: ReadStats
    matched: int
    fallback: int
    statement_counts: Counter
    match: MatchStats = field(default_factory=MatchStats)


def part_parser(statements: list[LogStatement], fmt_spec: str) -> LogParser:
    return LogParser(statements, LogFormat.parse(fmt_spec), fallback=False)


def parse_part(parser: LogParser, part: str | Span) -> PartResult:
    parser.summary = ParseSummary(ReadStats())
    parser.matcher.reset_stats()
    rows = CsvRows(parser.fmt)
    segments = [seg if isinstance(seg, list) else (seg.file, seg.lineno, seg.fields)
                for seg in rows.render(parser.parse([part]), keep_fallback=True)]
    s = parser.summary
    return PartResult(segments, rows.counts, rows.first, s.read, s.matched, s.fallback, s.statement_counts,
                      parser.matcher.stats)


def write_structured_parallel(parser: LogParser, statements: list[LogStatement], paths: Sequence[str | Path],
                              out_dir: Path, jobs: int, executor: str = "process",
                              address: str | None = None, span_bytes: int = SPAN_BYTES) -> dict:
    """What `output.write_structured(parser.parse(paths), ...)` writes and returns, from parallel workers;
    `parser` (its Drain3 fallback and its summary) is the main process's and ends up as after a sequential run."""
    fmt = parser.fmt
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path = out_dir / "structured.csv"
    rows = CsvRows(fmt)  # renders the fallback lines; counts every event
    shared = Shared(part_parser, (list(statements), fmt.spec))
    shared.prime(part_parser(list(statements), fmt.spec))
    try:
        with atomic_open(csv_path, "w", newline="") as fh:
            csv.writer(fh).writerow(columns(fmt))
            n = 0
            for res in imap_ordered(parse_part, plan(paths, fmt, span_bytes), jobs, executor, shared, address):
                n = _write_part(res, fh, n, parser, rows)
                merge_stats(parser, res)
    finally:
        shared.release()
    return {"counts": rows.counts, "templates": rows.first, "files": {"structured": str(csv_path)}}


def _write_part(res: PartResult, fh, n: int, parser: LogParser, rows: CsvRows) -> int:
    ci = parser.fmt.content_index
    drain = parser.drain
    for seg in res.segments:
        if isinstance(seg, list):
            fh.write(number(seg, n + 1))
            n += len(seg)
            continue
        file, lineno, values = seg
        eid, tpl, params = drain.add(values[ci]) if drain is not None else ("", "", ())
        n += 1
        for batch in rows.render([ParsedLine(file, lineno, values, eid, tpl, params, FALLBACK, 0)], n):
            fh.write("".join(batch))
    for eid, c in res.counts.items():  # the workers' events are statements, never Drain3's
        rows.counts[eid] = rows.counts.get(eid, 0) + c
        rows.first.setdefault(eid, res.templates[eid])
    return n


def merge_stats(parser: LogParser, res) -> None:
    """Add a part's counts (`PartResult`, or any result with its `read`, `matched`, `fallback`,
    `statement_counts` and `match`) to `parser`'s summary and matcher statistics."""
    s, r = parser.summary, res.read
    s.read.lines_read += r.lines_read
    s.read.parsed += r.parsed
    s.read.files += r.files
    s.read.rejected.update(r.rejected)
    s.read.warnings.update(r.warnings)
    for kind, ex in r.examples.items():
        mine = s.read.examples.setdefault(kind, [])
        mine.extend(ex[: MAX_EXAMPLES - len(mine)])
    s.matched += res.matched
    s.fallback += res.fallback
    s.statement_counts.update(res.statement_counts)
    parser.matcher.add_stats(res.match)


def parse_parallel_ok(paths: Sequence[str | Path], jobs: int, parquet: bool) -> bool:
    """Worth splitting: more than one worker, CSV output only, and more than one span's worth of input."""
    if jobs <= 1 or parquet:
        return False
    return sum(_size(p) for p in paths) > SPAN_BYTES


def _size(p: str | Path) -> int:
    try:
        return Path(p).stat().st_size
    except OSError:
        return 0

