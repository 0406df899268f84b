"""Small real data from the shared folder (../shared/data relative to the repo root)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def need_data() -> Path:
    if not (DATA / "hdfs").is_dir():
        pytest.skip(f"SHARED DATA MISSING: {DATA / 'hdfs'} not found; these tests need the real HDFS samples")
    return DATA


@pytest.fixture(scope="session")
def hdfs_small():
    """Full-HDFS sessions (LogRobust CSVs): 700 normal + 100 anomalous to train, 160 normal (validation) and
    400 normal + 40 anomalous (test), with a handful of anomalies in validation for threshold tuning."""
    from anomalygen.core.datasets import load_hdfs_deeplog

    sessions = load_hdfs_deeplog(need_data() / "hdfs" / "deeplog")
    train = [s for s in sessions if s.session_id.startswith("robust_log_train")]
    valid = [s for s in sessions if s.session_id.startswith("robust_log_valid")]
    rng = np.random.default_rng(0)

    def pick(pool, label, k):
        cand = [s for s in pool if s.label == label]
        return [cand[i] for i in rng.choice(len(cand), k, replace=False)]

    tr = pick(train, 0, 700) + pick(train, 1, 100)
    va_te = pick(valid, 0, 560) + pick(valid, 1, 60)
    va = va_te[:160] + va_te[560:580]
    te = va_te[160:560] + va_te[580:]

    def xy(ss):
        return [s.events for s in ss], np.array([s.label for s in ss])

    texts = {e: t for s in sessions[:2000] for e, t in zip(s.events, s.templates or [], strict=False)}
    return {"train": xy(tr), "val": xy(va), "test": xy(te), "texts": texts}
