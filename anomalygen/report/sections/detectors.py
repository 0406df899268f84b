"""Detectors: baseline (ratio 0) against augmented training per detector, with deltas and the paired McNemar
test from evaluate's outputs, the evaluation's data figures, failed runs, and evaluate's plots."""

from __future__ import annotations

from collections import defaultdict
from statistics import mean

from anomalygen.report.load import RunDir, to_float
from anomalygen.report.markup import esc, h3, img_file, kv_table, note, signed, table

ID = "detectors"
TITLE = "Detectors: baseline vs augmented"

METRICS = ("f1", "precision", "recall", "false_alarms")


def load_runs(run: RunDir) -> tuple[list[dict] | None, str | None]:
    got = run.json("evaluate/runs.json")
    if got.ok and isinstance(got.value, list):
        return [r for r in got.value if isinstance(r, dict)], None
    rows = run.csv_rows("evaluate/runs.csv")
    if rows.ok:
        return rows.value, None
    return None, f"{got.problem}; {rows.problem}"


def aggregate(runs: list[dict]) -> dict[tuple, dict]:
    """(model, train_fraction, ratio) -> {"seeds": n, metric: mean} over the runs with status ok."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in runs:
        if str(r.get("status", "ok")) != "ok":
            continue
        groups[(str(r.get("model")), to_float(r.get("train_fraction")) or 0.0, to_float(r.get("ratio")) or 0.0)] \
            .append(r)
    out = {}
    for k, rs in groups.items():
        d = {"seeds": len(rs)}
        for m in METRICS:
            vals = [v for v in (to_float(r.get(m)) for r in rs) if v is not None]
            d[m] = mean(vals) if vals else None
        out[k] = d
    return out


def aggregate_paired(rows: list[dict]) -> dict[tuple, dict]:
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for p in rows:
        groups[(str(p.get("model")), to_float(p.get("train_fraction")) or 0.0, to_float(p.get("ratio")) or 0.0)] \
            .append(p)
    out = {}
    for k, ps in groups.items():
        deltas = [v for v in (to_float(p.get("delta_f1")) for p in ps) if v is not None]
        pvals = [v for v in (to_float(p.get("p_value")) for p in ps) if v is not None]
        out[k] = {"seeds": len(ps), "delta_f1": mean(deltas) if deltas else None,
                  "better": sum(d > 0 for d in deltas), "worse": sum(d < 0 for d in deltas),
                  "p": min(pvals) if pvals else None}
    return out


def _f(v, digits=3) -> str:
    return "n/a" if v is None else f"{v:.{digits}f}"


def _delta(v) -> str:
    if v is None:
        return "n/a"
    cls = "pos" if v > 1e-12 else ("neg" if v < -1e-12 else "")
    return f'<span class="{cls}">{signed(v)}</span>' if cls else signed(v)


def comparison_rows(agg: dict, paired: dict) -> tuple[list[list[str]], bool]:
    """Rows of the comparison table (HTML cells) and whether any augmented setting exists."""
    rows = []
    augmented = False
    for (model, frac, ratio) in sorted(agg, key=lambda k: (-k[1], k[0], k[2])):
        if ratio == 0:
            continue
        augmented = True
        a = agg[(model, frac, ratio)]
        b = agg.get((model, frac, 0.0))
        p = paired.get((model, frac, ratio))
        d = {m: (a[m] - b[m]) if b and a[m] is not None and b[m] is not None else None for m in METRICS}
        rows.append([esc(model), f"{frac:g}", f"{ratio:g}", str(a["seeds"]),
                     _f(b["f1"]) if b else "n/a", _f(a["f1"]), _delta(d["f1"]),
                     _f(b["precision"]) if b else "n/a", _f(a["precision"]), _delta(d["precision"]),
                     _f(b["recall"]) if b else "n/a", _f(a["recall"]), _delta(d["recall"]),
                     _f(b["false_alarms"], 1) if b else "n/a", _f(a["false_alarms"], 1),
                     f"{p['better']} / {p['worse']}" if p else "n/a",
                     (f"{p['p']:.3g}" if p and p["p"] is not None else "n/a")])
    return rows, augmented


HEADERS = ["model", "train fraction", "ratio", "seeds", "F1 base", "F1 aug", "ΔF1", "P base", "P aug", "ΔP",
           "R base", "R aug", "ΔR", "false alarms base", "false alarms aug", "seeds better / worse",
           "McNemar p (min over seeds)"]


def render(run: RunDir) -> str:
    if run.path("evaluate") is None:
        hint = "" if run.stage("evaluate") else " (`anomalygen run` evaluates only when labels are given)"
        return note(run.why_missing("evaluation (evaluate/ not found)", "evaluate") + hint)
    runs, problem = load_runs(run)
    if runs is None:
        return note(run.why_missing(f"evaluation results ({problem})", "evaluate"))
    agg = aggregate(runs)
    paired_rows = run.csv_rows("evaluate/paired.csv")
    paired = aggregate_paired(paired_rows.value) if paired_rows.ok else {}
    parts = []
    rows, augmented = comparison_rows(agg, paired)
    if augmented:
        parts.append(table(HEADERS, rows, raw=True))
        parts.append(note("means over seeds of runs that finished; Δ = augmented minus baseline (same test "
                          "sessions per seed); McNemar p from paired.csv" + ("" if paired_rows.ok else
                                                                             " (paired.csv missing: no p-values)"),
                          "info"))
    else:
        parts.append(note("no augmented run (ratio > 0) in this evaluation: baseline only", "missing"))
    if agg:
        parts.append(h3("All settings"))
        parts.append(table(["model", "train fraction", "ratio", "seeds", "F1", "precision", "recall",
                            "false alarms"],
                           [[esc(m), f"{f:g}", f"{r:g}", str(d["seeds"]), _f(d["f1"]), _f(d["precision"]),
                             _f(d["recall"]), _f(d["false_alarms"], 1)]
                            for (m, f, r), d in sorted(agg.items(), key=lambda kv: (-kv[0][1], kv[0][0], kv[0][2]))],
                           raw=True))
    else:
        parts.append(note("no detector run finished"))
    failed = [r for r in runs if str(r.get("status", "ok")) != "ok"]
    if failed:
        parts.append(h3(f"Runs that did not finish ({len(failed)})"))
        parts.append(table(["model", "seed", "train fraction", "ratio", "status", "error"],
                           [[r.get("model", ""), r.get("seed", ""), r.get("train_fraction", ""), r.get("ratio", ""),
                             r.get("status", ""), r.get("error", "")] for r in failed], cls="text"))
    man = run.json("evaluate/manifest.json")
    if man.ok and isinstance(man.value, dict):
        data = man.value.get("data")
        if isinstance(data, dict) and data:
            parts.append(h3("Evaluation data"))
            parts.append(kv_table(data))
        cfg = man.value.get("config")
        if isinstance(cfg, dict) and cfg:
            parts.append(h3("Evaluation settings"))
            parts.append(kv_table(cfg))
    pngs = sorted((run.root / "evaluate").glob("*.png"))
    for p in pngs:
        parts.append(img_file(p, f"evaluate: {p.stem}"))
    if not pngs:
        parts.append(note("no plot in evaluate/"))
    return "".join(parts)
