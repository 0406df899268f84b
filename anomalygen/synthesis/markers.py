"""Anomaly markers learned from labelled real sessions: events, and transitions between consecutive events,
that occur in anomalous sessions and in no normal one. They add to the code rules of rules.yaml: a synthetic
session holding a marker is anomalous, and a normal synthetic session must hold none.

A transition needs more support than an event (`min_transition`): with few normal sessions, many harmless
orders of concurrent threads were simply never seen in a normal one.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Markers:
    events: dict[str, int] = field(default_factory=dict)  # event -> anomalous sessions holding it
    transitions: dict[tuple[str, str], int] = field(default_factory=dict)
    sessions: dict[str, int] = field(default_factory=dict)  # normal / anomalous sessions learned from

    @classmethod
    def learn(cls, sessions: list[tuple[list[str], int]], min_event: int = 1, min_transition: int = 5) -> Markers:
        ev: dict[int, Counter[str]] = {0: Counter(), 1: Counter()}
        tr: dict[int, Counter[tuple[str, str]]] = {0: Counter(), 1: Counter()}
        for seq, label in sessions:
            y = 1 if label else 0
            ev[y].update(set(seq))
            tr[y].update(set(itertools.pairwise(seq)))
        events = {e: n for e, n in ev[1].items() if n >= min_event and not ev[0][e]}
        transitions = {
            t: n
            for t, n in tr[1].items()
            if n >= min_transition and not tr[0][t] and t[0] not in events and t[1] not in events
        }
        n1 = sum(1 for _, y in sessions if y)
        return cls(
            dict(sorted(events.items())),
            dict(sorted(transitions.items())),
            {"normal": len(sessions) - n1, "anomalous": n1},
        )

    def found(self, events: list[str]) -> list[str]:
        """The markers a session holds, as readable reasons."""
        out = [
            f"{e} occurs only in anomalous real sessions ({self.events[e]})"
            for e in dict.fromkeys(events)
            if e in self.events
        ]
        for t in dict.fromkeys(itertools.pairwise(events)):
            if t in self.transitions:
                out.append(f"{t[0]} -> {t[1]} occurs only in anomalous real sessions ({self.transitions[t]})")
        return out

    def to_dict(self) -> dict:
        return {
            "events": self.events,
            "transitions": [[a, b, n] for (a, b), n in self.transitions.items()],
            "sessions": self.sessions,
        }

    @classmethod
    def from_dict(cls, d: dict) -> Markers:
        return cls(
            {str(k): int(v) for k, v in d.get("events", {}).items()},
            {(str(a), str(b)): int(n) for a, b, n in d.get("transitions", [])},
            dict(d.get("sessions", {})),
        )
