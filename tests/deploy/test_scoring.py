"""The session scorer: one model read per distinct sequence gives the same scores and explanation steps as reading
every session; its cache is bounded by the events of its keys, least recently used out first."""

from __future__ import annotations

import numpy as np
import pytest

from anomalygen.deploy.scoring import MAX_UNEXPECTED, SessionScorer
from anomalygen.detect import make_detector


@pytest.mark.parametrize("name", ["DeepLog", "PCA"])
def test_cached_scores_are_the_scores_of_every_session_read_alone(name, tiny_sessions, tiny_params):
    X, y = tiny_sessions
    det = make_detector(name, tiny_params).fit(X, y)
    probe = X[:60] + [["A", "unseen", "D"]]
    scorer = SessionScorer(det)
    first = scorer.score(probe)
    again = scorer.score(list(reversed(probe)))[::-1]
    assert first == again
    distinct = len({tuple(s) for s in probe})
    assert (scorer.misses, scorer.hits) == (distinct, 2 * len(probe) - distinct)
    alone = [det.decision_function([s])[0] for s in probe]
    np.testing.assert_array_equal([s.score for s in first], alone)


def test_next_event_alarms_keep_their_first_unexpected_steps(tiny_sessions, tiny_params):
    X, y = tiny_sessions
    det = make_detector("DeepLog", tiny_params).fit(X, y)
    det.threshold_ = 0.5
    probe = X[:30] + [["A", "unseen", "unseen", "unseen", "unseen", "D"]]
    for s, sc in zip(probe, SessionScorer(det).score(probe), strict=True):
        ranks, expected = det.step_ranks([s], top=3)[0]
        flagged = [int(p) for p in np.flatnonzero(ranks > 0.5)[:MAX_UNEXPECTED]]
        assert [st.position for st in sc.unexpected] == flagged
        assert all(
            st.rank == int(ranks[st.position]) and list(st.expected) == expected[st.position] for st in sc.unexpected
        )
        assert bool(sc.unexpected) == (sc.score > 0.5)
    assert len(sc.unexpected) == MAX_UNEXPECTED  # the last probe has four unexpected steps


def test_the_cache_holds_at_most_max_events_and_drops_the_least_recent(tiny_sessions, tiny_params):
    X, y = tiny_sessions
    det = make_detector("PCA", tiny_params).fit(X, y)
    scorer = SessionScorer(det, max_events=10)
    a, b, c = ["A", "B", "D"], ["A", "B", "C", "D"], ["A", "B", "C", "C", "D"]
    scorer.score([a, b])
    scorer.score([a])  # a is now the most recent
    scorer.score([c])  # 12 events: b goes
    assert list(scorer.cache) == [tuple(a), tuple(c)] and scorer.cached_events == 8
    scorer.score([["A"] * 11])  # longer than the whole budget: scored, never kept
    assert scorer.cached_events == 8 and scorer.misses == 4


def test_a_new_threshold_empties_the_cache(tiny_sessions, tiny_params):
    X, y = tiny_sessions
    det = make_detector("DeepLog", tiny_params).fit(X, y)
    scorer = SessionScorer(det)
    s = ["A", "X", "D"]
    det.threshold_ = 1e9
    assert scorer.score([s])[0].unexpected == ()
    det.threshold_ = -1.0
    assert scorer.score([s])[0].unexpected  # every step is above it now
