"""Testbed evaluation: train on one testbed run's windows, test on other runs', judged as an operator would.

Every detector is unsupervised (a steady-state training run has no anomaly to learn from) and kept at its natural
threshold. Training arms, each on the same real training windows (those labelled normal), each adding as many
windows as there are real ones unless said otherwise:
  - baseline: the real windows alone;
  - synthetic: plus normal synthetic sessions (generator seed = detector seed): per-server windows the session
    model composed from the training run's own, half of them holding statements its steady state never showed
    (`synthesis/novel.py`); in the all-server form each is spliced into a real all-server training window;
  - real-duplicate: plus real training windows drawn again (more data, nothing new: the control that tells "more
    sessions" from "new behaviour");
  - naive: plus real training windows with code-free random edits (drop, duplicate, swap, insert a seen event);
  - inventory-random: plus real training windows with 1-3 inventory statements training never showed inserted
    at random (code knowledge at the inventory level only: no paths, no order);
  - startup: plus the windows of the servers' start-up (logs every operator has; the fair control, since a
    planned restart prints much of what a start-up prints; as many as there are);
  - oracle (a ceiling, not a control): plus windows of another run (other seeds) that held real planned
    operations, every window over an operation first, then its steady ones.

Session forms: `all-server` (a 10 s window over every server's lines together) and `per-server` (one stream per
server, each cut into the same 10 s windows: the unit a detector scores is server x window). An operator hears
one alarm per time slot whichever server raised it, so per-server predictions are merged per slot (a slot alarms
when any server's window does) before the operator metrics, the units and window F1: both forms are judged on
the same slots. Which form the verdict uses is chosen on a validation run alone (`testbed_units.choose_form`),
never on a test run.

Where the rest lives: reading runs' windows and synthetic sessions in `testbed_windows.py`, the units, paired tests
and acceptance figures in `testbed_units.py`, the files and markdown in `testbed_report.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median

import numpy as np

from anomalygen.core.sessions import Session
from anomalygen.detect.registry import UNSUPERVISED
from anomalygen.evaluate import arms
from anomalygen.evaluate.alarms import fit_predict, sample_synthetic
from anomalygen.evaluate.metrics import anomaly_metrics
from anomalygen.evaluate.operator import Window, operator_metrics
from anomalygen.evaluate.testbed_report import write_results
from anomalygen.evaluate.testbed_units import ARMS, RESTARTS, STARTUP
from anomalygen.evaluate.testbed_windows import (
    ALL_SERVER,
    FORMS,
    PER_SERVER,
    TestbedWindows,
    host_list,
    inventory_ids,
    load_run,
    normal_events,
    opens,
    read_synthetic,
    respliced,
    span,
    split_in_time,
)


@dataclass
class TestbedEvalConfig:
    models: list[str] = field(default_factory=lambda: list(UNSUPERVISED))
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    epochs: int | None = None
    margin: float = 10.0


def oracle_addition(oracle: TestbedWindows, n: int, seed: int) -> list[list[str]]:
    """`n` normal windows of the oracle run: every window over a planned operation first (they are what the arm
    is for; a seeded draw of `n` of them when there are more), then a seeded draw of its steady windows, with
    replacement only once they run out."""
    rng = np.random.default_rng(seed + 7919)
    normal = [w for w in oracle.windows if w.label == 0]
    over_ops = [list(w.events) for w in normal if w.extra.get("operations")]
    steady = [list(w.events) for w in normal if not w.extra.get("operations")]
    if len(over_ops) >= n:
        return [over_ops[i] for i in sorted(rng.choice(len(over_ops), n, replace=False))] if n > 0 else []
    rest = n - len(over_ops)
    if not steady:
        again = rng.choice(len(over_ops), rest, replace=True) if over_ops else np.zeros(0, dtype=np.int64)
        return over_ops + [over_ops[i] for i in again]
    pick = rng.choice(len(steady), rest, replace=rest > len(steady))
    return over_ops + [steady[i] for i in pick]


def slots(windows: Sequence[Session], pred: Sequence[int]) -> tuple[list[Window], np.ndarray, np.ndarray]:
    """Windows merged per time slot (start, end): a slot alarms when any of its windows does and is anomalous
    when any is (labels come from time, so a slot's windows agree). One window per slot in the all-server form;
    one per server that printed in the per-server form. Returns the slots, their labels, their alarms."""
    merged: dict[tuple[float, float], list[int]] = {}
    for w, p in zip(windows, pred, strict=True):
        got = merged.setdefault(span(w), [0, 0])
        got[0] = max(got[0], w.label or 0)
        got[1] = max(got[1], int(p))
    keys = sorted(merged)
    return (
        [Window(s, e, bool(merged[(s, e)][1])) for s, e in keys],
        np.array([merged[k][0] for k in keys], dtype=np.int64),
        np.array([merged[k][1] for k in keys], dtype=np.int64),
    )


def additions(
    train: TestbedWindows,
    synthetic: list[list[str]],
    seed: int,
    inventory: Sequence[str] | None = None,
    oracle: TestbedWindows | None = None,
) -> dict[str, list[list[str]]]:
    """What each arm adds to the real normal training windows for one seed (an arm left out adds nothing and is
    not run: inventory-random without an inventory, oracle without an oracle run, startup without start-up
    windows, synthetic without synthetic sessions)."""
    X_train = normal_events(train)
    y_train = np.zeros(len(X_train), dtype=np.int64)
    n = len(X_train)
    added = {
        arms.BASELINE: [],
        arms.SYNTHETIC: sample_synthetic(synthetic, n, seed),
        arms.DUPLICATE: arms.duplicate(X_train, y_train, n, 0, seed).X,
        arms.NAIVE: arms.naive(X_train, y_train, n, 0, seed).X,
        STARTUP: [list(w.events) for w in train.startup],
    }
    if inventory:
        seen = {e for x in X_train for e in x}
        unseen = sorted(k for k in set(inventory) if k not in seen)
        added[arms.INVENTORY_RANDOM] = arms.inventory_random(X_train, y_train, unseen, n, 0, seed).X
    if oracle is not None:
        added[arms.ORACLE] = oracle_addition(oracle, n, seed)
    return added


def evaluate_testbed(
    train: TestbedWindows,
    tests: TestbedWindows | Sequence[TestbedWindows],
    synthetic: dict[int, list[list[str]]],
    cfg: TestbedEvalConfig,
    *,
    val: TestbedWindows | None = None,
    oracle: TestbedWindows | None = None,
    inventory: Sequence[str] | None = None,
    form: str = ALL_SERVER,
) -> list[dict]:
    """One row per (detector, arm, seed, run): each detector is trained once per arm and seed, then scores the
    validation run (role `val`) and every test run (role `test`)."""
    tests = [tests] if isinstance(tests, TestbedWindows) else list(tests)
    judged = [(val, "val")] if val is not None else []
    judged += [(t, "test") for t in tests]
    X_train = normal_events(train)
    if not X_train or not tests or not all(t.windows for t, _ in judged):
        raise ValueError(
            f"{len(X_train)} normal training windows and test runs with "
            f"{', '.join(str(len(t.windows)) for t, _ in judged) or 'no'} windows: nothing to evaluate"
        )
    X_all = [list(w.events) for t, _ in judged for w in t.windows]
    bounds = np.cumsum([0] + [len(t.windows) for t, _ in judged])
    rows = []
    for seed in cfg.seeds:
        added = additions(train, synthetic.get(seed, []), seed, inventory, oracle)
        for model in cfg.models:
            for arm in ARMS:
                if arm not in added or (arm != arms.BASELINE and not added[arm]):
                    continue
                pred_all = fit_predict(model, seed, X_train + added[arm], X_all, cfg.epochs)
                for k, (run, role) in enumerate(judged):
                    pred = pred_all[bounds[k] : bounds[k + 1]]
                    rows.append(_row(run, role, form, model, arm, seed, len(X_train), len(added[arm]), pred))
    return rows


def _row(run: TestbedWindows, role: str, form: str, model: str, arm: str, seed: int, n_train, n_added, pred) -> dict:
    wins, y, alarms = slots(run.windows, pred)
    op = operator_metrics(wins, run.faults, run.operations)
    win = anomaly_metrics(y, alarms)
    ttd = [f["ttd_s"] for f in op["faults"] if f["detected"]]
    return {
        "form": form,
        "run": run.name,
        "role": role,
        "model": model,
        "arm": arm,
        "seed": seed,
        "n_train": n_train,
        "n_added": n_added,
        "n_test": len(wins),
        "n_test_anomalous": int(y.sum()),
        "faults_detected": len(ttd),
        "faults_total": len(op["faults"]),
        "median_ttd_s": round(median(ttd), 1) if ttd else None,
        "fa_per_hour": op["false_alarms"]["per_hour"],
        "fa_per_hour_steady": op["false_alarms_steady"]["per_hour"],
        "fa_per_hour_operations": op["false_alarms_during_operations"]["per_hour"],
        "operations_alarmed": op["operations_alarmed"],
        "operations_total": op["operations_total"],
        "restarts_alarmed": sum(o["alarms"] > 0 for o in op["operations"] if o["kind"] in RESTARTS),
        "restarts_total": sum(o["kind"] in RESTARTS for o in op["operations"]),
        "precision": round(win["precision"], 4),
        "recall": round(win["recall"], 4),
        "f1": round(win["f1"], 4),
        "per_fault": op["faults"],
        "per_operation": op["operations"],
    }


# -- coverage of operation statements by synthetic sessions -----------------------------------------------------


def coverage(
    train: TestbedWindows, tests: Sequence[TestbedWindows], synthetic: dict[int, list[list[str]]]
) -> list[dict]:
    """Per planned-operation kind: the statements the test runs' windows over that kind (and over no fault)
    print that the training run never printed, and how many of them at least one synthetic normal session of
    each seed holds."""
    seen = {e for w in train.windows for e in w.events}
    by_kind: dict[str, set[str]] = {}
    for t in tests:
        kind_of = {o.index: o.kind for o in t.operations}
        for w in t.windows:
            if w.label or not w.extra.get("operations"):
                continue
            for idx in w.extra["operations"]:
                if idx in kind_of:
                    by_kind.setdefault(kind_of[idx], set()).update(e for e in w.events if e not in seen)
    syn = {s: {e for x in xs for e in x} for s, xs in synthetic.items()}
    return [
        {
            "kind": kind,
            "unseen": len(st),
            "in_synthetic": {str(s): len(st & held) for s, held in sorted(syn.items())},
            "statements": sorted(st),
        }
        for kind, st in sorted(by_kind.items())
    ]


# -- the whole evaluation over windowed runs (what `run --testbed` calls) ---------------------------------------


@dataclass
class TestbedInputs:
    """Where the run stage left what the evaluation reads."""

    windows: Path  # one folder per run name, as `runner.relabel` writes it
    runs: dict[str, Path]  # run name -> testbed run folder: train, val, oracle (optional), test1, test2, ...
    synthetic: dict[int, Path]  # seed -> the generator's output folder (its sessions.jsonl)
    # the per-server training windows the generator composed from; only a generate output that spliced paths
    # into them (`--hosts`) names a host per session, which `respliced` then takes out again
    hosts: Path | None = None
    host_fraction: float = 1.0
    inventory: Path | None = None
    window: float = 10.0

    def tests(self) -> list[str]:
        return [k for k in self.runs if k.startswith("test")]


def evaluate_runs(inp: TestbedInputs, cfg: TestbedEvalConfig, out: Path) -> dict:
    """Both session forms over every run, the form chosen on validation, units, paired tests, coverage; writes
    OUT (see `write_results`) and returns the info it records."""
    inventory = inventory_ids(inp.inventory) if inp.inventory and inp.inventory.is_file() else None
    known = set(inventory or ())
    hosts = host_list(inp.hosts, inp.host_fraction, known)
    recs = {s: read_synthetic(p / "sessions.jsonl") for s, p in inp.synthetic.items()}
    rows: list[dict] = []
    info: dict = {
        "train": str(inp.runs["train"]),
        "val": str(inp.runs["val"]) if "val" in inp.runs else None,
        "oracle": str(inp.runs["oracle"]) if "oracle" in inp.runs else None,
        "test": ", ".join(f"{k} {inp.runs[k]}" for k in inp.tests()) or "second half of the training run",
        "window": inp.window,
        "margin": cfg.margin,
        "n_synthetic_normal": {str(s): len(r) for s, r in recs.items()},
        "config": cfg.__dict__,
        "forms": {},
    }
    cov: list[dict] = []
    cut = None
    for form in FORMS:

        def load(name: str, form: str = form) -> TestbedWindows:
            return load_run(inp.windows / name, inp.runs[name], cfg.margin, form, name)

        train = load("train")
        if inp.tests():
            tests = [load(k) for k in inp.tests()]
        else:
            if cut is None:  # one cut for both forms: the all-server middle window's start
                ws = sorted(opens(w) for w in train.windows)
                cut = ws[len(ws) // 2] if ws else 0.0
            train, test = split_in_time(train, cut)
            tests = [test]
        val = load("val") if "val" in inp.runs else None
        oracle = load("oracle") if "oracle" in inp.runs else None
        if form == PER_SERVER:
            synthetic = {s: [r.events for r in rs] for s, rs in recs.items()}
            lost = {str(s): 0 for s in recs}
            cov = coverage(train, tests, synthetic)
        else:
            synthetic, lost = {}, {}
            targets = normal_events(train)
            for s, rs in recs.items():
                synthetic[s], n_lost = respliced(rs, hosts, targets, s)
                lost[str(s)] = n_lost
        rows += evaluate_testbed(train, tests, synthetic, cfg, val=val, oracle=oracle, inventory=inventory, form=form)
        info["forms"][form] = {
            "n_train": len(normal_events(train)),
            "n_startup": len(train.startup),
            "n_oracle_normal": len(normal_events(oracle)) if oracle else 0,
            "n_val": len(val.windows) if val else 0,
            "n_test": sum(len(t.windows) for t in tests),
            "n_synthetic": {str(s): len(v) for s, v in synthetic.items()},
            "synthetic_not_respliced": lost,
        }
        if form == ALL_SERVER:
            info["n_train"] = len(normal_events(train))
            info["n_test"] = sum(len(t.windows) for t in tests)
            info["n_test_anomalous"] = sum(w.label or 0 for t in tests for w in t.windows)
    info["verdict"] = write_results(rows, out, info, cov)
    return info
