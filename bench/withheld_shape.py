#!/usr/bin/env python3
"""Shape guards of the withheld bench's synthetic additions: per withheld behaviour, training share and candidate
share of sessions given each new behaviour (as the bench calibrates it; `--calibrate-any`: the share given any),
the median length of the composed normal sessions (real normal: 19) and the share of them holding an event the
whole data set shows only in anomalous sessions; then the same over what the bench's detectors trained on (each
calibrated cell's additions at the share it chose, from the bench's runs.csv).

    python bench/withheld_shape.py /work/bench_withheld [--calibrate-any]

(reads the bench's `inventory.jsonl` and `gen-synthetic`; the cells are the bench's: same splits, seeds and
composition seeds, 5 seeds per line)
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from anomalygen.core.datasets import load_augment_dir, load_dataset, resolve_dataset  # noqa: E402 - after sys.path
from anomalygen.core.event_keys import plan_keys  # noqa: E402
from anomalygen.evaluate import arms as A  # noqa: E402
from anomalygen.evaluate.api import EvaluateRequest, _composer, _statements  # noqa: E402
from anomalygen.evaluate.harness import EvalConfig, _split, cell_sessions, sources_from_sessions  # noqa: E402
from anomalygen.evaluate.withhold import find_withheld, parse_withhold  # noqa: E402

BEHAVIOURS = ["deletion=E21,E23", "verification=E2"]


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--calibrate-any"]
    each = "--calibrate-any" not in sys.argv[1:]
    bench = Path(args[0] if args else "bench_withheld_hdfs")
    gen = bench / "gen-synthetic"
    real = load_dataset(resolve_dataset("hdfs_deeplog"))
    syn = load_augment_dir(gen)
    per = "per behaviour" if each else "any"
    print(f"| behaviour | training share | novel share ({per}) | median length | anomaly-only | composed normal |")
    print("|---|---|---|---|---|---|")
    for beh in BEHAVIOURS:
        spec = parse_withhold([beh])
        cfg = EvalConfig(models=["PCA"], seeds=[0], train_fractions=[0.01], prior=0.029, withhold=spec)
        req = EvaluateRequest(
            "hdfs_deeplog", Path("unused"), cfg, augment=gen, template_map="auto", inventory=bench / "inventory.jsonl"
        )
        statements, _ = _statements(req, [gen])
        plan = plan_keys(real, syn, None, auto=True, statements=statements)
        source = sources_from_sessions(syn, plan, "synthetic", _composer(gen, True))
        X = [plan.real(s) for s in real]
        y = np.array([s.label for s in real])
        only = A.anomaly_only(X, y)  # events the whole data set shows only in anomalous sessions
        held = find_withheld(spec, [list(s.events) for s in real], X, y).any(len(real))
        name = beh.split("=")[0]
        for frac in (0.01, 0.05):
            by: dict[tuple[float, int], tuple[list[int], int]] = {}  # (share, seed) -> lengths, anomaly-only count
            for share in (0.0, 0.5, 1.0):
                lens, bad = [], 0
                for seed in range(5):
                    pool, _test = _split(cfg, real, seed)
                    tr, _va, gone = cell_sessions(cfg, pool, y, held, frac, seed)
                    nn, na = A.counts(len(tr), 1.0, source.anomalous_share)
                    ctx = A.CellContext([X[i] for i in gone], y[gone], None)
                    add = A.make_addition(
                        "synthetic",
                        {"synthetic": source},
                        [X[i] for i in tr],
                        y[tr],
                        nn,
                        na,
                        seed + 104729,
                        ctx,
                        share,
                        each,
                    )
                    normal = [x for x, lab in zip(add.X, add.y, strict=True) if lab == 0]
                    by[(share, seed)] = ([len(x) for x in normal], sum(1 for x in normal if set(x) & only))
                    lens += by[(share, seed)][0]
                    bad += by[(share, seed)][1]
                print(
                    f"| {name} | {frac:g} | {share:g} | {np.median(lens):g} | "
                    f"{bad / max(len(lens), 1):.2%} | {len(lens)} |"
                )
            print(_as_chosen(bench / f"eval-{name}" / "runs.csv", name, frac, by))
    print(f"\nreal normal median length: {np.median([len(x) for x, lab in zip(X, y, strict=True) if lab == 0]):g}")


def _as_chosen(runs_csv: Path, name: str, frac: float, by: dict) -> str:
    """The same over the additions the bench's detectors were trained on: each calibrated synthetic cell's
    composed normal sessions at the share it chose (read from the bench's runs.csv)."""
    if not runs_csv.is_file():
        return f"| {name} | {frac:g} | as chosen: no {runs_csv} | | | |"
    lens: list[int] = []
    bad = cells = 0
    with runs_csv.open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["arm"] != "synthetic" or float(r["train_fraction"]) != frac or not r.get("share_chosen"):
                continue
            got = by.get((float(r["share_chosen"]), int(r["seed"])))
            if got is None:
                continue
            lens += got[0]
            bad += got[1]
            cells += 1
    if not cells:
        return f"| {name} | {frac:g} | as chosen: no calibrated cell | | | |"
    return (
        f"| {name} | {frac:g} | as chosen ({cells} cells) | {np.median(lens):g} | {bad / max(len(lens), 1):.2%} | "
        f"{len(lens)} |"
    )


if __name__ == "__main__":
    main()
