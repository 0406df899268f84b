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
    for s, (ranks, expected) in zip(probe, steps, strict=True):
        assert len(ranks) == min(len(s) + 1, 32) and list(expected) == list(range(len(ranks)))
        assert all(len(e) == 2 and "<OOV>" not in e for e in expected.values())
    assert steps[31][0][1] == max(steps[31][0])  # the unseen event gets the worst rank


@pytest.mark.parametrize("name", ["DeepLog", "Transformer"])
def test_expected_keys_only_at_the_first_steps_above_a_rank_are_the_same_ones(name, tiny_sessions, tiny_params):
    X, y = tiny_sessions
    det = make_detector(name, tiny_params).fit(X, y)
    probe = X[:40] + [["A", "unseen", "D", "unseen", "unseen", "unseen"]]
    full = det.step_ranks(probe, top=3)
    # a budget of 7 steps reads one session at a time: the grouping must not change any result
    flagged = det.step_ranks(probe, top=3, above=0.5, first=2, budget=7)
    for (ranks, expected), (r2, e2) in zip(full, flagged, strict=True):
        np.testing.assert_array_equal(ranks, r2)
        above = [int(p) for p in np.flatnonzero(ranks > 0.5)[:2]]
        assert list(e2) == above and all(e2[p] == expected[p] for p in above)
    assert len(flagged[-1][1]) == 2
