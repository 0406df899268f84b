"""The testbed evaluation arms on hand-made windows: synthetic sessions that show a planned operation's lines
silence the false alarms on it; faults stay detected."""

from __future__ import annotations

import random

import numpy as np
from testbed_helpers import win, windowed_run

from anomalygen.core.sessions import Session
from anomalygen.evaluate import testbed as tb
from anomalygen.evaluate.testbed_report import summary_markdown
from anomalygen.evaluate.testbed_windows import TestbedWindows, normal_events
from anomalygen.testbed.labels import Interval


def _events(rng, extra=()):
    return ["a", "b", "c"] * rng.randint(2, 4) + list(extra)


def _data():
    rng = random.Random(0)
    train = TestbedWindows(
        [win(i, _events(rng)) for i in range(40)], [win(i, _events(rng, ["s"])) for i in range(3)], [], []
    )
    kinds = ["n"] * 5 + ["f"] * 2 + ["n"] * 3 + ["o"] * 2 + ["n"] * 4
    extra = {"n": [], "f": ["x", "y"], "o": ["r", "q"]}
    test = TestbedWindows(
        [win(i, _events(rng, extra[k]), int(k == "f")) for i, k in enumerate(kinds)],
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
    md = summary_markdown(rows)
    assert "| PCA | synthetic | 1.0 of 1 |" in md and "| rolling_restart | 1/1 | 0/1 | 1/1 | 1/1 | 1/1 |" in md


def test_slots_merge_per_server_windows():
    ws = [
        Session(f"{host}/w{k}", k, events, start=10.0 * k, extra={"end": 10.0 * k + 10, "host": host})
        for k, events, host in ((0, ["a"], "zk1"), (0, ["b"], "zk2"), (1, ["a"], "zk1"), (1, ["c"], "zk2"))
    ]
    wins, y, alarms = tb.slots(ws, [0, 1, 0, 0])
    assert [(w.start, w.alarm) for w in wins] == [(0.0, True), (10.0, False)]
    assert y.tolist() == [0, 1] and alarms.tolist() == [1, 0]


def test_oracle_arm_trains_on_the_oracle_runs_windows(monkeypatch):
    train, test, synthetic = _data()
    oracle_windows = [win(i, ["o1", "o2"]) for i in range(3)] + [win(3 + i, ["a"]) for i in range(60)]
    for w in oracle_windows[:3]:
        w.extra["operations"] = [7]
    oracle = windowed_run("oracle", oracle_windows, operations=[Interval(0.0, 30.0, 7, "leader_handover")])
    added = tb.additions(train, synthetic[0], 0, inventory=["a", "b", "c", "z1", "z2"], oracle=oracle)
    assert len(added["oracle"]) == 40 and added["oracle"][:3] == [["o1", "o2"]] * 3  # every operation window
    assert added["oracle"] == tb.additions(train, synthetic[0], 0, oracle=oracle)["oracle"]  # seeded
    # inventory-random: real windows with only statements training never showed inserted
    assert len(added["inventory-random"]) == 40
    assert all({"z1", "z2"} & set(x) and set(x) <= {"a", "b", "c", "z1", "z2"} for x in added["inventory-random"])
    seen = []

    def fit(model, seed, X_train, X_test, epochs=None):
        seen.append(X_train)
        return np.zeros(len(X_test), dtype=np.int64)

    monkeypatch.setattr(tb, "fit_predict", fit)
    rows = tb.evaluate_testbed(train, test, synthetic, tb.TestbedEvalConfig(models=["PCA"], seeds=[0]), oracle=oracle)
    orow = next(r for r in rows if r["arm"] == "oracle")
    assert orow["n_added"] == 40 and orow["n_train"] == 40
    fitted = seen[[r["arm"] for r in rows].index("oracle")]
    assert fitted[:40] == normal_events(train) and fitted[40:43] == [["o1", "o2"]] * 3


def test_coverage_counts_unseen_operation_statements_in_synthetic_sessions():
    train = windowed_run("train", [win(0, ["a", "b"])])
    w1, w2 = win(1, ["a", "r", "q"]), win(2, ["s", "x"], label=1)
    w1.extra["operations"], w2.extra["operations"] = [3], [3]  # w2 also overlaps a fault: not counted
    test = windowed_run("test1", [w1, w2], operations=[Interval(10.0, 25.0, 3, "leader_handover")])
    (c,) = tb.coverage(train, [test], {0: [["a", "r"]], 1: [["q", "r", "zz"]]})
    assert c["kind"] == "leader_handover" and c["unseen"] == 2 and c["statements"] == ["q", "r"]
    assert c["in_synthetic"] == {"0": 1, "1": 2}
