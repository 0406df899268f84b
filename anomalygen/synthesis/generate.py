"""The synthesis stage end to end: paths -> feasible paths -> filled, labelled sessions -> loghub-format files.

Stages talk through plain records: `PathRecord`s from the path finder, `Verdict`s from the checker, a
`ValueModel` learned from real logs, and `Rendered` sessions (a core `Session` and its lines) that the writer
turns into files.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from anomalygen.core.formats import LogFormat
from anomalygen.core.levels import LEVELS
from anomalygen.core.session_spec import HDFS_BLOCK
from anomalygen.core.sessions import Session
from anomalygen.core.statements import LogStatement
from anomalygen.core.templates import is_opaque
from anomalygen.logs.parse import SOURCE, LogParser
from anomalygen.parallel import Shared, map_ordered
from anomalygen.source.analysis import Analysis, AnalysisConfig
from anomalygen.source.entries import find_entries, select_entries
from anomalygen.source.paths import PathRecord
from anomalygen.synthesis.explore import EntryExplorer, EntryOutcome, EntryReport, explore_entry, explorer_for
from anomalygen.synthesis.kinds import slot_contexts
from anomalygen.synthesis.labels import Labeler
from anomalygen.synthesis.render import HeaderRenderer
from anomalygen.synthesis.session import SessionContext
from anomalygen.synthesis.slots import shapes_of
from anomalygen.synthesis.values import ValueModel

KEYS = {"block": HDFS_BLOCK}
KEY_SAMPLES = {"block": "blk_-1"}


@dataclass
class GenerateConfig:
    n: int = 1000
    seed: int = 0
    fmt: str = "hdfs"
    session_key: str | None = None  # "block" (HDFS) or None (one session per path)
    min_level: str | None = None  # lowest level printed; default: the lowest the real logs show, else INFO
    loop_bound: int = 2
    depth: int = 4
    max_paths: int = 200  # per entry: enumerate up to this many, sample uniformly beyond (cost: see BENCHMARKS)
    entries: list[str] = field(default_factory=list)
    rules: dict[str, Any] | None = None
    start: float | None = None  # first timestamp (default: the real logs' first, else 2026-01-01)
    new_share: float = 0.5  # share of sessions drawn from paths that print a statement real logs never showed
    anomalous_share: float | None = 0.1  # share of anomalous sessions (None: as the paths fall)
    sample_rounds: int = 5  # sampling rounds per entry while fewer than half the sampled paths are feasible
    # a sampled entry also gets a path through each statement no feasible sampled path prints (False: the uniform
    # sample alone, the `uniform-paths` ablation)
    cover: bool = True
    # real normal sessions (event = statement id lists) to splice synthetic paths into; None: a session is a path
    hosts: list[list[str]] | None = None
    feasibility: bool = True  # False: paths are not checked by z3 (the `no-feasibility` ablation)


@dataclass
class SynthLine:
    stmt: LogStatement
    content: str
    params: list[str]
    ts: float
    raw: str = ""
    state: str = "normal"


@dataclass
class Rendered:
    """A generated session as rendered: the core `Session` that leaves the stage (the row of `sessions.jsonl`)
    and its lines with header, parameters and time, which only the writer of the raw log and its CSV reads."""

    session: Session
    lines: list[SynthLine]


def rendered(
    sid: str,
    label: int,
    reasons: list[str],
    made: tuple[str, int, str],
    lines: list[SynthLine],
    host: int | None = None,
    at: int | None = None,
    composed: dict | None = None,
) -> Rendered:
    """`made` is the entry, the index of its path, and how the path exits; `host` the index of the real session
    the path was spliced into and `at` where; `composed` how a composed session was made (base, changes)."""
    entry, path, exit_ = made
    provenance: dict = {"entry": entry, "path": path, "exit": exit_, "params": [ln.params for ln in lines]}
    if host is not None:
        provenance["host"], provenance["inserted_at"] = host, at
    if composed is not None:
        provenance["provenance"] = composed
    session = Session(
        sid,
        label,
        [ln.stmt.id for ln in lines],
        [ln.stmt.template for ln in lines],
        source="synthetic",
        reason="; ".join(reasons),
        provenance=provenance,
        has_event_ids=True,
    )
    return Rendered(session, lines)


@dataclass
class Candidate:
    entry: str
    index: int
    record: PathRecord
    events: tuple[str, ...]
    new: bool
    label: int = 0


def learn(
    statements: list[LogStatement],
    logs: list[Path],
    fmt: LogFormat,
    session_key: str | None,
    sessions: dict[str, list[str]] | None = None,
) -> tuple[ValueModel, set[str], dict]:
    """Parse the real logs against the statements: a value model, the statement ids seen, parse figures; with
    a session key and a `sessions` dict, each key's statement ids in log order are collected into it."""
    by_id = {s.id: s for s in statements}
    parser = LogParser(statements, fmt)
    key_rx = re.compile(KEYS[session_key]) if session_key in KEYS else None

    def session_of(values):
        """The session key in a line's message (searched in the text: `"blk_" + id` prints it in two parts)."""
        if key_rx is None:
            return None
        m = key_rx.search(values[fmt.content_index])
        return m.group(0) if m else None

    seen: Counter = Counter()

    def tap(lines):
        for ln in lines:
            if ln.kind == SOURCE:
                seen[ln.event_id] += 1
                if sessions is not None:
                    k = session_of(ln.fields)
                    if k is not None:
                        sessions.setdefault(k, []).append(ln.event_id)
            yield ln

    model = ValueModel.fit(
        tap(parser.parse([str(p) for p in logs])),
        fmt.fields,
        by_id,
        timestamp=fmt.timestamp,
        session_of=session_of,
        line_index=fmt.line_index,
    )
    return model, set(seen), parser.summary.to_dict(parser.matcher)


class Generator:
    def __init__(
        self,
        analysis: Analysis,
        config: GenerateConfig,
        model: ValueModel | None = None,
        seen: set[str] | None = None,
        progress: Callable[[str, int, int], None] | None = None,
    ):
        self.a = analysis
        self.cfg = config
        self.model = model or ValueModel()
        self.seen = seen or set()
        self.by_id = {s.id: s for s in analysis.inventory.statements}
        self.progress = progress or (lambda stage, done, total: None)
        lvl = (config.min_level or self.model.min_level or "INFO").upper()
        if lvl not in LEVELS:
            raise ValueError(f"min level {lvl!r} is not one of {', '.join(LEVELS)}")
        self.min_level = lvl
        self._shown: dict[str, str] = {}  # statement id -> how `visible` treats it
        self.work: Counter = Counter()  # feasibility checker counters, summed over entries
        self.labeler = Labeler(config.rules)
        self.reports: list[EntryReport] = []
        self.candidates: list[Candidate] = []
        self.caps: Counter = Counter()

    # ---- paths and feasibility ----------------------------------------------------------------
    def visible(self, events: list[str]) -> tuple[str, ...]:
        """The events a log would show: at or above the recorded level; with a session key, only lines that
        carry the key (others never land in the session)."""
        shown = self._shown
        out = []
        for sid in events:
            how = shown.get(sid)
            if how is None:
                how = shown[sid] = self._shown_how(self.by_id[sid])
            if how == "opaque":  # `<*><*>`: the text is all runtime data, no parser can tell its source
                self.caps["opaque_statement_left_out"] += 1
            elif how == "shown":
                out.append(sid)
        return tuple(out)

    def _shown_how(self, st: LogStatement) -> str:
        if LEVELS.index(st.level) < LEVELS.index(self.min_level):
            return "below_level"
        if is_opaque(st.template):
            return "opaque"
        if self.cfg.session_key and not self._has_key(st):
            return "no_key"
        return "shown"

    def _has_key(self, st: LogStatement) -> bool:
        """A slot of the key's kind that can show the key as written (a `long` block id prints no `blk_`)."""
        key, sample = self.cfg.session_key, KEY_SAMPLES.get(self.cfg.session_key or "", "")
        shapes = shapes_of(st)
        ctx = slot_contexts(st.template)
        for i, before in enumerate(ctx):
            if self.model.kind(st, i) != key:
                continue
            if shapes.fits(i, sample):
                return True
            if before.endswith("blk_") and sample.startswith("blk_") and shapes.fits(i, sample[4:]):
                return True  # `"blk_" + id`: the template prints the prefix
        return False

    def explore(
        self,
        verify: Callable[[list[PathRecord]], list[bool | None]] | None = None,
        jobs: int | None = 1,
        executor: str = "process",
        address: str | None = None,
    ) -> None:
        """Paths + feasibility of every entry (`jobs` processes or Ray tasks, one entry a task), then, in entry
        order, the optional LLM check and the distinct visible sequences: the same candidates for any `jobs`."""
        cfg = self.cfg
        entries = find_entries(self.a)
        if cfg.entries:
            entries = select_entries(entries, cfg.entries, self.a)
        keys = [e.key for e in entries]
        task_cfg = replace(cfg, hosts=None, rules=None)  # what a worker needs, without the bulky parts
        avoid = frozenset(
            s.id for s in self.by_id.values() if self._shown_how(s) != "below_level" and self.labeler.objection(s)
        )
        shared = Shared(explorer_for, (str(self.a.project.root), cfg.loop_bound, task_cfg, self.min_level, avoid))
        shared.prime(EntryExplorer(self.a, task_cfg, self.min_level, avoid))
        # biggest entries first: one long entry submitted last would leave the other workers idle
        pf = shared.get().pf
        cost = [float(min(sum(pf.count(k)), cfg.max_paths * cfg.sample_rounds)) for k in keys]
        # without an LLM check an outcome is reduced to its entry's candidates as soon as it arrives (its kept
        # paths would otherwise all wait in memory); the LLM check has a budget, so it goes in entry order
        early = self._reduce if verify is None else None
        try:
            outcomes = map_ordered(explore_entry, keys, jobs, executor, shared, address, cost, then=early)
        finally:
            shared.release()
        for n, out in enumerate(outcomes):
            rep, cands, work = out if early else self._reduce(out, verify)
            self.work.update(work)
            self.candidates.extend(cands)
            self.reports.append(rep)
            self.progress("paths", n + 1, len(entries))

    def _reduce(
        self, out: EntryOutcome, verify: Callable[[list[PathRecord]], list[bool | None]] | None = None
    ) -> tuple[EntryReport, list[Candidate], Counter]:
        """An entry's report, its candidates (one per distinct visible sequence) and the checker's counters."""
        rep, kept = out.report, out.kept
        ask = [(i, p) for i, p in kept if i in out.partial]  # only what z3 could not fully read
        if verify is not None and ask:
            answers = dict(zip((i for i, _ in ask), verify([p for _, p in ask]), strict=True))
            rep.llm_rejected = sum(1 for x in answers.values() if x is False)
            kept = [(i, p) for i, p in kept if answers.get(i) is not False]
        rep.kept = len(kept)
        sequences: dict[tuple[str, ...], Candidate] = {}
        for i, p in kept:
            ev = self.visible(p.events)
            if not ev or ev in sequences:
                continue
            label, _ = self.labeler.session([self.by_id[s] for s in ev], p.exit)
            sequences[ev] = Candidate(rep.entry, i, p, ev, any(s not in self.seen for s in ev), label)
        rep.sequences = len(sequences)
        rep.new = sum(c.new for c in sequences.values())
        rep.seen = rep.sequences - rep.new
        return rep, list(sequences.values()), out.checker

    # ---- sessions -----------------------------------------------------------------------------
    def _reasons(self, cand: Candidate) -> list[str]:
        return self.labeler.session([self.by_id[s] for s in cand.events], cand.record.exit)[1]

    def _pools(self) -> dict:
        """For a drawn label (0, 1, or None for any): candidates by entry and novelty, and the entry lists."""
        out = {}
        for mode in (0, 1, None):
            by_entry: dict[str, dict[bool, list[Candidate]]] = {}
            for c in self.candidates:
                if mode is None or c.label == mode:
                    by_entry.setdefault(c.entry, {True: [], False: []})[c.new].append(c)
            out[mode] = (
                by_entry,
                sorted(e for e, g in by_entry.items() if g[True]),
                sorted(by_entry),
                {e: g[True] + g[False] for e, g in by_entry.items()},
            )
        return out

    def _draw(self, pools: dict, rng: random.Random) -> Candidate:
        share = self.cfg.anomalous_share
        mode = None
        if share is not None:
            mode = 1 if rng.random() < share else 0
            if not pools[mode][2]:
                mode = 1 - mode
        by_entry, new_entries, all_entries, both = pools[mode]
        pick = _pick
        if new_entries and rng.random() < self.cfg.new_share:
            return pick(by_entry[pick(new_entries, rng)][True], rng)
        return pick(both[pick(all_entries, rng)], rng)

    def sessions(self) -> Iterator[Rendered]:
        """`cfg.n` sessions: an entry drawn uniformly, then one of its distinct visible sequences uniformly
        (so long, branchy entries do not crowd out the rest), favouring sequences real logs never showed."""
        cfg = self.cfg
        rng = random.Random(cfg.seed)
        if not self.candidates:
            return
        pools = self._pools()
        start = cfg.start or self.model.start or 1767225600.0  # 2026-01-01
        renderer = HeaderRenderer(LogFormat.parse(cfg.fmt), self.model, rng)
        clock = start
        used_keys: set[str] = set()
        for k in range(cfg.n):
            cand = self._draw(pools, rng)
            events: tuple[str, ...] = cand.events
            host = at = None
            if cfg.hosts:
                host = int(rng.random() * len(cfg.hosts))
                base = cfg.hosts[host]
                at = int(rng.random() * (len(base) + 1))
                events = (*base[:at], *cand.events, *base[at:])
            clock += rng.expovariate(1.0 / self.model.session_gap_s)
            sid, lines = self.fill_session(list(events), rng, renderer, clock, used_keys, k)
            # the label is the synthetic path's: a host is a real session labelled normal
            label, reasons = cand.label, self._reasons(cand)
            yield rendered(sid, label, reasons, (cand.entry, cand.index, cand.record.exit), lines, host, at)
            self.progress("sessions", k + 1, cfg.n)

    def fill_session(
        self, events: list[str], rng: random.Random, renderer: HeaderRenderer, start: float, used_keys: set[str], k: int
    ) -> tuple[str, list[SynthLine]]:
        """One world per session: a fresh session key, one set of entities, times increasing from `start`."""
        cfg = self.cfg
        ctx = SessionContext(self.model, rng, cfg.session_key)
        if cfg.session_key:
            while ctx.entity(cfg.session_key) in used_keys:  # a fresh key per session
                ctx.entities.pop(cfg.session_key)
            used_keys.add(ctx.key)  # type: ignore[arg-type]  # drawn just above
        sid: str = ctx.key if cfg.session_key else f"syn{k:06d}"  # type: ignore[assignment]  # as above
        t = start
        lines = []
        for eid in events:
            st = self.by_id.get(eid)
            if st is None:
                self.caps["event_without_statement"] += 1
                continue
            filled = ctx.fill(st)
            if not filled.valid:
                self.caps["unfillable_line"] += 1
                continue
            t += rng.expovariate(1.0 / max(self.model.gap_s, 0.001))
            ln = SynthLine(st, filled.content, filled.params, t)
            ln.raw = renderer.line(st, filled.content, t, sid)
            ln.state = self.labeler.line(st).state
            lines.append(ln)
        self.caps["rejected_values"] += ctx.rejected
        return sid, lines


def _pick(seq: list, rng: random.Random):
    return seq[int(rng.random() * len(seq))]  # Random.choice's rejection sampling costs more than it buys here


def analyse(src: Path, loop_bound: int = 2) -> Analysis:
    return Analysis.run(src, AnalysisConfig(loop_bound=loop_bound))
