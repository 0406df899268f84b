"""How log lines form sessions (`--sessions-by`): one `SessionSpec`, parsed once from the flag or config text, that
every stage reads (the logs stage groups by it, the generator keys synthetic sessions by it, deploy follows it
online); and the HDFS block id, the identifier of the default rule."""

from __future__ import annotations

import re
from dataclasses import dataclass

HDFS_BLOCK = r"blk_-?\d+"  # an HDFS block id, the session key of HDFS logs
HDFS_BLOCK_RE = re.compile(HDFS_BLOCK)


@dataclass
class SessionSpec:
    """What `--by` asked for."""

    kind: str  # id | field | window-count | window-time
    pattern: str | None = None
    field: str | None = None
    size: float = 0
    step: float = 0

    @classmethod
    def parse(cls, text: str) -> SessionSpec:
        t = text.strip()
        if t in ("id", "block", "blk"):
            return cls("id", pattern=HDFS_BLOCK)
        if t.startswith("regex:"):
            pat = t[len("regex:") :]
            try:
                re.compile(pat)
            except re.error as err:
                raise ValueError(f"--by {text!r}: bad regex ({err})") from None
            return cls("id", pattern=pat)
        if t.startswith("field:"):
            return cls("field", field=t[len("field:") :])
        if t.startswith("window:"):
            parts = t.split(":")
            if len(parts) not in (3, 4) or parts[1] not in ("count", "time"):
                raise ValueError(f"--by {text!r}: expected window:count:SIZE[:STEP] or window:time:SECONDS[:STEP]")
            try:
                size = float(parts[2])
                step = float(parts[3]) if len(parts) == 4 else size
            except ValueError:
                raise ValueError(f"--by {text!r}: size and step must be numbers") from None
            if size <= 0 or step <= 0:
                raise ValueError(f"--by {text!r}: size and step must be positive")
            return cls("window-" + parts[1], size=size, step=step)
        raise ValueError(
            f"--by {text!r}: expected id, regex:PATTERN, field:NAME, window:count:N[:STEP] "
            "or window:time:SECONDS[:STEP]"
        )

    def generator_key(self) -> str:
        """The session key the generator gives synthetic sessions so that they group like these real ones: "block"
        when lines group by HDFS block id, else "none" (one session per path: the generator knows no other
        identifier to draw)."""
        return "block" if self.kind == "id" and self.pattern == HDFS_BLOCK else "none"
