"""The testbed evaluation arms on hand-made windows: synthetic sessions that show a planned operation's lines
silence the false alarms on it; faults stay detected."""

from __future__ import annotations

import json
import random

import numpy as np

from anomalygen.core.sessions import Session
from anomalygen.evaluate import testbed as tb
from anomalygen.testbed.labels import Interval


def _events(rng, extra=()):
    return ["a", "b", "c"] * rng.randint(2, 4) + list(extra)


def _win(i, events, label=0):
    return Session(f"w{i}", label, events, start=10.0 * i, extra={"end": 10.0 * i + 10})


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
    (tmp_path / "w" / "sessions.jsonl").write_text(json.dumps(_win(0, ["a"]).to_dict()) + "\n")
    (tmp_path / "faults.jsonl").write_text(json.dumps({"index": 0, "kind": "pause", "start": 1.0, "end": 2.0}) + "\n")
    (tmp_path / "operations.jsonl").write_text(
        json.dumps({"index": 1, "kind": "snapshot", "start": 5.0, "end": 6.0, "planned": True}) + "\n"
    )
    run = tb.load_run(tmp_path / "w", tmp_path, margin=1.0)
    assert run.faults == [Interval(1.0, 3.0, 0, "pause")] and run.operations == [Interval(5.0, 7.0, 1, "snapshot")]
    assert run.startup == [] and [w.to_dict() for w in run.windows] == [_win(0, ["a"]).to_dict()]
    assert tb.span(run.windows[0]) == (0.0, 10.0)


def _run(name, windows, faults=(), operations=()):
    return tb.TestbedWindows(windows, [], list(faults), list(operations), name)


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
    oracle_windows = [_win(i, ["o1", "o2"]) for i in range(3)] + [_win(3 + i, ["a"]) for i in range(60)]
    for w in oracle_windows[:3]:
        w.extra["operations"] = [7]
    oracle = _run("oracle", oracle_windows, operations=[Interval(0.0, 30.0, 7, "leader_handover")])
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
    assert fitted[:40] == tb.normal_events(train) and fitted[40:43] == [["o1", "o2"]] * 3


def test_units_and_mcnemar_on_a_constructed_case():
    from scipy.stats import binomtest

    rows = []
    # 2 runs x 2 seeds x 4 restarts: synthetic alarms on restart 0 only, the duplicate control on all four
    for run in ("test1", "test2"):
        for seed in (0, 1):
            for arm, alarmed in (("synthetic", {0}), ("real-duplicate", {0, 1, 2, 3})):
                ops = [
                    {"index": i, "kind": "graceful_restart", "windows": 2, "alarms": int(i in alarmed)}
                    for i in range(4)
                ]
                ops.append({"index": 9, "kind": "snapshot", "windows": 1, "alarms": 1})
                rows.append(
                    {
                        "form": "per-server",
                        "run": run,
                        "role": "test",
                        "model": "DeepLog",
                        "arm": arm,
                        "seed": seed,
                        "per_fault": [{"index": 5, "kind": "pause", "detected": True, "ttd_s": 4.0}],
                        "per_operation": ops,
                    }
                )
    us = tb.units(rows)
    assert len(us) == 2 * 2 * 2 * 6
    assert {(u["unit"], u["kind"]) for u in us} == {
        ("fault", "pause"),
        ("operation", "graceful_restart"),
        ("operation", "snapshot"),
    }
    (t,) = [t for t in tb.paired_tests(us, "per-server") if t["model"] == "DeepLog"]
    # 16 paired restart units; discordant: 12 where only the control alarmed, none the other way
    assert t["against"] == "real-duplicate" and t["mcnemar"]["pairs"] == 16
    assert (t["mcnemar"]["a_only"], t["mcnemar"]["b_only"]) == (0, 12)
    assert t["mcnemar"]["p"] == binomtest(0, 12, 0.5).pvalue < 0.001
    assert (t["synthetic_share"], t["other_share"]) == (0.25, 1.0)
    # every (run, seed) differs by the same -0.75: the t-test is undefined, said so rather than faked
    assert t["ttest"] == {"pairs": 4, "mean_diff": -0.75, "t": None, "p": None}
    assert tb.paired_tests(us, "all-server") == []


def test_form_is_chosen_on_validation_rows_only():
    def row(form, role, detected, alarmed):
        return {
            "form": form,
            "role": role,
            "faults_detected": detected,
            "faults_total": 2,
            "operations_alarmed": alarmed,
            "operations_total": 4,
        }

    val = [row("all-server", "val", 2, 2), row("per-server", "val", 2, 1)]
    best, scores = tb.choose_form(val + [row("all-server", "test", 2, 0), row("per-server", "test", 0, 4)])
    assert best == "per-server" and scores == {"all-server": 0.5, "per-server": 0.75}
    # whatever the test rows say, the choice does not move
    assert tb.choose_form(val + [row("all-server", "test", 2, 4), row("per-server", "test", 2, 0)])[0] == best
    assert tb.choose_form([row("all-server", "val", 2, 2), row("per-server", "val", 2, 2)])[0] == "all-server"
    assert tb.choose_form([row("per-server", "test", 2, 0), row("all-server", "test", 0, 0)])[0] == "all-server"


def test_respliced_moves_the_same_paths_into_other_windows():
    hosts = [["a", "b"], ["c"]]
    recs = [
        Session("s0", 0, ["a", "p", "q", "b"], provenance={"host": 0, "inserted_at": 1}),
        Session("s1", 0, ["c", "r"], provenance={"host": 1, "inserted_at": 1}),
        # does not read back as host[:at] + path + host[at:]
        Session("s2", 0, ["a", "x"], provenance={"host": 0, "inserted_at": 1}),
    ]
    assert tb.path_of(recs[0], hosts) == ["p", "q"] and tb.path_of(recs[2], hosts) is None
    targets = [["t1", "t2", "t3"]]
    out, lost = tb.respliced(recs, hosts, targets, 0)
    assert lost == 1 and len(out) == 2
    for s, p in zip(out, (["p", "q"], ["r"]), strict=True):
        i = s.index(p[0])
        assert s[i : i + len(p)] == p and s[:i] + s[i + len(p) :] == targets[0]
    assert out == tb.respliced(recs, hosts, targets, 0)[0]


def test_coverage_counts_unseen_operation_statements_in_synthetic_sessions():
    train = _run("train", [_win(0, ["a", "b"])])
    w1, w2 = _win(1, ["a", "r", "q"]), _win(2, ["s", "x"], label=1)
    w1.extra["operations"], w2.extra["operations"] = [3], [3]  # w2 also overlaps a fault: not counted
    test = _run("test1", [w1, w2], operations=[Interval(10.0, 25.0, 3, "leader_handover")])
    (c,) = tb.coverage(train, [test], {0: [["a", "r"]], 1: [["q", "r", "zz"]]})
    assert c["kind"] == "leader_handover" and c["unseen"] == 2 and c["statements"] == ["q", "r"]
    assert c["in_synthetic"] == {"0": 1, "1": 2}


def test_acceptance_figures_on_a_constructed_case():
    rows = []
    restarts = ("graceful_restart", "leader_handover", "rolling_restart", "graceful_restart")
    for run in ("test1", "test2"):
        for seed in (0, 1):
            for arm in ("baseline", "synthetic", "real-duplicate", "naive", "inventory-random", "startup", "oracle"):
                quiet = arm in ("synthetic", "oracle")  # every other arm alarms on every restart
                faults = [
                    {"index": 0, "kind": "pause", "detected": True, "ttd_s": 12.0 if arm == "synthetic" else 4.0},
                    {"index": 1, "kind": "leader_kill", "detected": arm != "synthetic", "ttd_s": 3.0},
                ]
                ops = [
                    {"index": 10 + i, "kind": k, "windows": 2, "alarms": 0 if quiet else 1}
                    for i, k in enumerate(restarts)
                ]
                rows.append(
                    {
                        "form": "all-server",
                        "run": run,
                        "role": "test",
                        "model": "DeepLog",
                        "arm": arm,
                        "seed": seed,
                        "per_fault": faults,
                        "per_operation": ops,
                    }
                )
    us = tb.units(rows)
    tests = tb.paired_tests(us, "all-server")
    acc = {a["model"]: a for a in tb.acceptance(rows, us, tests, "all-server", 10.0)}
    assert set(acc) == {"DeepLog", "mean of all"}
    a = acc["DeepLog"]
    assert (a["baseline"], a["synthetic"], a["oracle"]) == (1.0, 0.0, 0.0)
    assert a["halved"] and a["below_every_control"] and a["max_p_vs_controls"] == 2 * 0.5**16
    assert a["fault_kinds_fell"] == ["leader_kill"]
    # baseline: pause at 4 s and leader_kill at 3 s (median 3.5); synthetic: pause at 12 s only
    assert a["median_ttd_change_s"] == 8.5 and a["ttd_within_one_window"]
    assert "| DeepLog | 1.00 | 0.00 | 0.00 | yes | yes (3.05e-05) | leader_kill | 8.5 (within one window) |" in (
        tb.acceptance_table(list(acc.values()))
    )
