"""Fixtures shared across test packages: the shared HDFS data, tiny labelled sessions and detector settings that train
in a blink."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not (DATA / "hdfs").is_dir():
        pytest.skip(f"SHARED DATA MISSING: {DATA / 'hdfs'} not found; these tests need the real HDFS samples")
    return DATA


@pytest.fixture(scope="session")
def hdfs100k(data_dir):
    from anomalygen.core.datasets import load_sessions_jsonl

    return load_sessions_jsonl(data_dir / "hdfs" / "HDFS_100k.sessions.jsonl")


TINY = {
    "epochs": 2,
    "random_state": 0,
    "semantic": "hashed",
    "semantic_dim": 16,
    "max_len": 32,
    "hidden": 8,
    "embed_dim": 8,
    "d_model": 16,
    "nhead": 2,
    "layers": 1,
    "n_filters": 8,
    "bottleneck": 4,
    "n_estimators": 10,
}


@pytest.fixture
def tiny_params() -> dict:
    return dict(TINY)


@pytest.fixture
def tiny_sessions():
    """Normal sessions walk A B (C)* D; every sixth is anomalous: it skips D, repeats B or prints X."""
    rng = np.random.default_rng(0)
    X, y = [], []
    for i in range(120):
        s = ["A", "B", *(["C"] * int(rng.integers(0, 4))), "D"]
        lab = int(i % 6 == 0)
        if lab:
            kind = i % 3
            s = s[:-1] if kind == 0 else s[:2] + ["B"] + s[2:] if kind == 1 else s[:2] + ["X"] + s[2:]
        X.append(s)
        y.append(lab)
    return X, np.array(y)


@pytest.fixture
def tool():
    """`tool("chromium", "chromium-browser")`: the path of the first program found. Missing here, the test is
    skipped; under CI (ANOMALYGEN_REQUIRE_TOOLS=1, set by .ci/run, which installs them) it fails instead, so that
    a test CI should run can never pass by being skipped."""

    def find(*names: str) -> str:
        for n in names:
            path = shutil.which(n)
            if path:
                return path
        if os.environ.get("ANOMALYGEN_REQUIRE_TOOLS") == "1":
            pytest.fail(f"{names[0]} is not installed, and ANOMALYGEN_REQUIRE_TOOLS=1 needs it")
        pytest.skip(f"{names[0]} is not installed (.ci/run installs it)")

    return find
