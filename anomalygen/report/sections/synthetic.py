"""Synthetic sessions: counts, anomalous share, parse-back figures, labels by entry and reason, and a few normal
and anomalous example sessions with their raw lines (a composed one beside the real session it started from)."""

from __future__ import annotations

import re
from collections import Counter

from anomalygen.core import layout
from anomalygen.report.examples import pick, raw_lines, rebuilt_lines
from anomalygen.report.load import RunDir, to_int
from anomalygen.report.markup import esc, h3, kv_table, note, num, pct, table

ID = "synthetic"
TITLE = "Synthetic sessions"

N_EXAMPLES = 3
MAX_SIDE = 40  # events shown side by side with the real base session
_STMT_PREFIX = re.compile(r"^L[0-9a-f]{12}: ")


def reason_kinds(reason: str) -> list[str]:
    """'L123…: ERROR line, in a catch of X; the path leaves …' -> ['ERROR line, in a catch of X', 'the path …']."""
    return [_STMT_PREFIX.sub("", r.strip()) for r in str(reason or "").split(";") if r.strip()]


def _counts(run: RunDir, sessions: list[dict] | None) -> str:
    man = run.json(layout.SYNTHETIC_MANIFEST)
    parts = []
    counts: dict[str, int] = {}
    if man.ok and isinstance(man.value, dict):
        outs = man.value.get("outputs") or {}
        counts = outs.get("counts") or {}
    elif sessions is not None:
        parts.append(note(f"synthetic manifest: {man.problem}; counts from sessions.jsonl"))
        counts = {
            "sessions": len(sessions),
            "anomalous": sum(1 for s in sessions if to_int(s.get("label"))),
            "lines": sum(len(s.get("events") or []) for s in sessions),
        }
    n, a = to_int(counts.get("sessions")), to_int(counts.get("anomalous"))
    rows = {"sessions": num(n), "anomalous": f"{num(a)} ({pct(a, n)})", "normal": num(n - a)}
    for k, label in (
        ("lines", "lines"),
        ("empty_sessions", "empty sessions"),
        ("statements_newly_covered", "statements real logs never showed that kept paths print"),
    ):
        if k in counts:
            rows[label] = num(to_int(counts[k]))
    parts.insert(
        0,
        '<table class="kv"><tbody>'
        + "".join(f"<tr><th>{esc(k)}</th><td>{v}</td></tr>" for k, v in rows.items())
        + "</tbody></table>",
    )
    if man.ok and isinstance(man.value, dict):
        back = (man.value.get("outputs") or {}).get("parse_back")
        parts.append(h3("Parse-back check"))
        if isinstance(back, dict):
            lines = to_int(back.get("lines"))
            same = to_int(back.get("same_statement"))
            parts.append(
                table(
                    [
                        "lines",
                        "parsed back to their statement",
                        "share",
                        "identical twins",
                        "match the statement's regex",
                        "rejected by the reader",
                    ],
                    [
                        [
                            lines,
                            same,
                            pct(same, lines, 2),
                            to_int(back.get("identical_twins")),
                            to_int(back.get("regex_match")),
                            to_int(back.get("rejected_by_reader")),
                        ]
                    ],
                )
            )
            mism = back.get("mismatches") or []
            if mism:
                parts.append(
                    table(
                        ["line", "expected", "parsed", "content"],
                        [
                            [m.get("line", ""), m.get("expected", ""), m.get("parsed", ""), m.get("content", "")]
                            for m in mism
                            if isinstance(m, dict)
                        ],
                        cls="text",
                    )
                )
        else:
            parts.append(note("no parse-back figures in synthetic/manifest.json"))
        params = man.value.get("params")
        if isinstance(params, dict):
            shown = {k: v for k, v in params.items() if k != "rules"}
            parts.append(h3("Generation parameters"))
            parts.append(kv_table(shown))
    return "".join(parts)


def _breakdowns(sessions: list[dict]) -> str:
    by_entry: dict[str, list[int]] = {}
    for s in sessions:
        d = by_entry.setdefault(str(s.get("entry", "")), [0, 0])
        d[0] += 1
        d[1] += 1 if to_int(s.get("label")) else 0
    rows = [[e, n, a, pct(a, n)] for e, (n, a) in sorted(by_entry.items(), key=lambda kv: (-kv[1][0], kv[0]))]
    parts = [h3("Sessions by entry point"), table(["entry", "sessions", "anomalous", "anomalous %"], rows)]
    kinds = Counter(k for s in sessions if to_int(s.get("label")) for k in set(reason_kinds(s.get("reason", ""))))
    if kinds:
        parts += [
            h3("Why anomalous sessions are anomalous (sessions per reason)"),
            table(["reason", "sessions"], sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])), cls="text"),
        ]
    exits = Counter(str(s.get("exit", "")) for s in sessions)
    parts += [h3("Path exits"), table(["exit", "sessions"], sorted(exits.items(), key=lambda kv: (-kv[1], kv[0])))]
    return "".join(parts)


def _made_from(s: dict, real: dict[str, dict]) -> str:
    """A composed session beside the real session it started from, event by event, with the changes made."""
    prov = s.get("provenance")
    if not isinstance(prov, dict):
        return ""
    base = real.get(str(prov.get("base")))
    changes = (
        "; ".join(
            f"{c.get('change')} {c.get('role') or ', '.join(c.get('roles') or [])}"
            for c in prov.get("changes") or []
            if isinstance(c, dict)
        )
        or "re-interleaved only"
    )
    head = f"<p>composed from real session <code>{esc(prov.get('base', ''))}</code>: {esc(changes)}</p>"
    if base is None:
        return head
    mine = [str(t) for t in s.get("templates") or s.get("events") or []]
    theirs = [str(t) for t in base.get("templates") or base.get("events") or []]
    rows = [
        [theirs[i] if i < len(theirs) else "", mine[i] if i < len(mine) else ""]
        for i in range(min(MAX_SIDE, max(len(mine), len(theirs))))
    ]
    return head + table(["real session (base)", "synthetic session"], rows, cls="text")


def _example(s: dict, lines: dict, real: dict[str, dict] | None = None) -> str:
    anomalous = bool(to_int(s.get("label")))
    label = "Anomaly" if anomalous else "Normal"
    head = (
        f"<p><b>{esc(s.get('session_id', ''))}</b> &middot; label "
        f'<span class="label-{label.lower()}">{label}</span> &middot; entry <code>{esc(s.get("entry", ""))}</code>'
        f" &middot; path {esc(s.get('path', ''))} &middot; exit {esc(s.get('exit', ''))}</p>"
    )
    reasons = Counter(r.strip() for r in str(s.get("reason") or "").split(";") if r.strip())  # keeps first order
    why = (
        (
            "<p>reasons:</p><ul>"
            + "".join(f"<li>{esc(r)}{f' (×{n})' if n > 1 else ''}</li>" for r, n in reasons.items())
            + "</ul>"
        )
        if reasons
        else "<p>reasons: none recorded</p>"
    )
    body = "\n".join(esc(t) if not lab or lab == "normal" else f"{esc(t)}    [{esc(lab)}]" for t, lab in lines["lines"])
    more = (
        f'<p class="note info">{lines["total"] - len(lines["lines"])} more lines not shown</p>'
        if lines["total"] > len(lines["lines"])
        else ""
    )
    return f'<div class="example">{head}{why}{_made_from(s, real or {})}<pre class="log">{body}</pre>{more}</div>'


def _examples(run: RunDir, sessions: list[dict]) -> str:
    normal = pick(
        [s for s in sessions if not to_int(s.get("label"))],
        N_EXAMPLES,
        [lambda s: s.get("entry"), lambda s: s.get("exit")],
    )
    anomalous = pick(
        [s for s in sessions if to_int(s.get("label"))],
        N_EXAMPLES,
        [lambda s: s.get("entry"), lambda s: tuple(sorted(set(reason_kinds(s.get("reason", "")))))],
    )
    chosen = normal + anomalous
    parts = [
        h3("Example sessions"),
        note(
            "chosen deterministically: the first sessions of sessions.jsonl, preferring different entry "
            "points, then different exits (normal) or reasons (anomalous); lines a label rule marks are "
            "tagged [suspicious] or [anomalous]",
            "info",
        ),
    ]
    structured, raw = run.path(layout.SYNTHETIC_STRUCTURED), run.path(layout.SYNTHETIC_LOG)
    found: dict[str, dict] = {}
    if structured is not None and raw is not None:
        try:
            found = raw_lines(structured, raw, {str(s.get("session_id")) for s in chosen})
        except OSError as e:
            parts.append(note(f"raw synthetic log could not be read: {e}", "error"))
    else:
        parts.append(note("synthetic.log or its structured CSV missing: lines rebuilt from templates and parameters"))
    real: dict[str, dict] = {}
    if any(isinstance(s.get("provenance"), dict) for s in chosen):
        got = run.jsonl_all(layout.SESSIONS)
        real = {str(r.get("session_id")): r for r in got.value} if got.ok else {}
    for title, group in (("Normal", normal), ("Anomalous", anomalous)):
        parts.append(f"<h4>{esc(title)} ({len(group)})</h4>")
        if not group:
            parts.append(note(f"no {title.lower()} session with lines"))
        for s in group:
            lines = found.get(str(s.get("session_id")))
            if not lines or not lines["total"]:
                lines = rebuilt_lines(s)
            parts.append(_example(s, lines, real))
    return "".join(parts)


def render(run: RunDir) -> str:
    got = run.jsonl_all(layout.SYNTHETIC_SESSIONS)
    sessions = got.value if got.ok else None
    if sessions is None and not run.json(layout.SYNTHETIC_MANIFEST).ok:
        return note(run.why_missing(f"synthetic sessions ({got.problem})", "generate", "synthesis"))
    parts = [_counts(run, sessions)]
    if sessions is None:
        parts.append(note(f"no examples: {got.problem}"))
    else:
        parts.append(_breakdowns(sessions))
        parts.append(_examples(run, sessions))
    return "".join(parts)
