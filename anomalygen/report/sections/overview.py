"""Overview: key figures, the run's inputs and parameters, and the stage table from run.json."""

from __future__ import annotations

from pathlib import Path

from anomalygen.core import layout
from anomalygen.report.load import RunDir, to_float, to_int
from anomalygen.report.markup import details, esc, h3, kv_table, note, num, pct, pre, table

ID = "overview"
TITLE = "Overview"


LOG_TAIL = 30
HIDDEN = {"report"}  # the report cannot show its own status: it is being written


def _status_class(status: str) -> str:
    if status == "done" or status.startswith("done"):
        return "ok"
    if status.startswith(("skipped", "not run")):
        return "skip"
    if status.startswith("failed"):
        return "fail"
    return ""


def _rel(path: str, run: RunDir) -> str:
    """A path under the run directory relative to it; others as they are."""
    try:
        return str(Path(path).resolve().relative_to(run.root.resolve()))
    except (ValueError, OSError):
        return path


def _log_tail(run: RunDir, name: str, info: dict) -> str:
    """The end of a failed stage's captured output (stage-logs/NAME.log or the stage's `log`)."""
    cands = [Path(str(info["log"]))] if info.get("log") else []
    cands.append(run.root / layout.STAGE_LOGS / f"{name}.log")
    for p in cands:
        p = p if p.is_absolute() else run.root / p
        try:
            lines = p.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        return details(
            f"{name}: last {min(LOG_TAIL, len(lines))} lines of {_rel(str(p), run)}",
            pre("\n".join(lines[-LOG_TAIL:])),
            open_=True,
        )
    return ""


def _stage_table(run: RunDir, stages: dict) -> str:
    rows = []
    tails = []
    total = 0.0
    for name, info in stages.items():
        if name in HIDDEN:
            continue
        info = info if isinstance(info, dict) else {"status": info}
        status = str(info.get("status", "unknown"))
        secs = to_float(info.get("seconds"))
        total += secs or 0.0
        outs = info.get("outputs") or []
        outs = outs if isinstance(outs, list) else [outs]
        rows.append(
            [
                esc(name),
                f'<span class="{_status_class(status)}">{esc(status)}</span>',
                "" if secs is None else f"{secs:.1f}",
                esc(info.get("note", "")),
                "<br>".join(f"<code>{esc(_rel(str(o), run))}</code>" for o in outs),
            ]
        )
        if status.startswith("failed"):
            tails.append(_log_tail(run, name, info))
    rows.append(["<b>total</b>", "", f"<b>{total:.1f}</b>", "", ""])
    return table(["stage", "status", "seconds", "note", "outputs"], rows, cls="text", raw=True) + "".join(tails)


def key_figures(run: RunDir) -> list[tuple[str, str]]:
    figs: list[tuple[str, str]] = []
    cov = run.json(layout.COVERAGE_JSON, "logs/coverage.json", "coverage.json")
    if cov.ok and isinstance(cov.value, dict):
        s = cov.value.get("summary", {})
        total = to_int(s.get("statements"))
        exact = s.get("exact", {}) if isinstance(s.get("exact"), dict) else {}
        if total:
            figs.append(("log statements in the source", num(total)))
            figs.append(
                (
                    "seen in real logs",
                    f"{num(to_int(exact.get('covered')))} ({pct(to_int(exact.get('covered')), total)})",
                )
            )
    else:
        inv = run.json(layout.INVENTORY_MANIFEST, "inventory/manifest.json")
        if inv.ok and isinstance(inv.value, dict):
            n = (inv.value.get("outputs") or {}).get("statements")
            if n is not None:
                figs.append(("log statements in the source", num(to_int(n))))
    syn = run.json(layout.SYNTHETIC_MANIFEST)
    if syn.ok and isinstance(syn.value, dict):
        c = (syn.value.get("outputs") or {}).get("counts") or {}
        if "sessions" in c:
            figs.append(
                (
                    "synthetic sessions",
                    f"{num(to_int(c.get('sessions')))} ({num(to_int(c.get('anomalous')))} anomalous)",
                )
            )
        if "statements_newly_covered" in c:
            figs.append(
                ("statements real logs never showed that kept paths print", num(to_int(c["statements_newly_covered"])))
            )
    return figs


def render(run: RunDir) -> str:
    parts = []
    got = run.json(layout.STATE)
    figs = key_figures(run)
    if figs:
        parts.append(
            '<table class="kv"><tbody>'
            + "".join(f"<tr><th>{esc(k)}</th><td>{v}</td></tr>" for k, v in figs)
            + "</tbody></table>"
        )
    if not got.ok:
        parts.append(note(f"run manifest: {got.problem}; stage timings and parameters unknown"))
        return "".join(parts)
    man = got.value if isinstance(got.value, dict) else {}
    inputs, params, stages = man.get("inputs"), man.get("params"), man.get("stages")
    parts.append(h3("Inputs"))
    parts.append(kv_table(inputs) if isinstance(inputs, dict) and inputs else note("no inputs recorded in run.json"))
    parts.append(h3("Parameters"))
    parts.append(
        kv_table(params) if isinstance(params, dict) and params else note("no parameters recorded in run.json")
    )
    parts.append(h3("Stages"))
    parts.append(
        _stage_table(run, stages) if isinstance(stages, dict) and stages else note("no stages recorded in run.json")
    )
    return "".join(parts)
