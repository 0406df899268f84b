"""Fixtures shared across test packages: tiny labelled sessions and detector settings that train in a blink."""

from __future__ import annotations

import numpy as np
import pytest

TINY = {"epochs": 2, "random_state": 0, "semantic": "hashed", "semantic_dim": 16, "max_len": 32, "hidden": 8,
        "embed_dim": 8, "d_model": 16, "nhead": 2, "layers": 1, "n_filters": 8, "bottleneck": 4,
        "n_estimators": 10}


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
