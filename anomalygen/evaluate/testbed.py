"""Testbed evaluation: train on one testbed run's windows, test on another run's, judged as an operator would.

Every detector is unsupervised (a steady-state training run has no anomaly to learn from) and kept at its natural
threshold. Training arms, each on the same real training windows (those labelled normal):
  - baseline: the real windows alone;
  - synthetic: plus as many normal synthetic sessions (generator seed = detector seed), spliced into real
    windows by `generate --hosts`, so they have the windows' shape;
  - real-duplicate: plus as many real training windows drawn again (more data, nothing new: the control that
    tells "more sessions" from "new behaviour");
  - naive: plus as many real training windows with code-free random edits (drop, duplicate, swap, insert a
    seen event): new sequences without the source code (`arms.naive`, the evaluation's control);
  - startup: plus the windows of the servers' start-up (logs every operator has; the fair control, since a
    planned restart prints much of what a start-up prints).
Test: the other run's windows, labelled by its fault intervals (planned operations are normal). Reported per
(detector, arm, seed): operator metrics (`operator.py`) and window precision/recall/F1.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean, median

import numpy as np

from anomalygen.detect.registry import DETECTORS
from anomalygen.evaluate import arms
from anomalygen.evaluate.alarms import fit_predict, sample_synthetic
from anomalygen.evaluate.metrics import anomaly_metrics
from anomalygen.evaluate.operator import Window, operator_metrics
from anomalygen.jsonl import read_jsonl
from anomalygen.logs.sessions_data import DataFormatError
from anomalygen.testbed.labels import Interval, intervals, read_faults

ARMS = (arms.BASELINE, arms.SYNTHETIC, arms.DUPLICATE, arms.NAIVE, "startup")


@dataclass
class TestbedEvalConfig:
    models: list[str] = field(default_factory=lambda: [m for m, c in DETECTORS.items() if not c.supervised])
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    epochs: int | None = None
    margin: float = 10.0


@dataclass
class TestbedWindows:
    """One run's windows (`sessions.jsonl` rows), start-up windows, fault and planned-operation intervals."""

    windows: list[dict]
    startup: list[dict]
    faults: list[Interval]
    operations: list[Interval]


def read_windows(path: Path) -> list[dict]:
    rows = []
    for n, obj in read_jsonl(path, DataFormatError):
        for key in ("events", "label", "start", "end"):
            if key not in obj:
                raise DataFormatError(f"{path}:{n}: a window needs {key!r}")
        rows.append(obj)
    return rows


def load_run(windows_dir: Path, run_dir: Path, margin: float) -> TestbedWindows:
    """Windows built into `windows_dir` (see `runner.relabel`) and the records of the testbed run `run_dir`."""
    ops = run_dir / "operations.jsonl"
    startup = windows_dir / "sessions_startup.jsonl"
    return TestbedWindows(
        read_windows(windows_dir / "sessions.jsonl"),
        read_windows(startup) if startup.is_file() else [],
        intervals(read_faults(run_dir / "faults.jsonl"), margin),
        intervals(read_faults(ops), margin, planned=True) if ops.is_file() else [],
    )


def evaluate_testbed(
    train: TestbedWindows, test: TestbedWindows, synthetic: dict[int, list[list[str]]], cfg: TestbedEvalConfig
) -> list[dict]:
    X_train = [w["events"] for w in train.windows if int(w["label"]) == 0]
    X_start = [w["events"] for w in train.startup]
    X_test = [w["events"] for w in test.windows]
    y_test = np.array([int(w["label"]) for w in test.windows])
    if not X_train or not X_test:
        raise ValueError(f"{len(X_train)} normal training windows and {len(X_test)} test windows: nothing to evaluate")
    y_train = np.zeros(len(X_train), dtype=np.int64)
    n = len(X_train)
    rows = []
    for seed in cfg.seeds:
        added = {
            arms.BASELINE: [],
            arms.SYNTHETIC: sample_synthetic(synthetic.get(seed, []), n, seed),
            arms.DUPLICATE: arms.duplicate(X_train, y_train, n, 0, seed).X,
            arms.NAIVE: arms.naive(X_train, y_train, n, 0, seed).X,
            "startup": X_start,
        }
        for model in cfg.models:
            for arm in ARMS:
                if arm != arms.BASELINE and not added[arm]:
                    continue
                pred = fit_predict(model, seed, X_train + added[arm], X_test, cfg.epochs)
                wins = [
                    Window(float(w["start"]), float(w["end"]), bool(p)) for w, p in zip(test.windows, pred, strict=True)
                ]
                op = operator_metrics(wins, test.faults, test.operations)
                win = anomaly_metrics(y_test, pred)
                ttd = [f["ttd_s"] for f in op["faults"] if f["detected"]]
                rows.append(
                    {
                        "model": model,
                        "arm": arm,
                        "seed": seed,
                        "n_train": len(X_train),
                        "n_added": len(added[arm]),
                        "n_test": len(X_test),
                        "n_test_anomalous": int(y_test.sum()),
                        "faults_detected": len(ttd),
                        "faults_total": len(op["faults"]),
                        "median_ttd_s": round(median(ttd), 1) if ttd else None,
                        "fa_per_hour": op["false_alarms"]["per_hour"],
                        "fa_per_hour_steady": op["false_alarms_steady"]["per_hour"],
                        "fa_per_hour_operations": op["false_alarms_during_operations"]["per_hour"],
                        "operations_alarmed": op["operations_alarmed"],
                        "operations_total": op["operations_total"],
                        "precision": round(win["precision"], 4),
                        "recall": round(win["recall"], 4),
                        "f1": round(win["f1"], 4),
                        "per_fault": op["faults"],
                        "per_operation": op["operations"],
                    }
                )
    return rows


def _avg(rows: list[dict], key: str) -> str:
    vals = [r[key] for r in rows if r.get(key) is not None]
    return f"{mean(vals):.1f}" if vals else "-"


def summary_markdown(rows: list[dict], note: str = "") -> str:
    models = list(dict.fromkeys(r["model"] for r in rows))
    arms = [a for a in ARMS if any(r["arm"] == a for r in rows)]
    seeds = sorted({r["seed"] for r in rows})
    out = [
        "## Testbed: operator metrics (mean over seeds " + ", ".join(map(str, seeds)) + ")",
        "",
        note,
        "",
        "| detector | arm | faults detected | median time to detect (s) | false alarms/h, steady | false alarms/h, "
        "planned operations | operations alarmed | window F1 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for m in models:
        for a in arms:
            got = [r for r in rows if r["model"] == m and r["arm"] == a]
            if not got:
                continue
            out.append(
                f"| {m} | {a} | {_avg(got, 'faults_detected')} of {got[0]['faults_total']} | "
                f"{_avg(got, 'median_ttd_s')} | {_avg(got, 'fa_per_hour_steady')} | "
                f"{_avg(got, 'fa_per_hour_operations')} | {_avg(got, 'operations_alarmed')} of "
                f"{got[0]['operations_total']} | {mean(r['f1'] for r in got):.3f} |"
            )
    out += [
        "",
        "### Faults detected per kind (all detectors and seeds together)",
        "",
        "| fault kind | " + " | ".join(arms) + " |",
        "|---|" + "---|" * len(arms),
    ]
    kinds = sorted({f["kind"] for r in rows for f in r["per_fault"]})
    for k in kinds:
        cells = []
        for a in arms:
            fs = [f for r in rows if r["arm"] == a for f in r["per_fault"] if f["kind"] == k]
            ttd = [f["ttd_s"] for f in fs if f["detected"]]
            cells.append(f"{len(ttd)}/{len(fs)}" + (f", median {median(ttd):.0f} s" if ttd else ""))
        out.append(f"| {k} | " + " | ".join(cells) + " |")
    out += [
        "",
        "### Planned operations with at least one false alarm (all detectors and seeds together)",
        "",
        "| operation kind | " + " | ".join(arms) + " |",
        "|---|" + "---|" * len(arms),
    ]
    for k in sorted({o["kind"] for r in rows for o in r["per_operation"]}):
        cells = []
        for a in arms:
            ops = [o for r in rows if r["arm"] == a for o in r["per_operation"] if o["kind"] == k]
            cells.append(f"{sum(o['alarms'] > 0 for o in ops)}/{len(ops)}")
        out.append(f"| {k} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def write_results(rows: list[dict], out: Path, info: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "testbed.json").write_text(json.dumps({"info": info, "rows": rows}, indent=1) + "\n", encoding="utf-8")
    note = (
        f"Train: {info.get('train')} ({info.get('n_train')} normal windows); test: {info.get('test')} "
        f"({info.get('n_test')} windows, {info.get('n_test_anomalous')} in fault intervals + "
        f"{info.get('margin')} s margin). Windows of {info.get('window')} s over all servers; an alarm is "
        "raised when its window closes. "
        "Each detector at its natural threshold (no anomaly in training to tune one)."
    )
    (out / "summary.md").write_text(summary_markdown(rows, note), encoding="utf-8")
