"""How an operator judges a detector on testbed data: each fault caught or not, how fast, and false alarms per hour.

A detector scores time windows; an alarmed window raises its alarm when it closes (`end`), the earliest moment a
window detector can speak. For every fault interval [start, stop] (stop = end or recovery, plus the margin):
  - detected: some alarmed window overlaps it;
  - time to detect: the first such alarm's time minus the fault's start (a window that began before the fault
    but closes after its start counts: it saw the fault's first lines).
False alarms are alarmed windows that overlap no fault interval; they are counted per hour of the time those
windows cover (the normal time of the run), and split into those that overlap a planned operation (labelled
normal: a restart, a hand-over) and those in steady state. Fault and operation intervals are
`testbed.labels.intervals` of `faults.jsonl` / `operations.jsonl` (with `planned=True`), margins included.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from anomalygen.testbed.labels import Interval


@dataclass(frozen=True)
class Window:
    start: float
    end: float
    alarm: bool


def _overlaps(w: Window, s: Interval) -> bool:
    return s.start < w.end and s.stop >= w.start


def operator_metrics(
    windows: Sequence[Window], faults: Sequence[Interval], operations: Sequence[Interval] = ()
) -> dict:
    """Per-fault detection and time to detect, false alarms per hour (all, during planned operations, steady)."""
    per_fault = []
    for f in faults:
        hits = [w.end for w in windows if w.alarm and _overlaps(w, f)]
        first = min(hits) if hits else None
        per_fault.append(
            {
                "index": f.index,
                "kind": f.kind,
                "detected": first is not None,
                "ttd_s": round(max(0.0, first - f.start), 3) if first is not None else None,
            }
        )
    normal = [w for w in windows if not any(_overlaps(w, f) for f in faults)]
    during_ops = [w for w in normal if any(_overlaps(w, o) for o in operations)]
    steady = [w for w in normal if not any(_overlaps(w, o) for o in operations)]
    per_op: list[dict[str, Any]] = []
    for o in operations:
        mine = [w for w in normal if _overlaps(w, o)]
        per_op.append({"index": o.index, "kind": o.kind, "windows": len(mine), "alarms": sum(w.alarm for w in mine)})

    def rate(ws: list[Window]) -> dict:
        hours = sum(w.end - w.start for w in ws) / 3600.0
        n = sum(w.alarm for w in ws)
        return {"false_alarms": n, "hours": round(hours, 4), "per_hour": round(n / hours, 2) if hours else None}

    return {
        "faults": per_fault,
        "by_kind": by_kind(per_fault),
        "operations": per_op,
        "operations_alarmed": sum(o["alarms"] > 0 for o in per_op),
        "operations_total": len(per_op),
        "false_alarms": rate(normal),
        "false_alarms_during_operations": rate(during_ops),
        "false_alarms_steady": rate(steady),
    }


def by_kind(per_fault: list[dict]) -> dict:
    """kind -> detected, total, median time to detect of the detected ones."""
    out: dict[str, dict] = {}
    for kind in sorted({f["kind"] for f in per_fault}):
        mine = [f for f in per_fault if f["kind"] == kind]
        ttd = [f["ttd_s"] for f in mine if f["detected"]]
        out[kind] = {
            "detected": len(ttd),
            "total": len(mine),
            "median_ttd_s": round(statistics.median(ttd), 1) if ttd else None,
        }
    return out
