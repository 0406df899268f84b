"""`anomalygen parse`: raw log lines -> (source statement, parameters), with a Drain3 fallback.

`LogParser.parse(paths)` streams `ParsedLine` tuples. A line that some statement regex matches gets that
statement's id as its event id; a line no statement matches (a third-party library, another code version, a
message the inventory could not fold) gets a Drain3 template, an event id `D<cluster>` and `kind == "fallback"`.
Drain3 sees only those lines, in file order, so the output is deterministic.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple

from anomalygen.core.formats import LogFormat
from anomalygen.core.statements import LogStatement
from anomalygen.logs.matcher import Matcher, digit_keys, positions
from anomalygen.logs.reader import ReadStats, Rejector, iter_chunks

SOURCE = "source"
FALLBACK = "fallback"


class EventColumns(NamedTuple):
    """A chunk's parsed lines (all of one file) as columns: what `LogParser.event_columns` yields."""

    file: str
    linenos: Sequence[int]
    values: list[tuple[str, ...]]  # header fields in format order
    messages: list[str]  # the Content field of each
    events: list[str]  # statement id; "" for a line no statement matches (no fallback), or a Drain3 id
    digit_keys: list[bytes]  # each message's `matcher.digit_key`

    @classmethod
    def of(cls, lines: Iterable[ParsedLine], ci: int) -> Iterator[EventColumns]:
        """Parsed lines as columns, a block per run of lines from one file."""
        for name, run in groupby(lines, itemgetter(0)):
            rows = list(run)
            values = [ln[2] for ln in rows]
            messages = [v[ci] for v in values]
            yield cls(name, [ln[1] for ln in rows], values, messages, [ln[3] for ln in rows], digit_keys(messages))


class ParsedColumns(NamedTuple):
    """A chunk's parsed lines (all of one file) as columns: what `LogParser.parse_columns` yields."""

    file: str
    linenos: Sequence[int]
    values: list[tuple[str, ...]]  # header fields in format order
    entries: list[int]  # the matcher's entry number of each line; -1: no statement matched
    candidates: list[int]
    params: list[tuple]
    fallback: list[tuple[int, str, str, tuple]]  # (position, Drain3 event id, template, parameters), in order


class ParsedLine(NamedTuple):
    file: str
    lineno: int
    fields: tuple[str, ...]  # header fields in format order (Content included)
    event_id: str  # statement id, or D<n> for a Drain3 fallback template
    template: str
    params: tuple[str, ...]
    kind: str  # "source" | "fallback"
    candidates: int  # statements whose regex matched (0 for fallback lines)


OVERFLOW = "D0"  # the event of fallback lines that arrive once `max_clusters` is reached (Drain3 ids start at 1)


class DrainFallback:
    """Drain3 templates for the lines no statement explains (default Drain3 settings, no persistence).

    Bounded so that messages that never cluster stream in linear time (Drain3 compares a line with every cluster
    in its tree leaf, and each unclusterable line adds one: quadratic). A line is compared with the `leaf_budget`
    most recent clusters of its leaf only, and once `max_clusters` exist a line that matches none of them becomes
    event `D0`, template `<*>`. Both are counted (`bounds()`) and reported; ordinary logs stay far below them.
    """

    def __init__(self, sim_th: float = 0.4, depth: int = 4, max_clusters: int = 2000, leaf_budget: int = 100):
        from drain3 import TemplateMiner
        from drain3.template_miner_config import TemplateMinerConfig

        logging.getLogger("drain3").setLevel(logging.WARNING)
        cfg = TemplateMinerConfig()
        cfg.profiling_enabled = False
        cfg.drain_sim_th = sim_th
        cfg.drain_depth = depth
        self.miner = TemplateMiner(config=cfg)
        self.counts: Counter = Counter()
        self.max_clusters = max_clusters
        self.leaf_budget = leaf_budget
        self.budget_hits = 0
        self.overflow = 0
        drain = self.miner.drain
        full_match = drain.fast_match

        def bounded_match(cluster_ids, tokens, sim_th, include_params):
            if len(cluster_ids) > leaf_budget:
                self.budget_hits += 1
                cluster_ids = cluster_ids[-leaf_budget:]
            return full_match(cluster_ids, tokens, sim_th, include_params)

        drain.fast_match = bounded_match

    def add(self, message: str) -> tuple[str, str, tuple[str, ...]]:
        drain = self.miner.drain
        if drain.clusters_counter >= self.max_clusters and self.miner.match(message) is None:
            self.overflow += 1
            self.counts[0] += 1
            return OVERFLOW, "<*>", (message,)
        res = self.miner.add_log_message(message)
        cid = res["cluster_id"]
        tpl = res["template_mined"]
        self.counts[cid] += 1
        toks = message.split()
        ttoks = tpl.split()
        params = tuple(t for t, tt in zip(toks, ttoks, strict=True) if tt == "<*>") if len(toks) == len(ttoks) else ()
        return f"D{cid}", tpl, params

    def templates(self) -> dict[str, str]:
        """The final template of every cluster (Drain3 generalises templates as lines come)."""
        out = {f"D{c.cluster_id}": c.get_template() for c in self.miner.drain.clusters}
        if self.overflow:
            out[OVERFLOW] = "<*>"
        return out

    def bounds(self) -> dict:
        """How often the bounds acted: lines compared with only part of their leaf, lines past the cluster cap."""
        return {
            "max_clusters": self.max_clusters,
            "leaf_budget": self.leaf_budget,
            "lines_over_leaf_budget": self.budget_hits,
            "clusters": self.miner.drain.clusters_counter,
            "lines_over_cluster_cap": self.overflow,
        }


@dataclass
class ParseSummary:
    read: ReadStats
    matched: int = 0
    fallback: int = 0
    statement_counts: Counter = field(default_factory=Counter)  # statement id -> lines

    def to_dict(self, matcher: Matcher) -> dict:
        parsed = self.read.parsed
        ms = matcher.stats
        return {
            "read": self.read.to_dict(),
            "matched": self.matched,
            "fallback": self.fallback,
            "matched_share": round(self.matched / parsed, 6) if parsed else 0.0,
            "ambiguous": ms.ambiguous,
            "ambiguous_different_templates": ms.ambiguous_templates,
            "decided_by_location": ms.decided_by_location,
            "statements": len(matcher.statements),
            "statements_excluded_opaque": len(matcher.excluded),
            "statements_invalid_regex": len(matcher.invalid),
            "statements_seen": len(self.statement_counts),
        }


class LogParser:
    def __init__(self, statements: Sequence[LogStatement], fmt: LogFormat, fallback: bool = True):
        self.fmt = fmt
        self.matcher = Matcher(
            statements, use_location=fmt.line_index >= 0, header=(fmt.level_index, fmt.component_index, fmt.line_index)
        )
        self.drain = DrainFallback() if fallback else None
        self.summary = ParseSummary(ReadStats())

    def parse(self, paths: Iterable[str | Path], **read_kw) -> Iterator[ParsedLine]:
        """Parsed lines in file order; rejected lines are only counted (`self.summary.read`)."""
        return self.parse_chunks(iter_chunks(paths, self.summary.read, **read_kw))

    def parse_chunks(self, chunks: Iterable[tuple[str, int, list]]) -> Iterator[ParsedLine]:
        """As `parse`, over `(file name, first line number, lines)` blocks from any line source (a followed
        file, stdin) that counts `lines_read` in `self.summary.read` as `iter_chunks` does."""
        ci = self.fmt.content_index
        matcher = self.matcher
        decide = matcher.fast_decide
        entries = matcher.entries
        ids, tpls = matcher.event_ids, matcher.event_templates
        new = tuple.__new__  # ParsedLine(...) through its Python-level __new__ costs twice as much
        drain = self.drain
        summary = self.summary
        stats = summary.read
        counts = [0] * len(entries)
        parsed = fallback = 0
        try:
            for name, linenos, values in self._headers(chunks):
                for lineno, vals in zip(linenos, values, strict=True):
                    parsed += 1
                    msg = vals[ci]
                    k, n, params = decide(msg, vals)
                    if n:
                        counts[k] += 1
                        yield new(ParsedLine, (name, lineno, vals, ids[k], tpls[k], params, SOURCE, n))
                    elif drain is not None:
                        fallback += 1
                        eid, tpl, params = drain.add(msg)
                        yield new(ParsedLine, (name, lineno, vals, eid, tpl, params, FALLBACK, 0))
                    else:
                        fallback += 1
                        yield new(ParsedLine, (name, lineno, vals, "", "", (), FALLBACK, 0))
        finally:
            stats.parsed += parsed
            summary.matched += parsed - fallback
            summary.fallback += fallback
            for k, c in enumerate(counts):
                if c:
                    summary.statement_counts[ids[k]] += c

    def event_columns(self, chunks: Iterable[tuple[str, int, list]]) -> Iterator[EventColumns]:
        """As `parse_chunks`, a block of each chunk's lines at a time as columns, without templates or parameters:
        for a caller that needs only each line's event (detect). No Python-level step per usual line."""
        ids = self.matcher.event_ids + [""]  # entry -1: no statement matched
        for name, linenos, values, messages, keys, ks, _, _, drained in self._decided(chunks, False):
            events = list(map(ids.__getitem__, ks))
            for i, eid, _, _ in drained:
                events[i] = eid
            yield EventColumns(name, linenos, values, messages, events, keys)

    def parse_columns(self, chunks: Iterable[tuple[str, int, list]]) -> Iterator[ParsedColumns]:
        """What `parse_chunks` yields, a block of columns per chunk, with no Python-level step per usual line:
        for writers that take a block at a time (the structured CSV)."""
        for name, linenos, values, _, _, ks, ns, params, drained in self._decided(chunks, True):
            yield ParsedColumns(name, linenos, values, ks, ns, params, drained)

    def _decided(self, chunks: Iterable[tuple[str, int, list]], with_params: bool) -> Iterator[tuple]:
        """Each chunk's (file, line numbers, header fields, messages, digit keys, entry numbers, numbers of
        candidates and parameters (with `with_params`), and (position, event id, template, parameters) of each
        line no statement matched, in order: the Drain3 fallback's, or empty ones without it), counted in the
        summary."""
        ci = self.fmt.content_index
        matcher = self.matcher
        ids = matcher.event_ids
        drain = self.drain
        summary = self.summary
        counts = summary.statement_counts
        for name, linenos, values in self._headers(chunks):
            messages = list(map(itemgetter(ci), values))
            keys = digit_keys(messages)
            if with_params:
                ks, ns, params = matcher.fast_decisions(messages, values, keys)
            else:
                ks, ns, params = matcher.fast_entries(messages, values, keys), [], []
            tally = Counter(ks)
            missed = tally.pop(-1, 0)
            for k, c in tally.items():
                counts[ids[k]] += c
            drained = (
                [(i, *drain.add(messages[i])) if drain is not None else (i, "", "", ()) for i in positions(ks, -1)]
                if missed
                else []
            )
            summary.read.parsed += len(values)
            summary.matched += len(values) - missed
            summary.fallback += missed
            yield name, linenos, values, messages, keys, ks, ns, params, drained

    def _decoded(self, chunks: Iterable[tuple[str, int, list]]) -> Iterator[tuple[str, Sequence[int], list]]:
        """`_headers` for JSON lines: each line decoded (`LogFormat.split`), the others counted as rejected."""
        split = self.fmt.split
        rej = Rejector(self.summary.read, self.fmt.mismatch_kind)
        for name, first, lines in chunks:
            values = [split(line) if line is not None else None for line in lines]
            if None not in values:
                yield name, range(first, first + len(values)), values
                continue
            for i in positions(values, None):
                rej.reject(lines[i], f"{name}:{first + i}")
            keep = [i for i, v in enumerate(values) if v is not None]
            yield name, [first + i for i in keep], [values[i] for i in keep]

    def _headers(self, chunks: Iterable[tuple[str, int, list]]) -> Iterator[tuple[str, Sequence[int], list]]:
        """(file name, line numbers, header fields) of each chunk's lines that fit the format; the others are
        counted as rejected, in order. The format's regex runs over a chunk's lines in C (`map`); only lines it
        does not fit take a Python-level step (and make its chunk's lines be matched once more)."""
        if self.fmt.json is not None:
            yield from self._decoded(chunks)
            return
        first_try, reference = self.fmt.line_matchers()
        retry = first_try is not reference
        rej = Rejector(self.summary.read)
        groups = re.Match.groups
        current = None
        for name, first, lines in chunks:
            if name != current:
                current, rej.prev_parsed = name, False
            if None not in lines:  # (None: a line rejected while decoding)
                # no list of match objects: thousands of them alive at once cost more in the garbage collector's
                # passes than the loop saves, while tuples of strings drop out of its sight after one pass
                values = list(map(groups, filter(None, map(first_try, lines))))
                if len(values) == len(lines):
                    if values:
                        rej.prev_parsed = True
                    yield name, range(first, first + len(values)), values
                    continue
            # some line does not fit: find which, in order (rare enough to match the chunk again)
            ms = [first_try(line) if line is not None else None for line in lines]
            prev, after = rej.prev_parsed, -1  # whether the line before was parsed; the last line looked at
            for i in positions(ms, None):
                if i > after + 1:
                    prev = True  # a line that fits lies between
                line = lines[i]
                m = reference(line) if retry and line is not None else None
                if m is not None:
                    ms[i], prev = m, True
                else:
                    rej.prev_parsed = prev
                    rej.reject(line, f"{name}:{first + i}")
                    prev = rej.prev_parsed
                after = i
            rej.prev_parsed = True if after < len(ms) - 1 else prev
            keep = [i for i, m in enumerate(ms) if m is not None]
            yield name, [first + i for i in keep], [ms[i].groups() for i in keep]  # type: ignore[union-attr]  # kept: matched
