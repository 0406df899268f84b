"""`fpr_unseen`: false alarms on test normal sessions holding an event none of the cell's real training sessions
holds, the valid behaviour a young system's own timeline withholds without anyone naming it."""

from __future__ import annotations

import numpy as np

from anomalygen.core.datasets import Session
from anomalygen.evaluate.harness import EvalConfig, run_evaluation
from anomalygen.evaluate.report import markdown_table, summarize
from anomalygen.evaluate.withhold import unseen_metrics


def test_unseen_metrics_counts_normal_sessions_with_an_event_training_lacks():
    X_train = [["a", "b"], ["a", "c"]]
    X_test = [["a", "b"], ["a", "d"], ["d"], ["a", "d"], ["c"]]
    y = np.array([0, 0, 0, 1, 0])
    pred = np.array([0, 1, 0, 1, 1])
    got = unseen_metrics(y, pred, X_test, X_train)
    # normal and unseen: sessions 1 and 2 (the anomalous session 3 is left out); one of them flagged
    assert got == {"n_test_unseen_normal": 2, "fpr_unseen": 0.5}
    assert unseen_metrics(y, pred, X_test, X_test)["n_test_unseen_normal"] == 0


class _Flags:
    """Flags a session with an event no normal session it was fitted on holds."""

    supervised = False

    def __init__(self, *_a, **_k):
        self.threshold_ = 0.5

    def fit(self, X, y):
        self.known = {e for x, lab in zip(X, y, strict=True) if lab == 0 for e in x}
        return self

    def decision_function(self, X):
        return np.array([float(any(e not in self.known for e in x)) for x in X])


def test_a_young_timeline_scores_fpr_unseen_per_cell():
    # the early sessions only write and read; half the late ones (the last 40, the chronological test part) also
    # delete, which training never shows: 20 test normal sessions hold an unseen event
    real = []
    for i in range(200):
        late = i >= 160
        events = ["write", "read"] + (["delete"] if late and i % 2 == 0 else [])
        real.append(Session(f"s{i}", 1 if i % 20 == 7 else 0, events if i % 20 != 7 else ["write", "fail"], order=i))
    cfg = EvalConfig(
        models=["flags"], seeds=[0, 1], split="chronological", unseen=True, val_min_normal=5, val_min_anomalous=1
    )
    res = run_evaluation(cfg, real, factory=lambda name, params: _Flags())
    rows = [r for r in res.runs if r["status"] == "ok"]
    assert rows and all(r["n_test_unseen_normal"] == 20 and r["fpr_unseen"] == 1.0 for r in rows)
    table = markdown_table(summarize(res.runs))
    assert "FPR unseen (n)" in table and "1.0000 (20)" in table
    off = run_evaluation(
        EvalConfig(models=["flags"], seeds=[0], split="chronological", val_min_normal=5, val_min_anomalous=1),
        real,
        factory=lambda name, params: _Flags(),
    )
    assert all("fpr_unseen" not in r for r in off.runs)
    assert "FPR unseen" not in markdown_table(summarize(off.runs))
