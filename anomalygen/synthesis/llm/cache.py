"""On-disk response cache: one JSON file per prompt hash, written atomically (no pickle)."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

CACHE_VERSION = 1


def prompt_key(model: str | None, messages: list[dict], temperature: float, seed: int) -> str:
    """sha256 of the canonical JSON of (model, messages, temperature, seed)."""
    doc = {
        "v": CACHE_VERSION,
        "model": model,
        "messages": messages,
        "temperature": float(temperature),
        "seed": int(seed),
    }
    blob = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class DiskCache:
    """`<dir>/<key[:2]>/<key>.json` holding {"key", "model", "response", "prompt_tokens", "completion_tokens"}.
    A file that cannot be read or parsed is a miss (and is overwritten by the next put)."""

    def __init__(self, directory: str | Path) -> None:
        self.dir = Path(directory)

    def _file(self, key: str) -> Path:
        return self.dir / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            with open(self._file(key), encoding="utf-8") as fh:
                doc = json.load(fh)
        except (OSError, ValueError):
            return None
        if not isinstance(doc, dict) or doc.get("key") != key or not isinstance(doc.get("response"), dict):
            return None
        return doc

    def put(self, key: str, doc: dict[str, Any]) -> None:
        path = self._file(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{key[:8]}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"key": key, **doc}, fh, ensure_ascii=False, sort_keys=True)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
