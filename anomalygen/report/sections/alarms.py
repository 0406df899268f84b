"""What the detector flags: the top alarms of one saved detector on the real sessions it never saw, each with
its explanation in source terms (written by the run's `alarms` stage, `anomalygen.deploy.preview`)."""

from __future__ import annotations

from anomalygen.report.load import RunDir, to_int
from anomalygen.report.markup import esc, h3, kv_table, note, num, pct, pre, table

ID = "alarms"
TITLE = "What the detector flags"


def _stmt(s: dict) -> str:
    if "location" in s:
        return f'{s["location"]} {s.get("method", "")} {s.get("level", "")} "{s.get("template", "")}"'
    return f"{s.get('event', '?')} ({s.get('note', '')})"


def _alarm(a: dict) -> str:
    label = to_int(a.get("label"))
    cls = "label-anomaly" if label else "label-normal"
    head = (
        f"<p><b>{esc(a.get('session', ''))}</b>: score {num(a.get('score'), 4)} &gt; threshold "
        f"{num(a.get('threshold'), 4)}, {to_int(a.get('lines'))} lines from {esc(a.get('start') or '?')}; "
        f'labelled <span class="{cls}">{"anomalous" if label else "normal"}</span></p>'
    )
    ex = a.get("explanation") or {}
    parts = [head]
    for u in ex.get("unexpected") or []:
        parts.append(
            f"<p>unexpected: <code>{esc(_stmt(u))}</code> at {esc(u.get('at') or '?')} "
            f"(rank {to_int(u.get('rank'))}); the model expected:</p>"
        )
        parts.append(table(["expected statement"], [[_stmt(e)] for e in u.get("expected") or []], cls="text"))
        ctx = u.get("context") or []
        if ctx:
            parts.append(pre("\n".join(f"{'>' if c.get('this') else ' '} {c.get('at')}: {c.get('text')}" for c in ctx)))
    devs = ex.get("deviations") or []
    if devs:
        parts.append(
            table(
                ["statement", "count", "normal mean", "deviation"],
                [[_stmt(d), to_int(d.get("count")), d.get("normal_mean"), d.get("deviation")] for d in devs],
                cls="text",
            )
        )
    for u in ex.get("unseen") or []:
        parts.append(
            note(
                f"never seen in training or synthesis: {_stmt(u)}, first at {u.get('first_at')} "
                f"({to_int(u.get('count'))}x): a code path the model cannot judge",
                "info",
            )
        )
    return f'<div class="example">{"".join(parts)}</div>'


def render(run: RunDir) -> str:
    got = run.json("alarms/alarms.json")
    if not got.ok:
        return note(run.why_missing(f"alarm preview ({got.problem})", "alarms"))
    doc = got.value if isinstance(got.value, dict) else {}
    n_alarms, true_alarms = to_int(doc.get("alarms")), to_int(doc.get("alarms_labelled_anomalous"))
    tests, anomalies = to_int(doc.get("test_sessions")), to_int(doc.get("test_anomalies"))
    parts = [
        kv_table(
            {
                "detector": doc.get("detector", "?"),
                "threshold (chosen on validation data)": num(doc.get("threshold"), 4),
                "held-out sessions (the last fifth of the log, never trained on)": f"{num(tests)} ({num(anomalies)} "
                "labelled anomalous)",
                "alarms": f"{num(n_alarms)}, of which labelled anomalous {num(true_alarms)} "
                f"({pct(true_alarms, n_alarms)})",
                "labelled anomalies not flagged": num(to_int(doc.get("anomalies_missed"))),
                "model folder": doc.get("model", "?"),
            }
        )
    ]
    parts.append(
        note(
            "Each alarm names the source statements behind it: for next-event models the first events "
            "the model did not expect, with the statements it expected and the session's lines; for "
            "other models the statements whose counts deviate most from normal sessions. Run the same "
            "model on new logs with `anomalygen detect MODEL_DIR LOG --follow`.",
            "info",
        )
    )
    top = doc.get("top") or []
    if not top:
        parts.append(note("no held-out session was flagged", "info"))
        return "".join(parts)
    parts.append(h3(f"Top {len(top)} alarms by score"))
    parts.extend(_alarm(a) for a in top if isinstance(a, dict))
    return "".join(parts)
