"""`anomalygen.parallel`: results in item order for any number of workers, contexts built once per worker."""

from __future__ import annotations

import os

import pytest

from anomalygen.parallel import Shared, imap_ordered, map_ordered, resolve_jobs

BUILDS: list[int] = []


def build_table(n: int) -> dict:
    BUILDS.append(os.getpid())
    return {"squares": [i * i for i in range(n)], "pid": os.getpid()}


def square_plus(ctx: dict, item: int) -> tuple[int, int]:
    return ctx["squares"][item] + 1, ctx["pid"]


def test_results_keep_item_order_for_any_jobs_and_submission_order():
    items = [7, 3, 9, 0, 5, 1]
    expect = [i * i + 1 for i in items]
    for jobs in (1, 2, 3):
        for cost in (None, [1, 50, 2, 99, 0, 7]):
            shared = Shared(build_table, (10,))
            got = map_ordered(square_plus, items, jobs, shared=shared, cost=cost)
            shared.release()
            assert [r for r, _ in got] == expect


def test_then_reduces_each_result_in_the_calling_process_as_it_arrives():
    items = [7, 3, 9, 0, 5, 1]
    for jobs in (1, 2):
        seen: list[int] = []

        def then(result: tuple[int, int], seen: list[int] = seen) -> int:
            seen.append(result[0])
            return -result[0]  # the list holds what `then` returns

        shared = Shared(build_table, (10,))
        got = map_ordered(square_plus, items, jobs, shared=shared, cost=[1, 50, 2, 99, 0, 7], then=then)
        shared.release()
        assert got == [-(i * i + 1) for i in items]
        assert sorted(seen) == sorted(i * i + 1 for i in items)  # once each, in whatever order tasks finished


def test_a_primed_context_reaches_forked_workers_without_a_rebuild():
    BUILDS.clear()
    shared = Shared(build_table, (10,))
    shared.prime({"squares": [-1] * 10, "pid": os.getpid()})  # differs from what the recipe builds
    got = map_ordered(square_plus, list(range(10)), 2, shared=shared)
    shared.release()
    assert [r for r, _ in got] == [0] * 10 and BUILDS == []
    assert all(pid == os.getpid() for _, pid in got)  # the primed object, inherited


def test_an_unprimed_context_is_built_once_per_worker():
    BUILDS.clear()
    shared = Shared(build_table, (10,))
    got = map_ordered(square_plus, list(range(10)), 2, shared=shared)
    pids = {pid for _, pid in got}
    assert pids and os.getpid() not in pids and len(pids) <= 2  # built in the workers, one table each


def test_worker_errors_reach_the_caller_and_bad_executors_are_named():
    with pytest.raises(IndexError):
        map_ordered(square_plus, [1, 99], 2, shared=Shared(build_table, (10,)))
    with pytest.raises(ValueError, match="executor 'dask'"):
        map_ordered(square_plus, [1], 1, executor="dask")


def test_jobs_zero_means_every_core():
    assert resolve_jobs(0) == resolve_jobs(None) >= 1 and resolve_jobs(3) == 3


def test_streamed_results_keep_item_order_with_a_bounded_window():
    items = iter(range(40))  # a generator: consumed as the window frees up
    shared = Shared(build_table, (40,))
    got = [r for r, _ in imap_ordered(square_plus, items, 2, shared=shared, window=1)]
    shared.release()
    assert got == [i * i + 1 for i in range(40)]
    assert [r for r, _ in imap_ordered(square_plus, range(5), 1, shared=Shared(build_table, (5,)))] == [1, 2, 5, 10, 17]
