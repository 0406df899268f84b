"""Every detector's learned state, taken out and put back into a fresh instance, scores exactly as before."""

from __future__ import annotations

import numpy as np
import pytest

from anomalygen.detect import DETECTORS, make_detector


@pytest.mark.parametrize("name", list(DETECTORS))
def test_state_round_trip_scores_identically(name, tiny_sessions, tiny_params):
    X, y = tiny_sessions
    det = make_detector(name, tiny_params).fit(X, y)
    det.threshold_ = det.threshold_ + 0.125  # a tuned threshold must survive too
    probe = X[:20] + [[], ["never-seen"], ["A", "Z", "D"]]
    st = det.get_state()
    for a in st.arrays.values():
        assert a.dtype != object
    back = type(det).from_state(det.get_params(), st)
    np.testing.assert_array_equal(back.decision_function(probe), det.decision_function(probe))
    assert back.threshold_ == det.threshold_
    np.testing.assert_array_equal(back.predict(probe), det.predict(probe))


def test_unfitted_detector_has_no_state():
    with pytest.raises(RuntimeError, match="fit"):
        make_detector("PCA").get_state()
