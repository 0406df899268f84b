from __future__ import annotations

from anomalygen.detect.registry import make_detector


def test_clone_is_unfitted_with_equal_but_separate_parameters(hdfs_small):
    X, _y = hdfs_small["train"]
    det = make_detector("PCA", n_components=3).fit(X[:100])
    twin = det.clone()
    assert type(twin) is type(det) and twin.get_params() == det.get_params()
    assert not hasattr(twin, "threshold_") and hasattr(det, "threshold_")
    sem = make_detector("LogAnomaly", event_texts={"E1": "a b"})
    sem.clone().event_texts["E1"] = "changed"
    assert sem.event_texts == {"E1": "a b"}


def test_repr_shows_the_parameters_that_differ_from_the_defaults():
    assert repr(make_detector("PCA")) == "PCADetector()"
    assert repr(make_detector("DeepLog", epochs=2, random_state=3)) == "DeepLogDetector(epochs=2, random_state=3)"


def test_get_params_takes_scikit_learns_deep_flag():
    det = make_detector("KNN")
    assert det.get_params(deep=True) == det.get_params() == det.clone().get_params()
