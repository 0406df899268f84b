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
    def parse(cls, text: str, flag: str = "--by") -> SessionSpec:
        """The rule `text` says; a text that says none raises ValueError naming `flag` and the text."""
        t = text.strip()
        if t in ("id", "block", "blk"):
            return cls("id", pattern=HDFS_BLOCK)
        if t.startswith("regex:"):
            pat = t[len("regex:") :]
            try:
                re.compile(pat)
            except re.error as err:
                raise ValueError(f"{flag} {text!r}: bad regex ({err})") from None
            return cls("id", pattern=pat)
        if t.startswith("field:"):
            return cls("field", field=t[len("field:") :])
        if t.startswith("window:"):
            parts = t.split(":")
            if len(parts) not in (3, 4) or parts[1] not in ("count", "time"):
                raise ValueError(f"{flag} {text!r}: expected window:count:SIZE[:STEP] or window:time:SECONDS[:STEP]")
            try:
                size = float(parts[2])
                step = float(parts[3]) if len(parts) == 4 else size
            except ValueError:
                raise ValueError(f"{flag} {text!r}: size and step must be numbers") from None
            if size <= 0 or step <= 0:
                raise ValueError(f"{flag} {text!r}: size and step must be positive")
            return cls("window-" + parts[1], size=size, step=step)
        raise ValueError(
            f"{flag} {text!r}: expected id, regex:PATTERN, field:NAME, window:count:N[:STEP] "
            "or window:time:SECONDS[:STEP]"
        )

    def generator_key(self) -> str:
        """The session key the generator gives synthetic sessions so that they group like these real ones: "block"
        when lines group by HDFS block id, else "none" (one session per path: the generator knows no other
        identifier to draw)."""
        return "block" if self.kind == "id" and self.pattern == HDFS_BLOCK else "none"


# how `generate` keys synthetic sessions when told nothing: by block id for HDFS logs, which carry one per session
GENERATE_AUTO = {"hdfs": "id"}


def synthetic_key(by: str, format_name: str | None) -> tuple[str | None, str | None]:
    """How `generate` keys synthetic sessions for the session rule `by` (`--sessions-by`: a `SessionSpec` text,
    `auto` or `none`): (the generator's key, "block" or None for one session per path; a note when the rule groups
    real lines by a key the generator cannot draw, so that the synthetic sessions do not group like them). `auto`
    is decided here alone: `GENERATE_AUTO` of the log format, else none. A rule that does not parse raises
    ValueError."""
    text = by.strip()
    if text == "auto":
        text = GENERATE_AUTO.get(format_name or "", "none")
    if text == "none":
        return None, None
    spec = SessionSpec.parse(text, "--sessions-by")
    if spec.generator_key() == "block":
        return "block", None
    if spec.kind in ("id", "field"):
        return None, (
            f"--sessions-by {by}: synthetic sessions cannot be keyed by this rule (the generator draws HDFS block ids "
            "only); each synthetic session is one path, or one composed session, under an id of its own"
        )
    return None, None  # windows: a synthetic session is one path, spliced into or composed like a real window
