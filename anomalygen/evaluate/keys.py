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
        if template_map and s.extra.get("has_event_ids"):
            return [norm_template(template_map.get(e, t)) for e, t in zip(s.events, s.templates)]
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


def _template_regex(t: str) -> re.Pattern:
    parts = [re.escape(p) for p in norm_template(t).split("<*>")]
    return re.compile(r"\s*" + "(.*?)".join(p.replace(r"\ ", r"\s+") for p in parts) + r"\s*", re.DOTALL)


def auto_template_map(real: list[Session], synthetic: list[Session]) -> dict[str, str]:
    """Statement id -> the real data's template, found by matching the synthetic lines themselves.

    Synthetic sessions written by `generate` carry each line's template and parameters; a line rendered from
    them is matched against every template of the real data (most literal text first). Statements whose lines
    match no real template keep their own template: they are events the real data never showed."""
    real_templates = sorted({norm_template(t) for s in real for t in (s.templates or [])},
                            key=lambda t: -len(t.replace("<*>", "")))
    compiled = [(t, _template_regex(t)) for t in real_templates]
    out: dict[str, str] = {}
    tried: set[str] = set()
    for s in synthetic:
        params = s.extra.get("params")
        if not s.templates or not params or not s.extra.get("has_event_ids"):
            continue
        for e, tpl, ps in zip(s.events, s.templates, params):
            if e in tried:
                continue
            tried.add(e)
            pieces = tpl.split("<*>")
            if len(ps) != len(pieces) - 1:
                continue
            line = pieces[0] + "".join(str(v) + lit for v, lit in zip(ps, pieces[1:]))
            line = line.split("\n", 1)[0]
            hit = next((t for t, rx in compiled if rx.fullmatch(line)), None)
            if hit is not None:
                out[e] = hit
    return out
