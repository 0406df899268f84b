"""The withheld-behaviour protocol: what leaves training, what the oracle and the inventory-random control add,
and the false-alarm rates on the test's normal sessions with and without the withheld behaviour."""

from __future__ import annotations

import numpy as np
import pytest

from anomalygen.core.datasets import Session
from anomalygen.detect.base import BaseDetector
from anomalygen.evaluate import arms as A
from anomalygen.evaluate.harness import EvalConfig, run_evaluation
from anomalygen.evaluate.withhold import find_withheld, novel_metrics, parse_withhold

FITTED: list[tuple[str, list[list[str]], np.ndarray]] = []


class Recorder(BaseDetector):
    """Flags any session holding an event its normal training sessions never showed; remembers what it was
    trained on."""

    supervised = False

    def __init__(self, random_state: int = 0):
        self.random_state = random_state

    def fit(self, X, y=None):
        FITTED.append((self._arm, [list(x) for x in X], np.asarray(y)))
        self.vocab_ = {e for x, lab in zip(X, np.asarray(y), strict=True) if lab == 0 for e in x}
        self.threshold_ = 0.5
        return self

    def decision_function(self, X):
        return np.array([float(any(e not in self.vocab_ for e in x)) for x in X])


def sessions() -> list[Session]:
    rng = np.random.default_rng(0)
    out = []
    for i in range(400):
        label = int(i % 10 == 0)
        ev = ["open", "write", "write", "close"]
        if rng.random() < 0.4:
            ev += ["purge", "purge", "gone"]  # the behaviour to withhold: normal, in 40% of the sessions
        if label:
            ev.insert(2, "crash")
        out.append(Session(f"s{i}", label, ev, None, None, i, "test", has_event_ids=True))
    return out


def run(arms, inventory=None):
    FITTED.clear()

    def factory(name, params):
        det = Recorder(params["random_state"])
        det._arm = current[0]
        return det

    current = [None]
    cfg = EvalConfig(
        models=["rec"],
        seeds=[0, 1],
        train_fractions=[0.5],
        arms=arms,
        val_min_normal=0,
        val_min_anomalous=0,
        withhold={"deletion": ["purge", "gone"]},
    )
    import anomalygen.evaluate.harness as H

    orig = H._run_cell

    def cell(c):
        current[0] = c.arm
        return orig(c)

    H._run_cell = cell
    try:
        return run_evaluation(cfg, sessions(), {}, {}, factory=factory, inventory=inventory)
    finally:
        H._run_cell = orig


def test_withheld_events_reach_no_training_arm_but_the_oracle():
    res = run(
        ["baseline", "real-duplicate", "naive", "inventory-random", "oracle"],
        inventory=["open", "write", "close", "purge", "gone", "crash", "spare1", "spare2"],
    )
    by_arm: dict[str, list] = {}
    for arm, X, _ in FITTED:
        by_arm.setdefault(arm, []).extend(X)
    for arm in ("baseline", "real-duplicate", "naive"):
        assert not any({"purge", "gone"} & set(x) for x in by_arm[arm]), arm
    # inventory-random may insert an unseen inventory statement at random: a few, anywhere, never the sequence
    inserted = [x for x in by_arm["inventory-random"] if {"purge", "gone"} & set(x)]
    assert len(inserted) < len(by_arm["inventory-random"]) / 2
    assert not any(x[-3:] == ["purge", "purge", "gone"] for x in inserted)
    oracle = [x for x in by_arm["oracle"] if {"purge", "gone"} & set(x)]
    assert oracle and all(x[-3:] == ["purge", "purge", "gone"] or "crash" in x for x in oracle)
    rows = {(r["arm"], r["seed"]): r for r in res.runs}
    for seed in (0, 1):
        base, orc = rows[("baseline", seed)], rows[("oracle", seed)]
        assert base["fpr_novel"] == 1.0 and base["fpr_seen"] == 0.0  # only the withheld behaviour is new
        assert orc["fpr_novel"] == 0.0
        assert base["n_test_novel_normal"] == orc["n_test_novel_normal"] > 0
        assert base["n_train_real"] == orc["n_train_real"] and orc["n_train_withheld"] > 0
        assert orc["added_with_deletion"] == 1.0 and orc["exact_deletion"] >= 1
        assert base["added_with_deletion"] == 0.0
        # nothing the baseline trained on shows the withheld events; the oracle's additions show them all
        assert base["n_test_novel_covered"] == 0 and base["fpr_novel_uncovered"] == 1.0
        assert orc["n_test_novel_covered"] == orc["n_test_novel_normal"] and orc["fpr_novel_covered"] == 0.0
    from anomalygen.evaluate.withhold import withheld_md

    md = withheld_md(res.runs, res.paired, res.info["withheld"])
    assert "| 0.5 | oracle | 0.000 |" in md and "| 1.000 | 0.000 |" in md  # oracle: all covered, none flagged
    info = res.info["withheld"]["deletion"]
    assert info["keys"] == ["gone", "purge"] and info["sessions"] == info["normal"] + info["anomalous"]
    assert {p["metric"] for p in res.paired} >= {"fpr_novel", "fpr_seen"}


def test_novel_fpr_counts_the_right_sessions():
    y = np.array([0, 0, 0, 0, 1, 1])
    novel = np.array([True, True, False, False, True, False])
    pred = np.array([1, 0, 1, 0, 1, 1])
    m = novel_metrics(y, pred, novel)
    assert m == {"n_test_novel_normal": 2, "fpr_novel": 0.5, "fpr_seen": 0.5}
    assert novel_metrics(y, np.array([1, 1, 0, 0, 0, 0]), novel)["fpr_seen"] == 0.0


def test_novel_fpr_split_by_what_the_detector_was_shown():
    y = np.array([0, 0, 0, 0, 1])
    novel = np.array([True, True, True, False, True])
    X_test = [["a", "new"], ["a", "new", "odd"], ["a", "new"], ["a"], ["a", "new"]]
    pred = np.array([0, 1, 1, 0, 1])
    # "new" reaches a normal training session (an arm added it); "odd" only an anomalous one, which shows nothing
    X_fit, y_fit = [["a"], ["a", "new"], ["odd"]], np.array([0, 0, 1])
    m = novel_metrics(y, pred, novel, X_test, X_fit, y_fit)
    assert m["n_test_novel_normal"] == 3 and m["n_test_novel_covered"] == 2
    assert m["fpr_novel_covered"] == 0.5 and m["fpr_novel_uncovered"] == 1.0
    # without "new" in training nothing is covered
    m = novel_metrics(y, pred, novel, X_test, [["a"]], np.array([0]))
    assert m["n_test_novel_covered"] == 0 and m["fpr_novel_uncovered"] == 2 / 3


def test_withhold_spec_and_dataset_checks():
    assert parse_withhold(["deletion=E21, E23", "scan=E2"]) == {"deletion": ["E21", "E23"], "scan": ["E2"]}
    for bad in (["deletion"], ["=E1"], ["x="], ["a=E1", "a=E2"]):
        with pytest.raises(ValueError):
            parse_withhold(bad)
    raw = [["a", "b"], ["a", "c"]]
    with pytest.raises(ValueError, match="no session"):
        find_withheld({"x": ["zz"]}, raw, raw, np.array([0, 0]))
    # the dataset's own keys and the evaluation's keys both name a behaviour
    w = find_withheld({"x": ["E3"]}, [["E1", "E3"], ["E1"]], [["s1", "s3"], ["s1"]], np.array([0, 0]))
    assert w.holds["x"].tolist() == [True, False] and w.keys["x"] == {"s3"}
    assert find_withheld({"x": ["s3"]}, [["E1", "E3"]], [["s1", "s3"]], np.array([0])).keys["x"] == {"s3"}


def test_oracle_and_inventory_random_need_their_inputs():
    with pytest.raises(ValueError, match="inventory"):
        run(["baseline", "inventory-random"])
    cfg = EvalConfig(models=["PCA"], seeds=[0], arms=["oracle"])
    with pytest.raises(ValueError, match="withheld"):
        run_evaluation(cfg, sessions(), {}, {})


def test_inventory_random_inserts_only_unseen_statements():
    X = [["a", "b", "c"]] * 5 + [["a", "x"]]
    y = np.array([0, 0, 0, 0, 0, 1])
    add = A.make_addition(
        A.INVENTORY_RANDOM, {}, X, y, 50, 3, seed=1, ctx=A.CellContext(inventory=["a", "b", "c", "x", "n1", "n2"])
    )
    normal = [x for x, lab in zip(add.X, add.y, strict=True) if lab == 0]
    assert len(normal) == 50 and sum(add.y) == 3
    for x in normal:
        extra = [e for e in x if e not in ("a", "b", "c")]
        assert 1 <= len(extra) <= 3 and set(extra) <= {"n1", "n2"}


def test_anomaly_only_keys_include_the_statements_behind_them():
    X = [["a", "b"], ["a", "x"], ["a", "y", "b"]]
    y = np.array([0, 1, 1])
    assert A.anomaly_only(X, y) == {"x", "y"}
    assert A.anomaly_only(X, y, {"L1": "x", "L2": "a", "L3": "y"}) == {"x", "y", "L1", "L3"}
