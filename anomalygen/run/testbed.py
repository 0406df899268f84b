"""`anomalygen run --testbed RUN [--test-testbed RUN2]`: the stages over testbed runs instead of raw logs.

inventory (the ZooKeeper 3.8 source) -> windows (each run's logs parsed against it and windowed, labelled by its
faults, planned operations kept normal; written under OUT/testbed/, the runs are not modified) -> generate, once
per seed, with the training windows as hosts (so synthetic sessions have their shape) -> evaluate (operator
metrics and window P/R/F1 per detector and arm, `evaluate/testbed.py`) -> report. Without --test-testbed the one
run is split in time: its first half trains, its second half tests.
"""

from __future__ import annotations

import json
from pathlib import Path

from anomalygen.core import layout
from anomalygen.run.pipeline import Stage
from anomalygen.run.stages import TreeOnce, report, request_stage

WINDOW = 10.0  # seconds: the testbed's own window
MARGIN = 10.0  # seconds of recovery after a fault still labelled anomalous


def seeds_of(cfg: dict) -> list[int]:
    return [int(cfg["seed"]) + i for i in range(int(cfg["seeds"]))]


def plan_testbed(cfg: dict) -> list[Stage]:
    from anomalygen.source.api import InventoryRequest, take_inventory
    from anomalygen.synthesis.api import GenerateRequest, generate

    r: Path = cfg["out"]
    src = Path(cfg["source"])
    tree = TreeOnce(src)
    train, test = Path(cfg["testbed"]), Path(cfg["test_testbed"]) if cfg.get("test_testbed") else None
    inventory = r / layout.INVENTORY
    inv = InventoryRequest(src, inventory)
    runs = {"train": train, **({"test": test} if test else {})}
    hosts = r / layout.TESTBED_WINDOWS / "train" / "sessions.jsonl"
    logs = sorted((train / "logs").glob("zookeeper-*.log"))
    stages = [
        request_stage("inventory", take_inventory, inv, tree, [src], [inventory]),
        Stage(
            "windows",
            {"runs": [str(p) for p in runs.values()], "window": WINDOW, "margin": MARGIN},
            [p / n for p in runs.values() for n in ("logs", "faults.jsonl", "summary.json")],
            [r / layout.TESTBED_WINDOWS / k / "sessions.jsonl" for k in runs],
            after=["inventory"],
            call=lambda: build_windows(runs, inventory, r / layout.TESTBED_WINDOWS),
        ),
    ]
    gens = []
    for seed in seeds_of(cfg):
        req = GenerateRequest(
            r / layout.SYNTHETIC_SEEDS.format(seed=seed),
            src,
            logs=list(logs),
            format="zookeeper",
            n=int(cfg["n"]),
            seed=seed,
            max_paths=int(cfg["max_paths"]),
            anomalous_share=float(cfg["anomalous_share"]),
            session_key="none",
            hosts=hosts,
            host_fraction=1.0 if test else 0.5,
            llm=cfg["llm"],
        )
        gens.append(f"generate-{seed}")
        stages.append(
            request_stage(gens[-1], generate, req, tree, [src, *logs], [req.out / "sessions.jsonl"], after=["windows"])
        )
    stages.append(
        Stage(
            "evaluate",
            {"models": str(cfg["models"]), "epochs": cfg["epochs"], "seeds": seeds_of(cfg)},
            [],
            [r / layout.TESTBED_RESULTS],
            after=["windows", *gens],
            call=lambda: evaluate(cfg, runs, r),
        )
    )
    stages.append(
        Stage(
            "report", {}, [], [r / layout.REPORT], after=[s.name for s in stages], call=lambda: report(r), always=True
        )
    )
    return stages


def build_windows(runs: dict[str, Path], inventory: Path, out: Path) -> None:
    from anomalygen.testbed.runner import relabel

    for name, run_dir in runs.items():
        res = relabel(run_dir, WINDOW, None, MARGIN, inventory=inventory, dest=out / name)
        print(
            f"{name}: {run_dir}: {res['sessions']['windows']} windows ({res['sessions']['anomalous']} anomalous), "
            f"{res['sessions_startup']['windows']} start-up windows"
        )


def _split_in_time(run):
    """First half of a run's windows trains, the second half tests (by window start)."""
    from anomalygen.evaluate.testbed import TestbedWindows

    ws = sorted(run.windows, key=lambda w: w["start"])
    half = len(ws) // 2
    cut = ws[half]["start"] if ws else 0.0
    return (
        TestbedWindows(ws[:half], run.startup, [], []),
        TestbedWindows(
            ws[half:], [], [f for f in run.faults if f.stop >= cut], [o for o in run.operations if o.stop >= cut]
        ),
    )


def evaluate(cfg: dict, runs: dict[str, Path], r: Path) -> None:
    from anomalygen.detect.registry import DETECTORS
    from anomalygen.evaluate.alarms import read_events
    from anomalygen.evaluate.testbed import TestbedEvalConfig, evaluate_testbed, load_run, write_results

    unsupervised = [m for m, c in DETECTORS.items() if not c.supervised]
    models = unsupervised if cfg["models"] == "all" else [m.strip() for m in str(cfg["models"]).split(",")]
    bad = [m for m in models if m not in unsupervised]
    if bad:
        raise ValueError(
            f"--models {','.join(bad)}: testbed training runs have no anomaly, so only unsupervised "
            f"detectors apply ({', '.join(unsupervised)})"
        )
    train = load_run(r / layout.TESTBED_WINDOWS / "train", runs["train"], MARGIN)
    if "test" in runs:
        test = load_run(r / layout.TESTBED_WINDOWS / "test", runs["test"], MARGIN)
    else:
        train, test = _split_in_time(train)
    synthetic = {
        s: read_events(r / layout.SYNTHETIC_SEEDS.format(seed=s) / "sessions.jsonl", normal_only=True)
        for s in seeds_of(cfg)
    }
    ecfg = TestbedEvalConfig(models=models, seeds=seeds_of(cfg), epochs=cfg["epochs"], margin=MARGIN)
    rows = evaluate_testbed(train, test, synthetic, ecfg)
    info = {
        "train": str(runs["train"]),
        "test": str(runs.get("test", "second half of the training run")),
        "n_train": sum(int(w["label"]) == 0 for w in train.windows),
        "n_test": len(test.windows),
        "n_test_anomalous": sum(int(w["label"]) for w in test.windows),
        "window": WINDOW,
        "margin": MARGIN,
        "n_synthetic_normal": {str(k): len(v) for k, v in synthetic.items()},
        "n_startup_windows": len(train.startup),
        "config": ecfg.__dict__,
    }
    write_results(rows, r / layout.EVALUATE, info)
    print(json.dumps({k: v for k, v in info.items() if k != "config"}))
