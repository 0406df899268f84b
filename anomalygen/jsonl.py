"""Reading JSON Lines: one object a line, blank lines skipped, a bad line named by file and number.

Readers of labels, inventories and session files pass a `Skipped`: a bad record is then counted, its `file:line`
kept as an example, and reading goes on with the rest (like bad log lines); without one the first bad record
raises.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

MAX_EXAMPLES = 5


@dataclass
class Skipped:
    """Bad records passed over: how many, and the first few as `file:line: why`."""

    count: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, message: str) -> None:
        self.count += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(message)

    def to_dict(self) -> dict:
        return {"count": self.count, "examples": list(self.examples)}

    def lines(self, what: str) -> list[str]:
        """What a command prints about them (nothing when none were skipped)."""
        if not self.count:
            return []
        return [f"skipped {self.count} bad record(s) in {what}:", *(f"  {e}" for e in self.examples)]


def note_or_raise(skipped: Skipped | None, err: Exception) -> None:
    """Skip a bad record (counted) when a collector is given; raise otherwise."""
    if skipped is None:
        raise err
    skipped.add(str(err))


def read_jsonl(
    path: str | Path, error: type[Exception] = ValueError, skipped: Skipped | None = None
) -> Iterator[tuple[int, dict]]:
    """(line number, object) for every non-blank line; a bad line raises `error("FILE:LINE: why")`, or with
    `skipped` is counted there and passed over."""
    path = Path(path)
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh, 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                note_or_raise(skipped, error(f"{path}:{n}: not UTF-8 text"))
                continue
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as err:
                note_or_raise(skipped, error(f"{path}:{n}: not valid JSON ({err.msg})"))
                continue
            if not isinstance(obj, dict):
                note_or_raise(skipped, error(f"{path}:{n}: expected a JSON object"))
                continue
            yield n, obj


def require_some(records: int, skipped: Skipped | None, path: str | Path, error: type[Exception]) -> None:
    """A file whose every record was bad is an error, not an empty input."""
    if records == 0 and skipped is not None and skipped.count:
        raise error(f"{path}: no valid record ({skipped.count} bad; first: {skipped.examples[0]})")
