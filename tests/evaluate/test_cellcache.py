"""The cell cache's key: the same cell finds its row again; any change to what decides the result misses."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from anomalygen.evaluate import arms as A
from anomalygen.evaluate import calibrate as C
from anomalygen.evaluate.cellcache import CellCache
from anomalygen.evaluate.harness import EvalConfig, _Cell


def _add(*sessions: list[str]) -> A.Addition:
    return A.Addition([list(s) for s in sessions], np.zeros(len(sessions), dtype=np.int64), ["x"] * len(sessions))


def test_keys_follow_what_decides_a_cells_result(tmp_path):
    X, y = [["a", "b"], ["a", "c"], ["a"], ["b"]], np.array([0, 0, 1, 0])
    cache = CellCache(EvalConfig(cache_dir=str(tmp_path)), X, y, {"a": "A"})
    idx = np.array([0, 1]), np.array([2]), np.array([3])
    cell = _Cell("PCA", 0, 0.5, "synthetic", 1.0, *idx, _add(["a", "b"]))
    assert cache.key(cell) == cache.key(replace(cell, add=_add(["a", "b"])))  # equal content, equal key
    assert cache.key(cell) != cache.key(replace(cell, add=_add(["b", "a"])))
    assert cache.key(cell) != cache.key(replace(cell, seed=1))
    cal = C.Calibration(
        ["v"], [0.0, 1.0], np.array([0]), np.array([2]), np.array([2]), [_add(), _add()], [_add(), _add()]
    )
    calibrated = replace(cell, calib=cal)
    assert cache.key(calibrated) != cache.key(cell)
    other = replace(cal, trial=[_add(), _add(["a"])])
    assert cache.key(replace(cell, calib=other)) != cache.key(calibrated)
    row = {"model": "PCA", "f1": 0.5}
    cache.put(calibrated, row, np.array([1]))
    got_row, pred = cache.get(calibrated)
    assert got_row == row and pred.tolist() == [1]
    assert cache.get(cell) is None
    cache.key(calibrated).write_text("{torn")
    assert cache.get(calibrated) is None  # a torn file is a miss, not a crash
    assert CellCache(EvalConfig(cache_dir=str(tmp_path), prior=0.03), X, y, {}).key(cell) != cache.key(cell)
