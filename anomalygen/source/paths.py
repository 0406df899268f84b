"""Inter-procedural log paths: exact counts by dynamic programming, enumeration, uniform sampling.

A path starts at an entry method and inlines the paths of the callees at each call node, up to a call depth
(calls deeper than that, and calls of a method already on the call stack, stay opaque: they print nothing).
The bounded graph is acyclic, so the number of paths from every node to every exit kind is one backward pass
per (method, context); those counts drive uniform sampling and say how much an enumeration left out.
"""

from __future__ import annotations

import bisect
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from anomalygen.core import levels
from anomalygen.source.analysis import Analysis, AnalysisConfig
from anomalygen.source.covering import Covering
from anomalygen.source.lcfg import CUT, ENTRY, EXC_EXIT, EXIT, EXIT_INDEX, LCFG

KINDS = ("normal", "exception", "cut")
Ctx = tuple[int, frozenset]  # call depth, recursion-relevant methods on the call stack
Counts = tuple[int, int, int]  # paths ending normally, by an exception, cut at a loop bound
_OPAQUE: Counts = (1, 1, 0)  # a call we do not expand: it returns or throws, printing nothing


@dataclass
class PathConfig:
    depth: int = 4
    max_paths: int = 1000
    max_length: int = 200
    sample: int | None = None  # sample this many paths uniformly instead of enumerating
    seed: int = 0
    # after a uniform sample, one more path through each statement the entry can print that the sample missed:
    # a branch holding a few paths beside billions elsewhere (a request switch's rare cases) is never drawn
    # uniformly, yet its statements are what the logs have least often shown
    cover: bool = True
    # the lowest level the logs were recorded at: `isDebugEnabled()`-style guards then have a fixed outcome and
    # the branch they exclude is left out of every count, enumeration and sample (None: both outcomes)
    min_level: str | None = None


@dataclass
class PathRecord:
    entry: str
    events: list[str]
    conditions: list[tuple[str, str, str, bool]]  # (call frame, method key, cond id, polarity), in path order
    exit: str
    caps: list[str]

    def to_dict(self) -> dict[str, Any]:
        conds = [{"frame": f, "method": m, "cond": c, "polarity": p} for f, m, c, p in self.conditions]
        return {"entry": self.entry, "events": self.events, "conditions": conds, "exit": self.exit, "caps": self.caps}


@dataclass
class EntryPaths:
    entry: str
    total: Counts
    paths: list[PathRecord]
    mode: str  # "enumerated" | "sampled"
    caps: Counter = field(default_factory=Counter)
    covering: int = 0  # of `paths`, the last ones drawn through a statement the uniform sample missed

    @property
    def total_paths(self) -> int:
        return sum(self.total)

    @property
    def distinct_sequences(self) -> int:
        return len({tuple(p.events) for p in self.paths})


def _add(a: Counts, b: Counts) -> Counts:
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2])


def _scale(k: int, a: Counts) -> Counts:
    return (k * a[0], k * a[1], k * a[2])


class PathFinder:
    def __init__(self, analysis: Analysis, config: PathConfig | None = None):
        self.a = analysis
        self.cfg = config or PathConfig()
        self._suffix: dict[tuple[str, Ctx], list[Counts]] = {}
        self._tables: dict[tuple[str, Ctx, int], list] = {}
        self._scc = _sccs(analysis)
        self._outs: dict[str, list[list]] = {}
        self._entered: dict[tuple[Ctx, str], tuple[str | None, Ctx]] = {}
        self._near: dict[tuple[str, int], frozenset[str]] = {}
        self._covering: Covering | None = None  # made on the first covering path

    # ---- edges --------------------------------------------------------------------------------
    def out(self, key: str) -> list[list]:
        """Out-edges per node of `key`'s LCFG, without the branches a fixed log level rules out."""
        outs = self._outs.get(key)
        if outs is None:
            g = self.a.lcfg(key)
            fixed = _guard_outcomes(g, self.cfg.min_level)
            outs = (
                g.out
                if not fixed
                else [[e for e in es if not (e.cond in fixed and e.polarity != fixed[e.cond])] for es in g.out]
            )
            self._outs[key] = outs
        return outs

    # ---- counting -----------------------------------------------------------------------------
    def root(self, key: str) -> Ctx:
        return (0, frozenset((key,)))

    def _enter(self, ctx: Ctx, callee: str) -> tuple[str | None, Ctx]:
        """Why a call is not expanded ("depth" / "recursion", else None), and the callee's context.

        A context is the call depth and the methods on the call stack that the callee can call again within the
        depth left (members of its strongly connected component): only those decide where recursion is cut, and
        leaving out the others lets far more contexts share one count table (big components of a large tree
        otherwise made a table for nearly every distinct call stack).
        """
        hit = self._entered.get((ctx, callee))
        if hit is not None:
            return hit
        depth, stack = ctx
        if depth + 1 > self.cfg.depth:
            out: tuple[str | None, Ctx] = ("depth", ctx)
        elif callee in stack:
            out = ("recursion", ctx)
        else:
            near = self._reach(callee, self.cfg.depth - depth - 1)
            out = (None, (depth + 1, frozenset([x for x in stack if x in near] + [callee])))
        self._entered[(ctx, callee)] = out
        return out

    def _reach(self, key: str, calls: int) -> frozenset[str]:
        """The members of `key`'s strongly connected component that `key` can reach in at most `calls` calls."""
        hit = self._near.get((key, calls))
        if hit is not None:
            return hit
        cg, scc = self.a.callgraph, self._scc.get(key)
        seen: set[str] = set()
        frontier = [key] if scc is not None else []
        for _ in range(calls):
            nxt = []
            for m in frontier:
                for c in cg.callees_of.get(m, ()):
                    if c not in seen and self._scc.get(c) == scc:
                        seen.add(c)
                        nxt.append(c)
            frontier = nxt
        out = self._near[(key, calls)] = frozenset(seen)
        return out

    def callee_counts(self, ctx: Ctx, callee: str) -> Counts:
        why, sub = self._enter(ctx, callee)
        if why is not None:
            return _OPAQUE
        return self.suffix(callee, sub)[ENTRY]

    def suffix(self, key: str, ctx: Ctx) -> list[Counts]:
        """For every LCFG node: the number of paths from it to each exit kind, callees inlined."""
        memo = self._suffix.get((key, ctx))
        if memo is not None:
            return memo
        g = self.a.lcfg(key)
        outs = self.out(key)
        n = len(g.nodes)
        s: list[Counts] = [(0, 0, 0)] * n
        s[EXIT], s[EXC_EXIT], s[CUT] = (1, 0, 0), (0, 1, 0), (0, 0, 1)
        for v in range(n - 1, -1, -1):
            if v in EXIT_INDEX:
                continue
            node = g.nodes[v]
            out = outs[v]
            if not out:
                continue
            if node.kind == "call":
                normal: Counts = (0, 0, 0)
                exc: Counts = (0, 0, 0)
                for e in out:
                    if e.exc:
                        exc = _add(exc, s[e.dst])
                    else:
                        normal = _add(normal, s[e.dst])
                total: Counts = (0, 0, 0)
                for callee in node.callees:
                    c = self.callee_counts(ctx, callee)
                    total = _add(total, _add(_add(_scale(c[0], normal), _scale(c[1], exc)), (0, 0, c[2])))
                s[v] = total
            else:
                acc: Counts = (0, 0, 0)
                for e in out:
                    acc = _add(acc, s[e.dst])
                s[v] = acc
        self._suffix[(key, ctx)] = s
        return s

    def count(self, key: str) -> Counts:
        return self.suffix(key, self.root(key))[ENTRY]

    # ---- enumeration --------------------------------------------------------------------------
    def _walk(self, key: str, ctx: Ctx, v: int, frame: str) -> Iterator[tuple[list, list, int, list]]:
        """(events, conditions, exit node, caps) of every path from node v of `key` to an exit."""
        if v in EXIT_INDEX:
            yield [], [], v, []
            return
        g = self.a.lcfg(key)
        node = g.nodes[v]
        if node.kind == "call":
            for callee in node.callees:
                why, sub_ctx = self._enter(ctx, callee)
                sub: Iterator = (
                    iter([([], [], EXIT, [why]), ([], [], EXC_EXIT, [why])])
                    if why
                    else self._walk(callee, sub_ctx, ENTRY, f"{frame}/{v}")
                )
                for ev, cs, ex, caps in sub:
                    if ex == CUT:
                        yield ev, cs, CUT, caps
                        continue
                    for e in self.out(key)[v]:
                        if e.exc != (ex == EXC_EXIT):
                            continue
                        for ev2, cs2, ex2, caps2 in self._walk(key, ctx, e.dst, frame):
                            yield ev + ev2, cs + cs2, ex2, caps + caps2
            return
        head = [node.stmt] if node.kind == "log" and node.stmt else []
        for e in self.out(key)[v]:
            cond = [(frame, key, e.cond, e.polarity)] if e.cond else []
            for ev, cs, ex, caps in self._walk(key, ctx, e.dst, frame):
                yield head + ev, cond + cs, ex, caps

    def _record(self, entry: str, events: list, conds: list, ex: int, caps: list) -> PathRecord:
        caps = list(dict.fromkeys(caps))
        if ex == CUT:
            caps.append("loop_bound")
        if len(events) > self.cfg.max_length:
            events = events[: self.cfg.max_length]
            caps.append("max_length")
        return PathRecord(entry, events, conds, KINDS[EXIT_INDEX[ex]], caps)

    # ---- sampling -----------------------------------------------------------------------------
    def _table(self, key: str, ctx: Ctx, target: int) -> list[tuple | None]:
        """Per node, what sampling needs there: (log statement or None, cumulative path counts of its choices or
        None when there is one, the choices, the bit length of the count total), each choice leading to exit
        kind `target`. A choice is (next node, cond id or None, polarity) for an edge; at a call node it is
        (next node or None for a cut in the callee, cond id, polarity, callee, callee exit kind, why the call
        is not expanded or None, callee context), everything a draw needs found once per table."""
        memo = self._tables.get((key, ctx, target))
        if memo is not None:
            return memo
        g = self.a.lcfg(key)
        s = self.suffix(key, ctx)
        outs = self.out(key)
        table: list[tuple | None] = [None] * len(g.nodes)
        for v, node in enumerate(g.nodes):
            if v in EXIT_INDEX or not outs[v] or not s[v][target]:
                continue
            weighted: list[tuple[int, tuple]] = []
            if node.kind == "call":
                for callee in node.callees:
                    c = self.callee_counts(ctx, callee)
                    why, sub = self._enter(ctx, callee)
                    for e in outs[v]:
                        k = 1 if e.exc else 0
                        weighted.append((c[k] * s[e.dst][target], (e.dst, e.cond, e.polarity, callee, k, why, sub)))
                    if target == 2 and c[2]:
                        weighted.append((c[2], (None, None, None, callee, 2, why, sub)))
            else:
                weighted = [(s[e.dst][target], (e.dst, e.cond, e.polarity)) for e in outs[v]]
            weighted = [w for w in weighted if w[0]]
            stmt = node.stmt if node.kind == "log" else None
            if len(weighted) == 1:
                table[v] = (stmt, None, [weighted[0][1]], 0)
            else:
                cum, acc = [], 0
                for w, _ in weighted:
                    acc += w
                    cum.append(acc)
                table[v] = (stmt, cum, [c for _, c in weighted], acc.bit_length())
        self._tables[(key, ctx, target)] = table
        return table

    def _sample_into(
        self,
        key: str,
        ctx: Ctx,
        target: int,
        frame: str,
        rng: random.Random,
        events: list[str],
        conds: list[tuple],
        caps: list[str],
    ) -> int:
        """Append one path of `key` that ends in exit kind `target`, drawn uniformly among those; its exit node."""
        table = self._table(key, ctx, target)
        bits = rng.getrandbits
        v = ENTRY
        while True:
            stmt, cum, choices, k = table[v]  # type: ignore[misc]
            if stmt is not None:
                events.append(stmt)
            if cum is None:
                choice = choices[0]
            else:
                # what `rng.randrange(cum[-1])` draws (CPython's `_randbelow_with_getrandbits`), without its calls
                n = cum[-1]
                r = bits(k)
                while r >= n:
                    r = bits(k)
                choice = choices[bisect.bisect_right(cum, r)]
            if len(choice) == 3:
                dst, cid, pol = choice
            else:
                dst, cid, pol, callee, sub_target, why, sub_ctx = choice
                if why:
                    caps.append(why)
                else:
                    self._sample_into(callee, sub_ctx, sub_target, f"{frame}/{v}", rng, events, conds, caps)
                if dst is None:
                    return CUT
            if cid:
                conds.append((frame, key, cid, pol))
            if dst <= CUT:  # EXIT, EXC_EXIT and CUT are the lowest ids after ENTRY, which no edge enters
                return dst
            v = dst

    # ---- coverage -----------------------------------------------------------------------------
    def covering_paths(
        self, key: str, printed: set[str], seed: int, avoid: frozenset[str] = frozenset()
    ) -> list[PathRecord]:
        """One path through each statement the entry can print that is not in `printed` (`covering.py`)."""
        if self._covering is None:
            self._covering = Covering(self)
        return self._covering.paths(key, printed, seed, avoid)

    # ---- per entry ----------------------------------------------------------------------------
    def entry_paths(self, key: str, seed: int | None = None) -> EntryPaths:
        """The entry's paths: all of them when at most `max_paths`, else a uniform sample drawn with `seed`
        (default: the config's; another seed draws another sample from the same count tables)."""
        total = self.count(key)
        n_total = sum(total)
        cfg = self.cfg
        caps: Counter = Counter()
        records: list[PathRecord] = []
        want_sample = cfg.sample is not None or n_total > cfg.max_paths
        if not want_sample:
            for ev, cs, ex, cp in self._walk(key, self.root(key), ENTRY, "0"):
                records.append(self._record(key, ev, cs, ex, cp))
            mode = "enumerated"
        else:
            if cfg.sample is None:
                caps["max_paths"] += 1
            rng = random.Random(f"{cfg.seed if seed is None else seed}:{key}")
            n = cfg.sample if cfg.sample is not None else cfg.max_paths
            for _ in range(n if n_total else 0):
                r = rng.randrange(n_total)
                target = 0 if r < total[0] else (1 if r < total[0] + total[1] else 2)
                ev = []
                cs = []
                cp = []
                ex = self._sample_into(key, self.root(key), target, "0", rng, ev, cs, cp)
                records.append(self._record(key, ev, cs, ex, cp))
            mode = "sampled"
        covering: list[PathRecord] = []
        if want_sample and cfg.cover and n_total:
            # a stream of its own: the uniform sample stays what it was without the covering paths
            covering = self.covering_paths(
                key, {e for r in records for e in r.events}, cfg.seed if seed is None else seed
            )
        records += covering
        for rec in records:
            caps.update(rec.caps)
        return EntryPaths(key, total, records, mode, caps, len(covering))


def finder_for(src: str, loop_bound: int, exceptions: str, cfg: PathConfig) -> PathFinder:
    """A worker's path finder built from plain data (Ray workers, spawned processes)."""
    return PathFinder(Analysis.run(src, AnalysisConfig(loop_bound=loop_bound, exceptions=exceptions)), cfg)


def entry_task(pf: PathFinder, key: str) -> EntryPaths:
    return pf.entry_paths(key)


def _guard_outcomes(g: LCFG, min_level: str | None) -> dict[str, bool]:
    """cond id -> the outcome a level guard (`LOG.isDebugEnabled()`, `!LOG.isTraceEnabled()`) must have."""
    if not min_level or min_level.upper() not in levels.LEVELS:
        return {}
    out = {}
    for cid, c in g.conds.items():
        e, neg = c.expr, False
        if e.get("k") == "not":
            e, neg = e["arg"], True
        lv = levels.guard_level(e.get("name", "")) if e.get("k") == "call" and not e.get("args") else None
        if lv:
            out[cid] = levels.enabled(lv, min_level.upper()) != neg
    return out


def _sccs(a: Analysis) -> dict[str, int]:
    """Strongly connected components of the logging part of the call graph (iterative Tarjan)."""
    graph = {k: [c for c in a.callgraph.callees_of.get(k, ()) if c in a.callgraph.logging] for k in a.callgraph.logging}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    comp: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(graph.get(w, []))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp[w] = index[v]
                        if w == v:
                            break
    return comp
