"""Which event key the detectors see, so that real and synthetic sessions share one vocabulary.

Keys are source statement ids (`events`) when every real session carries them; otherwise (the shared
HDFS_100k data has only Drain templates) the templates are the keys, and synthetic sessions are keyed by
their `templates` field, or by a user-supplied map from statement id to template. Templates are compared
after collapsing whitespace.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from anomalygen.logs.sessions_data import Session

_WS = re.compile(r"\s+")


def norm_template(t: str) -> str:
    return _WS.sub(" ", t).strip()


def real_key_field(real: list[Session]) -> str:
    return "events" if real and all(s.extra.get("has_event_ids") for s in real) else "templates"


def load_template_map(path: str | Path | None) -> dict[str, str]:
    """JSON object {event key: template}, e.g. written by the synthesis stage."""
    if path is None:
        return {}
    obj = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(obj, dict) or not all(isinstance(v, str) for v in obj.values()):
        raise ValueError(f"{path}: expected a JSON object mapping event keys to template strings")
    return obj


def session_keys(s: Session, field: str, template_map: dict[str, str]) -> list[str]:
    if field == "events":
        return list(s.events)
    if s.templates is not None:
        return [norm_template(t) for t in s.templates]
    if not s.extra.get("has_event_ids", False):
        return [norm_template(t) for t in s.events]  # a templates-only file: its events are templates
    missing = [e for e in s.events if e not in template_map]
    if missing:
        raise ValueError(
            f"session {s.session_id} ({s.source}): the real data is keyed by template, but this session has no "
            f"'templates' and event {missing[0]!r} is not in the template map (--template-map)")
    return [norm_template(template_map[e]) for e in s.events]


def event_texts(sessions: list[Session], field: str, template_map: dict[str, str]) -> dict[str, str]:
    """Key -> text for semantic vectors: templates where known (for template keys, the key is the text)."""
    texts = {k: v for k, v in template_map.items()}
    if field == "events":
        for s in sessions:
            if s.templates:
                texts.update(zip(s.events, s.templates))
    return texts
