"""One way to fan tasks out: `map_ordered(fn, items, jobs, executor)` runs `fn(context, item)` for every item on a
local process pool or as Ray tasks and returns the results in item order, so every stage's merge is the same
for any number of workers.

The context is what every task needs and is costly to build (an analysed source tree): a `Shared` recipe of plain
data that each worker process builds once and keeps. The calling process can `prime` it with the object it
already built; forked pool workers then inherit it instead of rebuilding. Ray workers build it from the recipe,
so on a cluster the recipe's inputs (a source tree's path) must be readable on every node.

A worker that dies without returning (SIGKILL, the out-of-memory killer, a crash in native code) fails the call
with `WorkerDied` as soon as its death is seen, instead of leaving the caller waiting for a result that never comes
(`multiprocessing.Pool` waits forever): local pools are `concurrent.futures` executors, which watch their workers,
and big results come back through files (`SPILL_BYTES`).
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import pickle
import shutil
import signal
import tempfile
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import connection
from typing import Any

EXECUTORS = ("process", "ray")
# the --executor and --ray-address help of every command that fans out
EXECUTOR_HELP = (
    "process: a pool on this machine; ray: Ray tasks (the 'ray' extra), on the cluster at "
    "--ray-address / RAY_ADDRESS or a local one"
)
RAY_ADDRESS_HELP = "Ray cluster address (default: RAY_ADDRESS, else a local Ray instance)"

_BUILT: dict[str, Any] = {}  # token -> context, per process


class WorkerDied(Exception):  # not a RuntimeError: stages turn those (Ray missing) into input errors
    """A worker process ended without returning its task's result; the message says how it ended."""


def _died(how: str) -> WorkerDied:
    return WorkerDied(
        f"a worker process died ({how}) before it finished its task (out of memory, or killed?); "
        "the command stopped and wrote nothing"
    )


@dataclass(frozen=True)
class Shared:
    build: Callable[..., Any]  # a module-level function, so Ray and spawned workers can import it
    args: tuple = ()
    token: str = field(default_factory=lambda: uuid.uuid4().hex)

    def get(self) -> Any:
        obj = _BUILT.get(self.token)
        if obj is None:
            obj = _BUILT[self.token] = self.build(*self.args)
        return obj

    def prime(self, obj: Any) -> Shared:
        _BUILT[self.token] = obj
        return self

    def release(self) -> None:
        _BUILT.pop(self.token, None)


def default_jobs() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def resolve_jobs(jobs: int | None) -> int:
    return default_jobs() if jobs is None or jobs <= 0 else jobs


def map_ordered(
    fn: Callable[[Any, Any], Any],
    items: Sequence[Any],
    jobs: int | None = 1,
    executor: str = "process",
    shared: Shared | None = None,
    address: str | None = None,
    cost: Sequence[float] | None = None,
    then: Callable[[Any], Any] | None = None,
) -> list[Any]:
    """[fn(shared.get(), item) for item in items], computed by `jobs` processes or by Ray.

    `cost` (optional, one number per item) only orders the submission, largest first, so that one long task
    does not start last; it never changes the results or their order. `then` (optional) is applied in this
    process to each result as soon as it arrives, and the list holds what it returns, so that large results are
    reduced before the next ones pile up; tasks finish in any order, so it must not depend on the order of its
    calls.
    """
    if then is None:
        then = _same
    if executor not in EXECUTORS:
        raise ValueError(f"executor {executor!r} is not one of {', '.join(EXECUTORS)}")
    items = list(items)
    order = sorted(range(len(items)), key=lambda i: -cost[i]) if cost is not None else list(range(len(items)))
    if executor == "ray":
        return _ray_map(fn, items, order, shared, address, jobs, then)
    jobs = min(resolve_jobs(jobs), len(items))
    if jobs <= 1:
        ctx = shared.get() if shared is not None else None
        return [then(fn(ctx, x)) for x in items]
    out: list[Any] = [None] * len(items)
    with _pool(jobs, fn, shared) as pool:
        for fut in as_completed([_submit(pool, (i, items[i])) for i in order]):
            i, r = _result(pool, fut)
            out[i] = then(r)
    return out


def _same(x: Any) -> Any:
    return x


def imap_ordered(
    fn: Callable[[Any, Any], Any],
    items: Iterable[Any],
    jobs: int | None = 1,
    executor: str = "process",
    shared: Shared | None = None,
    address: str | None = None,
    window: int = 2,
) -> Iterator[Any]:
    """fn(shared.get(), item) for each item, yielded in item order as they complete, with at most
    `window` tasks per worker in flight: the results of a long input never pile up in memory."""
    if executor not in EXECUTORS:
        raise ValueError(f"executor {executor!r} is not one of {', '.join(EXECUTORS)}")
    if executor == "ray":
        ray = _ray(address, jobs)
        task = ray.remote(_ray_task)
        fn_ref, shared_ref = ray.put(fn), ray.put(shared)
        width = max(1, int(ray.cluster_resources().get("CPU", 1))) * window
        yield from _windowed(lambda x: task.remote(fn_ref, shared_ref, x), lambda r: _ray_get(ray, r), items, width)
        return
    jobs = resolve_jobs(jobs)
    if jobs <= 1:
        ctx = shared.get() if shared is not None else None
        for x in items:
            yield fn(ctx, x)
        return
    with _pool(jobs, fn, shared) as pool:
        yield from _windowed(lambda x: _submit(pool, (0, x)), lambda f: _result(pool, f)[1], items, jobs * window)


def _windowed(submit: Callable, wait: Callable, items: Iterable[Any], width: int) -> Iterator[Any]:
    pending: deque = deque()
    for x in items:
        pending.append(submit(x))
        if len(pending) >= width:
            yield wait(pending.popleft())
    while pending:
        yield wait(pending.popleft())


def mp_context():
    """The context of the process pool, and of anything its workers share (locks, shared values): fork where
    there is one, so that workers inherit a primed context instead of building it again."""
    return multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")


@contextmanager
def _pool(jobs: int, fn: Callable, shared: Shared | None) -> Iterator[ProcessPoolExecutor]:
    """An executor whose workers are killed when the block ends early (an error, Ctrl-C, a consumer that stops
    reading): waiting for their queued tasks would only delay the failure."""
    spill = tempfile.mkdtemp(prefix="anomalygen-pool-")
    pool = ProcessPoolExecutor(jobs, mp_context=mp_context(), initializer=_init_worker, initargs=(fn, shared, spill))
    try:
        yield pool
    except BaseException:
        for p in _workers(pool):
            p.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    else:
        # every result is in; a worker that does not leave is stuck on the call queue's lock, which a peer killed
        # while it held it never gives back (seen in the kill campaign: shutdown waited on it for ever)
        procs = _workers(pool)
        pool.shutdown(wait=False)
        for p in procs:
            p.join(STUCK_SECONDS)
            if p.exitcode is None:
                p.terminate()
                p.join(STUCK_SECONDS)
    finally:
        shutil.rmtree(spill, ignore_errors=True)


def _submit(pool: ProcessPoolExecutor, job: tuple[int, Any]) -> Future:
    try:
        fut = pool.submit(_run_one, job)
    except BrokenProcessPool:  # a worker died while earlier tasks ran
        raise _died(_how_ended(_met(pool))) from None
    _workers(pool)  # submit starts the workers: meet them before any can die
    return fut


def _result(pool: ProcessPoolExecutor, fut: Future) -> tuple[int, Any]:
    """The task's result; a dead worker is looked for while waiting, not left to the executor alone: a worker
    killed while it held the call queue's lock stops the others from taking work, the executor's manager thread
    then blocks on the full queue and never marks the pool broken, and the future would wait for ever."""
    while True:
        try:
            i, r = fut.result(timeout=WATCH_SECONDS)
            break
        except TimeoutError:
            if any(p.exitcode is not None for p in _met(pool)):
                raise _died(_how_ended(_met(pool))) from None
        except BrokenProcessPool:
            raise _died(_how_ended(_met(pool))) from None
    if isinstance(r, _Spilled):
        with open(r.path, "rb") as fh:
            data = fh.read()
        os.unlink(r.path)
        r = pickle.loads(data)  # written by our own worker, in this run's private folder
    return i, r


def _workers(pool: ProcessPoolExecutor) -> list:
    """The pool's worker processes now, each also remembered on the pool: the executor drops a dead one once it
    has seen it, and how it ended is the one thing worth saying."""
    now = list((getattr(pool, "_processes", None) or {}).values())
    pool.__dict__.setdefault("_met", {}).update((p.pid, p) for p in now)
    return now


def _met(pool: ProcessPoolExecutor) -> list:
    """Every worker process the pool has had, the dead ones included."""
    _workers(pool)
    return list(pool.__dict__.get("_met", {}).values())


def _how_ended(procs) -> str:
    """How the dead worker ended, from the exit codes of `procs` (the executor ends the others with SIGTERM)."""
    procs = list(procs)
    for p in procs:  # the dead one may not be reaped yet
        p.join(2)
    # the executor's own thread may be reaping a dead worker at this moment: its waitpid takes the status, ours
    # finds none, and the exit code shows once that thread has stored it (read before, the killed worker had none
    # and its peer's SIGTERM was named instead)
    end = time.monotonic() + 2
    while any(p.exitcode is None and connection.wait([p.sentinel], 0) for p in procs) and time.monotonic() < end:
        time.sleep(0.01)
    codes = [p.exitcode for p in procs if p.exitcode]
    code = next((c for c in codes if c != -signal.SIGTERM), codes[0] if codes else None)
    if code is None:
        return "its exit status is unknown"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


WATCH_SECONDS = 0.5  # how often a wait for a result looks for a dead worker
STUCK_SECONDS = 5.0  # how long a worker may take to leave once the pool is done
_WORKER: tuple[Callable, Shared | None, str] | None = None
# A result pickled larger than this goes through a file, and the pipe carries only its name: a message below the
# pipe's atomic write size (PIPE_BUF, 4,096 bytes on Linux) arrives whole or not at all. A worker killed halfway
# through writing a big result leaves the executor's manager thread waiting for the rest of the message for ever
# (it does not look at the dead worker again), and the command hangs.
SPILL_BYTES = 2048
_SPILLS = itertools.count()


@dataclass(frozen=True)
class _Spilled:
    path: str


def _init_worker(fn: Callable, shared: Shared | None, spill: str) -> None:
    global _WORKER
    # a handler the parent set (detect's SIGTERM -> KeyboardInterrupt) must not keep a worker alive when the
    # executor ends it with SIGTERM: its manager thread waits for every worker, so the command would hang
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _WORKER = (fn, shared, spill)


def _run_one(job: tuple[int, Any]) -> tuple[int, Any]:
    fn, shared, spill = _WORKER  # type: ignore[misc]
    i, item = job
    r = fn(shared.get() if shared is not None else None, item)
    data = pickle.dumps(r, protocol=pickle.HIGHEST_PROTOCOL)
    if len(data) <= SPILL_BYTES:
        return i, r
    path = os.path.join(spill, f"{os.getpid()}-{next(_SPILLS)}")
    with open(path, "wb") as fh:
        fh.write(data)
    return i, _Spilled(path)


def _ray_task(fn: Callable, shared: Shared | None, item: Any) -> Any:
    return fn(shared.get() if shared is not None else None, item)


def _ray(address: str | None, jobs: int | None):
    try:
        import ray
    except ImportError:
        raise RuntimeError("--executor ray needs Ray: pip install 'anomalygen[ray]'") from None
    if not ray.is_initialized():
        address = address or os.environ.get("RAY_ADDRESS")
        try:
            if address:
                ray.init(address=address, log_to_driver=False)
            else:  # a local instance with this machine's cores
                ray.init(num_cpus=resolve_jobs(jobs), include_dashboard=False, log_to_driver=False)
        except ConnectionError as err:
            raise RuntimeError(f"Ray cluster at {address}: {err}") from None
    return ray


def _ray_map(
    fn: Callable,
    items: list,
    order: list[int],
    shared: Shared | None,
    address: str | None,
    jobs: int | None,
    then: Callable[[Any], Any],
) -> list[Any]:
    ray = _ray(address, jobs)
    task = ray.remote(_ray_task)
    fn_ref, shared_ref = ray.put(fn), ray.put(shared)
    index = {task.remote(fn_ref, shared_ref, items[i]): i for i in order}
    out: list[Any] = [None] * len(items)
    pending = list(index)
    while pending:
        done, pending = ray.wait(pending, num_returns=1)
        out[index[done[0]]] = then(_ray_get(ray, done[0]))
    return out


def _ray_get(ray, ref) -> Any:
    """`ray.get`, with a task whose worker or node died raised as `WorkerDied` (Ray retries a task on a dead
    worker a few times first)."""
    dead = tuple(
        getattr(ray.exceptions, n)
        for n in ("WorkerCrashedError", "NodeDiedError", "LocalRayletDiedError", "OutOfMemoryError")
        if hasattr(ray.exceptions, n)
    )
    try:
        return ray.get(ref)
    except dead as e:
        raise _died(f"Ray: {type(e).__name__}") from None
