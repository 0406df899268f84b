"""Detectors: the verdict first (does the synthetic arm beat the baseline and the best control, by a paired test
over seeds?), then every arm's means, the evaluation's data figures, failed runs, and evaluate's plots.

Colour marks only verdicts a paired test supports: a delta inside the noise is printed plainly."""

from __future__ import annotations

from collections import defaultdict
from statistics import mean

from anomalygen.core import layout
from anomalygen.report.load import RunDir, to_float
from anomalygen.report.markup import esc, h3, img_file, kv_table, note, signed, table

ID = "detectors"
TITLE = "Detectors: does synthetic data help?"

METRICS = ("f1", "f1_prior", "precision", "recall", "fpr", "false_alarms")


def load_runs(run: RunDir) -> tuple[list[dict] | None, str | None]:
    got = run.json(layout.RUNS_JSON)
    if got.ok and isinstance(got.value, list):
        return [r for r in got.value if isinstance(r, dict)], None
    rows = run.csv_rows(layout.RUNS_CSV)
    if rows.ok:
        return rows.value, None
    return None, f"{got.problem}; {rows.problem}"


def aggregate(runs: list[dict]) -> dict[tuple, dict]:
    """(model, train_fraction, arm, ratio) -> {"seeds": n, metric: mean} over the runs with status ok."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in runs:
        if str(r.get("status", "ok")) != "ok":
            continue
        groups[
            (
                str(r.get("model")),
                to_float(r.get("train_fraction")) or 0.0,
                str(r.get("arm", "baseline")),
                to_float(r.get("ratio")) or 0.0,
            )
        ].append(r)
    out = {}
    for k, rs in groups.items():
        d: dict[str, float | None] = {"seeds": len(rs)}
        for m in METRICS:
            vals = [v for v in (to_float(r.get(m)) for r in rs) if v is not None]
            d[m] = mean(vals) if vals else None
        out[k] = d
    return out


def _f(v, digits=3) -> str:
    return "n/a" if v is None else f"{v:.{digits}f}"


def _p(v) -> str:
    v = to_float(v)
    return "n/a" if v is None else f"{v:.3g}"


def _verdict(v) -> str:
    v = str(v or "n/a")
    cls = {"better": "pos", "worse": "neg"}.get(v)
    return f'<span class="{cls}">{esc(v)}</span>' if cls else esc(v)


def verdict_table(rows: list[dict]) -> str:
    body = []
    for r in rows:
        d_base, d_ctrl = to_float(r.get("vs_baseline")), to_float(r.get("vs_best_control"))
        fb, fs = to_float(r.get("fpr_baseline")), to_float(r.get("fpr_synthetic"))
        frac = to_float(r.get("train_fraction"))
        body.append(
            [
                f"{frac:g}" if frac is not None else "n/a",
                esc(r.get("model", "")),
                _f(to_float(r.get("baseline"))),
                _f(to_float(r.get("synthetic"))),
                f"{signed(d_base) if d_base is not None else 'n/a'} ({_p(r.get('p_vs_baseline'))})",
                _verdict(r.get("verdict_vs_baseline")),
                esc(r.get("best_control") or "n/a"),
                f"{signed(d_ctrl) if d_ctrl is not None else 'n/a'} ({_p(r.get('p_vs_best_control'))})",
                _verdict(r.get("verdict_vs_best_control")),
                f"{_f(fb, 4)} → {_f(fs, 4)}",
                _verdict(r.get("fpr_verdict_vs_baseline")),
            ]
        )
    metric = rows[0].get("metric", "f1") if rows else "f1"
    return table(
        [
            "train fraction",
            "model",
            f"{metric} baseline",
            f"{metric} synthetic",
            "Δ vs baseline (p)",
            "verdict",
            "best control",
            "Δ vs best control (p)",
            "verdict",
            "FPR baseline → synthetic",
            "FPR verdict",
        ],
        body,
        raw=True,
    )


def render(run: RunDir) -> str:
    if run.path(layout.EVALUATE) is None:
        hint = "" if run.stage("evaluate") else " (`anomalygen run` evaluates only when labels are given)"
        return note(run.why_missing("evaluation (evaluate/ not found)", "evaluate") + hint)
    runs, problem = load_runs(run)
    if runs is None:
        return note(run.why_missing(f"evaluation results ({problem})", "evaluate"))
    agg = aggregate(runs)
    parts = []
    verdict = run.csv_rows(layout.VERDICT_CSV)
    if verdict.ok and verdict.value:
        parts.append(verdict_table(verdict.value))
        parts.append(
            note(
                "the synthetic arm against the baseline and against the best control (real sessions "
                "duplicated, or edited without the code), paired over seeds on identical test sessions; "
                'a verdict needs a paired t-test p < 0.05, otherwise "no significant change"; all '
                "comparisons with Wilcoxon and McNemar p are in evaluate/paired.csv",
                "info",
            )
        )
    elif any(k[2] != "baseline" for k in agg):
        parts.append(note("no verdict (evaluate/verdict.csv missing): arms are listed below without a test", "missing"))
    else:
        parts.append(note("no synthetic or control arm in this evaluation: baseline only", "missing"))
    if agg:
        parts.append(h3("Every arm (means over seeds)"))
        parts.append(
            table(
                [
                    "model",
                    "train fraction",
                    "arm",
                    "ratio",
                    "seeds",
                    "F1",
                    "F1 at prior",
                    "precision",
                    "recall",
                    "FPR",
                    "false alarms",
                ],
                [
                    [
                        esc(m),
                        f"{f:g}",
                        esc(a),
                        f"{r:g}",
                        str(d["seeds"]),
                        _f(d["f1"]),
                        _f(d["f1_prior"]),
                        _f(d["precision"]),
                        _f(d["recall"]),
                        _f(d["fpr"], 4),
                        _f(d["false_alarms"], 1),
                    ]
                    for (m, f, a, r), d in sorted(
                        agg.items(), key=lambda kv: (-kv[0][1], kv[0][0], kv[0][2] != "baseline", kv[0][2], kv[0][3])
                    )
                ],
                raw=True,
            )
        )
    else:
        parts.append(note("no detector run finished"))
    failed = [r for r in runs if str(r.get("status", "ok")) != "ok"]
    if failed:
        parts.append(h3(f"Runs that did not finish ({len(failed)})"))
        parts.append(
            table(
                ["model", "seed", "train fraction", "arm", "status", "error"],
                [
                    [
                        r.get("model", ""),
                        r.get("seed", ""),
                        r.get("train_fraction", ""),
                        r.get("arm", ""),
                        r.get("status", ""),
                        r.get("error", ""),
                    ]
                    for r in failed
                ],
                cls="text",
            )
        )
    man = run.json(layout.EVALUATE_MANIFEST)
    if man.ok and isinstance(man.value, dict):
        data = man.value.get("data")
        if isinstance(data, dict) and data:
            parts.append(h3("Evaluation data"))
            parts.append(kv_table(data))
        cfg = man.value.get("config")
        if isinstance(cfg, dict) and cfg:
            parts.append(h3("Evaluation settings"))
            parts.append(kv_table(cfg))
    pngs = sorted((run.root / layout.EVALUATE).glob("*.png"))
    for p in pngs:
        parts.append(img_file(p, f"evaluate: {p.stem}"))
    if not pngs:
        parts.append(note("no plot in evaluate/"))
    return "".join(parts)
