"""Writes a run's outputs: runs.csv/json, paired.csv, summary.md, two plots, report.html, manifest.json."""

from __future__ import annotations

import base64
import csv
import html
import json
from collections import defaultdict
from pathlib import Path

from anomalygen import atomic
from anomalygen.evaluate.harness import EvalResult
from anomalygen.evaluate.metrics import mean_std


def _write_csv(path: Path, rows: list[dict]) -> None:
    cols = []
    for r in rows:
        cols.extend(k for k in r if k not in cols)
    with atomic.atomic_open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        w.writerows(rows)


def summarize(runs: list[dict]) -> list[dict]:
    groups = defaultdict(list)
    for r in runs:
        if r.get("status") == "ok":
            groups[(r["model"], r["train_fraction"], r["ratio"])].append(r)
    out = []
    for (model, frac, ratio), rs in groups.items():
        row = {"model": model, "train_fraction": frac, "ratio": ratio, "n_seeds": len(rs)}
        for m in ("precision", "recall", "f1", "false_alarms", "fit_s", "predict_s"):
            row[f"{m}_mean"], row[f"{m}_std"] = mean_std(r[m] for r in rs)
        out.append(row)
    return out


def summarize_paired(paired: list[dict]) -> list[dict]:
    groups = defaultdict(list)
    for p in paired:
        groups[(p["model"], p["train_fraction"], p["ratio"])].append(p)
    out = []
    for (model, frac, ratio), ps in groups.items():
        d_mean, d_std = mean_std(p["delta_f1"] for p in ps)
        out.append({"model": model, "train_fraction": frac, "ratio": ratio, "n_seeds": len(ps),
                    "delta_f1_mean": d_mean, "delta_f1_std": d_std,
                    "seeds_better": sum(p["delta_f1"] > 0 for p in ps),
                    "seeds_worse": sum(p["delta_f1"] < 0 for p in ps),
                    "min_mcnemar_p": min(p["p_value"] for p in ps)})
    return out


def markdown_table(summary: list[dict], paired: list[dict]) -> str:
    lines = ["| model | train fraction | ratio | seeds | precision | recall | F1 | false alarms | fit s |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in sorted(summary, key=lambda r: (r["train_fraction"], r["model"], r["ratio"])):
        lines.append(f"| {r['model']} | {r['train_fraction']:g} | {r['ratio']:g} | {r['n_seeds']} | "
                     f"{r['precision_mean']:.3f} ± {r['precision_std']:.3f} | {r['recall_mean']:.3f} ± {r['recall_std']:.3f} | "
                     f"**{r['f1_mean']:.3f}** ± {r['f1_std']:.3f} | {r['false_alarms_mean']:.1f} | {r['fit_s_mean']:.1f} |")
    if paired:
        lines += ["", "Paired on identical test sessions (augmented minus baseline):", "",
                  "| model | train fraction | ratio | seeds | ΔF1 mean ± std | better / worse seeds | min McNemar p |",
                  "|---|---|---|---|---|---|---|"]
        for p in sorted(summarize_paired(paired), key=lambda r: (r["train_fraction"], r["model"], r["ratio"])):
            lines.append(f"| {p['model']} | {p['train_fraction']:g} | {p['ratio']:g} | {p['n_seeds']} | "
                         f"{p['delta_f1_mean']:+.3f} ± {p['delta_f1_std']:.3f} | {p['seeds_better']} / {p['seeds_worse']} | "
                         f"{p['min_mcnemar_p']:.3g} |")
    return "\n".join(lines) + "\n"


def plots(summary: list[dict], out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = []
    fracs = sorted({r["train_fraction"] for r in summary})
    frac = fracs[-1]
    rows = [r for r in summary if r["train_fraction"] == frac]
    models = sorted({r["model"] for r in rows})
    ratios = sorted({r["ratio"] for r in rows})
    fig, ax = plt.subplots(figsize=(max(6, len(models) * 0.8), 4))
    width = 0.8 / max(1, len(ratios))
    for j, ratio in enumerate(ratios):
        vals = {r["model"]: r for r in rows if r["ratio"] == ratio}
        xs = [i + j * width for i in range(len(models))]
        ax.bar(xs, [vals[m]["f1_mean"] if m in vals else 0 for m in models], width,
               yerr=[vals[m]["f1_std"] if m in vals else 0 for m in models],
               label="baseline" if ratio == 0 else f"augmented ×{ratio:g}")
    ax.set_xticks([i + width * (len(ratios) - 1) / 2 for i in range(len(models))], models, rotation=45, ha="right")
    ax.set_ylabel("F1 (anomaly class)")
    ax.set_ylim(0, 1.05)
    ax.set_title(f"F1 per model (train fraction {frac:g})")
    ax.legend(fontsize=8)
    fig.tight_layout()
    files.append(out / "f1_per_model.png")
    atomic.savefig(fig, files[-1], dpi=110)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(6, 4))
    for m in models:
        pts = sorted((r["ratio"], r["f1_mean"]) for r in rows if r["model"] == m)
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=m)
    if len(ratios) > 1 and min(r for r in ratios if r > 0) > 0:
        ax.set_xscale("symlog", linthresh=min(r for r in ratios if r > 0))
    ax.set_xlabel("synthetic / real training sessions")
    ax.set_ylabel("F1")
    ax.set_title("F1 vs augmentation ratio")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    files.append(out / "f1_vs_ratio.png")
    atomic.savefig(fig, files[-1], dpi=110)
    plt.close(fig)
    return files


def _md_to_html_table(md: str) -> str:
    parts, rows = [], []

    def flush():
        if rows:
            head, *body = rows
            parts.append("<table><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in head) + "</tr>"
                         + "".join("<tr>" + "".join(f"<td>{html.escape(c).replace('**', '')}</td>" for c in r)
                                   + "</tr>" for r in body) + "</table>")
            rows.clear()

    for line in md.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if not all(set(c) <= {"-"} for c in cells):
                rows.append(cells)
        else:
            flush()
            if line.strip():
                parts.append(f"<p>{html.escape(line)}</p>")
    flush()
    return "\n".join(parts)


def write_report(result: EvalResult, out: str | Path, manifest: dict) -> dict[str, Path]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = {"runs_csv": out / "runs.csv", "runs_json": out / "runs.json", "paired_csv": out / "paired.csv",
             "summary_md": out / "summary.md", "report_html": out / "report.html", "manifest": out / "manifest.json"}
    _write_csv(files["runs_csv"], result.runs)
    atomic.write_text(files["runs_json"], json.dumps(result.runs, indent=1), encoding="utf-8")
    if result.paired:
        _write_csv(files["paired_csv"], result.paired)
    else:
        files.pop("paired_csv")
    summary = summarize(result.runs)
    md = markdown_table(summary, result.paired)
    amb = result.info.get("ambiguous_test_anomalies", {})
    note = (f"Test anomalies whose exact event sequence is labelled normal in training (no detector can catch "
            f"them), per seed: {amb}\n") if amb else ""
    atomic.write_text(files["summary_md"], md + "\n" + note, encoding="utf-8")
    pngs = plots(summary, out) if summary else []
    imgs = "".join(f'<h2>{p.stem}</h2><img src="data:image/png;base64,{base64.b64encode(p.read_bytes()).decode()}">'
                   for p in pngs)
    skipped = [r for r in result.runs if r.get("status") != "ok"]
    skip_html = ("<h2>Skipped runs</h2><ul>" + "".join(
        f"<li>{html.escape(r['model'])} seed {r['seed']} fraction {r['train_fraction']} ratio {r['ratio']}: "
        f"{html.escape(r.get('error', ''))}</li>" for r in skipped) + "</ul>") if skipped else ""
    atomic.write_text(files["report_html"],
        "<!doctype html><html><head><meta charset='utf-8'><title>anomalygen evaluation</title><style>"
        "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
        "padding:3px 8px;text-align:right}</style></head><body><h1>anomalygen evaluation</h1>"
        f"{_md_to_html_table(md + chr(10) + note)}{imgs}{skip_html}<h2>Manifest</h2><pre>"
        f"{html.escape(json.dumps(manifest, indent=1, default=str))}</pre></body></html>", encoding="utf-8")
    atomic.write_text(files["manifest"], json.dumps(manifest, indent=1, default=str), encoding="utf-8")
    for p in pngs:
        files[p.stem] = p
    return files
