"""`generate`'s side of the session model: real sessions in statement ids, the model built from the explored
code paths, and composed sessions filled with values and labelled.

Real sessions come from `--real-sessions DATASET` (anything `evaluate --dataset` accepts; event-keyed data such
as `hdfs_deeplog` is mapped to statements by the evaluation's template map) or, without it, from the `--logs`
themselves, cut by the session key. Only normal ones are composed from; labels, where given, teach the markers.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from anomalygen.core.datasets import load_dataset, resolve_dataset
from anomalygen.core.event_keys import statement_sessions
from anomalygen.core.formats import LogFormat
from anomalygen.core.sessions import Session
from anomalygen.core.statements import LogStatement
from anomalygen.manifest import tree_digest
from anomalygen.source.entries import find_entries
from anomalygen.synthesis.compose import ComposeConfig, SessionModel
from anomalygen.synthesis.generate import Generator, Rendered, rendered
from anomalygen.synthesis.markers import Markers
from anomalygen.synthesis.novel import novel_statements
from anomalygen.synthesis.render import HeaderRenderer
from anomalygen.synthesis.segments import attribute


@dataclass
class RealSessions:
    """The real sessions composed from, keyed by statement ids, with what they are."""

    sessions: list[Session]  # label None: unlabelled
    key_of: dict[str, str] = field(default_factory=dict)  # statement id -> the key its twins share
    info: dict = field(default_factory=dict)  # what they are, for the manifests

    def normal(self) -> list[Session]:
        return [s for s in self.sessions if s.label == 0 and s.events]

    @property
    def labelled(self) -> bool:
        return any(s.label == 1 for s in self.sessions) and any(s.label == 0 for s in self.sessions)


def load_real_sessions(spec: str, statements: list[LogStatement], fraction: float = 1.0) -> RealSessions:
    """A labelled dataset keyed by statement ids (mapped through the real event templates when it is not);
    only its first `fraction` in file order (the rest may be an evaluation's chronological test split)."""
    path = resolve_dataset(spec)
    sessions = sorted(load_dataset(path), key=lambda s: s.order)
    sessions = sessions[: round(len(sessions) * fraction)]
    known = {s.id for s in statements}
    info: dict = {
        "dataset": spec,
        "path": str(path),
        "sha256": _digest(path),
        "fraction": fraction,
        "sessions": len(sessions),
        "normal": sum(1 for s in sessions if s.label == 0),
        "anomalous": sum(1 for s in sessions if s.label == 1),
    }
    key_of: dict[str, str] = {}
    if not any(e in known for s in sessions[:1000] for e in s.events):
        sessions, emap = statement_sessions(sessions, statements)
        key_of = dict(emap.statement_to_key)
        cov = emap.coverage()
        info["keyed_by"] = "real event templates matched to statements"
        info["mapping"] = {k: cov[k] for k in ("real_events", "real_events_mapped", "real_events_unmapped")}
    else:
        info["keyed_by"] = "statement ids"
    return RealSessions(sessions, key_of, info)


def log_sessions(by_key: dict[str, list[str]], gen: Generator, logs: list[Path]) -> RealSessions:
    """The real logs' own sessions, unlabelled: those the code rules call anomalous are left out, the rest are
    taken as normal."""
    out: list[Session] = []
    dropped = 0
    for k, events in sorted(by_key.items()):
        ev = list(gen.visible([e for e in events if e in gen.by_id]))
        if not ev:
            continue
        label, _ = gen.labeler.session([gen.by_id[e] for e in ev], "normal")
        if label:
            dropped += 1
            continue
        out.append(Session(k, 0, ev, has_event_ids=True))
    return RealSessions(
        out,
        {},
        {
            "logs": [str(p) for p in logs],
            "sessions": len(by_key),
            "normal": len(out),
            "left_out_by_code_rules": dropped,
            "keyed_by": "statement ids (parsed)",
        },
    )


def build_model(gen: Generator, config: ComposeConfig, manifest: dict) -> SessionModel:
    """From the explored code: every statement's entry and each entry's normal, feasible visible paths."""
    twin = twins(gen.a.inventory.statements)
    sequences: dict[str, list[tuple[str, ...]]] = {}
    for c in gen.candidates:
        if c.label == 0:
            sequences.setdefault(c.entry, []).append(tuple(twin.get(e, e) for e in c.events))
    in_loop = {twin.get(s.id, s.id) for s in gen.a.inventory.statements if s.in_loop}
    threads = attribute(sequences, in_loop)
    threads.alias = twin
    alts = {e: _once(ps, threads.shapes.get(e)) for e, ps in sorted(sequences.items())}
    reasons = {e.key: e.reasons for e in find_entries(gen.a)}
    novel = novel_statements(
        gen.candidates,
        gen.by_id,
        gen.labeler.objection,
        lambda st: gen.labeler.line(st).state != "normal",
        reasons,
        twin,
        gen.labeler.name_objection,
        lambda record: _recovery_run(gen, record),
        keyed=gen.cfg.session_key is not None,
    )
    return SessionModel(threads, alts, config, manifest, novel)


def _recovery_run(gen: Generator, record) -> str | None:
    """The first flag named for recovery that the path finds set, or None."""
    for _frame, method, cid, polarity in record.conditions:
        cond = gen.a.lcfg(method).conds.get(cid)
        hit = cond is not None and gen.labeler.recovery_branch(cond.text, polarity)
        if hit:
            return f"{method}: {hit} set"
    return None


def twins(statements: list[LogStatement]) -> dict[str, str]:
    """Statements no log line can tell apart (same template, level and class: one message written in two
    places) -> the first of them (file, line): one key for all, as a parser or a template map gives them."""
    first: dict[tuple, str] = {}
    out = {}
    for s in sorted(statements, key=lambda s: (s.file, s.line, s.id)):
        c = first.setdefault((s.template, s.level, s.class_name), s.id)
        if c != s.id:
            out[s.id] = c
    return out


def _once(paths: list[tuple[str, ...]], shapes: list[dict[str, int]] | None) -> list[list[str]]:
    """An entry's paths as one execution prints them for one key: beside other events, a loop's line once
    (its other iterations are about other keys), as the thread model's shapes say."""
    out: dict[tuple, list[str]] = {}
    for p in paths:
        cap = {k: max(c.get(k, 1) for c in shapes) for k in p} if shapes else {}
        seen: dict[str, int] = {}
        keep = []
        for k in p:
            seen[k] = seen.get(k, 0) + 1
            if seen[k] <= cap.get(k, 1 << 30):
                keep.append(k)
        out.setdefault(tuple(keep), keep)
    return list(out.values())


def composed_sessions(
    gen: Generator, model: SessionModel, real: RealSessions, markers: Markers | None, n: int, seed: int
) -> Iterator[Rendered]:
    """`n` sessions composed from the real normal ones; a share (`anomalous_share`) carries one anomalous code
    path as an extra segment. A normal session holding a learned marker is not used (counted)."""
    cfg = gen.cfg
    rng = random.Random(seed)
    bases = [(s.session_id, list(gen.visible([e for e in s.events if e in gen.by_id]))) for s in real.normal()]
    bases = [(sid, ev) for sid, ev in bases if ev]  # only lines that carry the session key land in a session
    if not bases:
        return
    avoid = markers.events if markers else ()
    pool = model.explain([ev for _, ev in bases], 2 * n + 10, seed, avoid)
    # an anomalous session carries its anomalous path on a base composed without new statements, so that the
    # anomaly is the only thing in it the bases never showed (else a classifier learns the new valid lines as
    # signs of failure)
    plain = (
        iter(
            replace(model, config=replace(model.config, novel_share=0.0)).explain(
                [ev for _, ev in bases], n + 1, seed + 1, avoid
            )
        )
        if model.config.novel_share
        else None
    )
    anomalous_paths = sorted((c for c in gen.candidates if c.label == 1), key=lambda c: (c.entry, c.index))
    # an anomalous path of a thread that serves many keys carries valid lines of other keys too: those the bases
    # never showed stay out of the inserted segment, which keeps the lines that fail
    shown = {model.threads.key(e) for _, ev in bases for e in ev}
    valid_new = {k for k in model.novel if k not in shown}
    anomalous = [
        (c, ev)
        for c in anomalous_paths
        for ev in [[e for e in c.events if model.threads.key(e) not in valid_new]]
        if ev
    ]
    renderer = HeaderRenderer(LogFormat.parse(cfg.fmt), gen.model, rng)
    clock = cfg.start or gen.model.start or 1767225600.0
    used: set[str] = set()
    share = cfg.anomalous_share or 0.0
    k = 0
    for c in pool:
        if k == n:
            break
        if anomalous and rng.random() < share:
            c = next(plain, c) if plain is not None else c
            events = list(c.events)
            prov = {"base": bases[c.base][0], "changes": c.changes, "relaxed": c.relaxed}
            cand, segment = anomalous[int(rng.random() * len(anomalous))]
            at = int(rng.random() * (len(events) + 1))
            events[at:at] = segment
            label, reasons = gen.labeler.session([gen.by_id[e] for e in cand.events], cand.record.exit)
            reasons = reasons + (markers.found(events) if markers else [])
            prov["anomaly"] = {"entry": cand.entry, "path": cand.index, "at": at}
            label = 1
        else:
            events = list(c.events)
            prov = {"base": bases[c.base][0], "changes": c.changes, "relaxed": c.relaxed}
            found = markers.found(events) if markers else []
            if found:
                gen.caps["composed_with_marker_left_out"] += 1
                continue
            label, reasons = 0, []
        clock += rng.expovariate(1.0 / gen.model.session_gap_s)
        sid, lines = gen.fill_session(events, rng, renderer, clock, used, k)
        yield rendered(sid, label, reasons, ("composed", -1, "normal"), lines, composed=prov)
        k += 1
        gen.progress("sessions", k, n)
    gen.caps["composed_short"] += n - k


def _digest(path: Path) -> str:
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    return tree_digest(files, path)
