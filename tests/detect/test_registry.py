from __future__ import annotations

import pytest

from anomalygen.core.errors import InputError
from anomalygen.detect.registry import DEEP, DETECTORS, SEMANTIC, UNSUPERVISED, make_detector, parse_models


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


def test_models_spec_all_is_every_detector_in_table_order():
    assert parse_models("all") == list(DETECTORS) == parse_models(" all ")


def test_models_spec_keeps_the_given_order_and_drops_blanks():
    assert parse_models(" DeepLog, ,PCA") == ["DeepLog", "PCA"]


@pytest.mark.parametrize("spec,named", [("PCA,Nope", "Nope"), (" , ", "' , '")])
def test_models_spec_names_the_flag_of_an_unknown_or_missing_detector(spec, named):
    with pytest.raises(InputError, match=f"^--models: unknown detector {named}; choose from 'all' or PCA, "):
        parse_models(spec, "--models")


def test_unsupervised_detectors_are_those_that_need_no_anomaly():
    expected = ["PCA", "InvariantsMining", "LogClustering", "IsolationForest", "DeepLog", "LogAnomaly", "Transformer"]
    assert [*expected, "AutoEncoder"] == UNSUPERVISED
