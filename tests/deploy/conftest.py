"""A DeepLog model trained once on the embedded example (tiny: 2 epochs, one small layer), and a part of the
example log, shared by the tests."""

from __future__ import annotations

import pytest

from anomalygen.deploy.trainer import TrainRequest, train

TINY_DEEPLOG = {"epochs": 2, "hidden": 16, "embed_dim": 8, "layers": 1}


@pytest.fixture(scope="session")
def example_model(tmp_path_factory):
    out = tmp_path_factory.mktemp("model") / "deeplog"
    res = train(TrainRequest(model="DeepLog", out=out, params=TINY_DEEPLOG))
    return out, res


@pytest.fixture(scope="session")
def part_log(tmp_path_factory):
    """The first 4,000 lines of the example log: a stream that raises alarms within seconds."""
    from anomalygen.core.example import example_logs

    log = tmp_path_factory.mktemp("part") / "part.log"
    log.write_text("".join((example_logs() / "minisvc.log").read_text().splitlines(keepends=True)[:4000]))
    return log
