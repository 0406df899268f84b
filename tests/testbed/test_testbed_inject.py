"""The injector's bookkeeping against a simulated ensemble (no Java): targets by role, records, undo steps.

The disk-full fault is checked on a real child process: its file-size limit is 0 during the hold and restored
after."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from anomalygen.testbed.inject import Injector
from anomalygen.testbed.schedule import PlannedFault, choose


class FakeServer:
    def __init__(self, ens, sid):
        self.ens, self.sid = ens, sid
        self.proc = None
        self.paused = False
        self.starts = 0
        self.signals = []
        self.start()

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self):
        self.proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
        self.starts += 1
        self.ens.role[self.sid] = "looking"
        self.ens.elect()

    def signal(self, sig):
        self.signals.append(sig)
        if sig == signal.SIGSTOP:
            self.paused = True
            self.ens.role[self.sid] = None
            self.ens.elect()
        elif sig == signal.SIGCONT:
            self.paused = False
            self.ens.role[self.sid] = "looking"
            self.ens.elect()

    def _die(self):
        self.proc.kill()
        self.proc.wait()
        self.ens.role[self.sid] = None
        self.ens.elect()

    def kill(self):
        self.signals.append(signal.SIGKILL)
        self._die()

    def stop(self):
        self.signals.append(signal.SIGTERM)
        self._die()
        return 143

    def wait_exit(self, timeout):
        return self.proc.poll()


class FakeEnsemble:
    """Majority rule: with 2 of 3 up, the lowest running id leads (as a stand-in for ZooKeeper's election)."""

    def __init__(self, leader=3):
        self.role = {}
        self.events = []
        self.servers = {}
        self.forced = leader
        for sid in (1, 2, 3):
            self.servers[sid] = FakeServer(self, sid)
        self.forced = None

    def elect(self):
        up = [s for s, r in self.role.items() if r is not None]
        if len(self.role) < 3:
            return
        current = [s for s in up if self.role[s] == "leading"]
        if len(up) < 2:
            for s in up:
                self.role[s] = "looking"
            return
        if current:
            for s in up:
                if s not in current:
                    self.role[s] = "following"
            return
        new = self.forced if self.forced in up else min(up)
        for s in up:
            self.role[s] = "leading" if s == new else "following"
        self.events.append({"t": time.time(), "sid": new, "role": "leading"})

    def roles(self):
        return dict(self.role)

    def leader(self):
        ls = [s for s, r in self.role.items() if r == "leading"]
        return ls[0] if len(ls) == 1 else None

    def followers(self):
        return [s for s, r in self.role.items() if r == "following"]

    def healthy(self):
        rs = list(self.role.values())
        return rs.count("leading") == 1 and rs.count("following") == 2

    def wait_for(self, pred, timeout, poll=0.01):
        return pred()

    def wait_for_leader(self, timeout=60.0, exclude=None):
        ld = self.leader()
        return ld if ld != exclude else None

    def elections(self, since=0.0):
        return [e for e in self.events if e["t"] >= since]

    def close(self):
        for s in self.servers.values():
            if s.alive():
                s.proc.kill()
                s.proc.wait()


@pytest.fixture
def ens():
    e = FakeEnsemble(leader=3)
    yield e
    e.close()


def pf(kind, hold=0.3, pick=0.0):
    return PlannedFault(0, kind, 1.0, hold, 5, pick)


def test_leader_kill_targets_the_leader_and_restarts_it(ens):
    rec = Injector(ens).run(pf("leader_kill"))
    assert rec.error is None and rec.targets == [3] and rec.roles[3] == "leading"
    assert rec.start < rec.end and rec.recovered is not None
    assert rec.details["new_leader"] == 1 and rec.details["leader_after"] == 1
    assert ens.servers[3].signals == [signal.SIGKILL] and ens.servers[3].starts == 2
    d = rec.to_dict()
    assert d["roles"] == {"1": "following", "2": "following", "3": "leading"} and d["start_iso"].endswith("+00:00")


@pytest.mark.parametrize("pick, target", [(0.0, 1), (0.9, 2)])
def test_follower_kill_picks_among_followers(ens, pick, target):
    rec = Injector(ens).run(pf("follower_kill", pick=pick))
    assert rec.targets == [target] and rec.details["new_leader"] is None
    assert ens.servers[3].signals == []


def test_quorum_loss_kills_two_and_keeps_the_picked_one(ens):
    rec = Injector(ens).run(pf("quorum_loss", pick=0.5))
    keep = choose([1, 2, 3], 0.5)
    assert rec.details["kept"] == keep and sorted(rec.targets) == sorted({1, 2, 3} - {keep})
    assert rec.details["new_leader"] is None  # no majority during the hold
    assert all(ens.servers[s].starts == 2 for s in rec.targets) and ens.servers[keep].starts == 1


def test_pause_sends_stop_then_cont(ens):
    rec = Injector(ens).run(pf("pause", pick=0.99))  # server 3, the leader
    assert rec.targets == [3]
    assert ens.servers[3].signals == [signal.SIGSTOP, signal.SIGCONT]
    assert rec.details["new_leader"] == 1


def test_restart_is_graceful(ens):
    rec = Injector(ens).run(pf("restart", pick=0.0))
    assert rec.targets == [1] and rec.details["exit_code"] == 143
    assert ens.servers[1].signals == [signal.SIGTERM] and ens.servers[1].starts == 2


def _fsize(pid):
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max file size"):
            return line.split()[3]
    raise AssertionError("no file size limit line")


def test_disk_full_limits_writes_during_the_hold_and_lifts_it(ens):
    seen = []
    inj = Injector(ens, sleep=lambda s: (seen.append(_fsize(ens.servers[1].pid)), time.sleep(s)))
    rec = inj.run(pf("disk_full", pick=0.0))
    assert rec.targets == [1] and rec.details["server_exited"] is False
    assert seen and set(seen) == {"0"}
    assert _fsize(ens.servers[1].pid) == "unlimited"


def test_disk_full_restarts_a_server_that_exited(ens):
    def sleep(s):
        if ens.servers[2].alive():
            ens.servers[2]._die()  # ZooKeeper exits (code 10) when it cannot write its snapshot
        time.sleep(s)

    rec = Injector(ens, sleep=sleep).run(pf("disk_full", pick=0.5))
    assert rec.targets == [2] and rec.details["server_exited"] is True
    assert ens.servers[2].starts == 2 and ens.servers[2].alive()


def test_a_fault_that_cannot_run_is_recorded_not_raised(ens):
    for s in (1, 2):
        ens.servers[s]._die()  # no majority: no leader
    rec = Injector(ens).run(pf("leader_kill"))
    assert rec.start is None and rec.error.startswith("RuntimeError: no leader")
    rec = Injector(ens, victim=None).run(pf("session_expiry"))
    assert rec.error == "RuntimeError: no session-expiry client running"


def test_ctrl_c_during_a_fault_leaves_a_closed_record(ens):
    def sleep(s):
        raise KeyboardInterrupt

    inj = Injector(ens, sleep=sleep)
    with pytest.raises(KeyboardInterrupt):
        inj.run(pf("pause", pick=0.0))
    rec = inj.current
    assert rec is not None and rec.kind == "pause" and rec.error == "interrupted"
    assert rec.start is not None and rec.end is not None and rec.end >= rec.start
    assert ens.servers[1].signals == [signal.SIGSTOP, signal.SIGCONT]  # the pause was undone on the way out


def test_every_kind_has_exactly_one_injector_and_every_injector_a_kind():
    from anomalygen.testbed.operations import Operator, missing_injectors
    from anomalygen.testbed.schedule import KINDS, OPERATIONS

    assert set(Injector.handlers()) == set(KINDS)  # faults: the base injector
    assert set(Operator.handlers()) == set(KINDS) | set(OPERATIONS)  # planned operations on top
    assert missing_injectors() == []
    assert missing_injectors({"pause", "meteor_strike"}) == ["meteor_strike: no injector"]


def test_a_kind_without_injector_is_recorded_as_an_error(ens):
    rec = Injector(ens, sleep=lambda s: None).run(pf("graceful_restart"))  # an operation: not the base's
    assert rec.error == "ValueError: no injector for kind 'graceful_restart'" and rec.start is None
