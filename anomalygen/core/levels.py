"""Log levels: the canonical order, other frameworks' names for them, and the level-guard rule."""

from __future__ import annotations

import re

LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
# java.util.logging's names (as the inventory maps its level methods) and Python-style spellings in headers
ALIASES = {"FINEST": "TRACE", "FINER": "DEBUG", "FINE": "DEBUG", "CONFIG": "INFO", "WARNING": "WARN", "SEVERE": "ERROR"}
GUARD = re.compile(r"^is(Trace|Debug|Info|Warn|Error|Fatal)Enabled$")


def normalise(level: str) -> str:
    """A header's level text in the inventory's vocabulary (`WARNING` -> `WARN`); unknown names upper-cased."""
    lv = level.strip().upper()
    return ALIASES.get(lv, lv)


def rank(level: str) -> int:
    """Position in LEVELS (aliases included); unknown levels after every known one."""
    lv = normalise(level)
    return LEVELS.index(lv) if lv in LEVELS else len(LEVELS)


def enabled(level: str, min_level: str) -> bool:
    """Whether a logger configured at `min_level` prints `level` (both canonical names)."""
    return LEVELS.index(level) >= LEVELS.index(min_level)


def guard_level(method: str) -> str | None:
    """The level an `isXEnabled()` guard asks about (`isDebugEnabled` -> DEBUG), or None for any other name."""
    m = GUARD.match(method)
    return m.group(1).upper() if m else None
