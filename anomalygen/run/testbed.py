"""`anomalygen run --testbed RUN [--test-testbed RUN2 ...] [--val-testbed V] [--oracle-testbed O]`: the stages over
testbed runs instead of raw logs. This module is the stage plan only; the evaluation itself is
`evaluate/testbed.py`.

inventory (the ZooKeeper 3.8 source) -> windows (each run's logs parsed against it and windowed, over all servers
and per server, labelled by its faults, planned operations kept normal; written under OUT/testbed/<run>/, the
runs are not modified) -> generate, once per seed, composing from the per-server training windows (so synthetic
sessions have a server window's shape; the all-server form splices the same sessions into all-server windows) ->
evaluate (both session forms, the form chosen on the validation run, operator metrics, units and paired tests)
-> report. Without --test-testbed the one run is split in time: its first half trains, its second half tests.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from anomalygen.core import layout
from anomalygen.core.errors import InputError
from anomalygen.run.pipeline import Stage
from anomalygen.run.stages import TreeOnce, report, request_stage

if TYPE_CHECKING:
    from anomalygen.run.config import RunSettings

WINDOW = 10.0  # seconds: the testbed's own window
MARGIN = 10.0  # seconds of recovery after a fault still labelled anomalous
HOSTS = "train/sessions_by_server.jsonl"  # under OUT/testbed: the real sessions synthetic ones are composed from


def seeds_of(s: RunSettings) -> list[int]:
    return [s.seed + i for i in range(s.seeds)]


def testbed_runs(s: RunSettings) -> dict[str, Path]:
    """Run name -> folder: train, then val and oracle when given, then test1, test2, ... in the order given."""
    assert s.testbed is not None, "planned over testbed runs only with --testbed"
    runs = {"train": s.testbed}
    for p, name in ((s.val_testbed, "val"), (s.oracle_testbed, "oracle")):
        if p:
            runs[name] = p
    for i, p in enumerate(s.test_testbed, 1):
        runs[f"test{i}"] = p
    return runs


def run_seed(run_dir: Path) -> int | None:
    """The seed a testbed run was made with: its manifest's, else its schedule's; None when neither says."""
    for name, keys in (("testbed.manifest.json", ("params", "seed")), ("schedule.json", ("seed",))):
        try:
            doc = json.loads((run_dir / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for k in keys:
            doc = doc.get(k) if isinstance(doc, dict) else None
        if isinstance(doc, int) and not isinstance(doc, bool):
            return doc
    return None


def check_runs(runs: dict[str, Path]) -> None:
    """Refuse a folder that is not a finished testbed run, the same folder twice, and a test run that shares a
    seed with the training, validation or oracle run (the same seed draws the same schedule and workload: the test
    would repeat what was learned or chosen from)."""
    folders: dict[Path, str] = {}
    for name, p in runs.items():
        missing = [n for n in ("faults.jsonl", "summary.json", "logs") if not (p / n).exists()]
        if missing:  # found now, not after minutes of other stages
            raise InputError(f"{p} (the {name} run) is not a finished testbed run: no {', '.join(missing)}")
        other = folders.setdefault(p.resolve(), name)
        if other != name:
            raise InputError(f"{p} is given as both the {other} run and the {name} run")
    seeds = {name: run_seed(p) for name, p in runs.items()}
    for t in (k for k in runs if k.startswith("test")):
        for k in ("train", "val", "oracle"):
            if k in runs and seeds[t] is not None and seeds[t] == seeds[k]:
                raise InputError(
                    f"test run {runs[t]} has seed {seeds[t]}, like the {k} run {runs[k]}: "
                    "test runs must not share a seed with the runs the detectors learn or are chosen from"
                )


def testbed_models(s: RunSettings) -> list[str]:
    """The detectors asked for; only unsupervised ones apply (checked before any stage runs)."""
    from anomalygen.detect.registry import UNSUPERVISED as unsupervised
    from anomalygen.detect.registry import parse_models

    spec = s.models
    models = list(unsupervised) if spec.strip() == "all" else parse_models(spec)
    bad = [m for m in models if m not in unsupervised]
    if bad:
        raise InputError(
            f"--models {','.join(bad)}: testbed training runs have no anomaly, so only unsupervised "
            f"detectors apply ({', '.join(unsupervised)})"
        )
    return models


def plan_testbed(s: RunSettings) -> list[Stage]:
    from anomalygen.source.api import InventoryRequest, take_inventory
    from anomalygen.synthesis.api import GenerateRequest, generate

    r = s.out
    src = s.source
    tree = TreeOnce(src)
    runs = testbed_runs(s)
    check_runs(runs)
    testbed_models(s)
    tested = any(k.startswith("test") for k in runs)
    inventory = r / layout.INVENTORY
    inv = InventoryRequest(src, inventory)
    hosts = r / layout.TESTBED_WINDOWS / HOSTS
    train = runs["train"]
    logs = sorted((train / "logs").glob("zookeeper-*.log"))
    stages = [
        request_stage("inventory", take_inventory, inv, tree, [src], [inventory]),
        Stage(
            "windows",
            {"runs": {k: str(p) for k, p in runs.items()}, "window": WINDOW, "margin": MARGIN},
            [p / n for p in runs.values() for n in ("logs", "faults.jsonl", "summary.json")],
            [r / layout.TESTBED_WINDOWS / k / n for k in runs for n in ("sessions.jsonl", "sessions_by_server.jsonl")],
            after=["inventory"],
            call=lambda: build_windows(runs, inventory, r / layout.TESTBED_WINDOWS),
        ),
    ]
    host_fraction = 1.0 if tested else 0.5  # split in time: only the training half may host paths
    gens = []
    for seed in seeds_of(s):
        req = GenerateRequest(
            r / layout.SYNTHETIC_SEEDS.format(seed=seed),
            src,
            logs=list(logs),
            format="zookeeper",
            n=s.n,
            seed=seed,
            max_paths=s.max_paths,
            anomalous_share=s.anomalous_share,
            sessions_by="none",
            # the session model composes per-server windows from the training run's own, with statements its
            # steady state never showed (the withheld-behaviour machinery), rather than splicing one path each
            real_sessions=str(hosts),
            host_fraction=host_fraction,
            llm=s.llm,
        )
        gens.append(f"generate-{seed}")
        stages.append(
            request_stage(gens[-1], generate, req, tree, [src, *logs], [req.out / "sessions.jsonl"], after=["windows"])
        )
    stages.append(
        Stage(
            "evaluate",
            {"models": s.models, "epochs": s.epochs, "seeds": seeds_of(s)},
            [],
            [r / layout.TESTBED_RESULTS],
            after=["windows", *gens],
            call=lambda: evaluate(s, runs, r, host_fraction),
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
            f"{res['sessions_by_server']['windows']} server windows, "
            f"{res['sessions_startup']['windows']} start-up windows"
        )


def evaluate(s: RunSettings, runs: dict[str, Path], r: Path, host_fraction: float) -> None:
    from anomalygen.evaluate.testbed import TestbedEvalConfig, TestbedInputs, evaluate_runs

    models = testbed_models(s)
    inp = TestbedInputs(
        windows=r / layout.TESTBED_WINDOWS,
        runs=runs,
        synthetic={seed: r / layout.SYNTHETIC_SEEDS.format(seed=seed) for seed in seeds_of(s)},
        hosts=r / layout.TESTBED_WINDOWS / HOSTS,
        host_fraction=host_fraction,
        inventory=r / layout.INVENTORY,
        window=WINDOW,
    )
    ecfg = TestbedEvalConfig(models=models, seeds=seeds_of(s), epochs=s.epochs, margin=MARGIN)
    info = evaluate_runs(inp, ecfg, r / layout.EVALUATE)
    v = info["verdict"]
    print(json.dumps({"form": v["form"], "validation_scores": v["validation_scores"], "forms": info["forms"]}))
