"""Output files written whole or not at all.

Every writer of the package goes through here: the bytes go to a temporary name in the same folder (so the final
rename stays on one file system, where `os.replace` is atomic) and the file appears under its real name only once
it is complete. A process killed mid-write leaves the previous file (or none) plus a temporary that
`remove_stale` clears; never a truncated output under the real name.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

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
        self.fh: IO = open(  # noqa: SIM115 - the handle outlives __init__: commit() or discard() closes it
            self.tmp, mode, encoding=None if binary else encoding, newline=None if binary else newline
        )

    def commit(self) -> None:
        self.fh.close()
        os.replace(self.tmp, self.path)

    def discard(self) -> None:
        self.fh.close()
        self.tmp.unlink(missing_ok=True)


@contextmanager
def atomic_open(
    path: str | Path, mode: str = "w", encoding: str | None = "utf-8", newline: str | None = None
) -> Iterator[IO]:
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


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs (on this machine)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _pid_of(p: Path, mark: str) -> int | None:
    try:
        return int(p.name.rsplit(mark, 1)[1])
    except (IndexError, ValueError):
        return None


@contextmanager
def atomic_folder(path: str | Path) -> Iterator[Path]:
    """A new, empty folder to fill; it replaces `path` (and everything `path` held) in one step when the block ends
    without an exception, and is removed otherwise. A kill at any moment leaves `path` as it was, or the new
    folder complete: never a mix of the two."""
    path = Path(path)
    if path.is_symlink():  # the folder the link names is replaced, and the link keeps naming it
        path = path.resolve()
    _recover(path)
    tmp = temp_name(path)
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _swap_in(tmp, path)


def _swap_in(new: Path, path: Path) -> None:
    if path.is_dir() and not path.is_symlink() and not any(path.iterdir()):
        path.rmdir()
    if not path.exists():
        os.replace(new, path)
        return
    if _exchange(new, path):
        shutil.rmtree(new)  # now the previous folder
        return
    # no atomic exchange here: a kill between the two renames leaves the previous folder as .NAME.old-PID,
    # which the next `atomic_folder` on this path puts back (`_recover`)
    old = path.with_name(f".{path.name}.old-{os.getpid()}")
    os.replace(path, old)
    os.replace(new, path)
    shutil.rmtree(old)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one system call (Linux renameat2 with RENAME_EXCHANGE); False where there is none."""
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):  # an old kernel, or a file system without it
        return False
    raise OSError(err, os.strerror(err), str(b))


def _recover(path: Path) -> None:
    """What killed `atomic_folder`s of `path` left beside it: half-filled new folders go, and a previous folder
    caught between the two renames comes back."""
    if not path.parent.is_dir():
        return
    for p in sorted(path.parent.glob(f".{path.name}.*")):
        for mark in (MARK, ".old-"):
            pid = _pid_of(p, mark) if p.name.startswith(f".{path.name}{mark}") else None
            if pid is None or pid_alive(pid) or not p.is_dir():
                continue
            if mark == ".old-" and not path.exists():
                os.replace(p, path)
            else:
                shutil.rmtree(p, ignore_errors=True)


def remove_stale(folder: Path) -> list[Path]:
    """Delete temporaries a killed process left in `folder` (not below it); returns what was removed."""
    gone = []
    if folder.is_dir():
        for p in sorted(folder.iterdir()):
            if p.is_file() and is_temp(p):
                p.unlink(missing_ok=True)
                gone.append(p)
    return gone
