"""Time every detector on HDFS_100k (random 80/20 split, one seed), each in a fresh process so that its peak
resident memory is its own.

    python bench/bench_detectors.py [--seed 0] [--semantic auto|minilm|hashed] [--models A,B] [--json out.json]

Prints a markdown table: F1 on the anomaly class, fit seconds (including threshold tuning on the validation
slice), predict seconds, and peak RSS of the process (interpreter + libraries + model).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def one(model: str, seed: int, semantic: str) -> dict:
    from anomalygen.core.datasets import load_dataset, resolve_dataset
    from anomalygen.evaluate.harness import EvalConfig, run_evaluation

    real = load_dataset(resolve_dataset("hdfs_100k"))
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    res = run_evaluation(EvalConfig(models=[model], seeds=[seed], semantic=semantic), real)
    row = res.runs[0]
    row["rss_before_fit_mb"] = round(rss_before, 1)
    row["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    row["semantic_backend"] = res.info["semantic_backend"]
    row["ambiguous_test_anomalies"] = res.info["ambiguous_test_anomalies"][seed]
    return row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--semantic", default="auto")
    ap.add_argument("--models", default="all")
    ap.add_argument("--json")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.seed, args.semantic)))
        return
    from anomalygen.detect.registry import DETECTORS

    models = list(DETECTORS) if args.models == "all" else args.models.split(",")
    rows, t0 = [], time.perf_counter()
    for m in models:
        out = subprocess.run(
            [sys.executable, __file__, "--one", m, "--seed", str(args.seed), "--semantic", args.semantic],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "HF_HUB_OFFLINE": "1"},
        )
        row = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(
            f"{m:16s} F1 {row['f1']:.3f} fit {row['fit_s']:.1f}s predict {row['predict_s']:.2f}s "
            f"peak RSS {row['peak_rss_mb']:.0f} MB",
            file=sys.stderr,
            flush=True,
        )
    wall = time.perf_counter() - t0
    print("| model | precision | recall | F1 | false alarms | fit s | predict s | peak RSS MB | epochs |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['model']} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | {r['false_alarms']} | "
            f"{r['fit_s']:.2f} | {r['predict_s']:.2f} | {r['peak_rss_mb']:.0f} | {r.get('epochs_run', '')} |"
        )
    fit = sum(r["fit_s"] + r["predict_s"] for r in rows)
    sem = {r["semantic_backend"] for r in rows if r["semantic_backend"]}
    print(
        f"\nfit+predict total {fit:.1f} s; wall total {wall:.1f} s (one process per model, imports and data "
        f"loading included); semantic backend {', '.join(sem) or '-'}; test anomalies no session-level "
        f"detector can catch (sequence labelled normal in training): {rows[0]['ambiguous_test_anomalies']} "
        f"of {rows[0]['n_test_anomalous']}; cores {os.cpu_count()}"
    )
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "wall_s": wall}, indent=1))


if __name__ == "__main__":
    main()
