"""Sessions formed while lines stream in, closed when idle, so that each can be scored as soon as it ends.

Keys are those of the logs stage (`--sessions-by id | regex:PATTERN | field:NAME`), or fixed windows of
`window:count:N` lines. A keyed session closes when `idle_lines` lines went by without one of its events
(checked every `check_every` lines: cheap, and the same on every run), or (when following a live file)
`idle_seconds` of wall time; at the end of the input every open session closes.
Memory is bounded by the open sessions: above `max_open`, the least recently active one is closed early and
counted as evicted. Sessions longer than `keep_events` keep counting events but only their first
`keep_events` lines' text, for the explanation's context.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field

from anomalygen.logs.formats import LogFormat
from anomalygen.logs.parse import ParsedLine
from anomalygen.logs.sessions import HDFS_BLOCK, SessionSpec

UNMATCHED = "UNMATCHED"  # the event of a line no statement of the inventory prints


@dataclass(slots=True)
class OpenSession:
    key: str
    first: int = 0  # number of the parsed line that opened it: sessions sort by it into log order
    events: list[str] = field(default_factory=list)
    where: list[str] = field(default_factory=list)  # file:line of each kept line
    text: list[str] = field(default_factory=list)  # the message of each kept line
    last_line: int = 0
    last_time: float = 0.0
    closed_by: str = ""  # idle | evicted | end | window


@dataclass
class SessionCounts:
    opened: int = 0
    closed_idle: int = 0
    closed_end: int = 0
    evicted: int = 0
    max_open: int = 0

    def to_dict(self) -> dict:
        return dict(vars(self))


class Sessionizer:
    def __init__(self, spec: SessionSpec, fmt: LogFormat, idle_lines: int = 100_000,
                 idle_seconds: float | None = None, max_open: int = 100_000, keep_events: int = 256,
                 check_every: int = 256):
        if spec.kind == "window-time":
            raise ValueError("detect groups sessions by key or by window:count; window:time is not supported")
        self.window = int(spec.size) if spec.kind == "window-count" else 0
        if self.window and spec.step != spec.size:
            raise ValueError("detect supports fixed windows only (window:count:N, no step)")
        self.rx = re.compile(spec.pattern or HDFS_BLOCK) if spec.kind == "id" else None
        if spec.kind == "field" and spec.field not in fmt.fields:
            raise ValueError(f"--sessions-by field:{spec.field}: the format has no field {spec.field!r} "
                             f"(fields: {', '.join(fmt.fields)})")
        self.fi = fmt.fields.index(spec.field) if spec.kind == "field" else -1
        self.ci = fmt.content_index
        self.idle_lines, self.idle_seconds = idle_lines, idle_seconds
        self.max_open, self.keep, self.check_every = max_open, keep_events, check_every
        self.open: OrderedDict[str, OpenSession] = OrderedDict()
        self.counts = SessionCounts()
        self.n = 0  # parsed lines seen
        self._names: dict[str, str] = {}  # one string object per event id, shared by all sessions

    def add(self, ln: ParsedLine, now: float = 0.0) -> list[OpenSession]:
        """Take one parsed line; returns the sessions it closed (windows, evictions)."""
        self.n += 1
        values = ln.fields
        if self.window:
            keys = [f"w{(self.n - 1) // self.window}"]
        elif self.fi >= 0:
            keys = [values[self.fi]]
        else:
            found = self.rx.findall(values[self.ci])
            if not found:
                return []
            keys = list(dict.fromkeys(found)) if len(found) > 1 else found
        ev = ln.event_id or UNMATCHED
        ev = self._names.setdefault(ev, ev)
        where = f"{ln.file}:{ln.lineno}"
        out: list[OpenSession] = []
        for key in keys:
            s = self.open.get(key)
            if s is None:
                s = self.open[key] = OpenSession(key, self.n)
                self.counts.opened += 1
                if len(self.open) > self.max_open:
                    old = self.open.popitem(last=False)[1]
                    old.closed_by = "evicted"
                    self.counts.evicted += 1
                    out.append(old)
            else:
                self.open.move_to_end(key)
            s.events.append(ev)
            if len(s.where) < self.keep:
                s.where.append(where)
                s.text.append(values[self.ci])
            s.last_line, s.last_time = self.n, now
        self.counts.max_open = max(self.counts.max_open, len(self.open))
        if self.window and self.n % self.window == 0:
            out.extend(self._close_all("window"))
        elif self.open and self.n % self.check_every == 0:
            out.extend(self.expire())
        return out

    def expire(self, now: float | None = None) -> list[OpenSession]:
        """Close the sessions idle for `idle_lines` lines, or, given `now`, for `idle_seconds`; least recent
        first. Line counts alone decide on a file, so results do not depend on timing."""
        out = []
        timed = now is not None and self.idle_seconds is not None
        while self.open:
            s = next(iter(self.open.values()))
            idle = self.n - s.last_line >= self.idle_lines or (timed and now - s.last_time >= self.idle_seconds)
            if not idle:
                break
            self.open.popitem(last=False)
            s.closed_by = "idle"
            self.counts.closed_idle += 1
            out.append(s)
        return out

    def close_all(self) -> list[OpenSession]:
        return self._close_all("end")

    def _close_all(self, why: str) -> list[OpenSession]:
        out = list(self.open.values())
        self.open.clear()
        for s in out:
            s.closed_by = why
        if why == "end":
            self.counts.closed_end += len(out)
        return out


def supports(sessions_by: str) -> bool:
    """Whether `detect` can form sessions by this `--sessions-by` rule."""
    try:
        spec = SessionSpec.parse(sessions_by)
    except ValueError:
        return False
    return spec.kind in ("id", "field") or (spec.kind == "window-count" and spec.step == spec.size)
