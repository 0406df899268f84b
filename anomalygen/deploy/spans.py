"""`detect --jobs N` on plain files: worker processes parse spans of the logs, the main process forms the
sessions and scores them.

Parsing and finding the keys are about half of what `detect` does per line, and no line's parse depends on another
span's (`detect` has no Drain3 fallback, and a span starts at a line that fits the header:
`anomalygen.logs.chunked.plan`). The main process takes the spans' lines in log order, so the sessions, their
scores and the alarms are those of one process: sessions close by line counts alone, never by where a block of
lines ends. The workers also find each line's session keys (`KeyRule`), so what crosses between the processes is
only what a session keeps of a line: its keys, event, line number and message, as `KeyedLines` columns:
unpickling a list of records (a tuple and a list of keys per line) costs the main process several times more,
mostly in the garbage collector.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from anomalygen.core.formats import LogFormat
from anomalygen.core.session_spec import SessionSpec
from anomalygen.core.statements import LogStatement
from anomalygen.deploy.keyed import KeyedLines, KeyRule
from anomalygen.deploy.stream import STDIN
from anomalygen.logs.chunked import merge_stats, plan, total_bytes
from anomalygen.logs.matcher import MatchStats
from anomalygen.logs.parse import LogParser, ParseSummary
from anomalygen.logs.reader import ReadStats, Span, iter_chunks
from anomalygen.parallel import Shared, imap_ordered

SPAN_BYTES = 1 << 20  # a worker's task: about 7,000 HDFS lines
# below this many spans, starting the workers costs more than they save (HDFS_20000.log, 2.7 MiB: detect --jobs 2
# ran at 0.41 of parse's speed, one process at 0.54; BENCHMARKS.md, "Detect")
MIN_SPANS = 8


@dataclass
class SpanLines:
    blocks: list[KeyedLines]
    read: ReadStats
    matched: int
    fallback: int
    statement_counts: Counter
    match: MatchStats = field(default_factory=MatchStats)


def span_worker(statements: list[LogStatement], fmt_spec: str, spec: SessionSpec) -> tuple[LogParser, KeyRule]:
    fmt = LogFormat.parse(fmt_spec)
    return LogParser(statements, fmt, fallback=False), KeyRule(spec, fmt)


def parse_span(worker: tuple[LogParser, KeyRule], part: str | Span) -> SpanLines:
    parser, rule = worker
    parser.summary = ParseSummary(ReadStats())
    parser.matcher.reset_stats()
    blocks = [rule.block(cols) for cols in parser.event_columns(iter_chunks([part], parser.summary.read))]
    s = parser.summary
    return SpanLines(blocks, s.read, s.matched, s.fallback, s.statement_counts, parser.matcher.stats)


def worth_splitting(paths: Sequence[str | Path], jobs: int) -> bool:
    """More than one worker and at least `MIN_SPANS` spans' worth of plain files. Not for stdin, nor for a
    `.gz` file: it cannot be cut, and one worker's records of a whole big file would not be bounded in memory."""
    names = [str(p) for p in paths]
    if jobs <= 1 or STDIN in names or any(n.endswith(".gz") for n in names):
        return False
    return total_bytes(paths) >= MIN_SPANS * SPAN_BYTES


def keyed_spans(
    parser: LogParser, statements: Sequence[LogStatement], rule: KeyRule, paths: Sequence[str | Path], jobs: int
) -> Iterator[KeyedLines]:
    """The keyed lines of `paths` in order, a span at a time, parsed by `jobs` processes; each span's
    counts (lines read, rejected, matched) are added to `parser.summary` as it arrives, as if `parser` had read
    it. Forked workers start from `parser` and `rule` themselves (each resets its own copy's counts), so the
    spans must never be parsed in this process: `jobs` is at least 2."""
    if jobs < 2:
        raise ValueError(f"keyed_spans needs at least 2 worker processes, not {jobs}")
    shared = Shared(span_worker, (list(statements), parser.fmt.spec, rule.spec)).prime((parser, rule))
    try:
        for res in imap_ordered(parse_span, plan(paths, parser.fmt, SPAN_BYTES), jobs, "process", shared):
            merge_stats(parser, res)
            yield from res.blocks
    finally:
        shared.release()
