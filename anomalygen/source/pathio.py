"""Path files: `paths.jsonl` (one path a line) and its condition table `*.conditions.jsonl`.

A path's conditions are `[frame, ref, polarity]` triples; `ref` indexes the condition table written beside it,
which holds each condition once (method, source text, line, kind, loop iteration, parsed expression). `frame`
names the call context: "0" is the entry method, "0/12" the callee inlined at call node 12 of it, and so on, so
the same variable in two frames is two variables.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from anomalygen.atomic import AtomicFile
from anomalygen.jsonl import read_jsonl
from anomalygen.source.analysis import Analysis
from anomalygen.source.paths import PathRecord


def conditions_path(paths_file: Path) -> Path:
    return paths_file.with_name(paths_file.stem + ".conditions.jsonl")


@dataclass
class PathWriter:
    """Streams path records to disk; conditions are numbered on first use."""

    analysis: Analysis
    out: Path
    written: int = 0

    def __post_init__(self) -> None:
        self._refs: dict[tuple[str, str], int] = {}
        self._files = [AtomicFile(self.out), AtomicFile(conditions_path(self.out))]
        self._fh, self._cfh = (f.fh for f in self._files)

    def _ref(self, method: str, cid: str) -> int:
        ref = self._refs.get((method, cid))
        if ref is None:
            ref = self._refs[(method, cid)] = len(self._refs)
            c = self.analysis.lcfg(method).conds[cid]
            row = {"ref": ref, "method": method, "cond": cid, **{k: v for k, v in c.to_dict().items() if k != "id"}}
            self._cfh.write(json.dumps(row, ensure_ascii=False) + "\n")
        return ref

    def write(self, records: Iterable[PathRecord], path_id_prefix: str = "") -> None:
        for r in records:
            conds = [[frame, self._ref(m, cid), pol] for frame, m, cid, pol in r.conditions]
            doc = {
                "id": f"{path_id_prefix}{self.written}",
                "entry": r.entry,
                "events": r.events,
                "conditions": conds,
                "exit": r.exit,
                "caps": r.caps,
            }
            self._fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
            self.written += 1

    @property
    def conditions(self) -> int:
        return len(self._refs)

    def close(self) -> None:
        for f in self._files:
            f.commit()

    def discard(self) -> None:
        for f in self._files:
            f.discard()


def read_paths(path: Path) -> Iterator[dict[str, Any]]:
    """Path records with their conditions expanded from the table; a bad line is named by file and number."""
    table: dict[int, dict[str, Any]] = {}
    cpath = conditions_path(path)
    if cpath.exists():
        for _, doc in read_jsonl(cpath):
            table[doc["ref"]] = doc
    for n, doc in read_jsonl(path):
        try:
            doc["conditions"] = [
                {"frame": f, "polarity": p, **table[ref]} if ref in table else {"frame": f, "polarity": p, "ref": ref}
                for f, ref, p in doc["conditions"]
            ]
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"{path}:{n}: not a path record ({err!r})") from err
        yield doc
