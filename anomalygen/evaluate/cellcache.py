"""Finished evaluation cells on disk, so that a re-run trains only the cells whose inputs changed."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from anomalygen.detect.registry import SEMANTIC


class CellCache:
    """Keyed by everything that decides a cell's result: the cell, the settings, the data, the indices, what the
    arm added (and, for a calibrated cell, every trial's sessions), and the detector and evaluation code."""

    FIELDS = (
        "split",
        "test_fraction",
        "val_fraction",
        "val_min_normal",
        "val_min_anomalous",
        "prior",
        "epochs",
        "withhold",
        "unseen",
        "semantic",
        "tune_supervised",
    )
    CODE = ("harness.py", "calibrate.py", "arms.py", "withhold.py", "metrics.py")

    def __init__(self, cfg: Any, X, y, texts):
        self.dir = Path(cfg.cache_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        h = hashlib.sha256(json.dumps({f: getattr(cfg, f) for f in self.FIELDS}, sort_keys=True).encode())
        h.update(json.dumps([X, y.tolist()]).encode())
        self.texts = hashlib.sha256(json.dumps(sorted(texts.items())).encode()).hexdigest()  # semantic models only
        here = Path(__file__).resolve().parent
        for f in sorted([*(here.parent / "detect").glob("*.py"), *(here / n for n in self.CODE)]):
            h.update(f.read_bytes())
        self.base = h.hexdigest()
        self._digests: dict[int, tuple[object, str]] = {}  # id -> (the addition, kept alive; its digest)

    def _digest(self, add) -> str:
        got = self._digests.get(id(add))
        if got is None:
            d = hashlib.sha256(json.dumps([add.X, add.y.tolist()]).encode()).hexdigest()
            got = self._digests[id(add)] = (add, d)
        return got[1]

    def key(self, c) -> Path:
        h = hashlib.sha256(self.base.encode())
        h.update(
            json.dumps(
                [
                    c.model,
                    c.seed,
                    c.frac,
                    c.arm,
                    c.ratio,
                    self._digest(c.add),
                    self.texts if c.model in SEMANTIC else None,
                ]
            ).encode()
        )
        for a in (c.tr, c.va, c.test):
            h.update(np.asarray(a, dtype=np.int64).tobytes())
        cal = getattr(c, "calib", None)
        if cal is not None:
            h.update(json.dumps([cal.names, cal.shares, [self._digest(a) for a in (*cal.trial, *cal.final)]]).encode())
            for a in (cal.tr, cal.va_fit, cal.va):
                h.update(np.asarray(a, dtype=np.int64).tobytes())
        return self.dir / f"{h.hexdigest()[:40]}.json"

    def get(self, c):
        p = self.key(c)
        if not p.is_file():
            return None
        try:
            doc = json.loads(p.read_text(encoding="utf-8"))
            return doc["row"], (None if doc["pred"] is None else np.asarray(doc["pred"], dtype=np.int64))
        except (ValueError, KeyError):  # a torn or foreign file is a miss
            return None

    def put(self, c, row: dict, pred) -> None:
        p = self.key(c)
        tmp = p.with_suffix(".tmp")
        tmp.write_text(json.dumps({"row": row, "pred": None if pred is None else pred.tolist()}), encoding="utf-8")
        os.replace(tmp, p)
