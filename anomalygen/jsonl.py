"""Reading JSON Lines: one object a line, blank lines skipped, a bad line named by file and number."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator


def read_jsonl(path: str | Path, error: type[Exception] = ValueError) -> Iterator[tuple[int, dict]]:
    """(line number, object) for every non-blank line; `error` is raised with "FILE:LINE: why"."""
    path = Path(path)
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as err:
                raise error(f"{path}:{n}: not valid JSON ({err.msg})") from None
            if not isinstance(obj, dict):
                raise error(f"{path}:{n}: expected a JSON object")
            yield n, obj
