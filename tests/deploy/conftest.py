"""A DeepLog model trained once on the embedded example (tiny: 2 epochs, one small layer), shared by the tests."""

from __future__ import annotations

import pytest

from anomalygen.deploy.trainer import TrainRequest, train

TINY_DEEPLOG = {"epochs": 2, "hidden": 16, "embed_dim": 8, "layers": 1}


@pytest.fixture(scope="session")
def example_model(tmp_path_factory):
    out = tmp_path_factory.mktemp("model") / "deeplog"
    res = train(TrainRequest(model="DeepLog", out=out, params=TINY_DEEPLOG))
    return out, res
