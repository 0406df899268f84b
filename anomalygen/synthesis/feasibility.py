"""Path feasibility with z3: the steps of a path, read in SSA form, split into independent parts, each solved once.

A path's condition list holds branch outcomes and, between them, the assignments (and `havoc`s: assignments the
LCFG could not follow) of the variables those branches read; `smt.py` turns each step into SMT-LIB text. Steps
that share no symbol cannot contradict each other, so a path is split into connected components and each
component is solved (and cached) on its own: paths of one entry share most components, so z3 sees few distinct
problems. A path is dropped only when a component is unsatisfiable; z3 giving up is "unknown" (kept, flagged).
A frame's steps depend on its own conditions alone, so an unsatisfiable component inside one frame also refutes
later paths whose frame of that method starts the same way, without reading their steps (`_learn`, `_refuted`).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import z3

from anomalygen.source.expr import atom_names
from anomalygen.synthesis.smt import Step, Translator

_EFFECTS = {"assign", "havoc"}


@dataclass
class Verdict:
    status: str  # "sat" | "unsat" | "unknown"
    partial: bool = False  # some step was only partly translated (free symbols stood in)
    reasons: list[str] = field(default_factory=list)  # for unsat: the conflicting steps

    @property
    def keep(self) -> bool:
        return self.status != "unsat"


class FeasibilityChecker:
    """Checks paths; verdicts are cached per path, per step translation and per component.

    `min_level` fixes the `isXEnabled()` guards to the logging configuration the logs were recorded with.
    """

    # z3's resource limit, not a wall-clock timeout: a check that runs out gives "unknown" on every machine and
    # under any load, so the same inputs give the same paths (a 200 ms timeout made them depend on the load)
    def __init__(self, rlimit: int = 5_000_000, min_level: str | None = None, max_cores: int = 200):
        self.rlimit = rlimit
        self.min_level = min_level.upper() if min_level else None
        self.max_cores = max_cores
        self.tr = Translator()
        # z3 would catch Ctrl-C during a check and answer "unknown" (a path silently kept, the interrupt lost);
        # without its handler Python's raises KeyboardInterrupt once the check returns (within timeout_ms)
        z3.set_param("ctrl_c", False)
        self._z3: tuple[z3.Context, z3.Solver] | None = None  # made on the first check that needs z3
        self._declared: set[str] = set()
        self._paths: dict[tuple, Verdict] = {}
        self._vnames: dict[tuple, tuple[str, ...]] = {}  # (method, cond) -> version keys of the names it reads
        # a path condition -> what `_record` keeps of it (one analysis per checker)
        self._items: dict[tuple, tuple] = {}
        self._by_steps: dict[frozenset, str] = {}
        # method -> trie of (cond id, polarity) sequences a frame of it cannot start with (see `_refuted`)
        self._doomed: dict[str, dict] = {}
        self._probe = Translator()  # reads conditions alone, for their partial flag, without numbering symbols
        self._partial_of: dict[tuple, bool] = {}  # (method, cond id) -> only partly read
        self._components: dict[tuple[str, ...], str] = {}
        self._level_facts = dict(self.tr.level_facts(self.min_level)) if self.min_level else {}
        self.checked = 0
        self.cache_hits = 0
        self.solved = 0
        self.cores = 0

    @staticmethod
    def signature(conditions: Iterable[dict]) -> tuple:
        return tuple((c["frame"], c.get("method"), c.get("cond", c.get("ref")), c.get("polarity")) for c in conditions)

    def check(self, conditions: list[dict]) -> Verdict:
        """A path given as condition dicts (`pathio.read_paths`, `condition_dicts`)."""
        sig = self.signature(conditions)
        hit = self._paths.get(sig)
        if hit is not None:
            self.cache_hits += 1
            return hit
        given = dict(zip(sig, conditions, strict=False))
        return self._verdict(sig, given.__getitem__)

    def check_record(self, record: Any, analysis: Any) -> Verdict:
        """An in-memory PathRecord: the same verdict as `check(condition_dicts(record, analysis))`, without
        building a dict per condition (its conditions are already the signature)."""
        sig = tuple(record.conditions)
        hit = self._paths.get(sig)
        if hit is not None:
            self.cache_hits += 1
            return hit
        return self._verdict(sig, lambda cond: _shared_dict(analysis, cond[1], cond[2]))

    def _record(self, cond: tuple, c: dict) -> tuple:
        """What the checker keeps per path condition (frame, method, cond id, polarity): its item (frame,
        (method, cond), polarity, condition dict: the dict of `check`, frame and polarity in it, or the shared
        one of `check_record`), the version keys of the names it reads (and the only one, when it reads one),
        its steps by the versions of those names, and whether it is an assignment or havoc."""
        frame, method, cid, pol = cond
        ck = (method, cid)
        keys = tuple((frame, n) for n in self._names(ck, c))
        rec = self._items[cond] = (
            (frame, ck, pol, c),
            keys,
            keys[0] if len(keys) == 1 else None,
            {},
            c.get("kind") in _EFFECTS,
        )
        return rec

    def _verdict(self, sig: tuple, dict_of: Callable[[tuple], dict]) -> Verdict:
        """`dict_of`: a path condition's dict (without frame and polarity, or with them)."""
        self.checked += 1
        verdict = self._check(sig, dict_of)
        self._paths[sig] = verdict
        return verdict

    # ---- one path -----------------------------------------------------------------------------
    def _steps_of(self, sig: tuple, dict_of: Callable[[tuple], dict]) -> tuple[list[tuple[Step, tuple]], bool, bool]:
        """(step, item) of each constraining step in SSA form, whether a step was only partly read, and
        whether every step is an assignment or havoc."""
        versions: dict[tuple[str, str], int] = {}
        get = versions.get
        out: list = []
        append = out.append
        partial = False
        effects = True
        records = self._items
        for cond in sig:
            rec = records.get(cond)
            if rec is None:
                rec = self._record(cond, dict_of(cond))
            item, keys, one, table, effect = rec
            vs: int | tuple[int, ...]
            if one is not None:
                vs = get(one, 0)
            elif keys:
                vs = tuple([get(k, 0) for k in keys])
            else:
                vs = ()
            hit = table.get(vs)
            if hit is None:
                hit = table[vs] = self._step(item, versions)
            pair, bumps, part = hit
            if bumps:
                for vk in bumps:
                    versions[vk] = get(vk, 0) + 1
            if part:
                partial = True
            if pair is not None:
                append(pair)
            if not effect:
                effects = False
        return out, partial, effects

    def _step(self, item: tuple, versions: dict) -> tuple[tuple[Step, tuple] | None, list, bool]:
        """A condition's step under `versions`: ((step, item) when it constrains, the versions it bumps,
        whether it was only partly read); kept per condition and versions (it keeps the step alive, so the
        step's identity names it in the component cache)."""
        frame, _, pol, c = item
        st = self.tr.step(c if "frame" in c else {**c, "frame": frame, "polarity": pol}, versions)
        return ((st, item) if st.assertion is not None else None), st.bumps, st.partial

    def _names(self, ck: tuple, c: dict) -> tuple[str, ...]:
        names = self._vnames.get(ck)
        if names is None:
            local = c.get("locals", ())
            names = self._vnames[ck] = tuple(
                n if n in local or n.startswith("this.") else "this." + n for n in atom_names(c.get("expr"))
            )
        return names

    def _check(self, sig: tuple, dict_of: Callable[[tuple], dict]) -> Verdict:
        if self._doomed and self.cores >= self.max_cores and self._refuted(sig):
            return Verdict("unsat", self._any_partial(sig, dict_of))
        steps, partial, effects = self._steps_of(sig, dict_of)
        if effects:
            return Verdict("sat", partial)
        status = "sat"
        for comp in _components(steps):
            r = self._solve(comp)
            if r == "unsat":
                self._learn(comp, sig)
                return Verdict("unsat", partial, self._core(comp))
            if r == "unknown":
                status = "unknown"
        return Verdict(status, partial)

    # ---- refuting by a known start of a frame ---------------------------------------------------
    # Every symbol a step reads is its frame's own or one constant for the whole run, and a frame's SSA versions
    # count from its own start, so a frame's steps depend on nothing but its own conditions in order. An unsat
    # component within one frame therefore refutes every path with a frame of that method that starts with the
    # same conditions, up to the component's last step: in a large tree most samples of some entries pass through
    # the same few huge methods (Hadoop's `Configuration#loadResource`) and fail on the same start.
    def _learn(self, comp: list[tuple[Step, tuple]], sig: tuple) -> None:
        frame = comp[0][1][0]
        if any(item[0] != frame for _, item in comp):
            return
        method = comp[0][1][1][0]
        _, (_, last), pol, _ = comp[-1][1]
        start = [(c, p) for f, _, c, p in sig if f == frame]
        if start.count((last, pol)) != 1:
            return  # the component's last step cannot be placed for sure: learn nothing rather than too short
        node = self._doomed.setdefault(method, {})
        for key in start[: start.index((last, pol))]:
            nxt = node.get(key)
            if nxt is _END:
                return  # a shorter start is already known
            if nxt is None:
                nxt = node[key] = {}
            node = nxt
        node[(last, pol)] = _END

    def _refuted(self, sig: tuple) -> bool:
        """Whether a frame of the path starts with a start known to be unsatisfiable (`_learn`)."""
        doomed = self._doomed
        at: dict[str, dict | None] = {}  # frame -> where it is in its method's trie (None: off it)
        get = at.get
        for frame, method, cid, pol in sig:
            node = get(frame, _FRESH)
            if node is None:
                continue
            if node is _FRESH:
                node = doomed.get(method)
                if node is None:
                    at[frame] = None
                    continue
            nxt = node.get((cid, pol))
            if nxt is _END:
                return True
            at[frame] = nxt
        return False

    def _any_partial(self, sig: tuple, dict_of: Callable[[tuple], dict]) -> bool:
        """Whether a condition of the path is only partly read. That is the same under any SSA versions and in
        any frame (what cannot be expressed depends on the expression and declared types alone), so it is found
        once per condition, with a translator of its own."""
        partial_of = self._partial_of
        for cond in sig:
            ck = (cond[1], cond[2])
            hit = partial_of.get(ck)
            if hit is None:
                hit = partial_of[ck] = self._probe.step({**dict_of(cond), "frame": "", "polarity": True}, {}).partial
            if hit:
                return True
        return False

    def _facts(self, comp: list[tuple[Step, tuple]]) -> list[str]:
        text = {st.assertion for st, _ in comp}
        for st, _ in comp:
            text.update(st.side)
            for sym in st.symbols:
                fact = self._level_facts.get(sym)
                if fact is not None:
                    text.add(fact)
        return sorted(text)  # type: ignore[arg-type]

    def _context(self) -> tuple[z3.Context, z3.Solver]:
        """A z3 context of this checker's own: z3's search depends on the ids of the terms it was given, and in
        the shared global context those ids depended on what earlier checkers in the process (other entries)
        had built, which changed the unsat cores and, near the resource limit, the verdicts."""
        if self._z3 is None:
            ctx = z3.Context()
            solver = z3.Solver(ctx=ctx)
            solver.set("rlimit", self.rlimit)
            self._z3 = (ctx, solver)
        return self._z3

    def _declare(self, comp: list[tuple[Step, tuple]]) -> None:
        new = [n for st, _ in comp for n in st.symbols if n not in self._declared]
        if new:
            sorts = self.tr.sorts
            self._context()[1].from_string("".join(f"(declare-const {n} {sorts[n]})" for n in dict.fromkeys(new)))
            self._declared.update(new)

    def _solve(self, comp: list[tuple[Step, tuple]]) -> str:
        # steps are interned (`_step`'s tables keep them alive), so their identities name a component cheaply
        ids = frozenset([id(st) for st, _ in comp])
        hit = self._by_steps.get(ids)
        if hit is not None:
            return hit
        status = self._by_steps[ids] = self._solve_facts(comp)
        return status

    def _solve_facts(self, comp: list[tuple[Step, tuple]]) -> str:
        facts = self._facts(comp)
        key = tuple(facts)
        hit = self._components.get(key)
        if hit is not None:
            return hit
        self.solved += 1
        self._declare(comp)
        s = self._context()[1]
        s.push()
        try:
            s.from_string("".join(f"(assert {f})" for f in facts))
            r = s.check()
        finally:
            s.pop()
        status = "sat" if r == z3.sat else ("unsat" if r == z3.unsat else "unknown")
        self._components[key] = status
        return status

    def _core(self, comp: list[tuple[Step, tuple]]) -> list[str]:
        """The conflicting steps of an unsat component (tracked assertions, a fresh solver)."""
        if self.cores >= self.max_cores:
            return []
        self.cores += 1
        sorts, ctx = self.tr.sorts, self._context()[0]
        decls = {n: (z3.Bool(n, ctx) if sorts[n] == "Bool" else z3.Int(n, ctx)) for st, _ in comp for n in st.symbols}
        s = z3.Solver(ctx=ctx)
        s.set("rlimit", self.rlimit)
        for f in [f for st, _ in comp for f in st.side] + [
            fact for st, _ in comp for n in st.symbols for fact in [self._level_facts.get(n)] if fact
        ]:
            s.add(z3.parse_smt2_string(f"(assert {f})", decls=decls, ctx=ctx))
        labels = {}
        for i, (st, (_, _, pol, c)) in enumerate(comp):
            lab = z3.Bool(f"__step{i}", ctx)
            labels[str(lab)] = (c, c.get("polarity", True) if "frame" in c else pol)
            s.assert_and_track(z3.And(*z3.parse_smt2_string(f"(assert {st.assertion})", decls=decls, ctx=ctx)), lab)
        if s.check() != z3.unsat:
            return []
        out = []
        for lab in s.unsat_core():
            c, pol = labels[str(lab)]
            what = c.get("text", "")
            if c.get("kind") not in _EFFECTS:
                what = f"{what} is {'true' if pol else 'false'}"
            out.append(f"{c.get('method', '?')}:{c.get('line', 0)}: {what}")
        return sorted(out)


_END: dict = {}  # a trie leaf: the start so far cannot be satisfied
_FRESH: dict = {}  # a frame not yet looked up


def _components(steps: list[tuple[Step, tuple]]) -> list[list[tuple[Step, tuple]]]:
    """Steps grouped by shared symbols: the steps without symbols one by one, then the groups in the order of
    their first step, each in path order."""
    comp_of: dict[str, list[str]] = {}  # symbol -> the symbols of its group (one list object per group)
    get = comp_of.get
    for st, _ in steps:
        syms = st.symbols
        if not syms:
            continue
        s0 = syms[0]
        first = get(s0)
        if first is None:
            first = comp_of[s0] = [s0]
        if len(syms) == 1:
            continue
        for n in syms[1:]:
            other = get(n)
            if other is None:
                first.append(n)
                comp_of[n] = first
            elif other is not first:  # merge the smaller group into the larger
                if len(other) > len(first):
                    first, other = other, first
                first.extend(other)
                for m in other:
                    comp_of[m] = first
    lonely: list[list[tuple[Step, tuple]]] = []
    groups: dict[int, list[tuple[Step, tuple]]] = {}  # keyed by the group's identity, ordered by first step
    for item in steps:
        syms = item[0].symbols
        if not syms:
            lonely.append([item])
            continue
        g = id(get(syms[0]))
        members = groups.get(g)
        if members is None:
            groups[g] = [item]
        else:
            members.append(item)
    return lonely + list(groups.values())


def condition_dicts(record: Any, analysis: Any) -> list[dict]:
    """The condition dicts of an in-memory PathRecord, shaped as `pathio.read_paths` yields them."""
    return [
        {**_shared_dict(analysis, method, cid), "frame": frame, "polarity": pol}
        for frame, method, cid, pol in record.conditions
    ]


def _shared_dict(analysis: Any, method: str, cid: str) -> dict:
    """A condition's dict without frame and polarity, one per condition of the analysis."""
    cache = _conditions_of(analysis)
    c = cache.get((method, cid))
    if c is None:
        c = cache[(method, cid)] = _base_dict(analysis, method, cid)
    return c


def _base_dict(analysis: Any, method: str, cid: str) -> dict:
    return {**analysis.lcfg(method).conds[cid].to_dict(), "method": method, "cond": cid}


_BASE: dict[int, tuple[weakref.ref, dict]] = {}


def _forget(key: int) -> Callable[[weakref.ref], None]:
    """The weak reference's callback: a freed analysis's conditions go with it."""

    def drop(_: weakref.ref) -> None:
        _BASE.pop(key, None)

    return drop


def _conditions_of(analysis: Any) -> dict:
    """The condition dicts of one analysis, kept as long as it lives. Found by `id()` and checked through a weak
    reference: an id is reused once its object is freed, and a freed tree's conditions must not answer for
    another tree's."""
    key = id(analysis)
    hit = _BASE.get(key)
    if hit is None or hit[0]() is not analysis:
        hit = _BASE[key] = (weakref.ref(analysis, _forget(key)), {})
    return hit[1]
