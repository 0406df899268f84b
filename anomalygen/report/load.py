"""Reading a run directory without ever raising: every reader returns the data or says why there is none."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from anomalygen.core import layout

csv.field_size_limit(1 << 30)


@dataclass
class Got:
    """A value read from the run directory, or the reason it could not be (`problem`)."""

    value: Any = None
    problem: str | None = None
    path: Path | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass
class RunDir:
    root: Path
    _cache: dict = field(default_factory=dict)

    def path(self, *candidates: str) -> Path | None:
        """The first of the candidate relative paths that exists."""
        for c in candidates:
            p = self.root / c
            if p.exists():
                return p
        return None

    def json(self, *candidates: str) -> Got:
        key = ("json", candidates)
        if key not in self._cache:
            self._cache[key] = self._read_json(candidates)
        return self._cache[key]

    def _read_json(self, candidates: tuple[str, ...]) -> Got:
        p = self.path(*candidates)
        if p is None:
            return Got(problem=f"{candidates[0]} not found")
        try:
            return Got(json.loads(p.read_text(encoding="utf-8")), path=p)
        except (OSError, UnicodeDecodeError, ValueError) as e:
            return Got(problem=f"{p.relative_to(self.root)} could not be read: {e}", path=p)

    def jsonl(self, rel: str) -> Iterator[dict]:
        """Records of a JSONL file; unreadable lines are skipped (counted in `bad_lines`)."""
        p = self.root / rel
        self._cache[("bad", rel)] = 0
        with open(p, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except ValueError:
                    self._cache[("bad", rel)] += 1
                    continue
                if isinstance(rec, dict):
                    yield rec

    def jsonl_all(self, rel: str) -> Got:
        return self._whole("jsonl", rel, lambda p: list(self.jsonl(rel)), (OSError,))

    def csv_rows(self, rel: str) -> Got:
        def read(p: Path) -> list[dict]:
            with open(p, encoding="utf-8", errors="replace", newline="") as fh:
                return list(csv.DictReader(fh))

        return self._whole("csv", rel, read, (OSError, csv.Error))

    def _whole(self, kind: str, rel: str, read: Callable[[Path], Any], errors: tuple) -> Got:
        """A whole file read once (cached), or why it could not be."""
        key = (kind, rel)
        if key not in self._cache:
            p = self.root / rel
            if not p.exists():
                self._cache[key] = Got(problem=f"{rel} not found")
            else:
                try:
                    self._cache[key] = Got(read(p), path=p)
                except errors as e:
                    self._cache[key] = Got(problem=f"{rel} could not be read: {e}", path=p)
        return self._cache[key]

    # the run manifest ---------------------------------------------------------------------------------------

    @property
    def run(self) -> dict:
        got = self.json(layout.STATE)
        return got.value if got.ok and isinstance(got.value, dict) else {}

    def stage(self, *names: str) -> tuple[str, dict] | None:
        stages = self.run.get("stages")
        if not isinstance(stages, dict):
            return None
        for n in names:
            info = stages.get(n)
            if info is not None:
                return n, info if isinstance(info, dict) else {"status": str(info)}
        return None

    def why_missing(self, what: str, *stage_names: str) -> str:
        """One sentence: what is missing and what run.json says of the stage that should have made it."""
        st = self.stage(*stage_names)
        if st is None:
            return (
                f"{what}: not run (no {stage_names[0]} stage in run.json)"
                if self.run
                else f"{what}: not run (no output in this run directory)"
            )
        name, info = st
        status = str(info.get("status", "unknown"))
        if status.startswith("failed"):
            return f"{what}: the {name} stage failed ({status})"
        if status.startswith("not run"):
            return f"{what}: the {name} stage was {status}"
        return f"{what}: missing although the {name} stage reports '{status}'"


def to_int(v: Any, default: int = 0) -> int:
    try:
        return int(v)
    except (TypeError, ValueError):
        try:
            return int(float(v))
        except (TypeError, ValueError, OverflowError):
            return default


def to_float(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if f != f else f
