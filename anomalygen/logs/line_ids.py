"""Ids (LineIds, or line numbers) for parse tasks that run in several processes: task k takes the next block of
consecutive ids once tasks 0..k-1 took theirs, so each worker numbers its own rows as soon as it knows how many it
has, and no row has to pass through the main process to be numbered.

Tasks must be started in order (a process pool hands them out in submission order; each worker runs one at a
time): then the task that holds the turn is always running, and waiting never deadlocks.
"""

from __future__ import annotations

from anomalygen.parallel import mp_context


class LineIds:
    def __init__(self, first: int = 1):
        ctx = mp_context()
        self._cond = ctx.Condition()
        self._turn = ctx.RawValue("q", 0)  # the task whose block comes next
        self._next = ctx.RawValue("q", first)

    def take(self, task: int, count: int, first: int | None = None) -> int:
        """The first of `count` ids for task number `task` (0, 1, 2, ... in plan order); the block starts at
        `first` when given (numbering starts again: a new file's lines)."""
        with self._cond:
            self._cond.wait_for(lambda: self._turn.value == task)
            if first is None:
                first = self._next.value
            self._next.value = first + count
            self._turn.value = task + 1
            self._cond.notify_all()
        return first
