"""Every detector, trained on small real HDFS data, must beat a trivial baseline and survive bad input."""

from __future__ import annotations

import numpy as np
import pytest

from anomalygen.detect import DETECTORS, make_detector
from anomalygen.evaluate.metrics import anomaly_metrics

FAST = {"epochs": 4, "random_state": 0, "semantic": "hashed", "max_len": 64}
# network sizes for the deep models where the property tested needs no capacity (training dominates the suite's
# time); the baseline test trains every model at its default size: the real end-to-end run of each detector
TINY = {"hidden": 16, "layers": 1, "embed_dim": 16, "d_model": 16, "nhead": 2, "n_filters": 16, "semantic_dim": 16}


def _make(name, texts=None, tiny=True):
    params = {**FAST, **(TINY if tiny else {}), "event_texts": texts}
    return make_detector(name, params)


@pytest.mark.slow  # trains every detector at its default (full) size
@pytest.mark.parametrize("name", list(DETECTORS))
def test_detector_beats_trivial_baseline(name, hdfs_small):
    X, y = hdfs_small["train"]
    Xv, yv = hdfs_small["val"]
    Xt, yt = hdfs_small["test"]
    det = _make(name, hdfs_small["texts"], tiny=False).fit(X, y)
    if not det.supervised:
        det.tune_threshold(Xv, yv)
    pred = det.predict(Xt)
    f1 = anomaly_metrics(yt, pred)["f1"]
    trivial = anomaly_metrics(yt, np.ones_like(yt))["f1"]  # flag everything: the best constant guess
    assert f1 > max(0.5, trivial + 0.2), f"{name}: F1 {f1:.3f} vs trivial {trivial:.3f}"
    scores = det.decision_function(Xt)
    assert scores.shape == (len(Xt),) and np.isfinite(scores).all()


@pytest.mark.parametrize("name", list(DETECTORS))
def test_bad_input_is_reported_not_crashed(name, hdfs_small):
    X, _y = hdfs_small["train"]
    with pytest.raises(ValueError, match="empty training set"):
        _make(name).fit([], [])
    if DETECTORS[name].supervised:
        with pytest.raises(ValueError, match="both classes"):
            _make(name).fit(X[:50], np.zeros(50, dtype=int))
    elif getattr(_make(name), "use_labels", True):
        with pytest.raises(ValueError, match="no normal session"):
            _make(name).fit(X[:5], np.ones(5, dtype=int))
    with pytest.raises(TypeError):
        _make(name).fit("E5 E5 E22", None)
    with pytest.raises(RuntimeError, match="fit"):
        _make(name).predict([["E5"]])


@pytest.mark.parametrize("name", list(DETECTORS))
def test_short_empty_and_unseen_sessions_are_scored(name, hdfs_small):
    X, y = hdfs_small["train"]
    det = _make(name).fit(X[:250] + X[-50:], np.concatenate([y[:250], y[-50:]]))
    odd = [[], ["E5"], ["never-seen-event"], ["E5", "never-seen", "E22"] * 3, X[0]]
    scores = det.decision_function(odd)
    assert scores.shape == (5,) and np.isfinite(scores).all()
    assert set(det.predict(odd)) <= {0, 1}


# the Transformer and LogAnomaly trainings here take seconds each: slow tier
@pytest.mark.parametrize(
    "name",
    [
        "DeepLog",
        pytest.param("Transformer", marks=pytest.mark.slow),
        pytest.param("LogAnomaly", marks=pytest.mark.slow),
        "PCA",
        "InvariantsMining",
        "AutoEncoder",
    ],
)
def test_unseen_event_raises_the_anomaly_score(name, hdfs_small):
    X, y = hdfs_small["train"]
    normal = [s for s, lab in zip(X, y, strict=True) if lab == 0][:300]
    det = _make(name).fit(normal)
    base = normal[0]
    spoiled = base[:3] + ["UNSEEN"] + base[3:]
    s_base, s_spoiled = det.decision_function([base, spoiled])
    assert s_spoiled > s_base


def test_fit_is_deterministic_for_a_seed(hdfs_small):
    X, y = hdfs_small["train"]
    a = make_detector("DeepLog", epochs=2, random_state=3, hidden=16, layers=1).fit(X[:200], y[:200])
    b = make_detector("DeepLog", epochs=2, random_state=3, hidden=16, layers=1).fit(X[:200], y[:200])
    assert np.array_equal(a.decision_function(X[:50]), b.decision_function(X[:50]))


def test_unknown_detector_and_bad_params():
    with pytest.raises(ValueError, match="unknown detector"):
        make_detector("NoSuchModel")
    with pytest.raises(ValueError, match="no parameter"):
        make_detector("PCA").set_params(nonsense=1)
