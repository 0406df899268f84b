"""Helpers of the testbed evaluation tests: hand-made windows and runs, and a constructed case of test rows."""

from __future__ import annotations

from anomalygen.core.sessions import Session
from anomalygen.evaluate.testbed_windows import TestbedWindows


def win(i, events, label=0):
    return Session(f"w{i}", label, events, start=10.0 * i, extra={"end": 10.0 * i + 10})


def windowed_run(name, windows, faults=(), operations=()):
    return TestbedWindows(windows, [], list(faults), list(operations), name)


def acceptance_rows() -> list[dict]:
    """2 test runs x 2 seeds x every arm, one detector (DeepLog): synthetic and oracle alarm on none of four
    restarts, every other arm on all of them; synthetic detects the pause later (12 s against 4 s) and misses the
    leader_kill."""
    rows = []
    restarts = ("graceful_restart", "leader_handover", "rolling_restart", "graceful_restart")
    for run in ("test1", "test2"):
        for seed in (0, 1):
            for arm in ("baseline", "synthetic", "real-duplicate", "naive", "inventory-random", "startup", "oracle"):
                quiet = arm in ("synthetic", "oracle")  # every other arm alarms on every restart
                faults = [
                    {"index": 0, "kind": "pause", "detected": True, "ttd_s": 12.0 if arm == "synthetic" else 4.0},
                    {"index": 1, "kind": "leader_kill", "detected": arm != "synthetic", "ttd_s": 3.0},
                ]
                ops = [
                    {"index": 10 + i, "kind": k, "windows": 2, "alarms": 0 if quiet else 1}
                    for i, k in enumerate(restarts)
                ]
                rows.append(
                    {
                        "form": "all-server",
                        "run": run,
                        "role": "test",
                        "model": "DeepLog",
                        "arm": arm,
                        "seed": seed,
                        "per_fault": faults,
                        "per_operation": ops,
                    }
                )
    return rows
