"""Carrying out planned faults on the live ensemble, and recording each with its real start and end times.

A fault's interval is [start, end]: `start` just before the first signal, `end` when it was undone (server
restarted, SIGCONT sent, limit lifted). `recovered` is when the ensemble was next seen whole (one leader, every
other server following, by their logs), or None if that did not happen within the fault's settle time.

The disk-full fault, unprivileged: `prlimit(pid, RLIMIT_FSIZE, 0)` on the server process. Every write of the JVM
to a regular file then fails with EFBIG ("File too large": the JVM ignores SIGXFSZ), so snapshot and
transaction-log writes fail exactly where a full disk would make them fail (the server's own log is written by
the harness from its stdout, so it keeps logging). ZooKeeper 3.8 exits with code 10 when it cannot write a
snapshot; at the end of the hold a live server gets its limit back, a dead one is started again.
"""

from __future__ import annotations

import json
import resource
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from anomalygen.testbed.process import Ensemble, spawn
from anomalygen.testbed.schedule import PlannedFault, choose


def iso(t: float | None) -> str | None:
    if t is None:
        return None
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds")


@dataclass
class FaultRecord:
    index: int
    kind: str
    planned_at: float
    hold: float
    targets: list[int] = field(default_factory=list)
    roles: dict = field(default_factory=dict)  # sid -> role when the fault started
    start: float | None = None
    end: float | None = None
    recovered: float | None = None
    details: dict = field(default_factory=dict)
    error: str | None = None
    planned: bool = False  # a planned operation (labelled normal), not a fault

    def to_dict(self) -> dict:
        d = asdict(self)
        d["roles"] = {str(k): v for k, v in self.roles.items()}
        d["start_iso"], d["end_iso"], d["recovered_iso"] = iso(self.start), iso(self.end), iso(self.recovered)
        return d


class Victim:
    """The session-expiry client process (`anomalygen.testbed.victim`)."""

    def __init__(self, hosts: str, timeout: float, status: Path):
        self.hosts, self.timeout, self.status = hosts, timeout, status
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.status.with_suffix(".err"), "ab") as err:
            self.proc = spawn(
                [sys.executable, "-m", "anomalygen.testbed.victim", self.hosts, str(self.timeout), str(self.status)],
                stdin=subprocess.DEVNULL,
                stdout=err,
                stderr=err,
            )

    def sessions(self) -> list[str]:
        try:
            lines = self.status.read_text(encoding="utf-8").splitlines()
        except OSError:
            return []
        out = []
        for ln in lines:
            try:
                obj = json.loads(ln)
            except json.JSONDecodeError:
                continue
            if obj.get("event") == "session":
                out.append(obj["session_id"])
        return out

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def injects(kind: str):
    """Marks a method `(self, pf, rec)` as what carries out `kind` (a key of `schedule.KINDS` or
    `schedule.OPERATIONS`): the one registry from kind to injector, checked against the tables by
    `missing_injectors` before a run starts and by the tests."""

    def mark(fn):
        fn.injects = kind
        return fn

    return mark


class Injector:
    def __init__(self, ensemble: Ensemble, victim: Victim | None = None, sleep=time.sleep):
        self.ens = ensemble
        self.victim = victim
        self.sleep = sleep
        self.current: FaultRecord | None = None

    def run(self, pf: PlannedFault) -> FaultRecord:
        rec = FaultRecord(pf.index, pf.kind, pf.at, pf.hold)
        rec.roles = self.ens.roles()
        self.current = rec  # what a Ctrl-C in the middle of a fault leaves to be recorded
        try:
            handler = self.handlers().get(pf.kind)
            if handler is None:
                raise ValueError(f"no injector for kind {pf.kind!r}")
            getattr(self, handler)(pf, rec)
        except KeyboardInterrupt:
            rec.error = "interrupted"
            if rec.start is not None and rec.end is None:
                rec.end = time.time()
            raise
        except Exception as err:  # the run goes on; the record says what failed
            rec.error = f"{type(err).__name__}: {err}"
            if rec.start is not None and rec.end is None:
                rec.end = time.time()
        if rec.start is not None:
            ok = self.ens.wait_for(self.ens.healthy, pf.settle)
            rec.recovered = time.time() if ok else None
        rec.details["leader_after"] = self.ens.leader()
        self.current = None
        return rec

    @classmethod
    def handlers(cls) -> dict[str, str]:
        """kind -> name of the method marked `@injects(kind)` on this class (subclasses add theirs)."""
        out: dict[str, str] = {}
        for name in dir(cls):
            kind = getattr(getattr(cls, name, None), "injects", None)
            if isinstance(kind, str):
                if kind in out:
                    raise TypeError(f"{cls.__name__}: kind {kind!r} has two injectors, {out[kind]} and {name}")
                out[kind] = name
        return out

    # -- helpers ---------------------------------------------------------------------------------------------

    def _leader(self, timeout: float = 30.0) -> int:
        ld = self.ens.wait_for_leader(timeout)
        if ld is None:
            raise RuntimeError(f"no leader within {timeout:g}s (roles {self.ens.roles()})")
        return ld

    def _new_leader_during(self, old: int | None, seconds: float, since: float) -> dict:
        """Hold for `seconds`, noting the first server other than `old` that starts leading meanwhile."""
        deadline = time.monotonic() + seconds
        found = None
        while True:
            if found is None:
                for e in self.ens.elections(since):
                    if e["sid"] != old:
                        found = e
                        break
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self.sleep(min(0.2, left))
        if found is None:
            return {"new_leader": None}
        return {"new_leader": found["sid"], "election_s": round(found["t"] - since, 3)}

    def _kill_and_restart(self, sids: list[int], pf: PlannedFault, rec: FaultRecord, old_leader: int | None):
        rec.targets = sids
        rec.start = time.time()
        for sid in sids:
            self.ens.servers[sid].kill()
        rec.details.update(self._new_leader_during(old_leader, pf.hold, rec.start))
        for sid in sids:
            self.ens.servers[sid].start()
        rec.end = time.time()

    # -- kinds -----------------------------------------------------------------------------------------------

    @injects("leader_kill")
    def _leader_kill(self, pf: PlannedFault, rec: FaultRecord) -> None:
        ld = self._leader()
        self._kill_and_restart([ld], pf, rec, ld)

    @injects("follower_kill")
    def _follower_kill(self, pf: PlannedFault, rec: FaultRecord) -> None:
        self._leader()
        fs = self.ens.followers()
        if not fs:
            raise RuntimeError(f"no follower (roles {self.ens.roles()})")
        self._kill_and_restart([choose(fs, pf.pick)], pf, rec, None)

    @injects("quorum_loss")
    def _quorum_loss(self, pf: PlannedFault, rec: FaultRecord) -> None:
        ld = self._leader()
        alive = sorted(sid for sid, s in self.ens.servers.items() if s.alive())
        keep = choose(alive, pf.pick)  # the one left running
        self._kill_and_restart([sid for sid in alive if sid != keep], pf, rec, ld)
        rec.details["kept"] = keep

    @injects("pause")
    def _pause(self, pf: PlannedFault, rec: FaultRecord) -> None:
        ld = self._leader()
        sid = choose([s for s, srv in self.ens.servers.items() if srv.alive()], pf.pick)
        srv = self.ens.servers[sid]
        rec.targets = [sid]
        rec.start = time.time()
        srv.signal(signal.SIGSTOP)
        try:
            rec.details.update(self._new_leader_during(ld if sid == ld else -1, pf.hold, rec.start))
        finally:
            srv.signal(signal.SIGCONT)
            rec.end = time.time()

    @injects("restart")
    def _restart(self, pf: PlannedFault, rec: FaultRecord) -> None:
        ld = self._leader()
        sid = choose([s for s, srv in self.ens.servers.items() if srv.alive()], pf.pick)
        srv = self.ens.servers[sid]
        rec.targets = [sid]
        rec.start = time.time()
        rec.details["exit_code"] = srv.stop()
        rec.details.update(self._new_leader_during(ld if sid == ld else -1, pf.hold, rec.start))
        srv.start()
        rec.end = time.time()

    @injects("session_expiry")
    def _session_expiry(self, pf: PlannedFault, rec: FaultRecord) -> None:
        v = self.victim
        if v is None or v.proc is None or v.proc.poll() is not None:
            raise RuntimeError("no session-expiry client running")
        before = v.sessions()
        rec.details["session_before"] = before[-1] if before else None
        rec.details["session_timeout"] = v.timeout
        rec.start = time.time()
        v.proc.send_signal(signal.SIGSTOP)
        try:
            self.sleep(max(pf.hold, v.timeout + 1.0))  # the schedule's hold already includes the timeout
        finally:
            v.proc.send_signal(signal.SIGCONT)
            rec.end = time.time()
        # the client notices the expiry after it reconnects
        self.ens.wait_for(lambda: len(v.sessions()) > len(before), 20.0)
        after = v.sessions()
        rec.details["session_after"] = after[-1] if len(after) > len(before) else None

    @injects("disk_full")
    def _disk_full(self, pf: PlannedFault, rec: FaultRecord) -> None:
        self._leader()
        sid = choose([s for s, srv in self.ens.servers.items() if srv.alive()], pf.pick)
        srv = self.ens.servers[sid]
        rec.targets = [sid]
        pid = srv.pid
        rec.start = time.time()
        old = resource.prlimit(pid, resource.RLIMIT_FSIZE, (0, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
        try:
            rec.details.update(self._new_leader_during(-1, pf.hold, rec.start))
        finally:
            if srv.alive() and srv.pid == pid:
                resource.prlimit(pid, resource.RLIMIT_FSIZE, old)
                rec.details["server_exited"] = False
            else:
                rec.details["server_exited"] = True
                rec.details["exit_code"] = srv.wait_exit(5)
                srv.start()
            rec.end = time.time()
