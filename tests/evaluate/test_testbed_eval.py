"""The testbed evaluation arms on hand-made windows: synthetic sessions that show a planned operation's lines
silence the false alarms on it; faults stay detected."""

from __future__ import annotations

import json
import random

from anomalygen.evaluate import testbed as tb
from anomalygen.testbed.labels import Interval


def _events(rng, extra=()):
    return ["a", "b", "c"] * rng.randint(2, 4) + list(extra)


def _win(i, events, label=0):
    return {"session_id": f"w{i}", "events": events, "label": label, "start": 10.0 * i, "end": 10.0 * i + 10}


def _data():
    rng = random.Random(0)
    train = tb.TestbedWindows(
        [_win(i, _events(rng)) for i in range(40)], [_win(i, _events(rng, ["s"])) for i in range(3)], [], []
    )
    kinds = ["n"] * 5 + ["f"] * 2 + ["n"] * 3 + ["o"] * 2 + ["n"] * 4
    extra = {"n": [], "f": ["x", "y"], "o": ["r", "q"]}
    test = tb.TestbedWindows(
        [_win(i, _events(rng, extra[k]), int(k == "f")) for i, k in enumerate(kinds)],
        [],
        [Interval(52.0, 69.0, 0, "leader_kill")],
        [Interval(102.0, 119.0, 0, "rolling_restart")],
    )
    synthetic = {0: [_events(rng, ["r", "q"]) for _ in range(40)]}
    return train, test, synthetic


def test_arms_and_operator_metrics():
    train, test, synthetic = _data()
    rows = tb.evaluate_testbed(train, test, synthetic, tb.TestbedEvalConfig(models=["PCA"], seeds=[0]))
    by_arm = {r["arm"]: r for r in rows}
    assert set(by_arm) == {"baseline", "synthetic", "real-duplicate", "naive", "startup"}
    base, syn = by_arm["baseline"], by_arm["synthetic"]
    assert (base["faults_detected"], base["faults_total"], base["median_ttd_s"]) == (1, 1, 8.0)
    assert base["operations_alarmed"] == 1 and base["fa_per_hour_operations"] > 0
    assert syn["faults_detected"] == 1 and syn["operations_alarmed"] == 0 and syn["fa_per_hour_operations"] == 0
    assert syn["f1"] == 1.0 and base["f1"] < 1.0 and syn["n_added"] == 40 and by_arm["startup"]["n_added"] == 3
    assert rows == tb.evaluate_testbed(train, test, synthetic, tb.TestbedEvalConfig(models=["PCA"], seeds=[0]))
    md = tb.summary_markdown(rows)
    assert "| PCA | synthetic | 1.0 of 1 |" in md and "| rolling_restart | 1/1 | 0/1 | 1/1 | 1/1 | 1/1 |" in md


def test_load_run_reads_windows_faults_and_operations(tmp_path):
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "sessions.jsonl").write_text(json.dumps(_win(0, ["a"])) + "\n")
    (tmp_path / "faults.jsonl").write_text(json.dumps({"index": 0, "kind": "pause", "start": 1.0, "end": 2.0}) + "\n")
    (tmp_path / "operations.jsonl").write_text(
        json.dumps({"index": 1, "kind": "snapshot", "start": 5.0, "end": 6.0, "planned": True}) + "\n"
    )
    run = tb.load_run(tmp_path / "w", tmp_path, margin=1.0)
    assert run.faults == [Interval(1.0, 3.0, 0, "pause")] and run.operations == [Interval(5.0, 7.0, 1, "snapshot")]
    assert run.startup == [] and len(run.windows) == 1
