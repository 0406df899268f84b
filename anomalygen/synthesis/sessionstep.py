"""The session-model step of `generate`: which real sessions, the model written as `session_model.json`
(with a manifest of exactly what real data went into it), and the composed sessions."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from pathlib import Path

from anomalygen import atomic
from anomalygen.core.statements import LogStatement
from anomalygen.synthesis.compose import ComposeConfig
from anomalygen.synthesis.generate import Generator, Rendered
from anomalygen.synthesis.markers import Markers
from anomalygen.synthesis.whole import RealSessions, build_model, composed_sessions, load_real_sessions, log_sessions

MODEL_FILE = "session_model.json"


class SessionModelStep:
    def __init__(
        self, enabled: bool, real_spec: str | None, prior: float, fraction: float = 1.0, novel_share: float = 0.0
    ):
        self.enabled = enabled
        self.novel_share = novel_share
        self.fraction = fraction
        self.real_spec = real_spec
        self.prior = prior
        self.real: RealSessions | None = None
        self.markers: Markers | None = None
        self.by_key: dict[str, list[str]] | None = {} if enabled and real_spec is None else None
        self.made: list[Rendered] = []
        self.model_info: dict = {}

    def load(self, statements: list[LogStatement]) -> None:
        if self.enabled and self.real_spec is not None:
            self.real = load_real_sessions(self.real_spec, statements, self.fraction)

    def sessions(self, gen: Generator, out: Path, logs: list[Path], code: dict) -> list[Rendered] | None:
        """Composed sessions, or None when there are no real normal sessions to compose from (or the step is
        off): then the caller writes one path per session."""
        if not self.enabled:
            return None
        if self.real is None and self.by_key:
            self.real = log_sessions(self.by_key, gen, logs)
        if self.real is None or not self.real.normal():
            return None
        if self.real.labelled:
            self.markers = Markers.learn([(s.events, s.label) for s in self.real.sessions if s.label is not None])
        manifest = {
            "code": code,
            "real_sessions": self.real.info,
            "learned_here": "from the code: each statement's entry (thread kind) and what one execution prints, "
            "and every entry's feasible normal visible paths; from the real labels (if any): the "
            "markers, used only to label generate's own sessions",
            "learned_in_compose": "order constraints, optional phases and multiplicities: from the bases passed "
            "to compose() alone",
        }
        model = build_model(gen, ComposeConfig(prior=self.prior, novel_share=self.novel_share), manifest)
        doc = model.to_dict()
        if self.real.key_of:
            doc["keys"] = self.real.key_of
        if self.markers is not None:
            doc["markers"] = self.markers.to_dict()
        out.mkdir(parents=True, exist_ok=True)
        atomic.write_text(out / MODEL_FILE, json.dumps(doc, ensure_ascii=False, sort_keys=True))
        keyed = model.with_keys(self.real.key_of) if self.real.key_of else model
        self.model_info = {
            "roles": len(set(model.threads.role.values())),
            "statements": len(model.threads.role),
            "entries_with_shapes": len(model.threads.shapes),
            "novel_statements": len(model.novel),
        }
        self.made = list(composed_sessions(gen, keyed, self.real, self.markers, gen.cfg.n, gen.cfg.seed))
        return self.made or None  # no real session prints a line that carries the session key

    def params(self) -> dict:
        return {
            "enabled": self.enabled,
            "real_sessions": self.real_spec,
            "prior": self.prior,
            "real_fraction": self.fraction,
            "novel_share": self.novel_share,
        }

    def summary(self) -> dict | None:
        if not self.made:
            return None
        composed = [s.session.provenance.get("provenance") or {} for s in self.made]
        changes = Counter(c["change"] for p in composed for c in p.get("changes", []))
        out = {
            "file": MODEL_FILE,
            **self.model_info,
            "real_sessions": self.real.info if self.real else None,
            "composed": len(self.made),
            "changes": dict(sorted(changes.items())),
            "with_relaxed_order": sum(1 for p in composed if p.get("relaxed")),
        }
        if self.markers is not None:
            anomalous = [s.session.events for s in self.made if s.session.label]
            normal = [s.session.events for s in self.made if not s.session.label]
            out["markers"] = {
                "events": len(self.markers.events),
                "transitions": len(self.markers.transitions),
                "learned_from": self.markers.sessions,
                "anomalous_sessions_per_marker": _per_marker(self.markers, anomalous),
                "normal_sessions_with_a_marker": sum(1 for ev in normal if self.markers.found(ev)),
            }
        return out


def _per_marker(markers: Markers, sessions: list[list[str]]) -> dict[str, int]:
    c: Counter = Counter()
    for ev in sessions:
        for e in set(ev) & set(markers.events):
            c[e] += 1
        for t in set(itertools.pairwise(ev)) & set(markers.transitions):
            c[f"{t[0]}->{t[1]}"] += 1
    return dict(c.most_common())
