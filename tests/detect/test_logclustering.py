"""LogClustering with empty sessions in training (a server that printed nothing in a window)."""

from __future__ import annotations

import numpy as np

from anomalygen.deploy.folder import ModelFolder, load_model, save_model
from anomalygen.detect.logclustering import LogClusteringDetector


def test_an_empty_training_session_is_clustered_apart_and_an_empty_one_then_scores_normal(tmp_path):
    # an empty session's count vector is zero: it has no cosine direction, and scipy's linkage refused it
    train = [[], ["a", "b", "c"], ["a", "c", "b", "b"], ["a", "d"], ["a"], []]
    det = LogClusteringDetector().fit(train)
    assert det.zero_normal_
    scores = det.decision_function([[], ["a", "b", "c"], ["e", "e", "e"]])
    assert np.isfinite(scores).all()
    assert scores[0] == 0.0 and scores[1] < det.threshold_
    assert scores[2] > det.threshold_  # only an unseen event: still far from normal
    manifest = {"detect": {"format": "hdfs", "sessions_by": "id", "idle_lines": 10}}  # what `detect` reads back
    save_model(tmp_path / "m", ModelFolder(det, manifest, [], {}, {}))
    back = load_model(tmp_path / "m").detector
    assert np.array_equal(back.decision_function([[], ["e"]]), det.decision_function([[], ["e"]]))


def test_without_an_empty_training_session_an_empty_one_stays_unlike_normal():
    det = LogClusteringDetector().fit([["a", "b"], ["a", "c"], ["a", "b", "c"]])
    assert not det.zero_normal_
    assert det.decision_function([[]])[0] == 1.0
