"""One run at a time per run folder: an advisory lock (`flock`) on `.run.lock` inside it, which holds the holder's
pid so that the refusal can name it.

The kernel releases a `flock` when its holder dies, however it dies, so a lock is never stuck; the pid left in the
file by a killed run is only what lets the next run say that it took over from it. A run that ends normally
empties the file.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable
from pathlib import Path

from anomalygen.atomic import pid_alive
from anomalygen.core.errors import InputError

NAME = ".run.lock"


class RunLock:
    def __init__(self, folder: str | Path, say: Callable[[str], None] = print):
        self.folder, self.say = Path(folder), say
        self.fd: int | None = None

    def __enter__(self) -> RunLock:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / NAME
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _pid_in(fd)
            os.close(fd)
            who = f"pid {holder}" if holder else "another process"
            raise InputError(
                f"{self.folder}: another `anomalygen run` ({who}) is using this run folder; wait for "
                "it to end, or give another --out"
            ) from None
        before = _pid_in(fd)
        if before and before != os.getpid():  # a run killed before it could empty the file
            note = "no longer running" if not pid_alive(before) else "still running but no longer holding it"
            self.say(f"{self.folder}: took over the lock of run pid {before} ({note})")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self.fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is None:
            return
        try:
            os.ftruncate(self.fd, 0)
        finally:
            os.close(self.fd)  # closing releases the lock
            self.fd = None


def _pid_in(fd: int) -> int | None:
    try:
        return int(os.pread(fd, 32, 0).split()[0])
    except (IndexError, ValueError, OSError):
        return None
