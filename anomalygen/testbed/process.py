"""Server processes: start, signals, restart, roles from their own logs, and cleanup by pid.

Every child process started here is registered in `REGISTRY`; `install_cleanup()` makes sure each is killed
(SIGCONT first, for paused ones, then SIGTERM, then SIGKILL) on normal exit (atexit), on SIGINT/SIGTERM, and the
runner calls `REGISTRY.kill_all()` in a `finally`. Where util-linux's `setpriv` exists, children also get
PDEATHSIG=KILL, so that they die with the harness even when it is killed with -9.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import subprocess
import threading
import time

from anomalygen.testbed.config import EnsembleConfig, NodeConfig, java_command
from anomalygen.testbed.install import MAIN_CLASS, ZkDist


class _Registry:
    """pid -> Popen of every live child; thread-safe."""

    def __init__(self) -> None:
        self._procs: dict[int, subprocess.Popen] = {}
        self._lock = threading.RLock()  # re-entrant: the SIGINT handler may run while the main thread holds it

    def add(self, proc: subprocess.Popen) -> None:
        with self._lock:
            self._procs[proc.pid] = proc

    def discard(self, proc: subprocess.Popen) -> None:
        with self._lock:
            self._procs.pop(proc.pid, None)

    def pids(self) -> list[int]:
        with self._lock:
            return sorted(self._procs)

    def kill_all(self, grace: float = 3.0) -> list[int]:
        """Stop every registered child that still runs; returns the pids signalled."""
        with self._lock:
            procs = list(self._procs.values())
        live = [p for p in procs if p.poll() is None]
        for p in live:
            for sig in (signal.SIGCONT, signal.SIGTERM):
                try:
                    os.kill(p.pid, sig)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + grace
        for p in live:
            try:
                p.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                try:
                    os.kill(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait()
        with self._lock:
            for p in procs:
                self._procs.pop(p.pid, None)
        return [p.pid for p in live]


REGISTRY = _Registry()
_installed = False


def install_cleanup() -> None:
    """atexit + SIGINT/SIGTERM handlers that kill every registered child (once per process)."""
    global _installed
    if _installed or threading.current_thread() is not threading.main_thread():
        return
    _installed = True
    atexit.register(REGISTRY.kill_all)

    def on_signal(signum, frame):
        REGISTRY.kill_all()
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)


def _pdeathsig_prefix() -> list[str]:
    setpriv = shutil.which("setpriv")
    if not setpriv:
        return []
    try:
        ok = subprocess.run([setpriv, "--pdeathsig", "KILL", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ok = False
    return [setpriv, "--pdeathsig", "KILL"] if ok else []


_PREFIX: list[str] | None = None


def spawn(cmd: list[str], **kw) -> subprocess.Popen:
    """Popen registered for cleanup, with PDEATHSIG where possible."""
    global _PREFIX
    if _PREFIX is None:
        _PREFIX = _pdeathsig_prefix()
    proc = subprocess.Popen([*_PREFIX, *cmd], **kw)
    REGISTRY.add(proc)
    return proc


_ROLE_MARKS = (
    (b" - LEADING - LEADER ELECTION TOOK", "leading"),
    (b" - FOLLOWING - LEADER ELECTION TOOK", "following"),
    (b" - LOOKING", "looking"),
    (b" - PeerState set to LOOKING", "looking"),
)


def role_of_line(line: bytes) -> str | None:
    """The peer state a server's own log line announces (QuorumPeer/Leader/Follower lines), else None."""
    for mark, role in _ROLE_MARKS:
        if mark in line and (b"QuorumPeer" in line or b":Leader@" in line or b":Follower@" in line):
            if role == "looking" and not line.rstrip().endswith(b"LOOKING"):
                continue
            return role
    return None


class Server:
    """One ZooKeeper server process; its stdout (the log) is pumped into the log file, across restarts."""

    def __init__(self, cfg: EnsembleConfig, node: NodeConfig, dist: ZkDist, on_role=None):
        self.cfg, self.node, self.dist = cfg, node, dist
        self.proc: subprocess.Popen | None = None
        self.paused = False
        self.starts = 0
        self.role: str | None = None  # from the server's own log: looking / following / leading
        self._on_role = on_role
        self._pump: threading.Thread | None = None

    @property
    def sid(self) -> int:
        return self.node.sid

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> None:
        if self.alive():
            raise RuntimeError(f"{self.node.name} already runs (pid {self.pid})")
        cmd = java_command(self.cfg, self.node, self.dist.java, self.dist.classpath, self.dist.logging, MAIN_CLASS)
        with open(self.node.dir / "jvm.out", "ab") as err:
            self.proc = spawn(cmd, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL, cwd=self.node.dir)
        self.paused = False
        self.starts += 1
        self._set_role(None)
        (self.node.dir / "pid").write_text(f"{self.proc.pid}\n", encoding="utf-8")
        self._pump = threading.Thread(
            target=self._pump_log, args=(self.proc,), daemon=True, name=f"pump-{self.node.name}"
        )
        self._pump.start()

    def _pump_log(self, proc: subprocess.Popen) -> None:
        path = self.cfg.log_path(self.sid)
        with open(path, "ab") as fh:
            for line in iter(proc.stdout.readline, b""):
                fh.write(line)
                fh.flush()
                role = role_of_line(line)
                if role is not None and self.proc is proc:
                    self._set_role(role)
        proc.stdout.close()
        if self.proc is proc:
            self._set_role(None)

    def _set_role(self, role: str | None) -> None:
        if role != self.role:
            self.role = role
            if self._on_role is not None:
                self._on_role(self.sid, role)

    def signal(self, sig: int) -> None:
        if not self.alive():
            raise RuntimeError(f"{self.node.name} is not running")
        os.kill(self.proc.pid, sig)
        if sig == signal.SIGSTOP:
            self.paused = True
        elif sig == signal.SIGCONT:
            self.paused = False

    def wait_exit(self, timeout: float) -> int | None:
        if self.proc is None:
            return None
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        if self._pump is not None:
            self._pump.join(5)
        REGISTRY.discard(self.proc)
        return rc

    def kill(self) -> None:
        """kill -9 (resumes nothing: a paused process dies too)."""
        self.signal(signal.SIGKILL)
        self.wait_exit(30)
        self.paused = False

    def stop(self, grace: float = 10.0) -> int | None:
        """SIGTERM, SIGKILL after `grace` seconds."""
        if not self.alive():
            return self.proc.returncode if self.proc else None
        if self.paused:
            self.signal(signal.SIGCONT)
        self.signal(signal.SIGTERM)
        rc = self.wait_exit(grace)
        if rc is None:
            self.kill()
            rc = self.proc.returncode
        return rc


class Ensemble:
    def __init__(self, cfg: EnsembleConfig, dist: ZkDist):
        self.cfg, self.dist = cfg, dist
        self.servers = {n.sid: Server(cfg, n, dist, self._role_changed) for n in cfg.nodes}
        self.role_events: list[dict] = []  # {t, sid, role}: every change of a server's peer state
        self._lock = threading.Lock()
        self._role_log = open(  # noqa: SIM115 - the pump threads write to it for the ensemble's life; close() closes it
            cfg.out / "roles.jsonl", "a", encoding="utf-8"
        )

    def _role_changed(self, sid: int, role: str | None) -> None:
        ev = {"t": round(time.time(), 3), "sid": sid, "role": role}
        with self._lock:
            self.role_events.append(ev)
            if not self._role_log.closed:
                self._role_log.write(json.dumps(ev) + "\n")
                self._role_log.flush()

    def elections(self, since: float = 0.0) -> list[dict]:
        """Every time a server started leading (after `since`)."""
        with self._lock:
            return [e for e in self.role_events if e["role"] == "leading" and e["t"] >= since]

    def start_all(self) -> None:
        for s in self.servers.values():
            s.start()

    def roles(self) -> dict[int, str | None]:
        """Peer states from the servers' own logs; None for a stopped or paused server."""
        return {sid: (s.role if s.alive() and not s.paused else None) for sid, s in self.servers.items()}

    def leader(self) -> int | None:
        leaders = [sid for sid, r in self.roles().items() if r == "leading"]
        return leaders[0] if len(leaders) == 1 else None

    def followers(self) -> list[int]:
        return [sid for sid, r in self.roles().items() if r == "following"]

    def healthy(self) -> bool:
        """Every server runs, one leads and the others follow (by their logs)."""
        roles = list(self.roles().values())
        return roles.count("leading") == 1 and roles.count("following") == len(roles) - 1

    def wait_for(self, predicate, timeout: float, poll: float = 0.25):
        """Poll `predicate()` until it returns something truthy or `timeout` passes; returns its last value."""
        deadline = time.monotonic() + timeout
        while True:
            val = predicate()
            if val or time.monotonic() >= deadline:
                return val
            time.sleep(poll)

    def wait_for_leader(self, timeout: float = 60.0, exclude: int | None = None) -> int | None:
        def pred():
            ld = self.leader()
            return ld if ld is not None and ld != exclude else None

        return self.wait_for(pred, timeout)

    def stop_all(self) -> None:
        for s in self.servers.values():
            s.stop()
        with self._lock:
            self._role_log.close()
