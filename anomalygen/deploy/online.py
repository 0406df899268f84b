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
from collections.abc import Iterable, Iterator, Sequence
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
    def events(self) -> tuple[str, ...]:
        """The event id of each line: what the scorer's cache is keyed by."""
        return tuple(map(self.names.__getitem__, self.codes))

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


class KeyRule:
    """The session keys of parsed lines: `keyed` turns them into the `(keys, event, file, line number, text)`
    records a `Sessionizer` takes. Keys come from the line alone, so parse workers can apply the rule to their
    spans; a window's key depends on the line's place in the whole log, so for windows `keys` is None and the
    `Sessionizer` numbers the window."""

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

    def keyed(self, lines: Iterable[tuple]) -> Iterator[tuple]:
        """(keys, event, file, line number, message) per parsed line (`ParsedLine` fields, in order); keys is a
        list of distinct keys, empty for a line of no session."""
        ci = self.fmt.content_index
        spec = self.spec
        if spec.kind == "field":
            fi = self.fmt.fields.index(spec.field)
            return (([values[fi]], event, file, lineno, values[ci])
                    for file, lineno, values, event, *_ in lines)
        if self.window:
            return ((None, event, file, lineno, values[ci]) for file, lineno, values, event, *_ in lines)
        return self._by_id(lines, re.compile(spec.pattern or HDFS_BLOCK).findall, ci)

    @staticmethod
    def _by_id(lines: Iterable[tuple], findall, ci: int) -> Iterator[tuple]:
        for file, lineno, values, event, _template, _params, _kind, _candidates in lines:
            text = values[ci]
            keys = findall(text)
            if len(keys) > 1:
                keys = list(dict.fromkeys(keys))
            yield keys, event, file, lineno, text


class Sessionizer:
    def __init__(self, spec: SessionSpec, fmt: LogFormat, idle_lines: int = 100_000,
                 idle_seconds: float | None = None, max_open: int = 100_000, keep_events: int = 256,
                 check_every: int = 256):
        self.rule = KeyRule(spec, fmt)
        self.window = self.rule.window
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
        """Take parsed lines in order; returns the sessions they closed (idle, windows, evictions)."""
        return self.feed_keyed(self.rule.keyed(lines), now)

    def feed_keyed(self, records: Iterable[tuple], now: float = 0.0) -> list[OpenSession]:
        """As `feed`, from `KeyRule.keyed` records. The loop is the detect stage's per-line cost, hence the
        local names."""
        out: list[OpenSession] = []
        window = self.window
        sessions, counts, keep = self.open, self.counts, self.keep
        get, to_end = sessions.get, sessions.move_to_end
        check_every = window or self.check_every  # a window closes where the next check would fall
        codes, file_index = self._codes, self._file_index
        names, files = self.names, self.files
        n, most = self.n, counts.max_open
        last_file, base = None, 0
        next_check = n - n % check_every + check_every
        for keys, ev, file, lineno, text in records:
            n += 1
            if not keys:
                if keys is not None:  # a line of no session: no check falls on it
                    if n == next_check:
                        next_check += check_every
                    continue
                keys = (f"w{(n - 1) // window}",)
            code = codes.get(ev)
            if code is None:
                ev = ev or UNMATCHED
                code = codes.get(ev)
                if code is None:
                    code = codes[ev] = len(names)
                    names.append(ev)
            if file is not last_file:  # lines come in runs from one file
                last_file = file
                f = file_index.get(file)
                if f is None:
                    f = file_index[file] = len(files)
                    files.append(file)
                base = f << LINE_BITS
            for key in keys:
                s = get(key)
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
                    to_end(key)
                s.codes.append(code)
                if len(s.text) < keep:
                    s.places.append(base | lineno)
                    s.text.append(text)
                s.last_line = n
                s.last_time = now
            if n == next_check:
                next_check += check_every
                self.n = n
                out.extend(self._close_all("window") if window else self.expire())
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
