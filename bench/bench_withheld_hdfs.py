#!/usr/bin/env python3
"""Valid behaviour the training never showed: full HDFS_v1 with one normal behaviour withheld from training.

    python bench/bench_withheld_hdfs.py --source /work/src/hadoop --out /tmp/bench_withheld --jobs 2

1. The inventory of Hadoop 0.17.2's `org.apache.hadoop.dfs` (`--source`).
2. `anomalygen generate` (default settings, and `--session-model off` for the whole-path ablation) from the
   same source, with values from HDFS_20000.log *less every block whose lines hold a statement of any withheld
   behaviour*: nothing of a withheld behaviour reaches the generator. Its normal sessions are composed in each
   evaluation cell from that cell's own real normal training sessions (which hold none of it either).
3. For each behaviour (`--behaviour NAME=EVENTS`, repeatable; default deletion=E21,E23 and
   verification=E2): `evaluate --withhold` on the full-HDFS event sequences keyed by statement ids, training
   shares 1% and 5%, every detector, arms baseline / synthetic / real-duplicate / naive / inventory-random /
   oracle / whole-path, 5 seeds, F1 re-weighted to HDFS_v1's 2.9% anomaly share.
4. How often each new behaviour is added is chosen on validation (`evaluate --calibrate`): for each tested
   behaviour, the other behaviours of the default set that share none of its events (or `--calibrate
   NAME=EVENTS`) are taken out of a trial training set, and the share of added sessions given each new behaviour
   (synthetic's `novel_share`, per behaviour; `--calibrate-any`: given any; inventory-random's insert share) with the
   best validation F1 wins, per cell and detector. `--no-calibrate` keeps the arms' own shares.

Prints, and writes to OUT/bench.md: per behaviour and share, the mean over detectors of the novel-normal FPR,
seen-normal FPR, recall and F1 of every arm, the paired tests of synthetic against the baseline and every
control, the share of the baseline-to-oracle gap in novel-normal FPR the synthetic arm closes (per detector),
and how many of the withheld real normal sequences the synthetic sessions reproduce exactly.
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import shlex
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from anomalygen.evaluate.api import EvaluateRequest, evaluate  # noqa: E402 - imported once the checkout is on sys.path
from anomalygen.evaluate.harness import EvalConfig, default_jobs  # noqa: E402 - imported once the checkout is on sys.path
from bench.bench_augment_hdfs import ensure_inventory  # noqa: E402 - imported once the checkout is on sys.path

DATA = ROOT.parent / "shared" / "data" / "hdfs"
BEHAVIOURS = ["deletion=E21,E23", "verification=E2"]
OFFERED = "offered by the session model as new normal behaviour"
BLOCK = re.compile(r"blk_-?\d+")  # HDFS_v1's session key, only to filter this bench's value log


@functools.cache
def _dataset(inventory: Path):
    """The full-HDFS sessions and the evaluation's own event -> statement map, read once per run."""
    from anomalygen.core.datasets import load_dataset, resolve_dataset
    from anomalygen.core.event_keys import event_statement_map, real_event_templates
    from anomalygen.source.api import statements_for

    real = load_dataset(resolve_dataset("hdfs_deeplog"))
    return real, event_statement_map(real_event_templates(real), statements_for(None, inventory, None))


def _statement_ids(events: set[str], inventory: Path) -> set[str]:
    """The statements the dataset's events stand for (the evaluation's own event -> statement map)."""
    _, emap = _dataset(inventory)
    return {sid for sid, key in emap.statement_to_key.items() if key in {emap.event_to_key.get(e) for e in events}}


def _companions(name: str, events: list[str], gen: Path, inventory: Path) -> str:
    """What the real normal sessions of a withheld behaviour hold besides its own events that no other normal
    session holds, and whether the generator's session model offers each as new normal behaviour: a session
    holding one it does not offer is one no synthetic session can cover."""
    real, emap = _dataset(inventory)
    want = set(events)
    normal = [set(s.events) for s in real if s.label == 0]
    holders = [s for s in normal if s & want]
    others = set().union(*(s for s in normal if not s & want))
    only = Counter(e for s in holders for e in s - want - others)
    doc = json.loads((gen / "session_model.json").read_text(encoding="utf-8"))
    offered_keys = {emap.statement_to_key.get(n["key"]) for n in doc.get("novel", [])}
    offered = {e for e in only if emap.event_to_key.get(e) in offered_keys}
    beyond = sum(1 for s in holders if (s - want - others) - offered)
    said = ", ".join(
        f"{e} in {n:,} ({n / len(holders):.1%}; {OFFERED if e in offered else 'not offered'})"
        for e, n in only.most_common()
    )
    return (
        f"\n{name} (a description of the whole dataset for this report; no arm reads it): {len(holders):,} real normal "
        f"sessions hold it. Events they hold that no other normal session holds: {said or 'none'}. "
        f"{beyond / len(holders):.1%} hold one the session model does not offer: no synthetic session can cover "
        "those.\n"
    )


def _filtered_log(log: Path, sids: set[str], inventory: Path, out: Path) -> dict:
    """The log less every block that has a line of one of `sids` (matched by the statements' own regexes)."""
    regexes = [
        re.compile(json.loads(line)["regex"])
        for line in inventory.open(encoding="utf-8")
        if json.loads(line)["id"] in sids
    ]
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
    drop = set()
    for ln in lines:
        content = ln.split(": ", 1)[-1].rstrip("\n")
        if any(r.match(content) for r in regexes):
            drop.update(BLOCK.findall(ln))
    kept = [ln for ln in lines if not set(BLOCK.findall(ln)) & drop]
    out.write_text("".join(kept), encoding="utf-8")
    return {"lines": len(lines), "kept": len(kept), "blocks_dropped": len(drop)}


def _generate(args, log: Path, out: Path) -> dict[str, Path]:
    cli = [
        sys.executable,
        "-m",
        "anomalygen.cli",
        "generate",
        str(args.source),
        "--logs",
        str(log),
        "--format",
        "hdfs",
        "--n",
        str(args.n),
        "--seed",
        "0",
    ]
    dirs = {}
    for name, extra in {"synthetic": [], "whole-path": ["--session-model", "off"]}.items():
        d = out / f"gen-{name}"
        if not (args.reuse and (d / "sessions.jsonl").is_file()):
            cmd = [*cli, "--out", str(d), *extra, *(["--no-cover"] if args.no_cover else [])]
            if args.novel_share is not None:
                cmd += ["--novel-share", str(args.novel_share)]
            print("$", shlex.join(cmd), flush=True)
            subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        dirs[name] = d
    return dirs


def _mean_rows(runs: list[dict], metric: str) -> dict[tuple, list[float]]:
    """(train fraction, arm) -> per seed, the mean over detectors of `metric`."""
    by = defaultdict(lambda: defaultdict(list))
    for r in runs:
        if r.get("status") == "ok" and metric in r:
            by[(r["train_fraction"], r["arm"])][r["seed"]].append(float(r[metric]))
    return {k: [float(np.mean(v)) for _, v in sorted(seeds.items())] for k, seeds in by.items()}


def _report(name: str, outcome, frac_list: list[float]) -> str:
    runs, paired = outcome.result.runs, outcome.result.paired
    arms = outcome.result.info["arms"]
    lines = [
        f"\n### Withheld: {name} ({', '.join(outcome.result.info['withheld'][name]['keys'])})\n",
        "Mean over the detectors (seeds: mean ± std):\n",
        "| share | arm | novel-normal FPR | seen-normal FPR | recall | F1 at prior | added normal holding it "
        "| withheld real sequences reproduced |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for frac in frac_list:
        for arm in arms:
            cells = [r for r in runs if r.get("status") == "ok" and r["arm"] == arm and r["train_fraction"] == frac]
            if not cells:
                continue

            def ms(metric: str, cells: list = cells, frac: float = frac, arm: str = arm) -> str:
                per = _mean_rows(cells, metric).get((frac, arm), [])
                return f"{np.mean(per):.3f} ± {np.std(per, ddof=1) if len(per) > 1 else 0:.3f}" if per else "n/a"

            held = np.mean([r.get(f"added_with_{name}", 0.0) for r in cells])
            exact = np.mean([r.get(f"exact_{name}", 0) for r in cells])
            lines.append(
                f"| {frac:g} | {arm} | {ms('fpr_novel')} | {ms('fpr_seen')} | {ms('recall')} | "
                f"{ms('f1_prior')} | {held:.3f} | {exact:.1f} |"
            )
    lines += [
        "",
        "Synthetic against each arm, mean over the detectors (paired t-test over seeds):\n",
        "| share | versus | metric | synthetic / versus | Δ (p) | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for p in paired:
        if (
            p["model"] == "mean of models"
            and p["arm"] == "synthetic"
            and p["metric"] in ("fpr_novel", "fpr_seen", "recall", "f1_prior")
        ):
            lines.append(
                f"| {p['train_fraction']:g} | {p['versus']} | {p['metric']} | {p['mean_arm']:.3f} / "
                f"{p['mean_versus']:.3f} | {p['delta_mean']:+.3f} ({p['p_ttest']:.3g}) | {p['verdict']} |"
            )
    lines += [
        "",
        "Share of the baseline-to-oracle gap in novel-normal FPR that the synthetic arm closes, per "
        "detector (mean over seeds; n/a where the oracle is not at least 0.01 below the baseline):\n",
        "| share | detector | baseline | synthetic | inventory-random | oracle | gap closed |",
        "|---|---|---|---|---|---|---|",
    ]
    for frac in frac_list:
        models = sorted({r["model"] for r in runs if r["train_fraction"] == frac})
        for m in models + ["mean of models"]:

            def v(arm: str, frac: float = frac, m: str = m) -> float | None:
                xs = [
                    float(r["fpr_novel"])
                    for r in runs
                    if r.get("status") == "ok"
                    and r["arm"] == arm
                    and r["train_fraction"] == frac
                    and (m == "mean of models" or r["model"] == m)
                ]
                return float(np.mean(xs)) if xs else None

            b, s, i, o = v("baseline"), v("synthetic"), v("inventory-random"), v("oracle")
            gap = "n/a" if None in (b, s, o) or b - o < 0.01 else f"{(b - s) / (b - o):.0%}"
            fmt = lambda x: "n/a" if x is None else f"{x:.3f}"
            lines.append(f"| {frac:g} | {m} | {fmt(b)} | {fmt(s)} | {fmt(i)} | {fmt(o)} | {gap} |")
    return "\n".join(lines + _covered(runs, arms, frac_list) + _recall_without_flag_all(runs, frac_list)) + "\n"


def _covered(runs: list[dict], arms: list[str], frac_list: list[float]) -> list[str]:
    """The novel-normal test sessions split by whether some normal session the detector trained on (real or
    added) shows each of their events: an arm can only be asked to teach the covered ones."""
    from anomalygen.evaluate.withhold import covered_split

    ok = [r for r in runs if r.get("status") == "ok" and "n_test_novel_covered" in r]
    if not ok:
        return []
    lines = [
        "",
        "Novel-normal test sessions split by whether a normal session the detector trained on (real or added) "
        "shows every one of their events (mean over detectors and seeds):\n",
        "| share | arm | covered | novel-normal FPR, covered | novel-normal FPR, not covered |",
        "|---|---|---|---|---|",
    ]
    for frac in frac_list:
        for arm in arms:
            split = covered_split([r for r in ok if r["arm"] == arm and r["train_fraction"] == frac])
            if split is not None:
                lines.append(f"| {frac:g} | {arm} | {split[0]:.3f} | {_na(split[1])} | {_na(split[2])} |")
    adding = [r for r in ok if r["arm"] == "synthetic" and float(r.get("share_chosen", 1.0)) > 0]
    if not adding:
        return lines
    lines += [
        "",
        "The same split per detector, synthetic arm, over the cells where it added new behaviour (a share above 0 "
        "chosen or kept):\n",
        "| share | detector | cells | covered | novel-normal FPR, covered | novel-normal FPR, not covered |",
        "|---|---|---|---|---|---|",
    ]
    for frac in frac_list:
        for m in sorted({r["model"] for r in adding if r["train_fraction"] == frac}):
            cells = [r for r in adding if r["train_fraction"] == frac and r["model"] == m]
            split = covered_split(cells)
            if split is not None:
                lines.append(f"| {frac:g} | {m} | {len(cells)} | {split[0]:.3f} | {_na(split[1])} | {_na(split[2])} |")
    return lines


def _na(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def _recall_without_flag_all(runs: list[dict], frac_list: list[float]) -> list[str]:
    """Recall of synthetic against the baseline without the detectors whose baseline flags (nearly) every test
    session in every seed: such a baseline's recall of 1 says nothing about the anomalies it finds."""
    from scipy.stats import ttest_rel

    ok = [r for r in runs if r.get("status") == "ok"]
    lines: list[str] = []
    for frac in frac_list:
        base = [r for r in ok if r["arm"] == "baseline" and r["train_fraction"] == frac]
        flag_all = sorted(
            m
            for m in {r["model"] for r in base}
            if all(float(r["fpr"]) >= 0.99 and float(r["recall"]) >= 0.99 for r in base if r["model"] == m)
        )
        if not flag_all:
            continue
        per = _mean_rows([r for r in ok if r["model"] not in flag_all and r["train_fraction"] == frac], "recall")
        s, b = per.get((frac, "synthetic"), []), per.get((frac, "baseline"), [])
        if len(s) != len(b) or len(s) < 2:
            continue
        p = ttest_rel(s, b).pvalue
        if not lines:
            lines = [
                "",
                "Recall, synthetic against the baseline, without the detectors whose baseline flags at least 99% of "
                "the test sessions in every seed (their recall of 1 finds nothing):\n",
                "| share | left out | synthetic / baseline | Δ (p) |",
                "|---|---|---|---|",
            ]
        lines.append(
            f"| {frac:g} | {', '.join(flag_all)} | {np.mean(s):.3f} / {np.mean(b):.3f} | "
            f"{np.mean(s) - np.mean(b):+.3f} ({p:.3g}) |"
        )
    return lines


def _calibrate_on(args, name: str, events: list[str]) -> tuple[dict[str, list[str]], bool, str]:
    """What the tested behaviour `name` is calibrated on: the named `--calibrate` behaviours, `auto`, or by
    default the other default behaviours that share none of its events; and a line saying which (none with
    --no-calibrate)."""
    from anomalygen.evaluate.withhold import parse_withhold

    if args.no_calibrate:
        return {}, False, ""
    if args.calibrate == ["auto"]:
        return {}, True, "calibrated per cell on a behaviour the session model could add and reproduces (auto)"
    if args.calibrate:
        named = parse_withhold(args.calibrate, "--calibrate")
    else:
        named = {n: e for n, e in parse_withhold(BEHAVIOURS).items() if n != name and not set(e) & set(events)}
    if not named:
        return (
            {},
            False,
            (
                "not calibrated (every default behaviour shares an event with it; give --calibrate NAME=EVENTS); the "
                "arms keep their own shares"
            ),
        )
    return named, False, f"calibrated on {named}"


def _calibration(outcome, frac_list: list[float]) -> str:
    """Per share and detector, the shares calibration chose over the seeds (synthetic / inventory-random)."""
    ok = [r for r in outcome.result.runs if r.get("status") == "ok"]
    skipped = Counter(r["calibration_skipped"] for r in ok if r["arm"] == "synthetic" and r.get("calibration_skipped"))
    said = "".join(
        f"\nNot calibrated in {n} of {sum(1 for r in ok if r['arm'] == 'synthetic')} synthetic cells (the arm's own "
        f"share kept): {why}.\n"
        for why, n in sorted(skipped.items())
    )
    runs = [r for r in ok if "share_chosen" in r]
    if not runs:
        return said
    syn = [r for r in runs if r["arm"] == "synthetic"]
    best = [max(float(t.split(":")[1]) for t in r["calibration_scores"].split()) for r in syn]
    per = "per behaviour" if any(r.get("share_per_behaviour") for r in syn) else "of sessions given any new behaviour"
    said += (
        f"\nValidation F1 of the chosen trial (share {per}), mean over the {len(syn)} calibrated synthetic cells: "
        f"{np.mean(best):.4f}.\n"
    )
    cells = Counter(r["calibrated_on"] for r in runs if r["arm"] == "synthetic" and r["model"] == runs[0]["model"])
    on = ", ".join(f"{k} in {n} cells" if len(cells) > 1 else k for k, n in sorted(cells.items()))
    seeds = len({r["seed"] for r in runs})
    lines = [
        f"\nShare of added sessions given new behaviour chosen on validation (calibrated on {on}; "
        f"each of the {seeds} seeds' choices):\n",
        "| share | detector | synthetic | inventory-random |",
        "|---|---|---|---|",
    ]
    for frac in frac_list:
        for m in sorted({r["model"] for r in runs if r["train_fraction"] == frac}):

            def ch(arm: str, frac: float = frac, m: str = m) -> str:
                xs = [
                    f"{r['share_chosen']:g}"
                    for r in runs
                    if r["arm"] == arm and r["train_fraction"] == frac and r["model"] == m
                ]
                return " ".join(xs) or "n/a"

            lines.append(f"| {frac:g} | {m} | {ch('synthetic')} | {ch('inventory-random')} |")
    return "\n".join(lines) + "\n" + said


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, help="Hadoop 0.17.2 tree (needed unless --reuse finds everything)")
    ap.add_argument("--logs", type=Path, default=DATA / "HDFS_20000.log")
    ap.add_argument(
        "--behaviour", action="append", default=None, help="NAME=EVENTS (default: " + " and ".join(BEHAVIOURS) + ")"
    )
    ap.add_argument("--out", type=Path, default=Path("bench_withheld_hdfs"))
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--models", default="all")
    ap.add_argument("--fractions", default="0.01,0.05")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--prior", type=float, default=0.029)
    ap.add_argument("--jobs", type=int, default=default_jobs())
    ap.add_argument("--reuse", action="store_true", help="keep the inventory and generator outputs in --out")
    ap.add_argument(
        "--no-cover", action="store_true", help="generate without covering paths (the uniform-sample ablation)"
    )
    ap.add_argument(
        "--novel-share", type=float, default=None, help="generate's --novel-share (default: generate's own, 0.5)"
    )
    ap.add_argument(
        "--calibrate",
        action="append",
        default=None,
        help="NAME=EVENTS to calibrate on, or 'auto' (evaluate --calibrate auto; default: the other default "
        "behaviours sharing no event with the tested one)",
    )
    ap.add_argument("--calibrate-shares", default=None, help="candidate shares (default: evaluate's, 0,0.5,1)")
    ap.add_argument("--no-calibrate", action="store_true", help="keep each arm's own share (no calibration)")
    ap.add_argument(
        "--calibrate-any",
        action="store_true",
        help="calibrate the share of sessions given any new behaviour (the generator's own sense) instead of the "
        "share per behaviour",
    )
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    behaviours = args.behaviour or BEHAVIOURS
    from anomalygen.evaluate.withhold import parse_withhold

    spec = parse_withhold(behaviours)
    inventory = ensure_inventory(args, ap)
    sids = _statement_ids({e for evs in spec.values() for e in evs}, inventory)
    log = args.out / "values.log"
    filt = _filtered_log(args.logs, sids, inventory, log)
    print(
        f"value log: {filt['kept']:,} of {filt['lines']:,} lines of {args.logs.name} kept "
        f"({filt['blocks_dropped']} blocks with a withheld statement dropped)",
        flush=True,
    )
    dirs = _generate(args, log, args.out)
    from anomalygen.detect.registry import DETECTORS

    models = list(DETECTORS) if args.models == "all" else args.models.split(",")
    fracs = [float(x) for x in args.fractions.split(",")]
    command = "python bench/bench_withheld_hdfs.py " + shlex.join(sys.argv[1:])
    text = f"Command: `{command}`\n\nValue log: {filt}\n"
    from anomalygen.evaluate.calibrate import DEFAULT_SHARES, parse_shares

    shares = parse_shares(args.calibrate_shares) if args.calibrate_shares else list(DEFAULT_SHARES)
    for name, events in spec.items():
        calibrate, auto, said = _calibrate_on(args, name, events)
        if said:
            print(f"{name}: {said}", flush=True)
        cfg = EvalConfig(
            models=models,
            ratios=[1.0],
            seeds=list(range(args.seeds)),
            train_fractions=fracs,
            prior=args.prior,
            epochs=args.epochs,
            jobs=args.jobs,
            withhold={name: events},
            cache_dir=str(args.out / "cache"),
            calibrate=calibrate,
            calibrate_auto=auto,
            calibrate_shares=shares,
            calibrate_each=not args.calibrate_any,
        )
        t0 = time.perf_counter()
        outcome = evaluate(
            EvaluateRequest(
                "hdfs_deeplog",
                args.out / f"eval-{name}",
                cfg,
                augment=dirs["synthetic"],
                ablations={"whole-path": dirs["whole-path"]},
                template_map="auto",
                inventory=inventory,
                on_info=print,
            )
        )
        part = _report(name, outcome, fracs) + _companions(name, events, dirs["synthetic"], inventory)
        part += _calibration(outcome, fracs)
        part += f"\n{len(outcome.result.runs)} runs in {time.perf_counter() - t0:.0f} s with {args.jobs} workers\n"
        print(part, flush=True)
        text += part
        (args.out / "bench.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
