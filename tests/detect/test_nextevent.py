"""Per-step ranks of the next-event models agree with their session scores."""

from __future__ import annotations

import numpy as np
import pytest

from anomalygen.detect import make_detector


@pytest.mark.parametrize("name", ["DeepLog", "LogAnomaly", "Transformer"])
def test_step_ranks_agree_with_the_score(name, tiny_sessions, tiny_params):
    X, y = tiny_sessions
    det = make_detector(name, tiny_params).fit(X, y)
    probe = X[:30] + [["A"], ["A", "unseen", "D"], ["A", "B"] * 40]  # the last is cut at max_len=32
    steps = det.step_ranks(probe, top=2)
    np.testing.assert_array_equal([r.max() for r, _ in steps], det.decision_function(probe))
    for s, (ranks, expected) in zip(probe, steps):
        assert len(ranks) == min(len(s) + 1, 32) and len(expected) == len(ranks)
        assert all(len(e) == 2 and "<OOV>" not in e for e in expected)
    assert steps[31][0][1] == max(steps[31][0])  # the unseen event gets the worst rank
