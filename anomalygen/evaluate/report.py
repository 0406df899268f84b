"""Writes a run's outputs: runs.csv/json, paired.csv, summary.md, two plots, report.html, manifest.json."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

from anomalygen import atomic
from anomalygen.evaluate.calibrate import calibration_md
from anomalygen.evaluate.compare import MEAN_OF_MODELS, headline
from anomalygen.evaluate.harness import EvalResult
from anomalygen.evaluate.metrics import mean_std
from anomalygen.evaluate.withhold import withheld_md
from anomalygen.report.evaluation import render_evaluation


def _write_csv(path: Path, rows: list[dict]) -> None:
    cols: list[str] = []
    for r in rows:
        cols.extend(k for k in r if k not in cols)
    with atomic.atomic_open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        w.writerows(rows)


METRICS = (
    "precision",
    "recall",
    "f1",
    "f1_prior",
    "fpr",
    "fpr_novel",
    "fpr_seen",
    "false_alarms",
    "fpr_unseen",
    "n_test_unseen_normal",
    "fit_s",
    "predict_s",
)


def summarize(runs: list[dict]) -> list[dict]:
    groups = defaultdict(list)
    for r in runs:
        if r.get("status") == "ok":
            groups[(r["model"], r["train_fraction"], r["arm"], r["ratio"])].append(r)
    out = []
    for (model, frac, arm, ratio), rs in groups.items():
        row = {"model": model, "train_fraction": frac, "arm": arm, "ratio": ratio, "n_seeds": len(rs)}
        for m in METRICS:
            if all(m in r for r in rs):
                row[f"{m}_mean"], row[f"{m}_std"] = mean_std(r[m] for r in rs)
        out.append(row)
    return out


def _p(v) -> str:
    return "n/a" if v is None else f"{v:.3g}"


def verdict_rows(result: EvalResult) -> list[dict]:
    primary = "f1_prior" if result.info.get("config", {}).get("prior") is not None else "f1"
    return headline(result.paired, primary, result.info.get("arms", []))


def verdict_md(result: EvalResult) -> str:
    """The answer first: per model, does the synthetic arm beat the baseline and the best control?"""
    rows = verdict_rows(result)
    primary = rows[0]["metric"] if rows else "f1"
    if not rows:
        return ""
    label = "F1 at the stated prior" if primary == "f1_prior" else "F1"
    novel = any("fpr_novel_baseline" in r for r in rows)
    lines = [
        f"## Verdict: does synthetic data help? ({label}; paired t-test over seeds, p < 0.05)",
        "",
        "| train fraction | model | baseline | synthetic | Δ vs baseline (p) | verdict | best control | "
        "Δ vs best control (p) | verdict | FPR baseline → synthetic | FPR verdict |"
        + (" novel-normal FPR baseline → synthetic | verdict |" if novel else ""),
        "|---|---|---|---|---|---|---|---|---|---|---|" + ("---|---|" if novel else ""),
    ]
    for r in rows:
        ctrl = (
            (
                f"{r['best_control']} {r['best_control_value']:.3f}",
                f"{r['vs_best_control']:+.3f} ({_p(r['p_vs_best_control'])})",
                r["verdict_vs_best_control"],
            )
            if "best_control" in r
            else ("n/a", "n/a", "n/a")
        )
        fpr = (
            (f"{r['fpr_baseline']:.4f} → {r['fpr_synthetic']:.4f}", r["fpr_verdict_vs_baseline"])
            if "fpr_baseline" in r
            else ("n/a", "n/a")
        )
        name = f"**{r['model']}**" if r["model"] == MEAN_OF_MODELS else r["model"]
        lines.append(
            f"| {r['train_fraction']:g} | {name} | {r['baseline']:.3f} | {r['synthetic']:.3f} | "
            f"{r['vs_baseline']:+.3f} ({_p(r['p_vs_baseline'])}) | {r['verdict_vs_baseline']} | "
            f"{ctrl[0]} | {ctrl[1]} | {ctrl[2]} | {fpr[0]} | {fpr[1]} |"
            + (
                f" {r['fpr_novel_baseline']:.3f} → {r['fpr_novel_synthetic']:.3f} | "
                f"{r['fpr_novel_verdict_vs_baseline']} |"
                if novel and "fpr_novel_baseline" in r
                else (" n/a | n/a |" if novel else "")
            )
        )
    better = sum(
        r["verdict_vs_baseline"] == "better" and r.get("verdict_vs_best_control") == "better"
        for r in rows
        if r["model"] != MEAN_OF_MODELS
    )
    n = sum(r["model"] != MEAN_OF_MODELS for r in rows)
    lines += [
        "",
        f"Settings where synthetic beats both the baseline and the best control: {better} of {n}. "
        'A delta without a significant p is noise: "no significant change".',
    ]
    return "\n".join(lines) + "\n"


def markdown_table(summary: list[dict], paired: list[dict] | None = None) -> str:
    prior = any("f1_prior_mean" in r for r in summary)
    unseen = all("fpr_unseen_mean" in r for r in summary) and bool(summary)
    head = (
        "| model | train fraction | arm | ratio | seeds | precision | recall | F1 |"
        + (" F1 at prior |" if prior else "")
        + " FPR |"
        + (" FPR unseen (n) |" if unseen else "")
        + " false alarms | fit s |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in sorted(
        summary, key=lambda r: (r["train_fraction"], r["model"], r["arm"] != "baseline", r["arm"], r["ratio"])
    ):
        cells = [
            r["model"],
            f"{r['train_fraction']:g}",
            r["arm"],
            f"{r['ratio']:g}",
            str(r["n_seeds"]),
            f"{r['precision_mean']:.3f} ± {r['precision_std']:.3f}",
            f"{r['recall_mean']:.3f} ± {r['recall_std']:.3f}",
            f"{r['f1_mean']:.3f} ± {r['f1_std']:.3f}",
        ]
        if prior:
            cells.append(f"{r.get('f1_prior_mean', float('nan')):.3f} ± {r.get('f1_prior_std', float('nan')):.3f}")
        cells.append(f"{r['fpr_mean']:.4f}")
        if unseen:
            cells.append(f"{r['fpr_unseen_mean']:.4f} ({r['n_test_unseen_normal_mean']:.0f})")
        cells += [f"{r['false_alarms_mean']:.1f}", f"{r['fit_s_mean']:.1f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def paired_md(paired: list[dict]) -> str:
    if not paired:
        return ""
    lines = [
        "| train fraction | ratio | model | arm | versus | metric | Δ mean ± std | better / worse seeds | "
        "t-test p | Wilcoxon p | McNemar p (median) | verdict |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for p in sorted(
        paired,
        key=lambda p: (
            p["train_fraction"],
            p["ratio"],
            p["model"] == MEAN_OF_MODELS,
            p["model"],
            p["arm"],
            p["versus"],
            p["metric"],
        ),
    ):
        lines.append(
            f"| {p['train_fraction']:g} | {p['ratio']:g} | {p['model']} | {p['arm']} | {p['versus']} | "
            f"{p['metric']} | {p['delta_mean']:+.4f} ± {p['delta_std']:.4f} | {p['seeds_better']} / "
            f"{p['seeds_worse']} | {_p(p['p_ttest'])} | {_p(p['p_wilcoxon'])} | "
            f"{_p(p['mcnemar_p_median'])} | {p['verdict']} |"
        )
    return "\n".join(lines) + "\n"


def plots(summary: list[dict], out: Path) -> list[Path]:
    """One bar chart per training share: the primary metric per model and arm (mean ± std over seeds)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metric = "f1_prior" if any("f1_prior_mean" in r for r in summary) else "f1"
    files = []
    for frac in sorted({r["train_fraction"] for r in summary}):
        rows = [r for r in summary if r["train_fraction"] == frac]
        models = sorted({r["model"] for r in rows})
        arms = sorted({(r["arm"], r["ratio"]) for r in rows}, key=lambda a: (a[0] != "baseline", a))
        fig, ax = plt.subplots(figsize=(max(6, len(models) * 0.9), 4))
        width = 0.8 / max(1, len(arms))
        for j, (arm, ratio) in enumerate(arms):
            vals = {r["model"]: r for r in rows if (r["arm"], r["ratio"]) == (arm, ratio)}
            xs = [i + j * width for i in range(len(models))]
            ax.bar(
                xs,
                [vals[m][f"{metric}_mean"] if m in vals else 0 for m in models],
                width,
                yerr=[vals[m][f"{metric}_std"] if m in vals else 0 for m in models],
                label=arm if arm == "baseline" else f"{arm} ×{ratio:g}",
            )
        ax.set_xticks([i + width * (len(arms) - 1) / 2 for i in range(len(models))], models, rotation=45, ha="right")
        ax.set_ylabel("F1 at the stated prior" if metric == "f1_prior" else "F1 (anomaly class)")
        ax.set_ylim(0, 1.05)
        ax.set_title(f"{metric} per model and arm (train fraction {frac:g})")
        ax.legend(fontsize=7)
        fig.tight_layout()
        files.append(out / f"f1_per_model_{frac:g}.png")
        atomic.savefig(fig, files[-1], dpi=110)
        plt.close(fig)
    return files


def write_report(result: EvalResult, out: str | Path, manifest: dict) -> dict[str, Path]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "runs_csv": out / "runs.csv",
        "runs_json": out / "runs.json",
        "paired_csv": out / "paired.csv",
        "mcnemar_csv": out / "mcnemar.csv",
        "verdict_csv": out / "verdict.csv",
        "summary_md": out / "summary.md",
        "report_html": out / "report.html",
        "manifest": out / "manifest.json",
    }
    _write_csv(files["runs_csv"], result.runs)
    atomic.write_text(files["runs_json"], json.dumps(result.runs, indent=1), encoding="utf-8")
    for key, rows in (
        ("paired_csv", result.paired),
        ("mcnemar_csv", result.mcnemar),
        ("verdict_csv", verdict_rows(result)),
    ):
        if rows:
            _write_csv(files[key], rows)
        else:
            files.pop(key)
    summary = summarize(result.runs)
    amb = result.info.get("ambiguous_test_anomalies", {})
    note = (
        (
            f"Test anomalies whose exact event sequence is labelled normal in training (no detector can catch "
            f"them), per seed: {amb}\n"
        )
        if amb
        else ""
    )
    prior = result.info.get("config", {}).get("prior")
    legend = (
        "Columns: precision / recall / F1 on the test set as it is; F1 at prior = F1 re-weighted to an "
        f"anomaly share of {prior} (the system's real share); FPR = false alarms / normal test sessions.\n"
        if prior is not None
        else "FPR = false alarms / normal test sessions.\n"
    )
    if result.info.get("config", {}).get("unseen"):
        legend += (
            "FPR unseen (n) = the same among the n normal test sessions holding an event that none of the "
            "cell's real training sessions holds (valid behaviour its training never showed; n: mean over "
            "seeds).\n"
        )
    withheld = withheld_md(result.runs, result.paired, result.info.get("withheld", {}))
    calibration = calibration_md(result.runs, result.info.get("calibration", {}))
    md = (
        verdict_md(result)
        + ("\n" + withheld if withheld else "")
        + ("\n" + calibration if calibration else "")
        + "\n## All runs (mean ± std over seeds)\n\n"
        + legend
        + "\n"
        + markdown_table(summary)
        + ("\n## Paired comparisons\n\n" + paired_md(result.paired) if result.paired else "")
        + "\n"
        + note
    )
    atomic.write_text(files["summary_md"], md, encoding="utf-8")
    pngs = plots(summary, out) if summary else []
    skipped = [r for r in result.runs if r.get("status") != "ok"]
    atomic.write_text(files["report_html"], render_evaluation(md, pngs, skipped, manifest), encoding="utf-8")
    atomic.write_text(files["manifest"], json.dumps(manifest, indent=1, default=str), encoding="utf-8")
    for p in pngs:
        files[p.stem] = p
    return files
