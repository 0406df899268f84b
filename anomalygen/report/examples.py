"""Choosing example synthetic sessions deterministically and collecting their raw lines."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from pathlib import Path

MAX_LINES = 40
_SLOT = re.compile(r"<\*>")


def pick(sessions: list[dict], k: int, keys) -> list[dict]:
    """Up to k sessions with at least one line, in file order, preferring sessions that differ from those already
    chosen: one pass per key function in `keys` (a session is taken when its key is new), then any."""
    pool = [s for s in sessions if s.get("events")]
    chosen: list[dict] = []
    ids: set = set()
    for key in keys:
        used = {key(s) for s in chosen}
        for s in pool:
            if len(chosen) >= k:
                return chosen
            kv = key(s)
            if s.get("session_id") not in ids and kv not in used:
                chosen.append(s)
                ids.add(s.get("session_id"))
                used.add(kv)
    for s in pool:
        if len(chosen) >= k:
            break
        if s.get("session_id") not in ids:
            chosen.append(s)
            ids.add(s.get("session_id"))
    return chosen


def raw_lines(structured: Path, raw: Path, wanted: set[str], limit: int = MAX_LINES) -> dict[str, dict]:
    """{session id: {"lines": [(raw line, line label)], "total": n}} for the wanted sessions, streaming the raw log
    alongside its structured CSV (row k is line k)."""
    out: dict[str, dict] = {w: {"lines": [], "total": 0} for w in wanted}
    with (
        open(structured, encoding="utf-8", errors="replace", newline="") as sfh,
        open(raw, encoding="utf-8", errors="replace") as rfh,
    ):
        for row in csv.DictReader(sfh):
            line = rfh.readline()
            if not line:
                break
            sid = row.get("SessionId")
            if sid in out:
                d = out[sid]
                d["total"] += 1
                if len(d["lines"]) < limit:
                    d["lines"].append((line.rstrip("\n"), row.get("LineLabel", "")))
    return out


def _filler(vals: Iterator) -> Callable[[re.Match], str]:
    """Each slot takes the next parameter; `<*>` once they run out."""
    return lambda m: str(next(vals, "<*>"))


def rebuilt_lines(session: dict, limit: int = MAX_LINES) -> dict:
    """Lines rebuilt from the session's templates and parameters (when the raw log is not there)."""
    lines: list[tuple[str, str]] = []
    params = session.get("params") or []
    for i, t in enumerate(session.get("templates") or []):
        vals = iter(params[i] if i < len(params) and isinstance(params[i], list) else [])
        lines.append((_SLOT.sub(_filler(vals), str(t)), ""))
    return {"lines": lines[:limit], "total": len(lines)}
