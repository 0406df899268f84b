"""Carrying out planned operations (labelled normal) on the live ensemble, recorded exactly like faults.

An operation's interval is [start, end]: `start` just before the first action, `end` when it is complete
(restarted servers started, the burst written, the session expired). `recovered` is, as for faults, when the
ensemble was next seen whole. The kinds and their holds are in `schedule.OPERATIONS`.
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

from anomalygen.testbed.inject import FaultRecord, Injector, Victim, injects
from anomalygen.testbed.process import Ensemble
from anomalygen.testbed.schedule import KINDS, OPERATIONS, PlannedFault, choose
from anomalygen.testbed.workload import ROOT

CLOSE_BURST = 8  # sessions opened and closed by one client_close operation


class Operator(Injector):
    """The fault injector plus the planned operations; `run(pf)` dispatches on the kind."""

    def __init__(
        self,
        ensemble: Ensemble,
        victim: Victim | None = None,
        hosts: str = "",
        out: Path | None = None,
        session_timeout: float = 6.0,
        snap_count: int = 2000,
        sleep=time.sleep,
    ):
        super().__init__(ensemble, victim, sleep)
        self.hosts = hosts
        self.out = Path(out) if out is not None else None
        self.session_timeout = session_timeout
        self.snap_count = snap_count

    def run(self, pf: PlannedFault) -> FaultRecord:
        rec = super().run(pf)
        rec.planned = pf.planned
        return rec

    def _graceful(self, sid: int, hold: float) -> int | None:
        srv = self.ens.servers[sid]
        code = srv.stop()
        self.sleep(hold)
        srv.start()
        return code

    @injects("graceful_restart")
    def _graceful_restart(self, pf: PlannedFault, rec: FaultRecord) -> None:
        self._leader()
        fs = self.ens.followers()
        if not fs:
            raise RuntimeError(f"no follower (roles {self.ens.roles()})")
        sid = choose(fs, pf.pick)
        rec.targets = [sid]
        rec.start = time.time()
        rec.details["exit_code"] = self._graceful(sid, pf.hold)
        rec.end = time.time()

    @injects("leader_handover")
    def _leader_handover(self, pf: PlannedFault, rec: FaultRecord) -> None:
        ld = self._leader()
        rec.targets = [ld]
        rec.start = time.time()
        srv = self.ens.servers[ld]
        rec.details["exit_code"] = srv.stop()
        rec.details.update(self._new_leader_during(ld, pf.hold, rec.start))
        srv.start()
        rec.end = time.time()

    @injects("rolling_restart")
    def _rolling_restart(self, pf: PlannedFault, rec: FaultRecord) -> None:
        ld = self._leader()
        order = [*sorted(self.ens.followers()), ld]
        rec.targets = order
        rec.start = time.time()
        codes = {}
        for sid in order:
            codes[str(sid)] = self._graceful(sid, pf.hold)
            # an operator waits for the ensemble to be whole before restarting the next server
            if not self.ens.wait_for(self.ens.healthy, 30.0):
                raise RuntimeError(f"ensemble not whole 30s after restarting zk{sid} (roles {self.ens.roles()})")
        rec.details["exit_codes"] = codes
        rec.end = time.time()

    @injects("client_close")
    def _client_close(self, pf: PlannedFault, rec: FaultRecord) -> None:
        from kazoo.client import KazooClient

        hosts = self.hosts.split(",")
        rec.start = time.time()
        closed = 0
        for i in range(CLOSE_BURST):
            zk = KazooClient(
                hosts=choose_host(hosts, pf.pick, i),
                timeout=self.session_timeout,
                connection_retry={"max_tries": 2, "delay": 0.2},
            )
            try:
                zk.start(timeout=10)
                zk.create(f"{ROOT}/op{pf.index}-", b"", ephemeral=True, sequence=True, makepath=True)
                zk.get_children(ROOT, watch=lambda ev: None)
            finally:
                zk.stop()
                zk.close()
            closed += 1
        self.sleep(pf.hold)
        rec.details["sessions_closed"] = closed
        rec.end = time.time()

    @injects("client_away")
    def _client_away(self, pf: PlannedFault, rec: FaultRecord) -> None:
        if self.out is None:
            raise RuntimeError("no folder for the departing client's status")
        status = self.out / f"client_away-{pf.index}.jsonl"
        v = Victim(self.hosts, self.session_timeout, status)
        v.start()
        if not self.ens.wait_for(lambda: bool(v.sessions()), 30.0):
            v.stop()
            raise RuntimeError("the departing client did not get a session within 30s")
        rec.details["session"] = v.sessions()[-1]
        rec.details["session_timeout"] = self.session_timeout
        rec.start = time.time()
        v.proc.send_signal(signal.SIGKILL)  # gone without closing: the server must expire the session
        try:
            v.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
        self.sleep(max(pf.hold, self.session_timeout + 1.0))  # the schedule's hold already includes the timeout
        rec.end = time.time()

    @injects("snapshot")
    def _snapshot(self, pf: PlannedFault, rec: FaultRecord) -> None:
        from kazoo.client import KazooClient

        zk = KazooClient(hosts=self.hosts, timeout=self.session_timeout)
        zk.start(timeout=10)
        try:
            path = f"{ROOT}/snapshot-op"
            zk.ensure_path(path)
            rec.start = time.time()
            # ZooKeeper rolls its log and snapshots after snapCount/2 .. snapCount transactions
            writes = self.snap_count + 100
            for chunk in range(0, writes, 200):
                futures = [zk.set_async(path, str(chunk + j).encode()) for j in range(min(200, writes - chunk))]
                for f in futures:
                    f.get(timeout=30)
            rec.details["writes"] = writes
            self.sleep(pf.hold)
        finally:
            zk.stop()
            zk.close()
        rec.end = time.time()


def choose_host(hosts: list[str], pick: float, i: int) -> str:
    """The i-th host of a burst, rotating from the one the schedule's pick designates."""
    return hosts[(int(pick * len(hosts)) + i) % len(hosts)]


def missing_injectors(kinds=None) -> list[str]:
    """Kinds of the schedule's tables (or `kinds`) that no `@injects` method carries out, and injectors of kinds
    no table names: empty when the tables and the injectors agree."""
    table = set(KINDS) | set(OPERATIONS) if kinds is None else set(kinds)
    have = set(Operator.handlers())
    gaps = [f"{k}: no injector" for k in sorted(table - have)]
    if kinds is None:
        gaps += [f"{k}: an injector but in no table" for k in sorted(have - table)]
    return gaps
