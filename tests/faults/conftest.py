from __future__ import annotations

from pathlib import Path

import pytest

from anomalygen.core.example import example_logs, example_tree


@pytest.fixture(scope="session")
def src() -> Path:
    return example_tree()


@pytest.fixture(scope="session")
def log() -> Path:
    return example_logs() / "minisvc.log"


@pytest.fixture(scope="session")
def labels() -> Path:
    return example_logs() / "anomaly_label.csv"
