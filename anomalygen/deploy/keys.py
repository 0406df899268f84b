"""The session keys of parsed lines, a block at a time: `KeyRule.block` turns a chunk's `EventColumns` into the
`KeyedLines` a `Sessionizer` takes.

Keys come from the line alone (`--sessions-by id | regex:PATTERN | field:NAME`), so parse workers can apply the
rule to their spans. A window's key depends on the line's place in the whole log, so for `window:count:N` the
block carries no keys and the `Sessionizer` numbers the windows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter

import numpy as np

from anomalygen.logs.formats import LogFormat
from anomalygen.logs.parse import EventColumns
from anomalygen.logs.sessions import HDFS_BLOCK, SessionSpec


@dataclass
class KeyedLines:
    """Parsed lines of one file, in order, as columns, with their session keys: what a session keeps of a line."""
    file: str
    linenos: Sequence[int]
    events: list[str]  # statement id ("" when none matched)
    texts: list[str]  # the message
    keys: list[str] | None  # every line's keys, one after another in line order; None: windows
    key_lines: np.ndarray | None  # the line (index in this block) of each key; None: one key per line

    def __len__(self) -> int:
        return len(self.events)


class KeyRule:
    def __init__(self, spec: SessionSpec, fmt: LogFormat):
        if spec.kind == "window-time":
            raise ValueError("detect groups sessions by key or by window:count; window:time is not supported")
        if spec.kind == "window-count" and spec.step != spec.size:
            raise ValueError("detect supports fixed windows only (window:count:N, no step)")
        if spec.kind == "field" and spec.field not in fmt.fields:
            raise ValueError(f"--sessions-by field:{spec.field}: the format has no field {spec.field!r} "
                             f"(fields: {', '.join(fmt.fields)})")
        self.spec, self.fmt = spec, fmt
        self.window = int(spec.size) if spec.kind == "window-count" else 0

    def block(self, cols: EventColumns) -> KeyedLines:
        spec = self.spec
        if spec.kind == "field":
            keys = list(map(itemgetter(self.fmt.fields.index(spec.field)), cols.values))
            return KeyedLines(cols.file, cols.linenos, cols.events, cols.messages, keys, None)
        if self.window:
            return KeyedLines(cols.file, cols.linenos, cols.events, cols.messages, None, None)
        found = list(map(re.compile(spec.pattern or HDFS_BLOCK).findall, cols.messages))
        sizes = list(map(len, found))
        if sizes.count(1) == len(sizes):  # the usual block: one key per line
            return KeyedLines(cols.file, cols.linenos, cols.events, cols.messages,
                              list(map(itemgetter(0), found)), None)
        for i in np.flatnonzero(np.array(sizes) > 1).tolist():  # a line naming one key twice counts once for it
            found[i] = list(dict.fromkeys(found[i]))
        sizes = list(map(len, found))
        return KeyedLines(cols.file, cols.linenos, cols.events, cols.messages, list(chain.from_iterable(found)),
                          np.repeat(np.arange(len(found)), sizes))
