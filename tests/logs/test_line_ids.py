"""LineIds across worker processes (`anomalygen/logs/line_ids.py`): blocks handed out in task order."""

from __future__ import annotations

import time

from anomalygen.logs.line_ids import LineIds
from anomalygen.parallel import mp_context

_IDS: LineIds | None = None


def _init(ids: LineIds) -> None:
    global _IDS
    _IDS = ids


def _take(job: tuple[int, int, float]) -> tuple[int, int]:
    task, count, delay = job
    time.sleep(delay)  # later tasks reach `take` first and must wait for the earlier ones
    return task, _IDS.take(task, count)


def test_tasks_get_consecutive_blocks_in_task_order_however_they_finish():
    counts = [3, 0, 5, 1, 7, 2, 4, 6]
    ids = LineIds(first=10)
    with mp_context().Pool(3, initializer=_init, initargs=(ids,)) as pool:
        pending = [pool.apply_async(_take, ((k, c, 0.02 * (len(counts) - k)),)) for k, c in enumerate(counts)]
        got = dict(p.get(timeout=60) for p in pending)
    starts = [10]
    for c in counts[:-1]:
        starts.append(starts[-1] + c)
    assert [got[k] for k in range(len(counts))] == starts


def test_in_one_process_tasks_taken_in_order_never_wait():
    ids = LineIds()
    assert [ids.take(0, 4), ids.take(1, 2), ids.take(2, 0), ids.take(3, 1)] == [1, 5, 7, 7]


def test_a_block_can_start_numbering_again():
    ids = LineIds()
    assert [ids.take(0, 10, first=1), ids.take(1, 5), ids.take(2, 3, first=1), ids.take(3, 1)] == [1, 11, 1, 4]
