"""Whole synthetic sessions composed from real normal sessions by the changes the code allows.

`SessionModel` holds what was learned once (from the code: which entry prints each event and what one of its
executions can print, the feasible normal visible paths of every entry; written by `generate` as
`session_model.json`). `compose(bases, n, seed)` is a pure function of that model, the base sessions it is given
(an evaluation's real normal training sessions), `n` and `seed`; the order constraints are learned inside it from
the bases alone, so nothing of a test split can reach a synthetic session. Each synthetic session starts from a
base, cut into per-thread segments, and changes it:
- re-interleaves all segments (each keeps its own order and every learned constraint) — always;
- another multiplicity: one more segment of a thread kind whose count varies among the bases (copied from a base
  that has it), or one fewer, within the counts the bases show (`p_add`, `p_drop`);
- a segment replaced by another feasible path of the same entry (`p_replace`), a branch the bases never showed;
- a segment added from an entry that prints the session key but never ran in the bases (`prior`: a low weight,
  so rarely-run code such as Balancer or upgrade does not crowd out the common lifecycle);
- statements the bases never showed, which the code prints for the key on normal lines (`novel_share` of the
  sessions, `novel.py`; with `novel_each`, each new behaviour on its own in that share), placed and counted as the
  code says. One printed by a thread kind the base runs goes
  into one of that kind's segments (another branch of the same execution). One of a thread kind the base never
  ran goes after the events every base holds (a behaviour the bases never showed acts on a key that already
  exists), a request's lines before the background threads' (which carry the request out later, once for each
  line the request printed; a thread line that carries out a new request never comes without it, and the two count
  as one new behaviour against `novel_max`), and as many executions as the key has holders in this base (the
  number of executions most of its repeating thread kinds agree on) where the statement sits in a loop of a request
  or runs on the holders' own threads.
A path whose events the bases never showed is drawn with weight `prior` against 1 for the others. Anomalous
code paths (by the label rules) are never used, and only events of the bases or such paths are emitted.
"""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from anomalygen.synthesis.novel import REQUEST, NovelStatement, remap_novel
from anomalygen.synthesis.order import Precedence, interleave, occurrences, swap_nearby
from anomalygen.synthesis.segments import ThreadModel, remap

FORMAT = "anomalygen.session_model/1"


@dataclass
class ComposeConfig:
    p_add: float = 0.3
    p_drop: float = 0.2
    p_replace: float = 0.1
    prior: float = 0.0  # weight of events/entries the bases never showed, against 1 for the others
    min_support: int = 1  # sessions holding both sides before an order constraint is kept
    min_share: float = 0.99  # ... and the share of them that must agree
    p_shuffle: float = 0.3  # a whole new interleaving; else 1..max_swaps exchanges of concurrent neighbours
    max_swaps: int = 3
    novel_share: float = 0.0  # sessions given statements the bases never showed (0: only what they showed)
    novel_max: int = 3  # most such statements in one session
    # True: each new behaviour on its own in `novel_share` of the sessions (how often one appears no longer falls
    # with the number the code offers); False: 1..novel_max of them in `novel_share` of the sessions
    novel_each: bool = False


@dataclass
class Composed:
    events: list[str]
    base: int  # index into the bases
    changes: list[dict] = field(default_factory=list)
    relaxed: int = 0  # order constraints given up (only after an edit the bases never showed)


@dataclass
class SessionModel:
    threads: ThreadModel
    alternatives: dict[str, list[list[str]]] = field(default_factory=dict)  # entry -> normal visible paths
    config: ComposeConfig = field(default_factory=ComposeConfig)
    manifest: dict = field(default_factory=dict)  # what went into the model (code, real data)
    novel: dict[str, NovelStatement] = field(default_factory=dict)  # key -> a normal line the code prints

    # ---- persistence --------------------------------------------------------------------------
    def to_dict(self) -> dict:
        config = asdict(self.config)
        if not self.config.novel_each:
            del config["novel_each"]  # absent is the default: files written before it existed read the same
        return {
            "format": FORMAT,
            "config": config,
            "threads": self.threads.to_dict(),
            "alternatives": {r: [list(p) for p in ps] for r, ps in sorted(self.alternatives.items())},
            "manifest": self.manifest,
            "novel": [n.to_dict() for _, n in sorted(self.novel.items())],
        }

    @classmethod
    def from_dict(cls, d: dict, where: str = "session model") -> SessionModel:
        if d.get("format") != FORMAT:
            raise ValueError(f"{where}: not a session model (format {d.get('format')!r}, expected {FORMAT!r})")
        cfg = ComposeConfig(**{k: v for k, v in d.get("config", {}).items() if k in ComposeConfig.__annotations__})
        alts = {str(r): [[str(e) for e in p] for p in ps] for r, ps in d.get("alternatives", {}).items()}
        novel = {n.key: n for n in (NovelStatement.from_dict(x) for x in d.get("novel", []))}
        return cls(ThreadModel.from_dict(d.get("threads", {})), alts, cfg, d.get("manifest", {}), novel)

    def at_novel_share(self, share: float, each: bool | None = None) -> SessionModel:
        """The same model giving `share` of its composed sessions statements the bases never showed, or with
        `each`, giving each new behaviour to `share` of them on its own (how often new behaviour happens is not
        in the code: an evaluation calibrates it on validation)."""
        each = self.config.novel_each if each is None else each
        return replace(self, config=replace(self.config, novel_share=float(share), novel_each=bool(each)))

    @property
    def novel_share(self) -> float:
        return self.config.novel_share

    def with_keys(self, key_of: dict[str, str]) -> SessionModel:
        """The model over a dataset's event keys (statement id -> key; identical twins share one key)."""
        alts = {
            r: [[key_of[e] for e in p] for p in ps if all(e in key_of for e in p)]
            for r, ps in self.alternatives.items()
        }
        return SessionModel(
            remap(self.threads, key_of),
            {r: ps for r, ps in alts.items() if ps},
            self.config,
            {**self.manifest, "remapped_keys": len(key_of)},
            remap_novel(self.novel, key_of),
        )

    # ---- composition --------------------------------------------------------------------------
    def compose(self, bases: list[list[str]], n: int, seed: int, avoid: Iterable[str] = ()) -> list[list[str]]:
        return [c.events for c in self.explain(bases, n, seed, avoid)]

    def explain(self, bases: list[list[str]], n: int, seed: int, avoid: Iterable[str] = ()) -> list[Composed]:
        """`n` normal sessions with how each was made; the same inputs give the same sessions. `avoid`: keys no
        new statement may be (those the caller's labelled sessions show only in anomalies: where the code calls
        a line valid and the system's own labels tie it to failures, the labels win), nor any statement of a
        thread kind that printed one of them and nothing in the bases."""
        bases = [list(b) for b in bases if b]
        if not bases or n <= 0:
            return []
        return _Composer(self, bases, set(avoid)).run(n, random.Random(seed))


def load_session_model(path: str | Path) -> SessionModel:
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{p}:{e.lineno}: not valid JSON ({e.msg})") from None
    if not isinstance(doc, dict):
        raise ValueError(f"{p}: expected a JSON object")
    model = SessionModel.from_dict(doc, str(p))
    keys = doc.get("keys")
    return model.with_keys(keys) if isinstance(keys, dict) and keys else model


Piece = tuple[str, list[tuple[str, float]]]  # a segment: its role and its (event, reference position) pairs


class _Composer:
    """The state learned from one call's bases: segments, counts per thread kind, order constraints."""

    def __init__(self, model: SessionModel, bases: list[list[str]], avoid: set[str] | None = None):
        self.m = model
        self.cfg = model.config
        self.bases = bases
        self.prec = Precedence.learn(bases, self.cfg.min_support, self.cfg.min_share)
        self.vocab = {model.threads.key(e) for b in bases for e in b}
        # every base holds these: the key's life as far as the bases know it, which a new behaviour follows
        self.settled = set.intersection(*({model.threads.key(e) for e in b} for b in bases))
        avoid = {model.threads.key(e) for e in avoid or ()}
        # a thread kind the labels tie to failures: it printed only in anomalous sessions, never in a base
        failing = {model.threads.role_of(k) for k in avoid} - {model.threads.role_of(e) for e in self.vocab}
        self.novel = [
            n
            for k, n in sorted(model.novel.items())
            if k not in self.vocab and k not in avoid and n.role not in failing
        ]
        self.by_key = {n.key: n for n in self.novel}
        # a thread line that carries out a new request's work has no work to carry out without that request: it
        # comes with the request, never drawn on its own (where the bases already show the request, it may), and
        # the two are one new behaviour
        self.led = {n.follow for n in self.novel if n.follow in self.by_key}
        self.n_units = len(self.novel) - len(self.led)  # the new behaviours one could add
        self.pieces: list[list[Piece]] = []
        self.pool: dict[str, list[Piece]] = defaultdict(list)
        for b in bases:
            pieces = [(s.role, [(b[i], i / len(b)) for i in s.positions]) for s in model.threads.segment(b)]
            self.pieces.append(pieces)
            for r, p in pieces:
                self.pool[r].append(p_copy(r, p))
        self.role_counts = [Counter(r for r, _ in p) for p in self.pieces]
        self.phases, self.counts = _variation(self.role_counts)
        # how many bases hold each phase, and each role at each count: changes follow what the bases show
        self.holding = {ph: sum(1 for c in self.role_counts if all(c[r] for r in ph)) for ph in self.phases}
        self.at_count = {r: Counter(c[r] for c in self.role_counts if c[r]) for r in self.counts}
        active = set(self.pool)
        self.alts: dict[str, list[tuple[list[str], float]]] = {}
        self.foreign: list[tuple[str, list[str], float]] = []
        for r, paths in sorted(model.alternatives.items()):
            weighted = [(p, w) for p in paths if p for w in [1.0 if set(p) <= self.vocab else self.cfg.prior] if w > 0]
            if r in active:
                if weighted:
                    self.alts[r] = weighted
            else:
                self.foreign.extend((r, p, w * self.cfg.prior) for p, w in weighted)

    def run(self, n: int, rng: random.Random) -> list[Composed]:
        return [self.one(rng) for _ in range(n)]

    def one(self, rng: random.Random) -> Composed:
        cfg = self.cfg
        bi = int(rng.random() * len(self.bases))
        pieces = [p_copy(r, p) for r, p in self.pieces[bi]]
        changes: list[dict] = []
        if rng.random() < cfg.p_add:
            self._add(bi, pieces, changes, rng)
        if rng.random() < cfg.p_drop:
            self._drop(pieces, changes, rng)
        if self.alts and rng.random() < cfg.p_replace:
            self._replace(pieces, changes, rng)
        if self.foreign and rng.random() < cfg.prior:
            r, path, _ = _weighted(self.foreign, [w for _, _, w in self.foreign], rng)
            at = rng.random()
            pieces.append((r, [(e, at + 1e-6 * j) for j, e in enumerate(path)]))
            changes.append({"change": "add_entry", "role": r, "segment": list(path)})
        first_novel = len(pieces)
        tiers: list[int] = []
        if cfg.novel_each:
            k = sum(1 for _ in range(self.n_units) if rng.random() < cfg.novel_share)
            if k:
                tiers = self._add_novel(pieces, changes, rng, count=k)
        elif self.novel and rng.random() < cfg.novel_share:
            tiers = self._add_novel(pieces, changes, rng)
        events, relaxed = self._order(pieces, rng, first_novel, tiers)
        return Composed(events, bi, changes, relaxed)

    def _add_novel(self, pieces: list[Piece], changes: list[dict], rng: random.Random, count: int = 0) -> list[int]:
        """1..`novel_max` new behaviours (each further one with `novel_share`), or `count` of them: a statement
        the bases never showed, and with a request the thread statement that carries it out (always, and only,
        after it): inserted into a running segment of their thread kind, or appended as pieces of their own;
        returns each appended piece's tier (0: a request's lines, 1: a background thread's)."""
        running = Counter(r for r, _ in pieces)
        holders = _holders(running)
        by_key, led = self.by_key, self.led
        pool = [n for n in self.novel if n.key not in led]
        tiers: list[int] = []
        follow: NovelStatement | None = None
        carried = 0  # lines of the request that `follow` carries out
        added = 0  # new behaviours: a request and the thread line carrying it out are one
        while pool or follow is not None:
            if follow is not None:
                n = follow
            else:
                n = pool.pop(int(rng.random() * len(pool)))
                added += 1
            if running[n.role] and follow is None:
                self._insert(n, pieces, changes, rng)
                lines = 1
            else:
                tier = 0 if n.trigger == REQUEST else 1
                if tier == 0:
                    runs, per_run = 1, holders if n.in_loop else 1  # one request, its loop over the key's holders
                elif follow is not None:
                    runs, per_run = carried, 1
                else:
                    runs, per_run = 1 + int(rng.random() * holders), 1  # some of the holders' own threads
                for j in range(runs):
                    at = 1.0 + tier + 1e-3 * j
                    pieces.append((n.role, [(n.key, at + 1e-6 * i) for i in range(per_run)]))
                    tiers.append(tier)
                changes.append(
                    {
                        "change": "add_novel",
                        "statement": n.key,
                        "role": n.role,
                        "trigger": n.trigger,
                        "lines": runs * per_run,
                        "why_normal": n.why_normal,
                    }
                )
                lines = runs * per_run
            if follow is None and n.follow in led:
                follow, carried = by_key[n.follow], lines  # the request carried out by each holder it named
                continue
            follow = None
            if count:
                if added >= count or not pool:
                    break
                continue
            if added >= self.cfg.novel_max or not pool or rng.random() >= self.cfg.novel_share:
                break
        return tiers

    def _add(self, bi: int, pieces: list[Piece], changes: list[dict], rng: random.Random) -> None:
        """A phase the base lacks, copied whole from a base that has it; or one more segment of a thread kind
        whose count the bases show varying on its own. Each option is weighted by the share of bases that show
        it (a phase two bases in a thousand hold is rarely added)."""
        have = Counter(r for r, _ in pieces)
        nb = len(self.bases)
        options: list[tuple[tuple[str, Any], float]] = [
            (("phase", ph), self.holding[ph] / nb) for ph in self.phases if not any(have[r] for r in ph)
        ]
        options += [
            (("count", r), sum(n for k, n in self.at_count[r].items() if k > have[r]) / nb)
            for r, counts in self.counts.items()
            if 0 < have[r] < max(counts)
        ]
        options = [(o, w) for o, w in options if w > 0]
        if not options:
            return
        kind, what = _weighted([o for o, _ in options], [w for _, w in options], rng)
        if kind == "count":
            donor = self.pool[what][int(rng.random() * len(self.pool[what]))]
            pieces.append(p_copy(*donor))
            changes.append({"change": "add", "role": what, "segment": [e for e, _ in donor[1]]})
            return
        holders = [j for j, p in enumerate(self.pieces) if any(r in what for r, _ in p)]
        donor_base = holders[int(rng.random() * len(holders))]
        added = [p_copy(r, p) for r, p in self.pieces[donor_base] if r in what]
        pieces.extend(added)
        changes.append(
            {
                "change": "add_phase",
                "roles": sorted(what),
                "from_base": donor_base,
                "segments": [[e for e, _ in p] for _, p in added],
            }
        )

    def _drop(self, pieces: list[Piece], changes: list[dict], rng: random.Random) -> None:
        """A phase the base has and other bases lack, removed whole; or one segment fewer of a thread kind whose
        count the bases show varying on its own."""
        have = Counter(r for r, _ in pieces)
        nb = len(self.bases)
        options: list[tuple[tuple[str, Any], float]] = [
            (("phase", ph), 1 - self.holding[ph] / nb) for ph in self.phases if all(have[r] for r in ph)
        ]
        options += [
            (("count", r), sum(n for k, n in self.at_count[r].items() if k < have[r]) / nb)
            for r, counts in self.counts.items()
            if have[r] > min(counts)
        ]
        options = [(o, w) for o, w in options if w > 0]
        if not options:
            return
        kind, what = _weighted([o for o, _ in options], [w for _, w in options], rng)
        if kind == "phase":
            gone = [p for p in pieces if p[0] in what]
            pieces[:] = [p for p in pieces if p[0] not in what]
            changes.append(
                {"change": "drop_phase", "roles": sorted(what), "segments": [[e for e, _ in p] for _, p in gone]}
            )
            return
        idx = [i for i, (r, _) in enumerate(pieces) if r == what]
        _, segment = pieces.pop(idx[int(rng.random() * len(idx))])
        changes.append({"change": "drop", "role": what, "segment": [e for e, _ in segment]})

    def _insert(self, n: NovelStatement, pieces: list[Piece], changes: list[dict], rng: random.Random) -> None:
        """The statement at a random place of one segment of its own thread kind (before its first line or
        after any of them)."""
        idx = [i for i, (r, _) in enumerate(pieces) if r == n.role]
        i = idx[int(rng.random() * len(idx))]
        role, seg = pieces[i]
        j = int(rng.random() * (len(seg) + 1))
        lo = seg[j - 1][1] if j else seg[0][1] - 1e-3
        hi = seg[j][1] if j < len(seg) else seg[-1][1] + 1e-3
        pieces[i] = (role, [*seg[:j], (n.key, (lo + hi) / 2), *seg[j:]])
        changes.append(
            {"change": "insert_novel", "statement": n.key, "role": n.role, "at": j, "why_normal": n.why_normal}
        )

    def _replace(self, pieces: list[Piece], changes: list[dict], rng: random.Random) -> None:
        idx = [i for i, (r, p) in enumerate(pieces) if r in self.alts]
        if not idx:
            return
        i = idx[int(rng.random() * len(idx))]
        r, old = pieces[i]
        keys = [e for e, _ in old]
        now = {self.m.threads.key(e) for e in keys}
        options = [(p, w) for p, w in self.alts[r] if set(p) != now]  # another branch, not a loop count
        if not options:
            return
        path = _weighted([p for p, _ in options], [w for _, w in options], rng)
        lo, hi = old[0][1], old[-1][1]
        step = (hi - lo) / max(1, len(path) - 1)
        pieces[i] = (r, [(e, lo + j * step) for j, e in enumerate(path)])
        changes.append({"change": "replace", "role": r, "segment": keys, "path": list(path)})

    def _order(
        self, pieces: list[Piece], rng: random.Random, first_novel: int = 0, tiers: list[int] | None = None
    ) -> tuple[list[str], int]:
        """Number every event by reference position, label occurrences in that order, interleave. Pieces from
        `first_novel` on are new statements: after every settled event, a thread's (tier 1) after a request's."""
        flat = sorted((ref, si, j, e) for si, (_, p) in enumerate(pieces) for j, (e, ref) in enumerate(p))
        pos = {(si, j): k for k, (_, si, j, _) in enumerate(flat)}
        events = [e for _, _, _, e in flat]
        segs = [[pos[(si, j)] for j in range(len(p))] for si, (_, p) in enumerate(pieces)]
        preds = self.prec.predecessors(occurrences(events))
        if tiers:
            key = self.m.threads.key
            before = [{k for si in range(first_novel) for k in segs[si] if key(events[k]) in self.settled}]
            before.append(
                before[0]
                | {k for si, t in zip(range(first_novel, len(pieces)), tiers, strict=False) if t == 0 for k in segs[si]}
            )
            for si, t in zip(range(first_novel, len(pieces)), tiers, strict=False):
                for k in segs[si]:
                    preds[k] = preds[k] | before[t]
        segs = [s for s in segs if s]
        if rng.random() < self.cfg.p_shuffle:
            order, relaxed = interleave(segs, preds, rng)
        else:
            order, relaxed = interleave(segs, preds, None)
            segment_of = [0] * len(events)
            for si, s in enumerate(segs):
                for k in s:
                    segment_of[k] = si
            order = swap_nearby(order, segment_of, preds, 1 + int(rng.random() * self.cfg.max_swaps), rng)
        return [events[k] for k in order], relaxed


def _variation(counts: list[Counter]) -> tuple[list[frozenset], dict[str, set[int]]]:
    """What the bases show varying, and so what a synthetic session may vary.

    Phases: thread kinds present in exactly the same bases, present in some and absent in others (the block's
    deletion on the NameNode and the datanodes: there or not, together). Counts: thread kinds whose number of
    segments differs between two bases that agree on every other kind's count (the number of reads of a block),
    with the counts so seen."""
    n = len(counts)
    presence: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(counts):
        for r in c:
            presence[r].append(i)
    by_bases: dict[tuple, set[str]] = defaultdict(set)
    for r, where in presence.items():
        if len(where) < n:
            by_bases[tuple(where)].add(r)
    phases = sorted((frozenset(rs) for rs in by_bases.values()), key=sorted)
    free: dict[str, set[int]] = {}
    for r in sorted(presence):
        groups: dict[tuple, set[int]] = defaultdict(set)
        for c in counts:
            if c[r]:
                groups[tuple(sorted((k, v) for k, v in c.items() if k != r))].add(c[r])
        seen = set().union(*(g for g in groups.values() if len(g) > 1)) if groups else set()
        if seen:
            free[r] = seen
    return phases, free


def _holders(running: Counter) -> int:
    """How many hosts hold the key in a base: the number of executions most thread kinds that run more than once
    agree on (three datanodes each receive, respond and report a replica; one of them also serves a read, which
    makes four receiving-side executions but no fourth holder). Ties go to the smaller count; 1 when no kind
    repeats."""
    counts = Counter(n for n in running.values() if n > 1)
    return min(counts, key=lambda n: (-counts[n], n)) if counts else 1


def p_copy(role: str, piece: list[tuple[str, float]]) -> Piece:
    return role, list(piece)


def _weighted(items: list, weights: list[float], rng: random.Random):
    total = sum(weights)
    x = rng.random() * total
    for it, w in zip(items, weights, strict=True):
        x -= w
        if x < 0:
            return it
    return items[-1]
