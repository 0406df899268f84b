"""Why a session was flagged, in terms of the source code.

- Next-event models (DeepLog, LogAnomaly, Transformer): the first events the model did not expect (rank above
  the threshold), each with its source statement, the few statements the model expected there instead, and
  the session's lines around it.
- Every other model: the statements whose counts deviate most from the normal training sessions, in units
  of their normal standard deviation (+0.5, so that statements that never vary do not divide by zero).
- For all: statements never seen in training or synthesis, named as such: a code path the model cannot judge.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from anomalygen.deploy.online import UNMATCHED
from anomalygen.deploy.scoring import Scored
from anomalygen.detect.nextevent import NextEventDetector
from anomalygen.printable import printable

TOP_DEVIATIONS = 3
CONTEXT = 2  # lines either side


def count_profile(sessions: list[list[str]]) -> dict[str, np.ndarray]:
    """Per event key: mean and standard deviation of its count per normal session."""
    keys = sorted({e for s in sessions for e in s})
    index = {k: i for i, k in enumerate(keys)}
    M = np.zeros((len(sessions), len(keys)))
    for r, s in enumerate(sessions):
        for e, c in Counter(s).items():
            M[r, index[e]] = c
    if not len(sessions):
        return {"keys": np.array([], dtype=str), "mean": np.zeros(0), "std": np.zeros(0)}
    return {"keys": np.array(keys, dtype=str), "mean": M.mean(axis=0), "std": M.std(axis=0)}


class Explainer:
    def __init__(self, detector, statements: dict[str, dict], known: set[str], profile: dict[str, np.ndarray]):
        """`statements`: event key -> statement record (file, line, method, level, template); `known`: the keys
        seen in training or synthesis; `profile`: `count_profile` of the normal training sessions."""
        self.det = detector
        self.statements = statements
        self.known = known
        keys = [str(k) for k in profile.get("keys", [])]
        self.mean = dict(zip(keys, map(float, profile.get("mean", [])), strict=False))
        self.std = dict(zip(keys, map(float, profile.get("std", [])), strict=False))
        self._said: dict[str, dict] = {}

    def _record(self, key: str) -> dict:
        """What the explanation says of an event key; shared: callers copy it before they extend it."""
        rec = self._said.get(key)
        if rec is None:
            rec = self._said[key] = self._statement(key)
        return rec

    def _statement(self, key: str) -> dict:
        if key == UNMATCHED:
            return {"event": key, "note": "a line no statement of the inventory prints"}
        if key == "<end>":
            return {"event": key, "note": "the session ends here"}
        rec = self.statements.get(key)
        if rec is None:
            return {"event": key, "note": "not in the inventory"}
        return {
            "event": key,
            "location": f"{rec['file']}:{rec['line']}",
            "method": rec.get("method", ""),
            "level": rec.get("level", ""),
            "template": rec.get("template", ""),
        }

    def explain(self, events: Sequence[str], where: Sequence[str], text: Sequence[str], scored: Scored) -> dict:
        """Why the session `events` (with the file:line and text of its lines) was flagged; `scored` is its
        `SessionScorer` result, which for next-event models holds the model's view of its unexpected steps."""
        if isinstance(self.det, NextEventDetector):
            return {
                "kind": "next-event",
                "unseen": self._unseen(events, where),
                "unexpected": self._unexpected(events, where, text, scored),
            }
        return {"kind": "counts", "unseen": self._unseen(events, where), "deviations": self._deviations(events)}

    def _unseen(self, events: Sequence[str], where: Sequence[str]) -> list[dict]:
        seen: dict[str, dict] = {}
        for i, e in enumerate(events):
            if e in self.known:
                continue
            if e not in seen:
                seen[e] = {**self._record(e), "first_at": where[i] if i < len(where) else None, "count": 0}
            seen[e]["count"] += 1
        return list(seen.values())

    def _unexpected(
        self, events: Sequence[str], where: Sequence[str], text: Sequence[str], scored: Scored
    ) -> list[dict]:
        out = []
        record = self._record
        for step in scored.unexpected:
            pos = step.position
            ev = events[pos] if pos < len(events) else "<end>"
            lo, hi = max(0, pos - CONTEXT), min(len(where), pos + CONTEXT + 1)
            out.append(
                {
                    "position": pos,
                    **record(ev),
                    "at": where[pos] if pos < len(where) else None,
                    "rank": step.rank,
                    "expected": [dict(record(k)) for k in step.expected],
                    "context": [{"at": where[i], "text": printable(text[i]), "this": i == pos} for i in range(lo, hi)],
                }
            )
        return out

    def _deviations(self, events: Sequence[str]) -> list[dict]:
        counts = Counter(e for e in events if e in self.known)
        rows = []
        for key in set(counts) | {k for k, m in self.mean.items() if m > 0}:
            c, m, sd = counts.get(key, 0), self.mean.get(key, 0.0), self.std.get(key, 0.0)
            z = (c - m) / (sd + 0.5)
            if abs(z) > 1e-9:
                rows.append((abs(z), key, c, m, z))
        rows.sort(key=lambda r: (-r[0], r[1]))
        return [
            {**self._record(key), "count": c, "normal_mean": round(m, 3), "deviation": round(z, 2)}
            for _, key, c, m, z in rows[:TOP_DEVIATIONS]
        ]


def format_alarm(alarm: dict) -> str:
    """The alarm as a few plain-text lines for the terminal (log text escaped: it must not drive the terminal)."""
    return printable_lines(_format(alarm))


def printable_lines(text: str) -> str:
    return "\n".join(map(printable, text.split("\n")))


def _format(alarm: dict) -> str:
    head = (
        f"ALARM {alarm['session']}  score {alarm['score']:.4g} > threshold {alarm['threshold']:.4g}  "
        f"({alarm['lines']} lines from {alarm['start']}, closed: {alarm['closed_by']})"
    )
    lines = [head]
    ex = alarm.get("explanation") or {}
    for u in ex.get("unexpected", []):
        lines.append(f"  unexpected {_stmt(u)}  at {u.get('at')} (rank {u['rank']})")
        for e in u["expected"]:
            lines.append(f"    expected {_stmt(e)}")
        for c in u["context"]:
            lines.append(f"    {'>' if c['this'] else ' '} {c['at']}: {c['text'][:160]}")
    for d in ex.get("deviations", []):
        lines.append(f"  count {d['count']} (normal {d['normal_mean']:g}, deviation {d['deviation']:+g}) {_stmt(d)}")
    for u in ex.get("unseen", []):
        lines.append(f"  never seen in training or synthesis: {_stmt(u)}  first at {u.get('first_at')} ({u['count']}x)")
    return "\n".join(lines)


def _stmt(s: dict) -> str:
    if "location" in s:
        return f'{s["location"]} {s["method"]} {s["level"]} "{s["template"]}"'
    return f"{s['event']} ({s['note']})"
