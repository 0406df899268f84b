"""Overview: key figures, the run's inputs and parameters, and the stage table from run.json."""

from __future__ import annotations

from anomalygen.report.load import RunDir, to_float, to_int
from anomalygen.report.markup import esc, h3, kv_table, note, num, pct, table

ID = "overview"
TITLE = "Overview"


def _status_class(status: str) -> str:
    if status == "done" or status.startswith("done"):
        return "ok"
    if status.startswith("skipped"):
        return "skip"
    if status.startswith("failed"):
        return "fail"
    return ""


def _stage_table(stages: dict) -> str:
    rows = []
    total = 0.0
    for name, info in stages.items():
        info = info if isinstance(info, dict) else {"status": info}
        status = str(info.get("status", "unknown"))
        secs = to_float(info.get("seconds"))
        total += secs or 0.0
        outs = info.get("outputs") or []
        outs = outs if isinstance(outs, list) else [outs]
        rows.append([esc(name), f'<span class="{_status_class(status)}">{esc(status)}</span>',
                     "" if secs is None else f"{secs:.1f}",
                     "<br>".join(f"<code>{esc(o)}</code>" for o in outs)])
    rows.append(["<b>total</b>", "", f"<b>{total:.1f}</b>", ""])
    return table(["stage", "status", "seconds", "outputs"], rows, cls="text", raw=True)


def key_figures(run: RunDir) -> list[tuple[str, str]]:
    figs: list[tuple[str, str]] = []
    cov = run.json("coverage/coverage.json", "logs/coverage.json", "coverage.json")
    if cov.ok and isinstance(cov.value, dict):
        s = cov.value.get("summary", {})
        total = to_int(s.get("statements"))
        exact = s.get("exact", {}) if isinstance(s.get("exact"), dict) else {}
        if total:
            figs.append(("log statements in the source", num(total)))
            figs.append(("seen in real logs", f"{num(to_int(exact.get('covered')))} ({pct(to_int(exact.get('covered')), total)})"))
    else:
        inv = run.json("inventory/statements.manifest.json", "inventory/manifest.json")
        if inv.ok and isinstance(inv.value, dict):
            n = (inv.value.get("outputs") or {}).get("statements")
            if n is not None:
                figs.append(("log statements in the source", num(to_int(n))))
    syn = run.json("synthetic/manifest.json")
    if syn.ok and isinstance(syn.value, dict):
        c = (syn.value.get("outputs") or {}).get("counts") or {}
        if "sessions" in c:
            figs.append(("synthetic sessions", f"{num(to_int(c.get('sessions')))} "
                                               f"({num(to_int(c.get('anomalous')))} anomalous)"))
        if "statements_newly_covered" in c:
            figs.append(("statements real logs never showed that kept paths print", num(to_int(c["statements_newly_covered"]))))
    return figs


def render(run: RunDir) -> str:
    parts = []
    got = run.json("run.json")
    figs = key_figures(run)
    if figs:
        parts.append('<table class="kv"><tbody>' + "".join(f"<tr><th>{esc(k)}</th><td>{v}</td></tr>"
                                                            for k, v in figs) + "</tbody></table>")
    if not got.ok:
        parts.append(note(f"run manifest: {got.problem}; stage timings and parameters unknown"))
        return "".join(parts)
    man = got.value if isinstance(got.value, dict) else {}
    inputs, params, stages = man.get("inputs"), man.get("params"), man.get("stages")
    parts.append(h3("Inputs"))
    parts.append(kv_table(inputs) if isinstance(inputs, dict) and inputs else note("no inputs recorded in run.json"))
    parts.append(h3("Parameters"))
    parts.append(kv_table(params) if isinstance(params, dict) and params else note("no parameters recorded in run.json"))
    parts.append(h3("Stages"))
    parts.append(_stage_table(stages) if isinstance(stages, dict) and stages else note("no stages recorded in run.json"))
    return "".join(parts)
