"""Which event key the detectors see, so that real and synthetic sessions share one vocabulary.

Four ways to key, chosen by `plan_keys` and recorded in the evaluation's manifest:

- `events`: real and synthetic sessions already carry the same kind of keys (source statement ids, as the logs
  stage writes them); nothing is mapped.
- `statements`: real sessions carry the dataset's own event ids (HDFS_v1's `E5`); each real event's template is
  matched to the inventory's statements (`event_statement_map`) and both sides are keyed by statement ids, the
  source's vocabulary. Needs the inventory.
- `real-events`: the same real data without an inventory: each synthetic statement is keyed by the real event
  whose template its rendered lines match (`auto_template_map`); unmatched statements stay new events.
- `templates`: the real data has only Drain templates (the shared HDFS_100k); synthetic sessions are keyed by
  their own templates or by the real template their lines match.

Templates are compared after collapsing whitespace.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from anomalygen.core.sessions import Session
from anomalygen.core.templates import WILDCARD

_WS = re.compile(r"\s+")


def norm_template(t: str) -> str:
    return _WS.sub(" ", t).strip()


def real_key_field(real: list[Session]) -> str:
    return "events" if real and all(s.has_event_ids for s in real) else "templates"


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
        return [template_map.get(e, e) for e in s.events] if template_map else list(s.events)
    if s.templates is not None:
        if template_map and s.has_event_ids:
            return [norm_template(template_map.get(e, t)) for e, t in zip(s.events, s.templates, strict=False)]
        return [norm_template(t) for t in s.templates]
    if not s.has_event_ids:
        return [norm_template(t) for t in s.events]  # a templates-only file: its events are templates
    missing = [e for e in s.events if e not in template_map]
    if missing:
        raise ValueError(
            f"session {s.session_id} ({s.source}): the real data is keyed by template, but this session has no "
            f"'templates' and event {missing[0]!r} is not in the template map (--template-map)"
        )
    return [norm_template(template_map[e]) for e in s.events]


def _template_regex(t: str) -> re.Pattern:
    parts = [re.escape(p) for p in norm_template(t).split(WILDCARD)]
    return re.compile(r"\s*" + "(.*?)".join(p.replace(r"\ ", r"\s*") for p in parts) + r"\s*", re.DOTALL)


def _literal_len(text: str) -> int:
    return len(_WS.sub("", text.replace(WILDCARD, "")))


def real_event_templates(real: list[Session]) -> dict[str, str]:
    """Event key -> template, for real sessions that carry both."""
    out: dict[str, str] = {}
    for s in real:
        if s.templates and s.has_event_ids:
            for e, t in zip(s.events, s.templates, strict=False):
                out.setdefault(e, t)
    return out


def auto_template_map(real: list[Session], synthetic: list[Session], to: str = "template") -> dict[str, str]:
    """Synthetic statement id -> the real data's template (`to="template"`) or event key (`to="event"`), found by
    matching the synthetic lines themselves.

    Synthetic sessions written by `generate` carry each line's template and parameters; a line rendered from
    them is matched against every template of the real data (most literal text first). Statements whose lines
    match no real template are left out: they are events the real data never showed."""
    if to == "event":
        by_template = {norm_template(t): e for e, t in sorted(real_event_templates(real).items())}
    else:
        by_template = {norm_template(t): norm_template(t) for s in real for t in (s.templates or [])}
    compiled = [(by_template[t], _template_regex(t)) for t in sorted(by_template, key=lambda t: -_literal_len(t))]
    out: dict[str, str] = {}
    tried: set[str] = set()
    for s in synthetic:
        params = s.provenance.get("params")
        if not s.templates or not params or not s.has_event_ids:
            continue
        for e, tpl, ps in zip(s.events, s.templates, params, strict=False):
            if e in tried:
                continue
            tried.add(e)
            pieces = tpl.split(WILDCARD)
            if len(ps) != len(pieces) - 1:
                continue
            line = pieces[0] + "".join(str(v) + lit for v, lit in zip(ps, pieces[1:], strict=False))
            line = line.split("\n", 1)[0]
            hit = next((k for k, rx in compiled if rx.fullmatch(line)), None)
            if hit is not None:
                out[e] = hit
    return out


@dataclass
class EventMap:
    """Real event keys and inventory statements in one key space.

    A real event whose template matches statements is keyed by the first of them (file, line order); every
    statement of that event maps to the same key, so a synthetic session printing an identical twin shares it.
    Statements no real event shows keep their own id; real events no statement explains keep their own key."""

    event_to_key: dict[str, str]
    statement_to_key: dict[str, str]
    event_statements: dict[str, list[str]]
    unmapped_events: list[str]

    def coverage(self) -> dict:
        return {
            "real_events": len(self.event_to_key) + len(self.unmapped_events),
            "real_events_mapped": len(self.event_to_key),
            "real_events_unmapped": sorted(self.unmapped_events, key=_event_order),
            "statements_in_mapped_events": sum(len(v) for v in self.event_statements.values()),
            "map": {e: self.event_statements[e] for e in sorted(self.event_statements, key=_event_order)},
        }


def _event_order(e: str):
    m = re.fullmatch(r"([A-Za-z]*)(\d+)", e)
    return (m.group(1), int(m.group(2)), "") if m else ("~", 0, e)


def _loose_regex(template: str) -> re.Pattern:
    """A loghub-style template (`<*>` for whole tokens, spacing not kept) as a regex over a filled-in template."""
    pieces = [r"\s*".join(re.escape(c) for c in _WS.sub("", p)) for p in template.split(WILDCARD)]
    return re.compile(r"\s*" + r".*?".join(pieces) + r".*?", re.DOTALL)


def event_statement_map(event_templates: dict[str, str], statements) -> EventMap:
    """Map each real event template to the statements whose template, filled in, it matches.

    A statement is claimed by the matching event with the most literal text (`Received block <*> src: ...` is
    E6, not E9); statements without literal text of their own explain nothing and are skipped. A multi-line
    template is also tried cut at its first newline (line-based logs keep only that)."""
    compiled = {e: _loose_regex(t) for e, t in event_templates.items() if _literal_len(t)}
    claims: dict[str, list] = {}
    for st in statements:
        if not _literal_len(st.template):
            continue
        filled = st.template.replace(WILDCARD, " x1 ")
        first = st.template.split("\n", 1)[0].replace(WILDCARD, " x1 ")
        hits = [e for e, rx in compiled.items() if rx.fullmatch(filled) or rx.fullmatch(first)]
        if hits:
            best = max(hits, key=lambda e: (_literal_len(event_templates[e]), _event_order(e)))
            claims.setdefault(best, []).append(st)
    event_to_key, statement_to_key, event_statements = {}, {}, {}
    for e, sts in claims.items():
        sts = sorted(sts, key=lambda s: (s.file, s.line, s.id))
        event_to_key[e] = sts[0].id
        event_statements[e] = [s.id for s in sts]
        for s in sts:
            statement_to_key[s.id] = sts[0].id
    for st in statements:
        statement_to_key.setdefault(st.id, st.id)
    unmapped = [e for e in event_templates if e not in event_to_key]
    return EventMap(event_to_key, statement_to_key, event_statements, unmapped)


@dataclass
class KeyPlan:
    """How real and synthetic sessions are keyed (see the module docstring), with what each map covers."""

    mode: str
    real_map: dict[str, str] = field(default_factory=dict)
    synthetic_map: dict[str, str] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)  # key -> template text, for the semantic models
    info: dict = field(default_factory=dict)

    def real(self, s: Session) -> list[str]:
        if self.mode == "templates":
            return session_keys(s, "templates", {})
        return [self.real_map.get(e, e) for e in s.events]

    def synthetic(self, s: Session) -> list[str]:
        if self.mode == "templates":
            return session_keys(s, "templates", self.synthetic_map)
        return [self.synthetic_map.get(e, e) for e in s.events]

    def statement_keys(self, events: list[str]) -> list[str]:
        """Statement-id sessions (e.g. composed by the session model) in this key space."""
        return [self.synthetic_map.get(e, e) for e in events]


def plan_keys(
    real: list[Session],
    synthetic: list[Session],
    template_map: dict[str, str] | None = None,
    auto: bool = False,
    statements=None,
) -> KeyPlan:
    """Choose the key space; `auto` maps by matching (needs `statements` for the `statements` mode).

    Raises ValueError when synthetic sessions are given but share no key with the real ones."""
    field_ = real_key_field(real)
    real_templates = real_event_templates(real)
    texts: dict[str, str] = {}
    if field_ == "templates":
        smap = auto_template_map(real, synthetic) if auto else dict(template_map or {})
        plan = KeyPlan("templates", synthetic_map=smap, info={"synthetic_statements_mapped": len(smap)})
    elif auto and statements is not None and not _shares(real, synthetic):
        emap = event_statement_map(real_templates, statements)
        texts = {st.id: st.template for st in statements}
        plan = KeyPlan(
            "statements",
            real_map=dict(emap.event_to_key),
            synthetic_map=dict(emap.statement_to_key),
            info=emap.coverage(),
        )
        texts.update({e: t for e, t in real_templates.items() if e not in emap.event_to_key})
    elif auto and not _shares(real, synthetic):
        smap = auto_template_map(real, synthetic, to="event")
        plan = KeyPlan(
            "real-events",
            synthetic_map=smap,
            info={"synthetic_statements_mapped": len(smap), "map": dict(sorted(smap.items()))},
        )
        texts.update(real_templates)
    else:
        plan = KeyPlan("events", synthetic_map=dict(template_map or {}))
        texts.update(real_templates)
    for s in synthetic:
        if s.templates:
            for e, t in zip(s.events, s.templates, strict=False):
                texts.setdefault(plan.synthetic_map.get(e, e) if plan.mode != "templates" else e, t)
    plan.texts = texts
    if synthetic:
        real_keys = {k for s in real for k in plan.real(s)}
        syn_keys = {k for s in synthetic for k in plan.synthetic(s)}
        shared = real_keys & syn_keys
        plan.info.update(real_keys=len(real_keys), synthetic_keys=len(syn_keys), shared_keys=len(shared))
        if not shared:
            hint = ("" if auto else "; try --template-map auto") + (
                " with --source/--inventory (the system's source, to key both by statement ids)"
                if statements is None and field_ == "events"
                else ""
            )
            raise ValueError(
                f"the synthetic sessions share no event key with the real data "
                f"({len(real_keys)} real keys, {len(syn_keys)} synthetic, key mode {plan.mode}){hint}"
            )
    return plan


def _shares(real: list[Session], synthetic: list[Session]) -> bool:
    real_keys = {e for s in real for e in s.events}
    return any(e in real_keys for s in synthetic for e in s.events)


def statement_sessions(real: list[Session], statements) -> tuple[list[Session], EventMap]:
    """Event-keyed real sessions (e.g. `hdfs_deeplog`) re-keyed by statement ids, with the map used: the form
    the synthesis stage's session model learns from."""
    emap = event_statement_map(real_event_templates(real), statements)
    text = {st.id: st.template for st in statements}
    out = []
    for s in real:
        events = [emap.event_to_key.get(e, e) for e in s.events]
        templates = [text.get(k, t) for k, t in zip(events, s.templates or s.events, strict=False)]
        out.append(replace(s, events=events, templates=templates, has_event_ids=True))
    return out, emap
