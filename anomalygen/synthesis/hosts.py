"""Host sessions: real normal sessions that synthetic paths are spliced into.

Only the first `fraction` of the file is used, so that an evaluation with a chronological split of the same
sessions never sees a test session's sequence inside a synthetic training session. In a file without any label
(every `label` null: a user's own logs), every session is presumed normal and may host.
"""

from __future__ import annotations

from pathlib import Path

from anomalygen.jsonl import read_jsonl


def load_hosts(path: Path, fraction: float = 0.8) -> list[list[str]]:
    if not 0 < fraction <= 1:
        raise ValueError(f"host fraction {fraction} is not in (0, 1]")
    rows = []
    for n, doc in read_jsonl(path):
        if not isinstance(doc.get("events"), list):
            raise ValueError(f"{path}:{n}: a session needs an 'events' list")
        rows.append(doc)
    keep = rows[: round(len(rows) * fraction)]
    normal: tuple[object, ...] = (0, "0", "Normal", "normal")
    if all(d.get("label") is None for d in rows):
        normal = (None,)
    return [[str(e) for e in d["events"]] for d in keep if d.get("label") in normal]
