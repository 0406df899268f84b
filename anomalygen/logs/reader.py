"""Streaming raw-log reader with bad-input accounting.

Files are read in blocks of `chunk_bytes` and cut at line ends, so memory stays bounded (about two blocks plus
`max_line_bytes`) however large the log: the full 11M-line HDFS_v1 goes through the same code. Plain and `.gz`
files are accepted.

Nothing aborts a run: every line read is either parsed (it fits the header format) or rejected with a kind, and
`lines_read == parsed + rejected` always holds. Problems that do not cost the line are warnings. Each kind keeps
a few `file:line` examples.

Rejections: `empty_line`; `header_mismatch` (does not fit the format); `continuation` (does not fit, follows a
parsed line and looks like part of a stack trace: indented, `Caused by`, an exception name); `binary` (NUL bytes);
`too_long` (over `max_line_bytes`).
Warnings: `non_utf8` (bytes replaced by U+FFFD, the line is kept), `no_final_newline` (a truncated last line, kept),
`empty_file`, `unreadable_file`, `truncated_archive` (a `.gz` stream that ends early).
"""

from __future__ import annotations

import gzip
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from anomalygen.core.formats import LogFormat
from anomalygen.printable import printable

MAX_EXAMPLES = 3
CHUNK_BYTES = 1 << 20


@dataclass(slots=True)
class LogRecord:
    file: str
    lineno: int  # 1-based line number in `file`
    fields: tuple[str, ...]  # header fields in format order, Content included
    content: str


@dataclass
class ReadStats:
    lines_read: int = 0
    parsed: int = 0
    rejected: Counter = field(default_factory=Counter)
    warnings: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    files: int = 0

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    def note(self, kind: str, where: str, text: str = "", reject: bool = True) -> None:
        (self.rejected if reject else self.warnings)[kind] += 1
        ex = self.examples.setdefault(kind, [])
        if len(ex) < MAX_EXAMPLES:
            snippet = printable(text if len(text) <= 120 else text[:117] + "...")  # shown on terminals
            ex.append(f"{where}: {snippet}" if snippet else where)

    def to_dict(self) -> dict:
        return {
            "files": self.files,
            "lines_read": self.lines_read,
            "parsed": self.parsed,
            "rejected": self.rejected_total,
            "rejected_by_kind": dict(sorted(self.rejected.items())),
            "warnings_by_kind": dict(sorted(self.warnings.items())),
            "examples": {k: v for k, v in sorted(self.examples.items())},
        }


class Span(NamedTuple):
    """Part of a plain file that starts and ends at line starts: what one parallel parse task reads."""

    path: str
    start: int  # byte offset of its first line
    end: int  # byte offset just past its last line (the file's size for the last part)
    first_line: int  # line number of its first line


def _open(path: Path):
    if path.suffix == ".gz":
        return gzip.open(path, "rb")
    return open(path, "rb")


def _decode_block(block: bytes, name: str, first: int, stats: ReadStats) -> list[str | None]:
    """Lines of a block that ends with a newline; None for a line rejected here (binary)."""
    try:
        text = block.decode("utf-8")
        lines: list[str | None] = text.split("\n")  # type: ignore[assignment]
        lines.pop()
    except UnicodeDecodeError:
        lines = []
        for i, raw in enumerate(block.split(b"\n")[:-1]):
            try:
                lines.append(raw.decode("utf-8"))
            except UnicodeDecodeError:
                line = raw.decode("utf-8", "replace")
                stats.note("non_utf8", f"{name}:{first + i}", line, reject=False)
                lines.append(line)
        text = None
    if text is None or "\x00" in text:
        for i, ln in enumerate(lines):
            if ln is not None and "\x00" in ln:
                stats.note("binary", f"{name}:{first + i}", ln.replace("\x00", "\\0"))
                lines[i] = None
    return lines


_CR = re.compile(rb"\r+\n|\r+(?=[^\r\n])")


def _unify_line_ends(data: bytes) -> bytes:
    """CRLF (also CRCRLF: a CRLF log passed through a tool that adds CRs) and a lone CR end a line like LF.
    CRs at the very end stay (their LF may follow in the next block): the caller keeps them back."""
    return _CR.sub(b"\n", data)


def iter_chunks(
    paths: Iterable[str | Path | Span], stats: ReadStats, chunk_bytes: int = CHUNK_BYTES, max_line_bytes: int = 1 << 20
) -> Iterator[tuple[str, int, list[str | None]]]:
    """(file name, line number of the first line, lines) blocks of whole files or `Span`s of them. Counts
    `lines_read`; a None line is already rejected (and counted); the caller parses or rejects every other line."""
    for p in paths:
        span = p if isinstance(p, Span) else None
        where = p.path if isinstance(p, Span) else p
        path, name = Path(where), str(where)
        stats.files += span is None or span.start == 0
        try:
            fh = _open(path)
        except OSError as err:
            stats.note("unreadable_file", name, f"{type(err).__name__}: {err.strerror or err}", reject=False)
            continue
        left = -1  # bytes of the span still to read (-1: to the end of the file)
        if span is not None:
            fh.seek(span.start)
            left = span.end - span.start
        lineno = span.first_line if span else 1  # number of the next line to hand out
        carry = b""
        skipping = False  # inside an over-long line
        broken = False
        # a truncated .gz loses what the failing read() had decompressed: keep those reads small
        size = min(chunk_bytes, 1 << 16) if path.suffix == ".gz" else chunk_bytes
        with fh:
            while True:
                try:
                    data = fh.read(size if left < 0 else min(size, left))
                    left -= len(data) if left > 0 else 0
                except EOFError:
                    stats.note("truncated_archive", f"{name}:{lineno}", "compressed stream ends early", reject=False)
                    data = b""
                    broken = True
                except OSError as err:
                    stats.note("unreadable_file", f"{name}:{lineno}", str(err), reject=False)
                    data = b""
                    broken = True
                if not data:
                    break
                if skipping:
                    nl = data.find(b"\n")
                    if nl < 0:
                        continue
                    data = data[nl + 1 :]
                    skipping = False
                    stats.lines_read += 1
                    stats.note("too_long", f"{name}:{lineno}", f"line longer than {max_line_bytes} bytes")
                    lineno += 1
                if carry:
                    data = carry + data
                tail_cr = b""  # CRs at the very end: their LF may come with the next read
                if b"\r" in data:
                    data = _unify_line_ends(data)
                    body = data.rstrip(b"\r")
                    data, tail_cr = body, data[len(body) :]
                cut = data.rfind(b"\n")
                if cut < 0:
                    if len(data) > max_line_bytes:
                        skipping, carry = True, b""
                    else:
                        carry = data + tail_cr
                    continue
                block, carry = data[: cut + 1], data[cut + 1 :] + tail_cr
                if len(carry) > max_line_bytes:
                    skipping, carry = True, b""
                lines = _decode_block(block, name, lineno, stats)
                stats.lines_read += len(lines)
                yield name, lineno, lines
                lineno += len(lines)
            if skipping:
                stats.lines_read += 1
                stats.note("too_long", f"{name}:{lineno}", f"line longer than {max_line_bytes} bytes")
                lineno += 1
            elif carry.endswith(b"\r"):  # the file ends with a CR: its last line is complete
                if carry.rstrip(b"\r"):
                    lines = _decode_block(carry.rstrip(b"\r") + b"\n", name, lineno, stats)
                    stats.lines_read += len(lines)
                    yield name, lineno, lines
                    lineno += len(lines)
            elif carry:
                stats.note(
                    "no_final_newline", f"{name}:{lineno}", "last line has no newline (truncated file?)", reject=False
                )
                lines = _decode_block(carry + b"\n", name, lineno, stats)
                stats.lines_read += len(lines)
                yield name, lineno, lines
                lineno += len(lines)
        if lineno == 1 and not broken and span is None:
            stats.note("empty_file", name, "no lines", reject=False)


class Rejector:
    """Classifies a line that does not fit the header format (needs the previous line's outcome)."""

    __slots__ = ("mismatch", "prev_parsed", "stats")

    def __init__(self, stats: ReadStats, mismatch: str = "header_mismatch"):
        self.stats = stats
        self.prev_parsed = False
        self.mismatch = mismatch  # the kind a line that fits no header is counted as (JSON lines: bad_json)

    def reject(self, line: str | None, where: str) -> None:
        if line is None:  # rejected while decoding
            self.prev_parsed = False
            return
        if not line.strip():
            self.stats.note("empty_line", where)
        elif self.prev_parsed and self.mismatch == "header_mismatch" and _looks_continued(line):
            self.stats.note("continuation", where, line)  # (a JSON record is one line: nothing continues it)
        else:
            self.stats.note(self.mismatch, where, line)
            self.prev_parsed = False


def read_logs(paths: Iterable[str | Path], fmt: LogFormat, stats: ReadStats | None = None, **kw) -> Iterator[LogRecord]:
    """Parsed records of the files in order; `stats` (if given) is filled as the stream is consumed."""
    stats = stats if stats is not None else ReadStats()
    split = fmt.split
    ci = fmt.content_index
    rej = Rejector(stats, fmt.mismatch_kind)
    for name, first, lines in iter_chunks(paths, stats, **kw):
        for i, line in enumerate(lines):
            values = split(line) if line is not None else None
            if values is None:
                rej.reject(line, f"{name}:{first + i}")
                continue
            stats.parsed += 1
            rej.prev_parsed = True
            yield LogRecord(name, first + i, values, values[ci])


def _looks_continued(line: str) -> bool:
    if line[0].isspace() or line.startswith(("Caused by", "...", "at ")):
        return True
    head = line.split(None, 1)[0].rstrip(":")
    return "." in head and head.endswith(("Exception", "Error", "Throwable"))
