"""Ground-truth labels: fault intervals (plus a recovery margin) and the time windows they overlap.

A fault record's labelled interval is [start, max(end, recovered) + margin] (closed). A window [ws, we) is
anomalous when it overlaps any labelled interval (start < we and stop >= ws); a log line at time t is anomalous
when some labelled interval holds t.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from anomalygen.core.sessions import Session
from anomalygen.jsonl import read_jsonl


class LabelError(ValueError):
    """Bad fault records; the message names the file and line."""


@dataclass(frozen=True)
class Interval:
    start: float
    stop: float
    index: int
    kind: str


def intervals(records: Iterable[dict], margin: float, planned: bool = False) -> list[Interval]:
    """Labelled intervals of the fault records that started (sorted by start); with `planned`, those of the
    planned operations instead (labelled normal, kept to tell their windows apart)."""
    if margin < 0:
        raise ValueError(f"recovery margin must be >= 0, got {margin}")
    out = []
    for r in records:
        if r.get("start") is None or bool(r.get("planned")) != planned:
            continue
        start = float(r["start"])
        end = max(x for x in (start, r.get("end"), r.get("recovered")) if x is not None)
        out.append(Interval(start, float(end) + margin, int(r["index"]), str(r["kind"])))
    return sorted(out, key=lambda i: (i.start, i.index))


def read_faults(path: str | Path) -> list[dict]:
    path = Path(path)
    recs = []
    for n, obj in read_jsonl(path, LabelError):
        for key in ("index", "kind"):
            if key not in obj:
                raise LabelError(f"{path}:{n}: missing {key!r}")
        for key in ("start", "end", "recovered"):
            v = obj.get(key)
            if v is not None and not isinstance(v, (int, float)):
                raise LabelError(f"{path}:{n}: {key!r} must be a number of seconds (epoch) or null, got {v!r}")
        recs.append(obj)
    return recs


def covering(t: float, ivs: Sequence[Interval]) -> list[int]:
    """Indices of the fault intervals that hold time t."""
    return [iv.index for iv in ivs if iv.start <= t <= iv.stop]


def overlapping(ws: float, we: float, ivs: Sequence[Interval]) -> list[int]:
    """Indices of the fault intervals that overlap the window [ws, we)."""
    return [iv.index for iv in ivs if iv.start < we and iv.stop >= ws]


def window_grid(t0: float, t1: float, size: float, step: float | None = None) -> list[tuple[float, float]]:
    """Windows [ws, ws + size) from t0 on, every `step`, covering up to t1."""
    step = step or size
    if size <= 0 or step <= 0:
        raise ValueError(f"window size and step must be positive (size {size}, step {step})")
    if t1 < t0:
        return []
    n = math.floor((t1 - t0) / step) + 1
    return [(t0 + i * step, t0 + i * step + size) for i in range(n)]


def windows(
    rows: Sequence[tuple],
    ivs: Sequence[Interval],
    size: float,
    step: float | None = None,
    t0: float | None = None,
    t1: float | None = None,
    prefix: str = "w",
    ops: Sequence[Interval] = (),
) -> Iterator[Session]:
    """Labelled windows over `rows` = (t, event_id, template, ...) sorted by t; empty windows are skipped.

    Core `Session`s whose `start` is the epoch second the window opens; `extra` holds its `end`, `lines`, the
    fault indices/kinds the window overlaps and, when `ops` (planned operations, with their margin) are given,
    the operations it overlaps (they do not change the label)."""
    if not rows:
        return
    t0 = rows[0][0] if t0 is None else t0
    t1 = rows[-1][0] if t1 is None else t1
    kinds = {iv.index: iv.kind for iv in ivs}
    op_kinds = {iv.index: iv.kind for iv in ops}
    lo = 0
    for i, (ws, we) in enumerate(window_grid(t0, t1, size, step)):
        while lo < len(rows) and rows[lo][0] < ws:
            lo += 1
        hi = lo
        while hi < len(rows) and rows[hi][0] < we:
            hi += 1
        if hi == lo:
            continue
        hits = overlapping(ws, we, ivs)
        extra = {"end": round(we, 3), "lines": hi - lo, "faults": hits, "fault_kinds": sorted({kinds[h] for h in hits})}
        if ops:
            op_hits = overlapping(ws, we, ops)
            extra["operations"], extra["operation_kinds"] = op_hits, sorted({op_kinds[h] for h in op_hits})
        yield Session(
            f"{prefix}{i:05d}",
            int(bool(hits)),
            [r[1] for r in rows[lo:hi]],
            [r[2] for r in rows[lo:hi]],
            start=round(ws, 3),
            extra=extra,
            has_event_ids=True,
        )


def per_host_windows(
    rows: Sequence[tuple],
    ivs: Sequence[Interval],
    size: float,
    step: float | None = None,
    t0: float | None = None,
    t1: float | None = None,
    ops: Sequence[Interval] = (),
    prefix: str = "w",
) -> list[Session]:
    """`windows` per host: `rows` = (t, host, event_id, template) of any set of logs, one host per log file (or
    whatever the caller names a host), sorted by t. Every host is cut on the same grid from `t0` (default: the
    first row of any host), so window k of one host and window k of another cover the same time, and a slot's
    label is the same on every host (labels come from time intervals, not from where a line was printed).

    The unit is host x window: `session_id` HOST/PREFIXnnnnn, and `extra["host"]` names the host. Sorted by
    (start, id)."""
    if not rows:
        return []
    t0 = rows[0][0] if t0 is None else t0
    t1 = rows[-1][0] if t1 is None else t1
    by_host: dict[str, list[tuple]] = {}
    for t, host, eid, tpl in rows:
        by_host.setdefault(str(host), []).append((t, eid, tpl))
    out = []
    for host in sorted(by_host):
        for w in windows(by_host[host], ivs, size, step, t0, t1, prefix=f"{host}/{prefix}", ops=ops):
            w.extra["host"] = host
            out.append(w)
    out.sort(key=lambda w: (w.start, w.session_id))
    return out
