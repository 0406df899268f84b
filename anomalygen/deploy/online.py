"""Sessions formed while lines stream in, closed when idle, so that each can be scored as soon as it ends.

Keys are those of the logs stage (`--sessions-by id | regex:PATTERN | field:NAME`), or fixed windows of
`window:count:N` lines. A keyed session closes when `idle_lines` lines went by without one of its events
(checked every `check_every` lines: cheap, and the same on every run), or (when following a live file)
`idle_seconds` of wall time; at the end of the input every open session closes.
Memory is bounded by the open sessions: above `max_open`, the least recently active one is closed early and
counted as evicted. Sessions longer than `keep_events` keep counting events but only their first
`keep_events` lines' place and text, for the explanation's context. A session stores its events as 4-byte
codes into one table of event ids, and the place of each kept line as one 8-byte number (file, line), so
that what an open session costs is little more than the text of its lines.
"""

from __future__ import annotations

import re
from array import array
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from anomalygen.logs.formats import LogFormat
from anomalygen.logs.parse import ParsedLine
from anomalygen.logs.sessions import HDFS_BLOCK, SessionSpec

UNMATCHED = "UNMATCHED"  # the event of a line no statement of the inventory prints
LINE_BITS = 40  # a kept line's place: file index << LINE_BITS | line number


@dataclass(slots=True)
class OpenSession:
    key: str
    first: int = 0  # number of the parsed line that opened it: sessions sort by it into log order
    names: list[str] = field(default_factory=list)  # event id of each code: one table shared by a Sessionizer
    files: list[str] = field(default_factory=list)  # file name of each file index: shared likewise
    codes: array = field(default_factory=lambda: array("I"))  # the event of each line
    places: array = field(default_factory=lambda: array("q"))  # file and line number of each kept line
    text: list[str] = field(default_factory=list)  # the message of each kept line
    last_line: int = 0
    last_time: float = 0.0
    closed_by: str = ""  # idle | evicted | end | window

    @classmethod
    def of(cls, key: str, events: Sequence[str], first: int = 0) -> "OpenSession":
        """A session from a list of event ids (no lines kept)."""
        names = list(dict.fromkeys(events))
        code = {e: i for i, e in enumerate(names)}
        return cls(key, first, names, codes=array("I", [code[e] for e in events]))

    @property
    def events(self) -> list[str]:
        names = self.names
        return [names[c] for c in self.codes]

    @property
    def where(self) -> list[str]:
        """file:line of each kept line."""
        return [self._place(p) for p in self.places]

    @property
    def start(self) -> str | None:
        return self._place(self.places[0]) if self.places else None

    def _place(self, p: int) -> str:
        return f"{self.files[p >> LINE_BITS]}:{p & ((1 << LINE_BITS) - 1)}"


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
        self.names: list[str] = []  # event id of each code, shared by all sessions
        self._codes: dict[str, int] = {}
        self.files: list[str] = []  # file name of each file index, shared likewise
        self._file_index: dict[str, int] = {}

    def add(self, ln: ParsedLine, now: float = 0.0) -> list[OpenSession]:
        """Take one parsed line; returns the sessions it closed (windows, evictions)."""
        return self.feed((ln,), now)

    def feed(self, lines: Iterable[ParsedLine], now: float = 0.0) -> list[OpenSession]:
        """Take parsed lines in order; returns the sessions they closed (idle, windows,
        evictions). The loop is the detect stage's per-line cost, hence the local names."""
        out: list[OpenSession] = []
        window, fi, ci, rx = self.window, self.fi, self.ci, self.rx
        findall = rx.findall if rx is not None else None
        sessions, counts, keep, check_every = self.open, self.counts, self.keep, self.check_every
        codes, file_index = self._codes, self._file_index
        names, files = self.names, self.files
        n, most = self.n, counts.max_open
        last_file, base = None, 0
        for ln in lines:
            n += 1
            values = ln.fields
            if window:
                keys = [f"w{(n - 1) // window}"]
            elif fi >= 0:
                keys = [values[fi]]
            else:
                keys = findall(values[ci])
                if not keys:
                    continue
                if len(keys) > 1:
                    keys = list(dict.fromkeys(keys))
            ev = ln.event_id or UNMATCHED
            code = codes.get(ev)
            if code is None:
                code = codes[ev] = len(names)
                names.append(ev)
            if ln.file is not last_file:  # lines come in runs from one file
                last_file = ln.file
                f = file_index.get(last_file)
                if f is None:
                    f = file_index[last_file] = len(files)
                    files.append(last_file)
                base = f << LINE_BITS
            place = base | ln.lineno
            for key in keys:
                s = sessions.get(key)
                if s is None:
                    s = sessions[key] = OpenSession(key, n, names, files)
                    counts.opened += 1
                    if len(sessions) > self.max_open:
                        old = sessions.popitem(last=False)[1]
                        old.closed_by = "evicted"
                        counts.evicted += 1
                        out.append(old)
                    elif len(sessions) > most:  # only a new session makes more open at once
                        most = counts.max_open = len(sessions)
                else:
                    sessions.move_to_end(key)
                s.codes.append(code)
                if len(s.text) < keep:
                    s.places.append(place)
                    s.text.append(values[ci])
                s.last_line, s.last_time = n, now
            if window and n % window == 0:
                self.n = n
                out.extend(self._close_all("window"))
            elif sessions and n % check_every == 0:
                self.n = n
                out.extend(self.expire())
        self.n = n
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
