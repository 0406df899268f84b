"""CI smoke tests of the ZooKeeper testbed: a real 3-server ensemble, about a minute of workload, one leader kill;
and the same with one planned follower restart (labelled normal) instead.

Needs Java and Debian's ZooKeeper 3.8 jars. When the jars are not there, the test fetches them itself into the
user cache (`apt-get download` + `dpkg -x`, no install; `apt-get update` first when running as root and apt has no
package lists). It is skipped, loudly (a warning and the skip reason), only when that is impossible.
"""

import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from anomalygen.core.datasets import load_dataset, load_sessions_jsonl
from anomalygen.testbed import TestbedRequest, install, run_testbed
from anomalygen.testbed.process import REGISTRY

# slow: each module fixture starts a real 3-server ZooKeeper ensemble (a JVM each) for about a minute
pytestmark = pytest.mark.slow


def _obtain_server():
    """(ZkDist, None) or (None, why not)."""
    try:
        return install.locate(), None
    except install.MissingServer as err:
        why = str(err)
    if "Java" in why or not shutil.which("apt-get"):
        return None, why
    notes = []
    for attempt in range(2):
        try:
            install.install_debian(log=lambda msg: None)
            return install.locate(), None
        except install.MissingServer as err:
            notes.append(str(err))
        if attempt == 0 and hasattr(os, "geteuid") and os.geteuid() == 0:
            try:
                subprocess.run(["apt-get", "update"], capture_output=True, timeout=600)
            except (OSError, subprocess.TimeoutExpired) as err:
                notes.append(f"apt-get update failed: {err}")
                break
        else:
            break
    return None, why + " | fetching it failed: " + " | ".join(notes)


@pytest.fixture(scope="module")
def zk_dist():
    dist, why = _obtain_server()
    if dist is None:
        msg = f"ZOOKEEPER TESTBED SMOKE TEST NOT RUN: {why}"
        warnings.warn(msg, stacklevel=1)  # the message names this test, not a caller
        print("\n" + msg, file=sys.stderr)
        pytest.skip(msg)
    return dist


@pytest.fixture(scope="module")
def leader_kill_run(zk_dist, tmp_path_factory):
    out = tmp_path_factory.mktemp("zk_smoke") / "run"
    req = TestbedRequest(
        out=out, duration=60, faults="leader_kill", seed=1, rate=20, churn=1.0, window=5, margin=10, warmup=15, tail=10
    )
    return run_testbed(req, zk_dist)


@pytest.fixture(scope="module")
def planned_restart_run(zk_dist, tmp_path_factory):
    out = tmp_path_factory.mktemp("zk_smoke_planned") / "run"
    req = TestbedRequest(
        out=out,
        duration=60,
        faults="none",
        operations="graceful_restart",
        seed=1,
        rate=20,
        churn=1.0,
        window=5,
        margin=10,
        warmup=15,
        tail=10,
    )
    return run_testbed(req, zk_dist)


def _log_lines(path: Path):
    return path.read_text(encoding="utf-8", errors="replace").splitlines()


def test_leader_kill_elects_a_new_leader(leader_kill_run):
    res = leader_kill_run
    assert not res.interrupted
    assert len(res.faults) == 1
    f = res.faults[0]
    assert f.kind == "leader_kill" and f.error is None, f
    assert f.start < f.end and f.recovered is not None and f.recovered >= f.end
    (killed,) = f.targets
    assert f.roles[killed] == "leading"
    new = f.details["new_leader"]
    assert new is not None and new != killed, f.details
    # the new leader says so in its own log, after the kill
    from anomalygen.testbed.output import log_time

    took = []
    for line in _log_lines(res.out / "logs" / f"zookeeper-{new}.log"):
        if "LEADING - LEADER ELECTION TOOK" in line:
            date, time_ = line.split(" ")[:2]
            took.append(log_time(date, time_))
    assert any(t >= f.start - 0.01 for t in took), (took, f.start)
    # and the killed server came back as a follower
    roles = [json.loads(ln) for ln in _log_lines(res.out / "roles.jsonl")]
    assert any(r["sid"] == killed and r["role"] == "following" and r["t"] >= f.end for r in roles)
    assert res.summary["leader_elections"] >= 1 and new in res.summary["leaders"]
    # the followers noticed the loss of their leader
    others = [s for s in (1, 2, 3) if s != killed]
    assert any(
        "Exception when following the leader" in ln or "PeerState set to LOOKING" in ln
        for s in others
        for ln in _log_lines(res.out / "logs" / f"zookeeper-{s}.log")
    )


def test_fault_window_is_labelled(leader_kill_run):
    res = leader_kill_run
    f = res.faults[0]
    sessions = load_sessions_jsonl(res.out / "sessions.jsonl")
    assert sessions and load_dataset(res.out / "sessions.jsonl")
    raw = [json.loads(ln) for ln in _log_lines(res.out / "sessions.jsonl")]
    during = [w for w in raw if w["start"] < f.end and w["end"] > f.start]
    assert during and all(w["label"] == 1 and w["faults"] == [0] for w in during)
    before = [w for w in raw if w["end"] <= f.start]
    assert before and all(w["label"] == 0 for w in before)
    after = [w for w in raw if w["start"] > max(f.end, f.recovered) + 10]
    assert all(w["label"] == 0 for w in after)
    assert {s.label for s in sessions} == {0, 1}
    by_server = load_sessions_jsonl(res.out / "sessions_by_server.jsonl")
    assert {s.session_id.split("/")[0] for s in by_server} == {"zk1", "zk2", "zk3"}
    # the structured CSV labels the lines of the fault interval
    import csv

    with open(res.out / "structured.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["Server"] for r in rows} == {"zk1", "zk2", "zk3"}
    labelled = [r for r in rows if r["Label"] == "1"]
    assert labelled and all(f.start <= float(r["Timestamp"]) for r in labelled)
    assert any(r["Level"] in ("WARN", "ERROR") for r in labelled)
    assert res.summary["structured"]["anomalous_lines"] == len(labelled)


def test_outputs_and_cleanup(leader_kill_run):
    res = leader_kill_run
    out = res.out
    for name in (
        "faults.jsonl",
        "schedule.json",
        "summary.json",
        "testbed.manifest.json",
        "templates.csv",
        "logs/zookeeper-1.log",
        "logs/zookeeper-2.log",
        "logs/zookeeper-3.log",
    ):
        assert (out / name).is_file(), name
    manifest = json.loads((out / "testbed.manifest.json").read_text())
    assert manifest["stage"] == "testbed zookeeper" and manifest["params"]["seed"] == 1
    assert manifest["inputs"]["zookeeper"]["version"] == "3.8.0" or manifest["inputs"]["zookeeper"]["kind"] == "apache"
    rec = json.loads((out / "faults.jsonl").read_text().splitlines()[0])
    assert rec["kind"] == "leader_kill" and rec["start_iso"] and rec["end_iso"]
    stats = res.summary["workload"]
    assert stats["ops_total"] > 100 and stats["short_sessions"] > 0
    # every server process is gone
    assert REGISTRY.pids() == []
    for sid in (1, 2, 3):
        pid = int((out / "servers" / f"zk{sid}" / "pid").read_text())
        stat = Path(f"/proc/{pid}/stat")
        assert not stat.exists() or stat.read_text().split()[2] == "Z"


def test_ctrl_c_stops_every_server_and_keeps_the_record(zk_dist, tmp_path):
    import signal
    import time

    out = tmp_path / "interrupted"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[2]), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "anomalygen.cli",
            "testbed",
            "zookeeper",
            "--out",
            str(out),
            "--duration",
            "300",
            "--faults",
            "none",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            roles = out / "roles.jsonl"
            if (
                roles.exists()
                and '"leading"' in roles.read_text()
                and (out / "client.log").exists()
                and "CONNECTED" in (out / "client.log").read_text()
            ):
                break
            time.sleep(0.2)
        assert proc.poll() is None, proc.stdout.read()
        pids = [int((out / "servers" / f"zk{s}" / "pid").read_text()) for s in (1, 2, 3)]
        assert all(Path(f"/proc/{p}").exists() for p in pids)
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, output
    assert "interrupted" in output
    for p in pids:
        stat = Path(f"/proc/{p}/stat")
        assert not stat.exists() or stat.read_text().split()[2] == "Z", p
    summary = json.loads((out / "summary.json").read_text())
    assert summary["interrupted"] is True and summary["faults_run"] == 0
    assert (out / "faults.jsonl").read_text() == ""


def test_planned_restart_is_recorded_and_labelled_normal(planned_restart_run):
    res = planned_restart_run
    assert not res.interrupted and len(res.faults) == 1
    op = res.faults[0]
    assert op.kind == "graceful_restart" and op.planned and op.error is None, op
    assert op.start < op.end and op.recovered is not None
    (sid,) = op.targets
    assert op.roles[sid] == "following" and op.details["exit_code"] is not None
    assert (res.out / "faults.jsonl").read_text() == ""
    (rec,) = [json.loads(ln) for ln in _log_lines(res.out / "operations.jsonl")]
    assert rec["kind"] == "graceful_restart" and rec["planned"] is True and rec["start_iso"]
    # the restarted server logged a second start-up after the stop, and followed the same leader again
    starts = [ln for ln in _log_lines(res.out / "logs" / f"zookeeper-{sid}.log") if "Starting quorum peer" in ln]
    assert len(starts) >= 2, starts[:3]
    roles = [json.loads(ln) for ln in _log_lines(res.out / "roles.jsonl")]
    assert any(r["sid"] == sid and r["role"] == "following" and r["t"] >= op.end for r in roles)
    assert res.summary["leader_elections"] == 0 and res.summary["operations_run"] == 1
    # every window is normal; those around the restart say which operation they saw
    raw = [json.loads(ln) for ln in _log_lines(res.out / "sessions.jsonl")]
    assert raw and all(w["label"] == 0 and w["faults"] == [] for w in raw)
    during = [w for w in raw if w["start"] < op.end and w["end"] > op.start]
    assert during and all(w["operations"] == [0] and w["operation_kinds"] == ["graceful_restart"] for w in during)
    assert res.summary["sessions"]["anomalous"] == 0
    assert REGISTRY.pids() == []
