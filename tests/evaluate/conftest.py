from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not (DATA / "hdfs").is_dir():
        pytest.skip(f"SHARED DATA MISSING: {DATA / 'hdfs'} not found; these tests need the real HDFS samples")
    return DATA


@pytest.fixture(scope="session")
def hdfs100k(data_dir):
    from anomalygen.logs.sessions_data import load_sessions_jsonl

    return load_sessions_jsonl(data_dir / "hdfs" / "HDFS_100k.sessions.jsonl")
