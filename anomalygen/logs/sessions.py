"""Grouping parsed log lines into sessions, and joining labels.

Session keys:
* an identifier found in the message (`--by id` with HDFS's `blk_-?\\d+` by default; a line naming several
  identifiers goes to each of them, once);
* a header field (`--by field:Pid`, a thread or node) or an identifier regex (`--by regex:PATTERN`, first group if any);
* fixed or sliding windows over line counts (`window:count:SIZE[:STEP]`) or time (`window:time:SECONDS[:STEP]`).

Identifier and field sessions are kept in memory as arrays of event numbers (4 bytes an event), the only state
that grows with the log; windows stream. Sessions come out in order of their first line.

Output rows (`write_sessions_jsonl`) carry `session_id`, `label` (0/1, or null when no label is known), `events`
(statement ids or `D<n>` fallback ids), `templates`, `start` (`file:line` of the first line), `lines`: the row of a
core `Session` (`anomalygen.core.sessions`); with a label they load with
`anomalygen.core.datasets.load_sessions_jsonl`.
"""

from __future__ import annotations

import json
import re
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from anomalygen.atomic import atomic_open
from anomalygen.core.formats import LogFormat
from anomalygen.core.session_spec import HDFS_BLOCK, SessionSpec
from anomalygen.core.sessions import DataFormatError, Session, parse_label
from anomalygen.jsonl import Skipped, note_or_raise, read_jsonl, require_some
from anomalygen.logs.parse import ParsedLine


class _Vocab:
    def __init__(self) -> None:
        self.index: dict[tuple[str, str], int] = {}
        self.items: list[tuple[str, str]] = []

    def __call__(self, event: str, template: str) -> int:
        key = (event, template)
        i = self.index.get(key)
        if i is None:
            i = self.index[key] = len(self.items)
            self.items.append(key)
        return i


def by_identifier(
    lines: Iterable[ParsedLine],
    pattern: str = HDFS_BLOCK,
    fmt: LogFormat | None = None,
    field_name: str | None = None,
    flag: Callable[[ParsedLine], bool] | None = None,
) -> Iterator[Session]:
    """Sessions keyed by identifiers in the message (or by a header field) of parsed lines;
    with `flag`, each session's `extra["flagged"]` counts its lines for which flag(line) holds."""
    rx = re.compile(pattern) if pattern else None
    fi = fmt.fields.index(field_name) if (fmt is not None and field_name) else -1
    if field_name and fi < 0:
        raise ValueError(f"no header field {field_name!r}")
    vocab = _Vocab()
    sessions: dict[str, array] = {}
    starts: dict[str, str] = {}
    flagged: dict[str, int] = {}
    content_i = fmt.content_index if fmt is not None else None
    for ln in lines:
        values = ln.fields
        if fi >= 0:
            ids = [values[fi]]
        else:
            msg = values[content_i] if content_i is not None else values[-1]
            found = rx.findall(msg)  # type: ignore[union-attr]  # without a header field there is a pattern
            if not found:
                continue
            ids = list(dict.fromkeys(found)) if len(found) > 1 else found
        ev = vocab(ln.event_id, ln.template)
        hit = flag is not None and flag(ln)
        for sid in ids:
            if hit:
                flagged[sid] = flagged.get(sid, 0) + 1
            arr = sessions.get(sid)
            if arr is None:
                arr = sessions[sid] = array("I")
                starts[sid] = f"{ln.file}:{ln.lineno}"
            arr.append(ev)
    items = vocab.items
    for sid, arr in sessions.items():
        evs = [items[i] for i in arr]
        extra = {"flagged": flagged.get(sid, 0)} if flag is not None else {}
        yield _cut(sid, [e for e, _ in evs], [t for _, t in evs], starts[sid], extra)


def by_count(
    lines: Iterable[ParsedLine], size: int, step: int, flag: Callable[[ParsedLine], bool] | None = None
) -> Iterator[Session]:
    """Windows of `size` consecutive lines, one starting every `step` lines (fixed windows when step == size).
    The window after the last full one is emitted partial when it holds any line."""
    size, step = int(size), int(step)
    win: deque = deque(maxlen=size)
    n = 0
    next_start = 0
    for ln in lines:
        win.append(ln)
        n += 1
        if n - size == next_start:
            yield _window(f"w{next_start // step}", list(win), flag=flag)
            next_start += step
    if next_start < n:
        yield _window(f"w{next_start // step}", list(win)[len(win) - (n - next_start) :], flag=flag)


def by_time(
    lines: Iterable[ParsedLine],
    timestamp: Callable[[ParsedLine], float | None],
    size: float,
    step: float,
    on_bad: Callable[[ParsedLine], None] | None = None,
    flag: Callable[[ParsedLine], bool] | None = None,
) -> Iterator[Session]:
    """Windows [t0 + k*step, t0 + k*step + size) over line timestamps, t0 being the first line's time.

    A line earlier than every window still open (time went back: logs of several nodes one after the other, as
    in loghub's ZooKeeper sample) closes the open windows and starts a new segment at its own time; window ids are
    `t<segment>.<k>`. Empty windows are not emitted. A line without a timestamp goes to `on_bad`."""
    win: list[tuple[float, ParsedLine]] = []
    t0 = 0.0
    k = 0
    seg = -1

    def emit_one() -> Iterator[Session]:
        nonlocal k, win
        lo = t0 + k * step
        got = [x for tx, x in win if lo <= tx < lo + size]
        if got:
            yield _window(f"t{seg}.{k}", got, {"window_start": lo}, flag)
        k += 1
        nxt = t0 + k * step
        win = [w for w in win if w[0] >= nxt]
        if win:  # skip the empty windows before the earliest line left
            first = min(w[0] for w in win)
            k = max(k, int((first - t0 - size) // step) + 1)

    for ln in lines:
        t = timestamp(ln)
        if t is None:
            if on_bad:
                on_bad(ln)
            continue
        if seg < 0 or t < t0 + k * step:
            while win:
                yield from emit_one()
            seg += 1
            t0, k = t, 0
        while t >= t0 + k * step + size:
            if win:
                yield from emit_one()
            else:
                k = max(k + 1, int((t - t0 - size) // step) + 1)
        win.append((t, ln))
    while win:
        yield from emit_one()


def _window(
    sid: str, lines: list[ParsedLine], extra: dict | None = None, flag: Callable[[ParsedLine], bool] | None = None
) -> Session:
    extra = dict(extra or {})
    if flag is not None:
        extra["flagged"] = sum(1 for x in lines if flag(x))
    start = f"{lines[0].file}:{lines[0].lineno}"
    return _cut(sid, [x.event_id for x in lines], [x.template for x in lines], start, extra)


def _cut(sid: str, events: list[str], templates: list[str], start: str, extra: dict) -> Session:
    """A session as the logs stage hands it on: unlabelled until labels are joined, its row counting its lines."""
    return Session(sid, None, events, templates, start=start, extra={"lines": len(events), **extra}, has_event_ids=True)


def timestamp_getter(fmt: LogFormat) -> Callable[[ParsedLine], float | None]:
    """`ParsedLine -> seconds`, memoised on the time fields (consecutive lines share them)."""
    last: list = [None, None]

    def get(ln: ParsedLine) -> float | None:
        values = ln.fields
        if values is last[0]:
            return last[1]
        t = fmt.timestamp(values)
        last[0], last[1] = values, t
        return t

    return get


def group(
    lines: Iterable[ParsedLine],
    spec: SessionSpec,
    fmt: LogFormat,
    on_bad_time: Callable[[ParsedLine], None] | None = None,
    flag: Callable[[ParsedLine], bool] | None = None,
) -> Iterator[Session]:
    if spec.kind == "id":
        return by_identifier(lines, spec.pattern or HDFS_BLOCK, fmt, flag=flag)
    if spec.kind == "field":
        return by_identifier(lines, "", fmt, field_name=spec.field, flag=flag)
    if spec.kind == "window-count":
        return by_count(lines, int(spec.size), int(spec.step), flag)
    return by_time(lines, timestamp_getter(fmt), spec.size, spec.step, on_bad_time, flag)


# -- labels ---------------------------------------------------------------------------------------------------


def load_labels(path: str | Path, skipped: Skipped | None = None, conflict: str = "error") -> dict[str, int]:
    """Session id -> 0/1 from loghub's `anomaly_label.csv` (`BlockId,Label`) or a sessions JSONL with labels
    (`block_id`/`session_id` + `label`, e.g. `HDFS_100k.sessions.jsonl`); bad records go to `skipped`; an id
    labelled twice, differently, is an error naming both lines unless `conflict` is first or last."""
    from anomalygen.core.datasets import LabelTable, load_label_csv

    path = Path(path)
    if path.suffix in (".jsonl", ".json"):
        table = LabelTable(path, conflict)
        for n, obj in read_jsonl(path, DataFormatError, skipped):
            sid = obj.get("session_id", obj.get("block_id"))
            if sid is None or obj.get("label") is None:
                continue
            try:
                label = parse_label(obj["label"], f"{path}:{n}")
            except DataFormatError as err:
                note_or_raise(skipped, err)
                continue
            table.add(str(sid), label, n)
        require_some(len(table.labels), skipped, path, DataFormatError)
        return table.labels
    return load_label_csv(path, skipped, conflict)


def unmatched_labels(labels: dict[str, int], keys: Iterable[str], path: str | Path | None) -> str | None:
    """A warning when some labels name no session of the logs (a label file of other logs, another id format)."""
    gone = len(set(labels) - set(keys))
    if not gone:
        return None
    return f"{gone} of the {len(labels)} labels in {path} name no session of the logs" + (
        "" if gone < len(labels) else ": are they the labels of these logs, by the same session ids?"
    )


def weak_error_labels(sessions: Iterable[Session]) -> Iterator[Session]:
    """The paper's ZooKeeper rule: a session with an ERROR line (counted in `extra["flagged"]`) is anomalous.
    Weak: an ERROR line is not a failure, nor its absence health; each row says `label_source: weak:error`."""
    for s in sessions:
        s.label = int(s.extra.pop("flagged", 0) > 0)
        s.extra["label_source"] = "weak:error"
        yield s


def attach_labels(sessions: Iterable[Session], labels: dict[str, int]) -> Iterator[Session]:
    for s in sessions:
        s.label = labels.get(s.session_id)
        yield s


def write_sessions_jsonl(sessions: Iterable[Session], path: str | Path) -> dict:
    """Write sessions; returns counts (sessions, labelled, anomalous, lines)."""
    n = labelled = anomalous = lines = 0
    with atomic_open(path, "w") as fh:
        for s in sessions:
            fh.write(json.dumps(s.to_dict(), ensure_ascii=False) + "\n")
            n += 1
            lines += len(s.events)
            if s.label is not None:
                labelled += 1
                anomalous += s.label == 1
    return {"sessions": n, "labelled": labelled, "anomalous": anomalous, "events": lines}
