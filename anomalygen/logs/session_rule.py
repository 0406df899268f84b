"""Choosing how lines form sessions from the log itself, when the user names no rule.

An identifier that most lines carry makes the best session (one request, one block, one client session): the
candidates are HDFS block ids, ZooKeeper client session ids (`0x` + 12-16 hex digits; zxids are shorter), request
ids and UUIDs, and YARN application ids. With labels, the identifier whose values the labels name wins whatever
its share. Otherwise, when no identifier reaches `MIN_SHARE` of the lines, sessions are time windows per server
(each log file is its own stream: `by_time` starts a new segment when time goes back), sized so that a typical
window holds a few lines: the smallest of `WINDOW_SIZES` whose median non-empty window has `MIN_WINDOW_LINES`.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from anomalygen.core.formats import LogFormat
from anomalygen.core.session_spec import HDFS_BLOCK
from anomalygen.logs.reader import read_logs

# name -> (what it is, regex of one identifier; the --by text is `regex:` + the regex, except HDFS's `id`)
IDENTIFIERS: dict[str, tuple[str, str]] = {
    "hdfs_block": ("HDFS block id", HDFS_BLOCK),
    "zk_session": ("ZooKeeper client session id", r"\b0x[0-9a-fA-F]{12,16}\b"),
    "request_id": ("request id", r"(?i)\breq(?:uest)?[-_ ]?id[=: ]+([\w.-]+)"),
    "uuid": ("UUID", r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"),
    "application": ("YARN application id", r"\bapplication_\d+_\d+\b"),
}
MIN_SHARE = 0.5  # "most lines": an identifier on fewer lines leaves most of the log outside every session
SAMPLE_LINES = 50_000  # per call: the rule is decided on the first lines of the logs
WINDOW_SIZES = (10, 30, 60, 120, 300, 600, 1800, 3600)
MIN_WINDOW_LINES = 5
DEFAULT_WINDOW = 60


@dataclass
class SessionRule:
    by: str  # the --by / --sessions-by text
    kind: str  # identifier | window
    reason: str  # one sentence, printed and recorded
    shares: dict  # identifier name -> share of sampled lines carrying it
    sampled_lines: int
    window_seconds: float | None = None
    median_window_lines: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def by_text(name: str) -> str:
    return "id" if name == "hdfs_block" else "regex:" + IDENTIFIERS[name][1]


def _found(rx: re.Pattern, content: str) -> list[str]:
    return [m if isinstance(m, str) else m[0] for m in rx.findall(content)]


def infer_rule(
    logs: Iterable[str | Path], fmt: LogFormat, label_ids: Iterable[str] = (), sample: int = SAMPLE_LINES
) -> SessionRule:
    """The session rule for these logs (see the module text); reads at most `sample` parsed lines."""
    rxs = {name: re.compile(pat) for name, (_, pat) in IDENTIFIERS.items()}
    carrying = dict.fromkeys(IDENTIFIERS, 0)
    labelled = dict.fromkeys(IDENTIFIERS, 0)
    wanted = set(map(str, label_ids))
    times: list[tuple[str, float]] = []
    n = 0
    for rec in read_logs(logs, fmt):
        n += 1
        for name, rx in rxs.items():
            ids = _found(rx, rec.content)
            if ids:
                carrying[name] += 1
                labelled[name] += any(i in wanted for i in ids)
        t = fmt.timestamp(rec.fields)
        if t is not None:
            times.append((rec.file, t))
        if n >= sample:
            break
    shares = {k: round(v / n, 4) if n else 0.0 for k, v in carrying.items()}
    if wanted and max(labelled.values()) > 0:
        name = max(labelled, key=lambda k: (labelled[k], carrying[k]))
        return SessionRule(
            by_text(name),
            "identifier",
            f"the labels name {IDENTIFIERS[name][0]}s, carried by {labelled[name]} of {n} sampled lines",
            shares,
            n,
        )
    best = max(shares, key=lambda k: shares[k]) if shares else None
    if best is not None and shares[best] >= MIN_SHARE:
        return SessionRule(
            by_text(best),
            "identifier",
            f"{100 * shares[best]:.0f}% of {n} sampled lines carry a {IDENTIFIERS[best][0]}",
            shares,
            n,
        )
    top = (
        f"the most common identifier ({IDENTIFIERS[best][0]}) is on {100 * shares[best]:.0f}% of {n} sampled lines"
        if best is not None and shares[best] > 0
        else f"no known identifier is on any of {n} sampled lines"
    )
    if not times:
        return SessionRule(
            f"window:count:{DEFAULT_WINDOW}",
            "window",
            f"{top}, and the lines carry no timestamp: windows of {DEFAULT_WINDOW} lines",
            shares,
            n,
        )
    size, median = window_size(times)
    return SessionRule(
        f"window:time:{size:g}",
        "window",
        f"{top} (under {100 * MIN_SHARE:.0f}%): time windows of {size:g} s per server (log file), "
        f"the smallest size whose median window holds {MIN_WINDOW_LINES}+ lines ({median:g})",
        shares,
        n,
        float(size),
        median,
    )


def window_size(times: list[tuple[str, float]]) -> tuple[float, float]:
    """The smallest of WINDOW_SIZES whose median non-empty window (per file) holds MIN_WINDOW_LINES lines."""
    median = 0.0
    for size in WINDOW_SIZES:
        counts: dict[tuple[str, int], int] = {}
        for file, t in times:
            key = (file, int(t // size))
            counts[key] = counts.get(key, 0) + 1
        median = float(statistics.median(counts.values()))
        if median >= MIN_WINDOW_LINES:
            return size, median
    return WINDOW_SIZES[-1], median
