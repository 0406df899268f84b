"""Where `detect` reads lines from: files (plain or `.gz`, via the logs stage's reader), stdin (`-`), and a
growing file followed like `tail -F`: appended lines are picked up, and when the file is rotated (the path
now names another file) or truncated in place, the rest of the old file is read and the new one is followed
from its first line.

Every source yields `(file name, first line number, lines)` blocks and counts `lines_read` in a `ReadStats`,
as `anomalygen.logs.reader.iter_chunks` does, so the parser and its bad-line accounting are the same ones.
A followed source also yields empty blocks while nothing arrives, so that the caller can close idle sessions.

A copytruncate can be followed by the writer growing the file past the offset read so far before the next check;
its size then says nothing. So the follower keeps the last bytes it read (`TAIL_BYTES`) and, before each read,
checks that the file still holds them just before its offset: when it does not, the file was rewritten, and it is
read again from its first line.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from anomalygen.logs.reader import CHUNK_BYTES, ReadStats, _decode_block, iter_chunks

STDIN = "-"
TAIL_BYTES = 256  # what identifies the content read so far: a few lines, timestamps included
Chunk = tuple[str, int, list]


class _Lines:
    """Bytes in, complete decoded lines out; keeps the unfinished tail and the line count of one file."""

    def __init__(self, name: str, stats: ReadStats, max_line_bytes: int):
        self.name, self.stats, self.max_line_bytes = name, stats, max_line_bytes
        self.carry = b""
        self.lineno = 1  # number of the next line handed out
        self.skipping = False  # inside an over-long line

    def feed(self, data: bytes) -> Chunk | None:
        if self.skipping:
            nl = data.find(b"\n")
            if nl < 0:
                return None
            data, self.skipping = data[nl + 1 :], False
            self._too_long()
        data = self.carry + data
        cut = data.rfind(b"\n")
        if cut < 0:
            self.carry = data
            if len(data) > self.max_line_bytes:
                self.carry, self.skipping = b"", True
            return None
        block, self.carry = data[: cut + 1], data[cut + 1 :]
        return self._emit(block)

    def finish(self) -> Chunk | None:
        """The last line of a file that ends without a newline (a writer mid-line, or a truncated file)."""
        if self.skipping:
            self.skipping = False
            self._too_long()
        if not self.carry:
            return None
        self.stats.note("no_final_newline", f"{self.name}:{self.lineno}", "last line has no newline", reject=False)
        block, self.carry = self.carry + b"\n", b""
        return self._emit(block)

    def _too_long(self) -> None:
        self.stats.lines_read += 1
        self.stats.note("too_long", f"{self.name}:{self.lineno}", f"line longer than {self.max_line_bytes} bytes")
        self.lineno += 1

    def _emit(self, block: bytes) -> Chunk:
        lines = _decode_block(block, self.name, self.lineno, self.stats)
        self.stats.lines_read += len(lines)
        first, self.lineno = self.lineno, self.lineno + len(lines)
        return self.name, first, lines


def read_stdin(stats: ReadStats, max_line_bytes: int = 1 << 20) -> Iterator[Chunk]:
    stats.files += 1
    buf = _Lines("<stdin>", stats, max_line_bytes)
    raw = sys.stdin.buffer
    while True:
        # whatever has arrived: a pipe from a live writer is not held back (stdin's buffer is a BufferedReader)
        data = raw.read1(CHUNK_BYTES)  # type: ignore[union-attr]
        if not data:
            break
        got = buf.feed(data)
        if got:
            yield got
    last = buf.finish()
    if last:
        yield last


def follow(
    path: Path, stats: ReadStats, stop: Callable[[], bool], poll: float = 0.2, max_line_bytes: int = 1 << 20
) -> Iterator[Chunk]:
    """`tail -F` from the first line: until `stop()` is true, read what is appended, and switch files when
    the path is rotated or truncated. Empty blocks mark polls that found nothing."""
    name = str(path)
    stats.files += 1
    fh = None
    ino = None
    tail = b""  # the last bytes read from the open file, which it holds just before the offset while unchanged
    buf = _Lines(name, stats, max_line_bytes)
    try:
        while not stop():
            if fh is None:
                try:
                    fh = open(path, "rb")  # noqa: SIM115 - held across polls; closed when the file is switched or at the end
                except FileNotFoundError:  # not created yet, or between rotation steps
                    yield name, buf.lineno, []
                    time.sleep(poll)
                    continue
                ino, tail = os.fstat(fh.fileno()).st_ino, b""
            # truncated and regrown past the offset since the last check: the file is switched without reading
            if not (tail and _rewritten(fh, tail)):
                data = fh.read(CHUNK_BYTES)
                if data:
                    tail = data[-TAIL_BYTES:] if len(data) >= TAIL_BYTES else (tail + data)[-TAIL_BYTES:]
                    got = buf.feed(data)
                    if got:
                        yield got
                    continue
                if not _replaced(path, ino, fh.tell()):
                    yield name, buf.lineno, []
                    time.sleep(poll)
                    continue
            # switched (rotated, truncated, rewritten): the old file's last bytes were read, so close it off
            last = buf.finish()
            if last:
                yield last
            fh.close()
            fh = None
            buf = _Lines(name, stats, max_line_bytes)
        last = buf.finish()
        if last:
            yield last
    finally:
        if fh is not None:
            fh.close()


def _rewritten(fh, tail: bytes) -> bool:
    """Whether the bytes just before the offset are no longer the ones read there."""
    pos = fh.tell()
    return pos < len(tail) or os.pread(fh.fileno(), len(tail), pos - len(tail)) != tail


def _replaced(path: Path, ino: int | None, pos: int) -> bool:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False  # moved away and not yet recreated: keep reading the old file
    return st.st_ino != ino or st.st_size < pos


def line_source(
    paths: Sequence[str | Path],
    stats: ReadStats,
    follow_last: bool = False,
    stop: Callable[[], bool] = lambda: False,
    poll: float = 0.2,
) -> Iterator[Chunk]:
    """All `paths` in order (`-` is stdin); with `follow_last` the last one is followed until `stop()`."""
    paths = list(paths)
    for i, p in enumerate(paths):
        last = i == len(paths) - 1
        if str(p) == STDIN:
            yield from read_stdin(stats)
        elif follow_last and last:
            yield from follow(Path(p), stats, stop, poll)
        else:
            yield from iter_chunks([p], stats)
