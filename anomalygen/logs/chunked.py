"""`anomalygen parse --jobs N`: big plain files cut into spans at line starts, spans parsed by worker processes
(or Ray tasks), results written in input order: the same structured CSV, templates and summary as one process.

A span starts at a line that fits the header format, so no line's outcome depends on the line before it in
another span (a stack-trace continuation is only recognised after a parsed line). Workers match lines to
statements, render their CSV rows, take their block of LineIds in plan order (`line_ids.LineIds`) and write the
numbered rows to a part file in the output folder, which the main process appends to the output in the kernel
(`copy_file_range`): no row passes through the main process. Lines no statement explains go back to the main
process, where Drain3 sees them in file order exactly as in a sequential run. At most two spans per worker are in
flight, so memory and part files stay bounded however large the log. Ray tasks share neither memory nor disk:
their rows come back unnumbered and the main process numbers and writes them.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import NamedTuple

from anomalygen.atomic import atomic_open, temp_name
from anomalygen.core.formats import LogFormat
from anomalygen.core.statements import LogStatement
from anomalygen.logs.line_ids import LineIds
from anomalygen.logs.matcher import MatchStats
from anomalygen.logs.output import CsvRows, header_row, number, plain_text
from anomalygen.logs.parse import FALLBACK, LogParser, ParsedLine, ParseSummary
from anomalygen.logs.reader import MAX_EXAMPLES, ReadStats, Span, iter_chunks
from anomalygen.parallel import Shared, imap_ordered

SPAN_BYTES = 1 << 20
_PROBE_BYTES = 1 << 20  # how far past a cut point to look for a line that fits the header
_FIRST_PROBE = 1 << 16


def plan(
    paths: Sequence[str | Path], fmt: LogFormat, span_bytes: int = SPAN_BYTES, count_lines: bool = True
) -> Iterator[str | Span]:
    """Tasks in input order: whole files (small, compressed, unreadable) and spans of big plain files; made as
    they are taken, so that cutting a big file runs alongside the workers. Without `count_lines`, a span after a
    file's first has `first_line` 0: its workers count the lines before it (`parse_part`), in parallel."""
    for p in paths:
        path = Path(p)
        try:
            size = path.stat().st_size if path.suffix != ".gz" else 0
        except OSError:
            size = 0
        if size <= span_bytes:
            yield str(p)
            continue
        with open(path, "rb") as fh:
            start, lineno = 0, 1
            for target in range(span_bytes, size, span_bytes):
                cut = _cut_near(fh, max(target, start + 1), fmt)
                if cut is not None and start < cut < size:
                    yield Span(str(p), start, cut, lineno if count_lines or start == 0 else 0)
                    if count_lines:
                        lineno += _newlines(fh, start, cut)
                    start = cut
            yield Span(str(p), start, size, lineno if count_lines or start == 0 else 0)


def _cut_near(fh, offset: int, fmt: LogFormat) -> int | None:
    """The start of the first line after `offset` that fits the header format (None: none close by)."""
    for probe in (_FIRST_PROBE, _PROBE_BYTES):  # the line is almost always near: read more only when it is not
        fh.seek(offset - 1)
        data = fh.read(probe)
        nl = data.find(b"\n")
        while 0 <= nl < len(data) - 1:
            end = data.find(b"\n", nl + 1)
            if end < 0:
                break
            line = data[nl + 1 : end].decode("utf-8", "replace")
            if fmt.split(line[:-1] if line.endswith("\r") else line) is not None:
                return offset - 1 + nl + 1
            nl = end
        if len(data) < probe:
            return None
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


class Rows(NamedTuple):
    """Numbered CSV rows (UTF-8) that a worker wrote into its part file."""

    start: int  # byte offset in the part file
    size: int
    count: int  # type: ignore[assignment]  # shadows tuple.count(), which nothing here calls


class Unexplained(NamedTuple):
    """A line no statement explains: the main process gives it its Drain3 template, in file order."""

    file: str
    lineno: int
    values: tuple[str, ...]


@dataclass
class PartResult:
    # in line order: `Rows` in `part_file`, `Unexplained` lines, and (with no `LineIds`: Ray) lists of rows
    # without their LineId
    segments: list
    part_file: str | None
    counts: dict[str, int]
    templates: dict[str, str]
    read: ReadStats
    matched: int
    fallback: int
    statement_counts: Counter
    match: MatchStats = field(default_factory=MatchStats)


@dataclass
class PartContext:
    parser: LogParser
    # None: tasks that share no memory (Ray); the main process numbers their rows and counts their files' lines
    ids: LineIds | None  # rows
    lines: LineIds | None  # lines of the files, for the numbers of spans' lines


def part_context(
    statements: list[LogStatement], fmt_spec: str, ids: LineIds | None, lines: LineIds | None
) -> PartContext:
    return PartContext(LogParser(statements, LogFormat.parse(fmt_spec), fallback=False), ids, lines)


def parse_part(ctx: PartContext, task: tuple[int, str | Span, str | None]) -> PartResult:
    """Task number k of the plan: its lines parsed and rendered as CSV rows, then numbered (once tasks 0..k-1
    took their LineIds) and written to its part file, with the lines for Drain3 left in place."""
    k, part, part_file = task
    data = _raw(part)
    if ctx.lines is not None:  # the span's first line number, once the spans before it counted theirs
        new_file = not isinstance(part, Span) or part.start == 0
        first = ctx.lines.take(k, data.count(b"\n") if data is not None else 0, 1 if new_file else None)
        if isinstance(part, Span):
            part = part._replace(first_line=first)
    parser = ctx.parser
    parser.summary = ParseSummary(ReadStats())
    parser.matcher.reset_stats()
    rows = CsvRows(parser.fmt)
    # rows are rendered before they are numbered: strings, unlike parsed lines, cost the garbage collector nothing
    segments: list = []
    plain, m = data is not None and plain_text(data), parser.matcher
    blocks = parser.parse_columns(iter_chunks([part], parser.summary.read))
    for seg in chain.from_iterable(
        rows.render_columns(b, m.event_ids, m.event_templates, keep_fallback=True, plain=plain) for b in blocks
    ):
        if isinstance(seg, list):
            if segments and isinstance(segments[-1], list):
                segments[-1] += seg
            else:
                segments.append(seg)
        else:
            segments.append(Unexplained(seg.file, seg.lineno, seg.fields))
    if ctx.ids is not None and part_file is not None:
        _write_rows(
            segments, ctx.ids.take(k, sum(len(seg) if isinstance(seg, list) else 1 for seg in segments)), part_file
        )
    s = parser.summary
    return PartResult(
        segments,
        part_file,
        rows.counts,
        rows.first,
        s.read,
        s.matched,
        s.fallback,
        s.statement_counts,
        parser.matcher.stats,
    )


def _write_rows(segments: list, n: int, part_file: str) -> None:
    """The lists of rows of `segments` numbered from `n` into `part_file`, each replaced by its `Rows`."""
    at = 0
    with open(part_file, "wb") as fh:
        for i, seg in enumerate(segments):
            if isinstance(seg, list):
                data = number(seg, n).encode()
                fh.write(data)
                segments[i] = Rows(at, len(data), len(seg))
                at += len(data)
                n += len(seg)
            else:
                n += 1


def _raw(part: str | Span) -> bytes | None:
    """The bytes of a span or plain file (None: compressed or unreadable), read before the reader reads them
    again from the page cache: one `count` and one `plain_text` over them are far cheaper than work per line."""
    span = part if isinstance(part, Span) else Span(part, 0, -1, 1)
    if span.path.endswith(".gz"):
        return None
    try:
        with open(span.path, "rb") as fh:
            fh.seek(span.start)
            return fh.read(span.end - span.start if span.end >= 0 else -1)
    except OSError:
        return None


def write_structured_parallel(
    parser: LogParser,
    statements: list[LogStatement],
    paths: Sequence[str | Path],
    out_dir: Path,
    jobs: int,
    executor: str = "process",
    address: str | None = None,
    span_bytes: int = SPAN_BYTES,
) -> dict:
    """What `output.write_structured(parser, paths, ...)` writes and returns, from parallel workers;
    `parser` (its Drain3 fallback and its summary) is the main process's and ends up as after a sequential run."""
    fmt = parser.fmt
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path = out_dir / "structured.csv"
    rows = CsvRows(fmt)  # renders the fallback lines; counts every event
    # process workers share this machine's memory and disk: they number their rows and write them to part files
    ids, lines = (LineIds(), LineIds()) if executor == "process" else (None, None)
    shared = Shared(part_context, (list(statements), fmt.spec, ids, lines))
    shared.prime(part_context(*shared.args))
    part_name = temp_name(out_dir / "structured-{}.csv").name
    tasks = (
        (k, part, str(out_dir / part_name.format(k)) if ids is not None else None)
        for k, part in enumerate(plan(paths, fmt, span_bytes, count_lines=lines is None))
    )
    try:
        with atomic_open(csv_path, "wb") as fh:
            fh.write(header_row(fmt).encode())
            n = 0
            for res in imap_ordered(parse_part, tasks, jobs, executor, shared, address):
                n = _write_part(res, fh, n, parser, rows)
                merge_stats(parser, res)
    finally:
        shared.release()
        for p in out_dir.glob(part_name.format("*")):  # those of tasks in flight when something failed
            p.unlink(missing_ok=True)
    return {"counts": rows.counts, "templates": rows.first, "files": {"structured": str(csv_path)}}


def _write_part(res: PartResult, fh, n: int, parser: LogParser, rows: CsvRows) -> int:
    ci = parser.fmt.content_index
    drain = parser.drain
    with open(res.part_file, "rb") if res.part_file is not None else nullcontext() as src:
        for seg in res.segments:
            if isinstance(seg, Rows):
                fh.flush()
                _copy(src, fh, seg.start, seg.size)
                n += seg.count
            elif isinstance(seg, list):
                fh.write(number(seg, n + 1).encode())
                n += len(seg)
            else:
                eid, tpl, params = drain.add(seg.values[ci]) if drain is not None else ("", "", ())
                n += 1
                line = ParsedLine(seg.file, seg.lineno, seg.values, eid, tpl, params, FALLBACK, 0)
                for batch in rows.render([line], n):
                    fh.write("".join(batch).encode())  # type: ignore[arg-type]  # rows only: no keep_fallback
    if res.part_file is not None:
        os.unlink(res.part_file)
    for eid, c in res.counts.items():  # the workers' events are statements, never Drain3's
        rows.counts[eid] = rows.counts.get(eid, 0) + c
        rows.first.setdefault(eid, res.templates[eid])
    return n


def _copy(src, dst, start: int, size: int) -> None:
    """`size` bytes of `src` from `start` appended to `dst` (flushed), in the kernel where it can."""
    try:
        while size > 0:
            done = os.copy_file_range(src.fileno(), dst.fileno(), size, start)
            if done == 0:
                raise OSError("short copy")
            start += done
            size -= done
    except (AttributeError, OSError):  # no copy_file_range here, or not between these files
        src.seek(start)
        while size > 0:
            block = src.read(min(size, 1 << 20))
            if not block:
                raise OSError(f"{src.name}: ends early") from None
            dst.write(block)
            size -= len(block)


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
    return total_bytes(paths) > SPAN_BYTES


def total_bytes(paths: Sequence[str | Path]) -> int:
    """The size of the files in all (one that cannot be read counts 0: reading it reports it)."""
    return sum(_size(p) for p in paths)


def _size(p: str | Path) -> int:
    try:
        return Path(p).stat().st_size
    except OSError:
        return 0
