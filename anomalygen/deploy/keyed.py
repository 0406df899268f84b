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
from operator import getitem, itemgetter

import numpy as np

from anomalygen.core.formats import LogFormat
from anomalygen.core.session_spec import HDFS_BLOCK, SessionSpec
from anomalygen.logs.matcher import digit_sensitive, positions
from anomalygen.logs.parse import EventColumns


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
    """Keys by id are `findall`'s (the whole match, or the one group's text), as in the logs stage. When the pattern
    cannot tell one ASCII digit from another (`blk_-?\\d+` cannot), every message of a digit key
    (`anomalygen.logs.matcher`) has its keys at the same places, so the places found once per digit key are
    sliced out of the others: a dictionary look-up per line, not a regex scan."""

    def __init__(self, spec: SessionSpec, fmt: LogFormat, cache_size: int = 200_000):
        if spec.kind == "window-time":
            raise ValueError("detect groups sessions by key or by window:count; window:time is not supported")
        if spec.kind == "window-count" and spec.step != spec.size:
            raise ValueError("detect supports fixed windows only (window:count:N, no step)")
        if spec.kind == "field" and spec.field not in fmt.fields:
            raise ValueError(
                f"--sessions-by field:{spec.field}: the format has no field {spec.field!r} "
                f"(fields: {', '.join(fmt.fields)})"
            )
        self.spec, self.fmt = spec, fmt
        self.window = int(spec.size) if spec.kind == "window-count" else 0
        rx = re.compile(spec.pattern or HDFS_BLOCK)
        self._findall, self._finditer, self._group = rx.findall, rx.finditer, rx.groups
        # digit key -> slices of its keys; None: the pattern has several groups, or digits of its own
        self._places: dict[bytes, tuple[slice, ...]] | None = (
            {} if rx.groups <= 1 and not digit_sensitive(rx.pattern) else None
        )
        self.cache_size = cache_size

    def block(self, cols: EventColumns) -> KeyedLines:
        spec = self.spec
        if spec.kind == "field":
            keys = list(map(itemgetter(self.fmt.fields.index(spec.field)), cols.values))
            return KeyedLines(cols.file, cols.linenos, cols.events, cols.messages, keys, None)
        if self.window:
            return KeyedLines(cols.file, cols.linenos, cols.events, cols.messages, None, None)
        places = self._places_of(cols) if self._places is not None else None
        if places is None:
            found = list(map(self._findall, cols.messages))
        else:
            sizes = list(map(len, places))
            if sizes.count(1) == len(sizes):  # the usual block: one key per line
                return KeyedLines(
                    cols.file,
                    cols.linenos,
                    cols.events,
                    cols.messages,
                    list(map(getitem, cols.messages, map(itemgetter(0), places))),
                    None,
                )
            found = [[m[p] for p in at] for m, at in zip(cols.messages, places, strict=True)]
        sizes = list(map(len, found))
        if sizes.count(1) == len(sizes):
            return KeyedLines(
                cols.file, cols.linenos, cols.events, cols.messages, list(map(itemgetter(0), found)), None
            )
        for i in np.flatnonzero(np.array(sizes) > 1).tolist():  # a line naming one key twice counts once for it
            found[i] = list(dict.fromkeys(found[i]))
        sizes = list(map(len, found))
        return KeyedLines(
            cols.file,
            cols.linenos,
            cols.events,
            cols.messages,
            list(chain.from_iterable(found)),
            np.repeat(np.arange(len(found)), sizes),
        )

    def _places_of(self, cols: EventColumns) -> list[tuple[slice, ...]]:
        """Where each message's keys are, from its digit key's entry (found on the first message of that key)."""
        places = self._places
        assert places is not None, "called only with key places cached"
        got = list(map(places.get, cols.digit_keys))
        for i in positions(got, None):
            key = cols.digit_keys[i]
            hit = places.get(key)  # an earlier line of the block may have found it
            if hit is None:
                if len(places) >= self.cache_size:
                    places.clear()
                hit = places[key] = tuple(slice(*m.span(self._group)) for m in self._finditer(cols.messages[i]))
            got[i] = hit
        return got  # type: ignore[return-value]  # every None was filled in above
