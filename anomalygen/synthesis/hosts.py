"""Host sessions: real normal sessions that synthetic paths are spliced into.

Only the first `fraction` of the file is used, so that an evaluation with a chronological split of the same
sessions never sees a test session's sequence inside a synthetic training session.
"""

from __future__ import annotations

import json
from pathlib import Path


def load_hosts(path: Path, fraction: float = 0.8) -> list[list[str]]:
    if not 0 < fraction <= 1:
        raise ValueError(f"host fraction {fraction} is not in (0, 1]")
    rows = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
            except ValueError as e:
                raise ValueError(f"{path}:{n}: not JSON ({e})") from None
            if not isinstance(doc, dict) or not isinstance(doc.get("events"), list):
                raise ValueError(f"{path}:{n}: a session needs an 'events' list")
            rows.append(doc)
    keep = rows[: int(round(len(rows) * fraction))]
    return [[str(e) for e in d["events"]] for d in keep if d.get("label") in (0, "0", "Normal", "normal")]
