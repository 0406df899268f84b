"""Problems found while reading input: collected, never raised, so one bad file costs only itself."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Diagnostic:
    file: str
    line: int  # 1-based; 0 when the problem concerns the whole file
    kind: str  # "syntax" | "encoding" | "unreadable" | "missing" | "empty" | ...
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.kind}: {self.message}"

    def to_dict(self) -> dict:
        return asdict(self)
