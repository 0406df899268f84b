"""The client workload: kazoo sessions doing creates, sets, gets, deletes, watches and ephemeral nodes.

`Workload` runs `clients` threads, each with its own session to the whole ensemble, at `rate` operations per
second in all; every operation and error is counted. Operation choices come from a seeded generator per client
(the timing, and so the exact interleaving, depends on the servers).

The session-expiry fault needs a client that can be frozen: `victim.py` is a separate process holding a session
with ephemeral nodes and watches; the injector SIGSTOPs it past its session timeout.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter

ROOT = "/testbed"
OPS = (
    ("create", 3),
    ("create_ephemeral", 1),
    ("create_sequential", 1),
    ("set", 3),
    ("get_watch", 2),
    ("exists_watch", 1),
    ("children_watch", 1),
    ("delete", 2),
)


def kazoo_logger(path) -> logging.Logger:
    """kazoo's own log goes to a file, not the terminal."""
    log = logging.getLogger("kazoo")
    log.setLevel(logging.INFO)
    log.propagate = False
    for old in [h for h in log.handlers if getattr(h, "_testbed", False)]:  # a previous run's file
        log.removeHandler(old)
        old.close()
    h = logging.FileHandler(path)
    h.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"))
    h._testbed = True  # type: ignore[attr-defined]
    log.addHandler(h)
    return log


class Workload:
    def __init__(
        self,
        hosts: str,
        rate: float = 20.0,
        clients: int = 3,
        seed: int = 0,
        session_timeout: float = 10.0,
        churn: float = 0.2,
    ):
        if rate <= 0:
            raise ValueError(f"--rate must be positive, got {rate}")
        if churn < 0:
            raise ValueError(f"session churn must be >= 0, got {churn}")
        self.churn = churn
        self.short_sessions = 0
        if clients < 1:
            raise ValueError(f"need at least one client, got {clients}")
        self.hosts, self.rate, self.clients, self.seed = hosts, rate, clients, seed
        self.session_timeout = session_timeout
        self.ops: Counter = Counter()
        self.errors: Counter = Counter()
        self.watches_fired = 0
        self.sessions_lost = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._zks: list = []

    def start(self, connect_timeout: float = 30.0) -> None:
        from kazoo.client import KazooClient

        rng = random.Random(self.seed)
        hosts = self.hosts.split(",")
        for i in range(self.clients):
            order = hosts[:]
            rng.shuffle(order)
            zk = KazooClient(
                hosts=",".join(order),
                timeout=self.session_timeout,
                connection_retry={"max_tries": -1, "delay": 0.2, "max_delay": 2.0},
            )
            zk.add_listener(self._on_state)
            zk.start(timeout=connect_timeout)
            zk.ensure_path(f"{ROOT}/c{i}")
            self._zks.append(zk)
        for i, zk in enumerate(self._zks):
            t = threading.Thread(
                target=self._run, args=(i, zk, random.Random(self.seed * 1000 + i)), daemon=True, name=f"workload-{i}"
            )
            t.start()
            self._threads.append(t)
        if self.churn > 0:
            t = threading.Thread(
                target=self._churn, args=(random.Random(self.seed * 1000 + 999),), daemon=True, name="workload-churn"
            )
            t.start()
            self._threads.append(t)

    def _churn(self, rng: random.Random) -> None:
        """Short sessions to one server at a time: connect, an ephemeral node, a read, close."""
        from kazoo.client import KazooClient

        hosts = self.hosts.split(",")
        n = 0
        while not self._stop.wait(rng.expovariate(self.churn)):
            n += 1
            zk = KazooClient(
                hosts=rng.choice(hosts), timeout=self.session_timeout, connection_retry={"max_tries": 2, "delay": 0.2}
            )
            try:
                zk.start(timeout=5)
                zk.create(f"{ROOT}/short-", f"{n}".encode(), ephemeral=True, sequence=True)
                zk.get_children(ROOT)
                with self._lock:
                    self.short_sessions += 1
            except Exception as err:  # a server down: counted, the workload goes on
                with self._lock:
                    self.errors["short_session_" + type(err).__name__] += 1
            finally:
                try:
                    zk.stop()
                    zk.close()
                except Exception:
                    pass

    def _on_state(self, state) -> None:
        if str(state) == "LOST":
            with self._lock:
                self.sessions_lost += 1

    def _watch(self, _event) -> None:
        with self._lock:
            self.watches_fired += 1

    def _run(self, i: int, zk, rng: random.Random) -> None:
        from kazoo.exceptions import KazooException

        names, weights = zip(*OPS, strict=True)
        base = f"{ROOT}/c{i}"
        mine: list[str] = []
        interval = self.clients / self.rate
        nxt = time.monotonic()
        n = 0
        while not self._stop.is_set():
            op = rng.choices(names, weights)[0]
            n += 1
            try:
                self._op(zk, op, base, mine, rng, n)
                with self._lock:
                    self.ops[op] += 1
            except KazooException as err:
                with self._lock:
                    self.errors[type(err).__name__] += 1
            except Exception as err:  # a client library error must not end the workload
                with self._lock:
                    self.errors[type(err).__name__] += 1
            nxt += interval
            delay = nxt - time.monotonic()
            if delay < -5 * interval:
                nxt = time.monotonic()  # fell behind (e.g. a blocked call during a fault): do not burst
            elif delay > 0:
                self._stop.wait(delay)

    def _op(self, zk, op: str, base: str, mine: list[str], rng: random.Random, n: int) -> None:
        from kazoo.exceptions import NodeExistsError, NoNodeError

        data = f"v{n}".encode()
        if op == "create":
            path = f"{base}/n{rng.randrange(50)}"
            try:
                zk.create(path, data)
                mine.append(path)
            except NodeExistsError:
                zk.set(path, data)
        elif op == "create_ephemeral":
            path = f"{base}/e{rng.randrange(10)}"
            try:
                zk.create(path, data, ephemeral=True)
            except NodeExistsError:
                zk.delete(path)
        elif op == "create_sequential":
            mine.append(zk.create(f"{base}/s-", data, sequence=True))
        elif op in ("set", "get_watch", "exists_watch", "delete") and not mine:
            zk.exists(base, watch=self._watch)
        elif op == "set":
            try:
                zk.set(rng.choice(mine), data)
            except NoNodeError:
                pass
        elif op == "get_watch":
            try:
                zk.get(rng.choice(mine), watch=self._watch)
            except NoNodeError:
                pass
        elif op == "exists_watch":
            zk.exists(rng.choice(mine), watch=self._watch)
        elif op == "children_watch":
            zk.get_children(base, watch=self._watch)
        elif op == "delete":
            path = mine.pop(rng.randrange(len(mine)))
            try:
                zk.delete(path)
            except NoNodeError:
                pass

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the clients, all at once (closing a session to a dead ensemble waits for a timeout)."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.1, deadline - time.monotonic()))

        def close(zk) -> None:
            try:
                zk.stop()
                zk.close()
            except Exception:
                pass

        closers = [threading.Thread(target=close, args=(zk,), daemon=True) for zk in self._zks]
        for t in closers:
            t.start()
        for t in closers:
            t.join(max(0.1, deadline - time.monotonic()))

    def stats(self) -> dict:
        with self._lock:
            return {
                "ops": dict(self.ops),
                "ops_total": sum(self.ops.values()),
                "errors": dict(self.errors),
                "errors_total": sum(self.errors.values()),
                "watches_fired": self.watches_fired,
                "sessions_lost": self.sessions_lost,
                "short_sessions": self.short_sessions,
                "clients": self.clients,
                "rate": self.rate,
                "churn": self.churn,
            }
