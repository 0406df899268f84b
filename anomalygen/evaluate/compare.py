"""Paired comparisons of arms over seeds, and the verdict they support.

Every pair of arms is compared on identical test sessions, seed by seed. A difference counts only when the
paired t-test over seeds gives p < `ALPHA` (two-sided; with all seeds' deltas equal and non-zero the statistic
is unbounded and p is taken as 0). The exact Wilcoxon signed-rank p is shown beside it; note that with 5 seeds
its two-sided p cannot fall below 0.0625, which is why it is reported but does not decide. McNemar's test on the
test sessions of each seed is summarised by its median p and the seeds where it is below `ALPHA`.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from scipy.stats import ttest_rel, wilcoxon

from anomalygen.core.arms import BASELINE, CONTROLS, SYNTHETIC

ALPHA = 0.05
HIGHER_IS_BETTER = {
    "f1": True,
    "f1_prior": True,
    "precision": True,
    "precision_prior": True,
    "recall": True,
    "fpr": False,
    "false_alarms": False,
    "fpr_novel": False,
    "fpr_seen": False,
    "fpr_unseen": False,
}
MEAN_OF_MODELS = "mean of models"


def comparisons(arms: list[str]) -> list[tuple[str, str]]:
    """(arm, versus): the synthetic arm against the baseline and every control, every other arm against the
    baseline, and the synthetic arm against every ablation."""
    out = []
    others = [a for a in arms if a != BASELINE]
    if BASELINE in arms:
        out += [(a, BASELINE) for a in others]
    if SYNTHETIC in arms:
        out += [(SYNTHETIC, a) for a in others if a != SYNTHETIC]
    return out


def paired_p(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(paired t-test p, exact Wilcoxon p), both two-sided."""
    d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    if len(d) < 2 or np.allclose(d, 0.0):
        return 1.0, 1.0
    if np.allclose(d, d[0]):
        p_t = 0.0
    else:
        p_t = float(ttest_rel(a, b).pvalue)
    nz = d[~np.isclose(d, 0.0)]
    p_w = float(wilcoxon(nz, method="exact").pvalue) if len(nz) else 1.0
    return p_t, p_w


def verdict(delta: float, p: float, metric: str) -> str:
    if not p < ALPHA or delta == 0:
        return "no significant change"
    good = (delta > 0) == HIGHER_IS_BETTER.get(metric, True)
    return "better" if good else "worse"


def paired_table(runs: list[dict], mcnemar_rows: list[dict], arms: list[str], metrics: list[str]) -> list[dict]:
    """One row per (model, train fraction, ratio, arm, versus, metric), plus the same over the mean of models."""
    by_cell: dict[tuple, dict] = {}
    for r in runs:
        if r.get("status") == "ok":
            by_cell[(r["model"], r["train_fraction"], r["ratio"], r["arm"], r["seed"])] = r
    mc = defaultdict(list)
    for m in mcnemar_rows:
        mc[(m["model"], m["train_fraction"], m["ratio"], m["arm"], m["versus"])].append(m["p_value"])
    models = sorted({k[0] for k in by_cell})
    fracs = sorted({k[1] for k in by_cell})
    ratios = sorted({k[2] for k in by_cell if k[3] != BASELINE})
    seeds = sorted({k[4] for k in by_cell})
    out = []
    for frac in fracs:
        for ratio in ratios:

            def value(model, arm, seed, metric, frac=frac, ratio=ratio):
                key = (model, frac, 0.0 if arm == BASELINE else ratio, arm, seed)
                r = by_cell.get(key)
                return None if r is None else r.get(metric)

            for arm, versus in comparisons(arms):
                for metric in metrics:
                    for model in models + [MEAN_OF_MODELS]:
                        a, b = [], []
                        for seed in seeds:
                            if model == MEAN_OF_MODELS:
                                va = [value(m, arm, seed, metric) for m in models]
                                vb = [value(m, versus, seed, metric) for m in models]
                                if any(v is None for v in va + vb):
                                    continue
                                a.append(float(np.mean(va)))
                                b.append(float(np.mean(vb)))
                            else:
                                va, vb = value(model, arm, seed, metric), value(model, versus, seed, metric)
                                if va is None or vb is None:
                                    continue
                                a.append(float(va))
                                b.append(float(vb))
                        if not a:
                            continue
                        a_, b_ = np.array(a), np.array(b)
                        d = a_ - b_
                        p_t, p_w = paired_p(a_, b_)
                        mps = mc.get((model, frac, ratio, arm, versus), [])
                        out.append(
                            {
                                "model": model,
                                "train_fraction": frac,
                                "ratio": ratio,
                                "arm": arm,
                                "versus": versus,
                                "metric": metric,
                                "seeds": len(d),
                                "mean_arm": float(a_.mean()),
                                "mean_versus": float(b_.mean()),
                                "delta_mean": float(d.mean()),
                                "delta_std": float(d.std(ddof=1)) if len(d) > 1 else 0.0,
                                "seeds_better": int(
                                    np.sum(d > 0) if HIGHER_IS_BETTER.get(metric, True) else np.sum(d < 0)
                                ),
                                "seeds_worse": int(
                                    np.sum(d < 0) if HIGHER_IS_BETTER.get(metric, True) else np.sum(d > 0)
                                ),
                                "p_ttest": p_t,
                                "p_wilcoxon": p_w,
                                "mcnemar_p_median": float(np.median(mps)) if mps else None,
                                "mcnemar_seeds_below_alpha": int(sum(p < ALPHA for p in mps)) if mps else None,
                                "verdict": verdict(float(d.mean()), p_t, metric),
                            }
                        )
    return out


def headline(paired: list[dict], primary: str, arms: list[str]) -> list[dict]:
    """Per model, fraction and ratio: synthetic against the baseline and against the best control (the one with
    the higher mean of the primary metric), on the primary metric and on the false-positive rate."""
    idx = {(p["model"], p["train_fraction"], p["ratio"], p["arm"], p["versus"], p["metric"]): p for p in paired}
    controls = [c for c in CONTROLS if c in arms]
    out = []
    keys = sorted(
        {(p["model"], p["train_fraction"], p["ratio"]) for p in paired if p["arm"] == SYNTHETIC},
        key=lambda k: (k[1], k[2], k[0] == MEAN_OF_MODELS, k[0]),
    )
    for model, frac, ratio in keys:
        base = idx.get((model, frac, ratio, SYNTHETIC, BASELINE, primary))
        if base is None:
            continue
        row = {
            "model": model,
            "train_fraction": frac,
            "ratio": ratio,
            "metric": primary,
            "baseline": base["mean_versus"],
            "synthetic": base["mean_arm"],
            "vs_baseline": base["delta_mean"],
            "p_vs_baseline": base["p_ttest"],
            "verdict_vs_baseline": base["verdict"],
        }
        fpr = idx.get((model, frac, ratio, SYNTHETIC, BASELINE, "fpr"))
        if fpr:
            row.update(
                fpr_baseline=fpr["mean_versus"],
                fpr_synthetic=fpr["mean_arm"],
                fpr_verdict_vs_baseline=fpr["verdict"],
                p_fpr_vs_baseline=fpr["p_ttest"],
            )
        nov = idx.get((model, frac, ratio, SYNTHETIC, BASELINE, "fpr_novel"))
        if nov:  # the withheld-behaviour protocol: false alarms on valid behaviour the training never showed
            row.update(
                fpr_novel_baseline=nov["mean_versus"],
                fpr_novel_synthetic=nov["mean_arm"],
                fpr_novel_verdict_vs_baseline=nov["verdict"],
                p_fpr_novel_vs_baseline=nov["p_ttest"],
            )
        found = [idx.get((model, frac, ratio, SYNTHETIC, c, primary)) for c in controls]
        cands = [c for c in found if c is not None]
        if cands:
            best = max(cands, key=lambda c: c["mean_versus"])
            row.update(
                best_control=best["versus"],
                best_control_value=best["mean_versus"],
                vs_best_control=best["delta_mean"],
                p_vs_best_control=best["p_ttest"],
                verdict_vs_best_control=best["verdict"],
            )
        out.append(row)
    return out
