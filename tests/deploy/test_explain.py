"""Explanations: count deviations against the normal profile, unseen statements named, alarm text."""

from __future__ import annotations

import numpy as np

from anomalygen.deploy.explain import Explainer, count_profile, format_alarm
from anomalygen.deploy.online import UNMATCHED
from anomalygen.deploy.scoring import SessionScorer
from anomalygen.detect import make_detector

STATEMENTS = {
    k: {"file": f"x/{k}.java", "line": i, "method": "run()", "level": "INFO", "template": f"{k} <*>"}
    for i, k in enumerate("ABCDX", 10)
}


def test_count_profile_is_mean_and_std_per_statement():
    p = count_profile([["A", "B", "B"], ["A"]])
    assert list(p["keys"]) == ["A", "B"]
    np.testing.assert_allclose(p["mean"], [1.0, 1.0])
    np.testing.assert_allclose(p["std"], [0.0, 1.0])


def test_count_model_names_the_most_deviating_statements_and_unseen_ones(tiny_sessions, tiny_params):
    X, y = tiny_sessions
    det = make_detector("PCA", tiny_params).fit(X, y)
    normal = [s for s, lab in zip(X, y, strict=True) if lab == 0]
    ex = Explainer(det, STATEMENTS, {"A", "B", "C", "D", "X"}, count_profile(normal))
    session = ["A", "B", "B", "B", "B", "NEW", UNMATCHED]
    out = ex.explain(session, [f"f:{i}" for i in range(7)], ["m"] * 7, SessionScorer(det).score([session])[0])
    assert out["kind"] == "counts"
    top = out["deviations"][0]
    assert (top["event"], top["location"], top["count"]) == ("B", "x/B.java:11", 4)
    missing_d = [d for d in out["deviations"] if d["event"] == "D"]
    assert missing_d and missing_d[0]["count"] == 0 and missing_d[0]["deviation"] < 0  # D never printed
    assert [(u["event"], u["first_at"], u["count"]) for u in out["unseen"]] == [
        ("NEW", "f:5", 1),
        (UNMATCHED, "f:6", 1),
    ]
    assert out["unseen"][0]["note"] == "not in the inventory"
    text = format_alarm(
        {
            "session": "s1",
            "score": 3.0,
            "threshold": 1.0,
            "lines": 7,
            "start": "f:0",
            "closed_by": "end",
            "explanation": out,
        }
    )
    assert text.splitlines()[0].startswith("ALARM s1  score 3 > threshold 1")
    assert 'x/B.java:11 run() INFO "B <*>"' in text and "never seen in training or synthesis: NEW" in text


def test_next_event_model_points_at_the_first_unexpected_event(tiny_sessions, tiny_params):
    X, y = tiny_sessions
    det = make_detector("DeepLog", {**tiny_params, "epochs": 30, "hidden": 16}).fit(X, y)
    det.threshold_ = 0.5  # anything but the top guess is unexpected
    ex = Explainer(det, STATEMENTS, {"A", "B", "C", "D"}, count_profile(X))
    session = ["A", "B", "X", "D"]
    scored = SessionScorer(det).score([session])[0]
    out = ex.explain(session, ["f:1", "f:2", "f:3", "f:4"], ["a", "b", "x", "d"], scored)
    u = out["unexpected"][0]
    assert (u["position"], u["event"], u["location"], u["at"]) == (2, "X", "x/X.java:14", "f:3")
    assert u["expected"] and all(e["event"] != "X" for e in u["expected"])
    assert [c["at"] for c in u["context"]] == ["f:1", "f:2", "f:3", "f:4"] and u["context"][2]["this"]
    assert out["unseen"][0]["event"] == "X"
