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
Lines come in blocks (`KeyedLines`, from `deploy.keyed`), and the bookkeeping works a segment of a block at a
time, with the results of taking the lines one by one (`Sessionizer.feed_block`).
"""

from __future__ import annotations

from array import array
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import count, takewhile

import numpy as np

from anomalygen.core.formats import LogFormat
from anomalygen.core.session_spec import SessionSpec
from anomalygen.deploy.keyed import KeyedLines, KeyRule
from anomalygen.logs.matcher import positions
from anomalygen.logs.parse import EventColumns, ParsedLine

UNMATCHED = "UNMATCHED"  # the event of a line no statement of the inventory prints
LINE_BITS = 40  # a kept line's place: file index << LINE_BITS | line number


@dataclass(slots=True)
class OpenSession:
    """A session while its lines stream in: the in-progress builder, not a finished core `Session`. It stays
    its own type when it closes, because what scores and explains it reads its codes into the shared event table
    and the place and text of its kept lines, which a `Session` (lists of event ids) does not carry and which
    converting each closed session would rebuild for nothing."""

    key: str
    first: int  # number of the parsed line that opened it: sessions sort by it into log order
    names: list[str]  # event id of each code: one table shared by a Sessionizer
    files: list[str]  # file name of each file index: shared likewise
    codes: array  # the event of each line
    places: array  # file and line number of each kept line
    text: list[str]  # the message of each kept line
    last_line: int
    last_time: float
    closed_by: str  # idle | evicted | end | window

    def __init__(
        self,
        key: str,
        first: int = 0,
        names: list[str] | None = None,
        files: list[str] | None = None,
        codes: array | None = None,
    ):
        # written out: the generated one calls a factory per field, and detect opens a session every few lines
        self.key, self.first = key, first
        self.names = names if names is not None else []
        self.files = files if files is not None else []
        self.codes = codes if codes is not None else array("I")
        self.places, self.text = array("q"), []
        self.last_line, self.last_time, self.closed_by = 0, 0.0, ""

    @classmethod
    def of(cls, key: str, events: Sequence[str], first: int = 0) -> OpenSession:
        """A session from a list of event ids (no lines kept)."""
        names = list(dict.fromkeys(events))
        code = {e: i for i, e in enumerate(names)}
        return cls(key, first, names, codes=array("I", [code[e] for e in events]))

    @property
    def events(self) -> tuple[str, ...]:
        """The event id of each line: what the scorer's cache is keyed by."""
        return tuple(map(self.names.__getitem__, self.codes))

    @property
    def where(self) -> Places:
        """file:line of each kept line (formatted as it is read: an alarm's explanation reads only a few)."""
        return Places(self)

    @property
    def start(self) -> str | None:
        return self._place(self.places[0]) if self.places else None

    def _place(self, p: int) -> str:
        return f"{self.files[p >> LINE_BITS]}:{p & ((1 << LINE_BITS) - 1)}"


class Places(Sequence[str]):
    """`OpenSession.where`: a list-like view of a session's kept places; equal to a sequence of the same texts."""

    __slots__ = ("_s",)

    def __init__(self, session: OpenSession):
        self._s = session

    def __len__(self) -> int:
        return len(self._s.places)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return self._s._place(self._s.places[i])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    def __repr__(self) -> str:
        return repr(list(self))


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
    def __init__(
        self,
        spec: SessionSpec,
        fmt: LogFormat,
        idle_lines: int = 100_000,
        idle_seconds: float | None = None,
        max_open: int = 100_000,
        keep_events: int = 256,
        check_every: int = 256,
    ):
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
        out: list[OpenSession] = []
        for cols in EventColumns.of(lines, self.rule.fmt.content_index):
            out.extend(self.feed_block(self.rule.block(cols), now))
        return out

    def feed_block(self, block: KeyedLines, now: float = 0.0) -> list[OpenSession]:
        """As `feed`, from a block of `KeyRule.block`'s keyed lines, with the results of taking them one by one.
        The block goes in segments whose lines are grouped by session in C (numpy), so that a session costs a few
        Python-level steps per segment instead of each line several. Usually a segment is up to `idle_lines`
        lines long, checks included (`_long_segment`). Near `max_open`, and for windows, a segment ends at the
        first check that could close a session (the least recent one's idleness decides), and before a line
        that would open one session more than `max_open`: that line goes alone, so that evictions happen exactly
        as line by line."""
        out: list[OpenSession] = []
        m = len(block)
        if not m:
            return out
        codes = self._event_codes(block.events)
        f = self._file_index.get(block.file)
        if f is None:
            f = self._file_index[block.file] = len(self.files)
            self.files.append(block.file)
        linenos = block.linenos
        places = (
            np.arange(linenos.start, linenos.stop, dtype=np.int64)
            if isinstance(linenos, range)
            else np.asarray(linenos, dtype=np.int64)
        ) | (f << LINE_BITS)
        keys, key_lines, window = block.keys, block.key_lines, self.window
        every = window or self.check_every
        n0 = self.n
        a = 0
        while a < m:
            g = n0 + 1 + a  # the number of line a among all lines fed
            if not window and self.idle_lines > 0:  # the usual way: as far as no session it touches can go idle
                b = min(m, a + self.idle_lines)
                seg_keys, seg_lines = _keys_between(keys, key_lines, a, b)  # type: ignore[arg-type]  # no window: keys
                if self._overflow(seg_keys, seg_lines) is None:
                    self._long_segment(
                        seg_keys, seg_lines, key_lines is None, codes, places, block.texts, n0, a, b, now, out
                    )
                    self.n = n0 + b
                    a = b
                    continue
            check = g + (-g) % every  # the first check at or after it
            if not window:  # the first check that could close a session: the least recent one's
                due = (next(iter(self.open.values())).last_line if self.open else g) + self.idle_lines
                if due > check:
                    check = due + (-due) % every
            b = min(check - n0, m)  # through the check's line when it falls in this block
            if window:
                seg_keys, seg_lines = [f"w{(g - 1) // window}"] * (b - a), np.arange(a, b)
            else:
                seg_keys, seg_lines = _keys_between(keys, key_lines, a, b)  # type: ignore[arg-type]  # no window: keys
            cut = self._overflow(seg_keys, seg_lines)
            if cut is not None:  # stop before the line that opens one session too many; it goes alone
                b = cut if cut > a else a + 1
                kb = int(np.searchsorted(seg_lines, b))
                seg_keys, seg_lines = seg_keys[:kb], seg_lines[:kb]
            if seg_keys:
                self._segment(seg_keys, seg_lines, codes, places, block.texts, n0, now, out)
            self.n = n0 + b
            if b == check - n0:
                if window:
                    out.extend(self._close_all("window"))
                elif key_lines is None or (len(seg_lines) and seg_lines[-1] == b - 1):
                    out.extend(self.expire())  # (a check that falls on a line of no session is skipped)
            a = b
        return out

    def _long_segment(
        self,
        keys: list[str],
        lines: np.ndarray,
        every_line: bool,
        codes: np.ndarray,
        places: np.ndarray,
        texts: list[str],
        n0: int,
        a: int,
        b: int,
        now: float,
        out: list[OpenSession],
    ) -> None:
        """Lines a..b-1 of a block, at most `idle_lines` of them, with the checks that fall among them, given that
        no line opens a session past `max_open`. No session the segment touches can go idle before its end, so
        a check closes the sessions open before it and not touched since, idle by then: each such session closes
        at the first check after it went idle, unless its key comes back in the segment before that check (then
        the key's lines from there open a new session)."""
        every, idle, sessions = self.check_every, self.idle_lines, self.open
        first: dict[str, int] = {}  # key -> index of its first occurrence (keys in order of first occurrence)
        ids = np.fromiter(map(first.setdefault, keys, count()), np.int64, len(keys))
        g, end = n0 + 1 + a, n0 + b  # the numbers of the segment's first and last lines
        checks = np.arange(g + (-g) % every, end + 1, every)
        if not every_line:  # a check that falls on a line of no session is skipped
            checks = checks[np.isin(checks - (n0 + 1), lines)]
        closed: list[OpenSession] = []
        dues: list[int] = []  # the check that closes each
        if len(checks) and sessions:
            last_check = int(checks[-1])
            idle_by_then = list(takewhile(lambda s: s.last_line + idle <= last_check, sessions.values()))
            if idle_by_then:  # (the sessions are in order of their last lines)
                came = lines[list(first.values())] + (n0 + 1)  # where each key first comes
                back = dict(zip(first, came.tolist(), strict=True))
                due_at = checks[np.searchsorted(checks, [s.last_line + idle for s in idle_by_then])].tolist()
                for s, due in zip(idle_by_then, due_at, strict=True):
                    if back.get(s.key, end + 1) > due:
                        s.closed_by = "idle"
                        closed.append(s)
                        dues.append(due)
        opened_before = len(sessions)
        for s in closed:
            del sessions[s.key]
        if closed:
            fresh = [i for k, i in first.items() if k not in sessions]
            self.counts.closed_idle += len(closed)
            out.extend(closed)
            # the most open at once: right after some session opened, less those closed by checks before it
            opens = np.sort(lines[fresh]) + (n0 + 1)
            gone = np.searchsorted(np.array(dues), opens, side="left")
            most = int((opened_before + np.arange(1, len(opens) + 1) - gone).max()) if len(opens) else 0
            if most > self.counts.max_open:
                self.counts.max_open = most
        if keys:
            self._segment(keys, lines, codes, places, texts, n0, now, out, first, ids)

    def _overflow(self, keys: list[str], lines: np.ndarray) -> int | None:
        """The line where a segment would open more sessions than `max_open` allows at once, if any."""
        sessions = self.open
        room = self.max_open - len(sessions)
        if len(keys) <= room:  # the usual case: it cannot
            return None
        first = dict(zip(reversed(keys), range(len(keys) - 1, -1, -1), strict=True))  # key -> where it first comes
        fresh = sorted(i for k, i in first.items() if k not in sessions)
        return int(lines[fresh[room]]) if len(fresh) > room else None

    def _segment(
        self,
        keys: list[str],
        lines: np.ndarray,
        codes: np.ndarray,
        places: np.ndarray,
        texts: list[str],
        n0: int,
        now: float,
        out: list[OpenSession],
        first: dict | None = None,
        ids: np.ndarray | None = None,
    ) -> None:
        """Add a segment's lines to their sessions: `keys[i]` is a key of the block's line `lines[i]`. (`first`,
        `ids`: the key -> first index table and each key's first index, when the caller has them.)"""
        sessions, counts, keep = self.open, self.counts, self.keep
        if first is None:
            first = {}  # key -> index of its first occurrence; keys in order of first occurrence
            ids = np.fromiter(map(first.setdefault, keys, count()), np.int64, len(keys))
        # grouped by key, each group in line order (a caller that gives `first` gives `ids`)
        order = np.argsort(ids, kind="stable")  # type: ignore[arg-type]
        starts = np.flatnonzero(np.diff(ids[order], prepend=-1))  # type: ignore[index]  # as above
        ends = np.append(starts[1:], len(keys))
        at = lines[order]
        code_bytes = memoryview(codes[at].tobytes())  # slices of a memoryview copy nothing
        place_bytes = memoryview(places[at].tobytes())
        text = list(map(texts.__getitem__, at.tolist()))
        # sessions touched in the order each was last touched: the order line-by-line moves would leave them in
        by_last = np.argsort(order[ends - 1])
        starts, ends = starts[by_last], ends[by_last]
        group_keys = list(first)
        names, files, max_open = self.names, self.files, self.max_open
        get, to_end = sessions.get, sessions.move_to_end
        for g, i, j, opened, last in zip(
            by_last.tolist(),
            starts.tolist(),
            ends.tolist(),
            (at[starts] + (n0 + 1)).tolist(),
            (at[ends - 1] + (n0 + 1)).tolist(),
            strict=True,
        ):
            key = group_keys[g]
            s = get(key)
            if s is None:
                s = sessions[key] = OpenSession(key, opened, names, files)
                counts.opened += 1
                if len(sessions) > max_open:  # only in a segment of one line (`_overflow`)
                    old = sessions.popitem(last=False)[1]
                    old.closed_by = "evicted"
                    counts.evicted += 1
                    out.append(old)
            else:
                to_end(key)
            s.codes.frombytes(code_bytes[4 * i : 4 * j])
            room = keep - len(s.text)
            if room > 0:
                if j - i > room:
                    j = i + room
                s.places.frombytes(place_bytes[8 * i : 8 * j])
                s.text.extend(text[i:j])
            s.last_line = last
            s.last_time = now
        if len(sessions) > counts.max_open:
            counts.max_open = len(sessions)

    def _event_codes(self, events: list[str]) -> np.ndarray:
        """The code of each event id in the shared table, new ids added; a line no statement matched: UNMATCHED."""
        codes, names = self._codes, self.names
        got = list(map(codes.get, events))
        for i in positions(got, None):
            ev = events[i]
            code = codes.get(ev)
            if code is None:
                name = ev or UNMATCHED
                code = codes.get(name)
                if code is None:
                    code = codes[name] = len(names)
                    names.append(name)
                codes[ev] = code
            got[i] = code
        return np.array(got, dtype=np.uint32)

    def expire(self, now: float | None = None) -> list[OpenSession]:
        """Close the sessions idle for `idle_lines` lines, or, given `now`, for `idle_seconds`; least recent
        first. Line counts alone decide on a file, so results do not depend on timing."""
        out = []
        timed = now is not None and self.idle_seconds is not None
        while self.open:
            s = next(iter(self.open.values()))
            # `timed`: now and idle_seconds are both given
            idle = self.n - s.last_line >= self.idle_lines or (timed and now - s.last_time >= self.idle_seconds)  # type: ignore[operator]
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


def _keys_between(keys: list[str], key_lines: np.ndarray | None, a: int, b: int) -> tuple[list[str], np.ndarray]:
    """The keys of a block's lines a..b-1, and the line of each."""
    if key_lines is None:
        return keys[a:b], np.arange(a, b)
    ka, kb = np.searchsorted(key_lines, (a, b)).tolist()
    return keys[ka:kb], key_lines[ka:kb]


def supports(sessions_by: str) -> bool:
    """Whether `detect` can form sessions by this `--sessions-by` rule."""
    try:
        spec = SessionSpec.parse(sessions_by)
    except ValueError:
        return False
    return spec.kind in ("id", "field") or (spec.kind == "window-count" and spec.step == spec.size)
