from __future__ import annotations

import pytest

from anomalygen.detect.registry import DEEP, DETECTORS, SEMANTIC, make_detector


def test_tags_say_which_detectors_train_networks_and_read_text():
    assert {"DeepLog", "LogAnomaly", "LogRobust", "CNN", "Transformer", "AutoEncoder"} == DEEP
    assert {"LogAnomaly", "LogRobust"} == SEMANTIC
    for name, cls in DETECTORS.items():
        assert ("epochs" in cls.param_names()) == (name in DEEP), name
        assert ("event_texts" in cls.param_names()) == (name in SEMANTIC), name


def test_unknown_parameters_are_an_error_naming_them():
    with pytest.raises(ValueError, match="PCA has no parameter epochs, max_len"):
        make_detector("PCA", max_len=64, epochs=3)
    assert make_detector("DeepLog", epochs=2).epochs == 2
