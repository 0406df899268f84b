"""Output files written whole or not at all.

Every writer of the package goes through here: the bytes go to a temporary name in the same folder (so the final
rename stays on one file system, where `os.replace` is atomic) and the file appears under its real name only once
it is complete. A process killed mid-write leaves the previous file (or none) plus a temporary that
`remove_stale` clears; never a truncated output under the real name.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

MARK = ".part-"  # temporary names: .<stem>.part-<pid><suffix>; the suffix stays so libraries pick the format


def temp_name(path: Path) -> Path:
    return path.with_name(f".{path.stem}{MARK}{os.getpid()}{path.suffix}")


def is_temp(path: Path) -> bool:
    return path.name.startswith(".") and MARK in path.name


class AtomicFile:
    """An open temporary file that becomes `path` on `commit()` and disappears on `discard()`."""

    def __init__(self, path: str | Path, mode: str = "w", encoding: str | None = "utf-8", newline: str | None = None):
        self.path = Path(path)
        self.tmp = temp_name(self.path)
        binary = "b" in mode
        self.fh: IO = open(self.tmp, mode, encoding=None if binary else encoding, newline=None if binary else newline)

    def commit(self) -> None:
        self.fh.close()
        os.replace(self.tmp, self.path)

    def discard(self) -> None:
        self.fh.close()
        self.tmp.unlink(missing_ok=True)


@contextmanager
def atomic_open(path: str | Path, mode: str = "w", encoding: str | None = "utf-8",
                newline: str | None = None) -> Iterator[IO]:
    """`open(path, mode)` whose result appears under `path` only if the block ends without an exception."""
    f = AtomicFile(path, mode, encoding, newline)
    try:
        yield f.fh
    except BaseException:
        f.discard()
        raise
    f.commit()


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path for libraries that write by file name (matplotlib, pyarrow); renamed to `path` after."""
    path = Path(path)
    tmp = temp_name(path)
    try:
        yield tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)


def write_text(path: str | Path, text: str, encoding: str = "utf-8") -> None:
    with atomic_open(path, "w", encoding=encoding, newline="") as fh:
        fh.write(text)


def savefig(fig, path: str | Path, **kw) -> None:
    """`fig.savefig(path)`, atomically (the format follows the real name's suffix)."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, **kw)


def remove_stale(folder: Path) -> list[Path]:
    """Delete temporaries a killed process left in `folder` (not below it); returns what was removed."""
    gone = []
    if folder.is_dir():
        for p in sorted(folder.iterdir()):
            if p.is_file() and is_temp(p):
                p.unlink(missing_ok=True)
                gone.append(p)
    return gone

