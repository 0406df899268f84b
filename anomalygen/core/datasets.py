"""Short names for the shared data sets: the evaluate stage reads them and the synthesis stage learns from them, and
the command line names them in its help without importing the detectors."""

from __future__ import annotations

import os
from pathlib import Path

ALIASES = {"hdfs_100k": "hdfs/HDFS_100k.sessions.jsonl", "hdfs_deeplog": "hdfs/deeplog"}


def shared_data_dir() -> Path:
    env = os.environ.get("ANOMALYGEN_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2].parent / "shared" / "data"


def resolve_dataset(spec: str | Path) -> Path:
    if str(spec) in ALIASES:
        return shared_data_dir() / ALIASES[str(spec)]
    return Path(spec)
