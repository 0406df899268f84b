"""Covering paths: where a uniform sample of an entry's paths missed a statement it can print, one path through
it. A branch holding a few paths beside billions elsewhere (a request switch's rare cases) is never drawn
uniformly, yet its statements are what the logs have least often shown. Per (method, context, exit kind,
statement, statements to avoid): which nodes can still lead to such a path, one backward pass over the same
tables the uniform sampler uses; then a draw among the choices that can, weighted by their path counts."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from anomalygen.source.lcfg import CUT, ENTRY, EXIT_INDEX

if TYPE_CHECKING:
    from anomalygen.source.paths import Ctx, PathFinder, PathRecord


class Covering:
    """The covering paths of one path finder, with the reachability tables they need (kept for its lifetime: a
    callee's table serves every entry that inlines it)."""

    def __init__(self, pf: PathFinder):
        self.pf = pf
        self._thru: dict[tuple[str, Ctx, int, str | None, frozenset[str]], list[bool]] = {}
        self._printables: dict[str, list[str]] = {}  # a caller asks again, each round, for the same entry

    def _through(self, key: str, ctx: Ctx, target: int, stmt: str | None, avoid: frozenset[str]) -> list[bool]:
        """Per node of `key`: some path from it ends in exit kind `target`, prints `stmt` (None: anything) and
        prints no statement of `avoid`."""
        memo = self._thru.get((key, ctx, target, stmt, avoid))
        if memo is not None:
            return memo
        table = self.pf._table(key, ctx, target)
        clean = self._through(key, ctx, target, None, avoid) if stmt is not None else None
        t = [False] * len(table)
        for v, k in EXIT_INDEX.items():  # the exits have the lowest ids after ENTRY: set before the pass
            t[v] = stmt is None and k == target
        for v in range(len(table) - 1, -1, -1):  # other edges run to higher node ids, as in `suffix`
            row = table[v]
            if v in EXIT_INDEX or row is None or row[0] in avoid:
                continue
            elif stmt is not None and row[0] == stmt:
                t[v] = clean[v]  # type: ignore[index]  # set whenever stmt is
            else:
                t[v] = any(any(self._via(c, stmt, avoid, t, clean)) for c in row[2])
        self._thru[(key, ctx, target, stmt, avoid)] = t
        return t

    def _via(
        self, choice: tuple, stmt: str | None, avoid: frozenset[str], t: list[bool], clean: list[bool] | None
    ) -> tuple[bool, bool]:
        """Whether a choice leads on to a path `t` wants with `stmt` printed inside the callee it calls, and
        with `stmt` printed after it (or, for `stmt` None, with the callee's lines clean)."""
        if len(choice) == 3:
            return False, t[choice[0]]
        dst, _, _, callee, sub_target, why, sub_ctx = choice
        callee_clean = bool(why) or self._through(callee, sub_ctx, sub_target, None, avoid)[ENTRY]
        rest = clean if stmt is not None else t
        inside = (
            stmt is not None
            and not why
            and self._through(callee, sub_ctx, sub_target, stmt, avoid)[ENTRY]
            and (dst is None or rest[dst])  # type: ignore[index]
        )
        if stmt is None:  # a cut inside the callee ends the path there
            return False, callee_clean and (dst is None or t[dst])
        return inside, callee_clean and dst is not None and t[dst]

    def _sample_directed(
        self,
        key: str,
        ctx: Ctx,
        target: int,
        stmt: str | None,
        avoid: frozenset[str],
        frame: str,
        rng: random.Random,
        out: tuple[list[str], list[tuple], list[str]],
    ) -> int:
        """Append one path of `key` ending in exit kind `target` that prints `stmt` (None: any) and nothing of
        `avoid`, which `_through` found to exist: at each choice, among those that can still lead to one,
        weighted by their path counts. Its exit node."""
        events, conds, caps = out
        table = self.pf._table(key, ctx, target)
        v = ENTRY
        while True:
            t = self._through(key, ctx, target, stmt, avoid)
            clean = self._through(key, ctx, target, None, avoid) if stmt is not None else None
            st, cum, choices, _ = table[v]  # type: ignore[misc]
            if st is not None:
                events.append(st)
            if stmt is not None and st == stmt:
                stmt, t, clean = None, clean, None  # type: ignore[assignment]  # clean is set whenever stmt is
            weights = [cum[i] - (cum[i - 1] if i else 0) for i in range(len(cum))] if cum else [1]
            open_ = [(w, c) for w, c in zip(weights, choices, strict=True) if any(self._via(c, stmt, avoid, t, clean))]
            choice = _pick(open_, rng)
            inside, _ = self._via(choice, stmt, avoid, t, clean)
            dst, cid, pol = choice[:3]
            if len(choice) > 3:
                callee, sub_target, why, sub_ctx = choice[3:]
                if why:
                    caps.append(why)
                else:
                    sub_stmt = stmt if inside else None
                    self._sample_directed(callee, sub_ctx, sub_target, sub_stmt, avoid, f"{frame}/{v}", rng, out)
                if inside:
                    stmt = None
                if dst is None:
                    return CUT
            if cid:
                conds.append((frame, key, cid, pol))
            if dst <= CUT:
                return dst
            v = dst

    def _printable(self, key: str) -> list[str]:
        """Statements of the methods `key` reaches within the call depth, in a stable order."""
        hit = self._printables.get(key)
        if hit is not None:
            return hit
        seen, frontier = {key}, [key]
        for _ in range(self.pf.cfg.depth):
            frontier = [c for m in frontier for c in sorted(self.pf.a.callgraph.callees_of.get(m, ())) if c not in seen]
            frontier = [c for c in dict.fromkeys(frontier) if c in self.pf.a.callgraph.logging]
            seen.update(frontier)
        out = []
        for m in sorted(seen):
            if m in self.pf.a.callgraph.logging:
                out += [n.stmt for n in self.pf.a.lcfg(m).nodes if n.kind == "log" and n.stmt]
        found = self._printables[key] = list(dict.fromkeys(out))
        return found

    def paths(self, key: str, printed: set[str], seed: int, avoid: frozenset[str] = frozenset()) -> list[PathRecord]:
        """One path through each statement the entry can print that is not in `printed`, at most `max_paths` of
        them (exit kinds tried in the order normal, exception, cut). Printing nothing of `avoid` where such a
        path exists (the lines a caller's rules object to: a statement seen only beside them says little), else
        any. A caller that drops infeasible paths asks again, with another seed, for what its kept ones miss."""
        rng = random.Random(f"cover:{seed}:{key}")
        printed = set(printed)
        ctx = self.pf.root(key)
        out: list[PathRecord] = []
        for stmt in self._printable(key):
            if stmt in printed or len(out) >= self.pf.cfg.max_paths:
                continue
            found = next(
                (
                    (k, av)
                    for av in dict.fromkeys((avoid, frozenset()))
                    for k in range(3)
                    if self._through(key, ctx, k, stmt, av)[ENTRY]
                ),
                None,
            )
            if found is None:
                continue
            ev: list[str] = []
            cs: list[tuple] = []
            cp: list[str] = []
            ex = self._sample_directed(key, ctx, found[0], stmt, found[1], "0", rng, (ev, cs, cp))
            out.append(self.pf._record(key, ev, cs, ex, cp))
            printed.update(ev)
        return out


def _pick(weighted: list[tuple[int, tuple]], rng: random.Random) -> tuple:
    """One choice, drawn in proportion to its weight (exact integers: path counts outgrow floats)."""
    r = rng.randrange(sum(w for w, _ in weighted))
    for w, choice in weighted:
        if r < w:
            return choice
        r -= w
    raise AssertionError("unreachable: r < the sum of the weights")
