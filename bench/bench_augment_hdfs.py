#!/usr/bin/env python3
"""Does code-guided synthetic data help on full HDFS_v1? Every arm, every detector, paired over seeds.

    python bench/bench_augment_hdfs.py --source /work/src/hadoop --out /tmp/bench_aug          # everything
    python bench/bench_augment_hdfs.py --reuse --out /tmp/bench_aug --jobs 16                  # evaluate again

1. The inventory of Hadoop 0.17.2's `org.apache.hadoop.dfs` (`--source`), written to OUT/inventory.jsonl.
2. `anomalygen generate` from the same source with the raw excerpt HDFS_20000.log for values: the `synthetic` arm
   (the generator's defaults) and its ablations `whole-path` (`--session-model off`: one path, one session) and
   `no-feasibility` (`--no-feasibility`: paths not checked by z3), each only where this version of `generate`
   offers the option (the bench says which it skipped).
3. The full-HDFS event sequences (`hdfs_deeplog`, 35,693 sessions, 67% anomalous) keyed by statement ids
   (`--template-map auto`), random 80/20 splits, training shares 1% and 5%, every detector, arms baseline,
   synthetic, real-duplicate, naive and the ablations, 5 seeds, F1 re-weighted to HDFS_v1's 2.9% anomaly share.
   Where a generator output carries a session model, its normal sessions are composed in each cell from that
   cell's own real normal training sessions.

Prints the verdict table and writes OUT/eval/summary.md (all tables) and OUT/bench.md (verdict, command).
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from anomalygen.evaluate.api import EvaluateRequest, evaluate  # noqa: E402 - imported once the checkout is on sys.path
from anomalygen.evaluate.harness import EvalConfig, default_jobs  # noqa: E402 - imported once the checkout is on sys.path

DATA = ROOT.parent / "shared" / "data" / "hdfs"
VARIANTS = {"synthetic": [], "whole-path": ["--session-model", "off"], "no-feasibility": ["--no-feasibility"]}


def _generate(args, out: Path) -> dict[str, Path]:
    cli = [sys.executable, "-m", "anomalygen.cli"]
    help_text = subprocess.run([*cli, "generate", "--help"], capture_output=True, text=True, cwd=ROOT).stdout
    dirs = {}
    for name, extra in VARIANTS.items():
        missing = [f for f in extra if f.startswith("--") and f not in help_text]
        if missing:
            print(f"skip {name}: this generate has no {' '.join(missing)}")
            continue
        d = out / f"gen-{name}"
        if not (args.reuse and (d / "sessions.jsonl").is_file()):
            cmd = [
                *cli,
                "generate",
                str(args.source),
                "--logs",
                str(args.logs),
                "--format",
                "hdfs",
                "--n",
                str(args.n),
                "--seed",
                "0",
                "--out",
                str(d),
                *extra,
            ]
            print("$", shlex.join(cmd), flush=True)
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, cwd=ROOT)
            print(f"  {name}: {time.perf_counter() - t0:.0f} s")
        dirs[name] = d
    return dirs


def ensure_inventory(args, ap: argparse.ArgumentParser) -> Path:
    """OUT/inventory.jsonl of `--source`, built unless `--reuse` finds it."""
    inventory = args.out / "inventory.jsonl"
    if not (args.reuse and inventory.is_file()):
        if args.source is None:
            ap.error("--source is needed to build the inventory and the synthetic sessions")
        from anomalygen.source.inventory import build_inventory

        inv, _ = build_inventory(args.source)
        inv.write_jsonl(inventory)
    return inventory


def cfg_metric(cfg: EvalConfig) -> str:
    return "f1_prior" if cfg.prior is not None else "f1"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, help="Hadoop 0.17.2 tree (needed unless --reuse finds everything)")
    ap.add_argument("--logs", type=Path, default=DATA / "HDFS_20000.log")
    ap.add_argument("--dataset", default="hdfs_deeplog")
    ap.add_argument("--out", type=Path, default=Path("bench_augment_hdfs"))
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--models", default="all")
    ap.add_argument("--fractions", default="0.01,0.05")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--prior", type=float, default=0.029)
    ap.add_argument("--jobs", type=int, default=default_jobs())
    ap.add_argument("--arms", default=None, help="comma-separated arms (default: all the inputs allow)")
    ap.add_argument("--cache", type=Path, default=None, help="cell cache (default OUT/cache)")
    ap.add_argument("--reuse", action="store_true", help="keep generator outputs and the inventory found in --out")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    inventory = ensure_inventory(args, ap)
    dirs = (
        _generate(args, args.out)
        if not args.reuse
        else {n: args.out / f"gen-{n}" for n in VARIANTS if (args.out / f"gen-{n}" / "sessions.jsonl").is_file()}
    )
    if "synthetic" not in dirs:
        sys.exit("no synthetic sessions: generate failed or --reuse found none")
    from anomalygen.detect.registry import DETECTORS

    models = list(DETECTORS) if args.models == "all" else args.models.split(",")
    cfg = EvalConfig(
        models=models,
        ratios=[1.0],
        seeds=list(range(args.seeds)),
        train_fractions=[float(x) for x in args.fractions.split(",")],
        prior=args.prior,
        epochs=args.epochs,
        jobs=args.jobs,
        arms=args.arms.split(",") if args.arms else None,
        cache_dir=str(args.cache or args.out / "cache"),
    )
    t0 = time.perf_counter()
    done = []
    outcome = evaluate(
        EvaluateRequest(
            args.dataset,
            args.out / "eval",
            cfg,
            augment=dirs["synthetic"],
            ablations={k: v for k, v in dirs.items() if k != "synthetic"},
            template_map="auto",
            inventory=inventory,
            on_run=lambda row: done.append(row) or (len(done) % 50 == 0 and print(f"  {len(done)} runs", flush=True)),
            on_info=print,
        )
    )
    secs = time.perf_counter() - t0
    summary = (args.out / "eval" / "summary.md").read_text(encoding="utf-8")
    verdict = summary.split("## All runs", 1)[0]
    command = "python bench/bench_augment_hdfs.py " + shlex.join(sys.argv[1:])
    text = (
        f"Command: `{command}`\n\n{len(outcome.result.runs)} runs in {secs:.0f} s with {args.jobs} worker "
        f"processes; keys: {outcome.plan.mode} ({outcome.plan.info.get('real_events_mapped')} real events "
        f"mapped, {outcome.plan.info.get('shared_keys')} keys shared with synthetic data)\n\n{verdict}"
    )
    means = [p for p in outcome.result.paired if p["model"] == "mean of models" and p["metric"] == cfg_metric(cfg)]
    text += (
        "\n## Every arm and ablation, mean over the detectors\n\n| training share | arm | versus | mean: arm / "
        "versus | Δ (paired t-test p) | seeds better / worse | verdict |\n|---|---|---|---|---|---|---|\n"
        + "".join(
            f"| {p['train_fraction']:g} | {p['arm']} | {p['versus']} | {p['mean_arm']:.3f} / "
            f"{p['mean_versus']:.3f} | {p['delta_mean']:+.3f} ({p['p_ttest']:.3g}) | {p['seeds_better']} / "
            f"{p['seeds_worse']} | {p['verdict']} |\n"
            for p in means
        )
    )
    (args.out / "bench.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
