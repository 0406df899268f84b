"""Log text shown to a person: control characters escaped (ESC as `\\x1b`), so that a log line cannot clear the
screen, set the window title or move the cursor of the terminal that shows it, nor hide in a JSON or HTML output.

Tabs stay; every other C0 and C1 control character and DEL is replaced by its `\\xNN` escape. A backslash is
left alone: the text stays readable, and what was escaped can be told from the log by position.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    if text.isprintable():  # the usual line: no search, no copy
        return text
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
