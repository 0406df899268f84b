"""Ensemble configuration, server lookup, role tracking and process cleanup (no Java needed)."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from anomalygen.cli import app
from anomalygen.testbed import config as cfgmod
from anomalygen.testbed import install
from anomalygen.testbed.process import REGISTRY, role_of_line, spawn


def test_config_ports_dirs_and_zoo_cfg(tmp_path):
    cfg = cfgmod.make_config(tmp_path, base_port=31000)
    assert [(n.sid, n.client_port, n.quorum_port, n.election_port) for n in cfg.nodes] == [
        (1, 31000, 31100, 31200),
        (2, 31001, 31101, 31201),
        (3, 31002, 31102, 31202),
    ]
    assert cfg.hosts == "127.0.0.1:31000,127.0.0.1:31001,127.0.0.1:31002"
    cfgmod.write_files(cfg, "log4j")
    for n in cfg.nodes:
        text = n.zoo_cfg.read_text()
        assert f"dataDir={tmp_path}/servers/zk{n.sid}/data\n" in text
        assert f"clientPort={n.client_port}\n" in text and "clientPortAddress=127.0.0.1\n" in text
        assert (
            "server.1=127.0.0.1:31100:31200\nserver.2=127.0.0.1:31101:31201\nserver.3=127.0.0.1:31102:31202\n" in text
        )
        assert "4lw.commands.whitelist=" in text and "admin.enableServer=false" in text
        assert (n.data_dir / "myid").read_text() == f"{n.sid}\n"
        props = (n.conf_dir / "log4j.properties").read_text()
        assert "ConversionPattern=%d{ISO8601} - %-5p [%t:%C{1}@%L] - %m%n\n" in props
    assert (tmp_path / "logs").is_dir()


def test_config_free_ports_are_distinct_and_base_port_checked(tmp_path):
    cfg = cfgmod.make_config(tmp_path)
    ports = [p for n in cfg.nodes for p in (n.client_port, n.quorum_port, n.election_port)]
    assert len(set(ports)) == 9
    with pytest.raises(ValueError, match="base port 80 out of range"):
        cfgmod.make_config(tmp_path, base_port=80)


def test_logback_config_uses_the_same_pattern(tmp_path):
    cfg = cfgmod.make_config(tmp_path, base_port=32000)
    cfgmod.write_files(cfg, "logback")
    xml = (cfg.nodes[0].conf_dir / "logback.xml").read_text()
    assert "<pattern>%d{ISO8601} - %-5p [%t:%C{1}@%L] - %m%n</pattern>" in xml


def test_java_command(tmp_path):
    cfg = cfgmod.make_config(tmp_path, base_port=33000)
    node = cfg.nodes[1]
    cmd = cfgmod.java_command(
        cfg, node, "/usr/bin/java", [Path("/j/zookeeper.jar"), Path("/j/log4j-1.2.jar")], "log4j", install.MAIN_CLASS
    )
    assert cmd[0] == "/usr/bin/java" and cmd[-2:] == [install.MAIN_CLASS, str(node.zoo_cfg)]
    assert "-Duser.timezone=UTC" in cmd
    assert f"-Dlog4j.configuration=file:{node.conf_dir}/log4j.properties" in cmd
    assert cmd[cmd.index("-cp") + 1] == f"{node.conf_dir}:/j/zookeeper.jar:/j/log4j-1.2.jar"


def test_roles_from_real_3_8_log_lines():
    qp = b"2026-11-24 20:42:47,017 - INFO  [QuorumPeer[myid=1](plain=127.0.0.1:41133)(secure=disabled):"
    assert role_of_line(qp + b"QuorumPeer@1455] - LOOKING\n") == "looking"
    assert role_of_line(qp + b"Follower@77] - FOLLOWING - LEADER ELECTION TOOK - 478 MS\n") == "following"
    assert role_of_line(qp + b"Leader@588] - LEADING - LEADER ELECTION TOOK - 303 MS\n") == "leading"
    assert role_of_line(qp.replace(b"INFO ", b"WARN ") + b"QuorumPeer@1585] - PeerState set to LOOKING\n") == "looking"
    assert (
        role_of_line(
            b"2026-11-24 20:42:46,580 - INFO  [WorkerReceiver[myid=1]:FastLeaderElection$Messenger"
            b"$WorkerReceiver@391] - Notification: my state:LOOKING; n.sid:1, n.state:LOOKING\n"
        )
        is None
    )
    assert role_of_line(qp + b"QuorumPeer@1537] - FOLLOWING\n") is None  # before the election is done


def test_registry_kills_running_and_paused_children():
    procs = [spawn([sys.executable, "-c", "import time; time.sleep(300)"]) for _ in range(2)]
    procs[1].send_signal(signal.SIGSTOP)
    assert set(p.pid for p in procs) <= set(REGISTRY.pids())
    killed = REGISTRY.kill_all(grace=5)
    assert set(p.pid for p in procs) <= set(killed)
    assert all(p.poll() is not None for p in procs)
    assert not set(p.pid for p in procs) & set(REGISTRY.pids())


def test_children_die_with_a_killed_harness(tmp_path):
    """PDEATHSIG: a harness killed with -9 takes its servers with it (where setpriv exists)."""
    import shutil

    if not shutil.which("setpriv"):
        pytest.skip("util-linux setpriv not available: no PDEATHSIG")
    pidfile = tmp_path / "child.pid"
    harness = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sys, time\n"
                "from anomalygen.testbed.process import spawn\n"
                "p = spawn([sys.executable, '-c', 'import time; time.sleep(300)'])\n"
                f"open({str(pidfile)!r}, 'w').write(str(p.pid))\n"
                "time.sleep(300)\n"
            ),
        ]
    )
    deadline = time.monotonic() + 30
    while not (pidfile.exists() and pidfile.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    child = int(pidfile.read_text())
    harness.kill()
    harness.wait()
    deadline = time.monotonic() + 10
    while Path(f"/proc/{child}").exists() and time.monotonic() < deadline:
        state = Path(f"/proc/{child}/stat").read_text().split()[2] if Path(f"/proc/{child}/stat").exists() else "X"
        if state == "Z":
            break  # killed, waiting for init to reap it
        time.sleep(0.05)
    stat = Path(f"/proc/{child}/stat")
    assert not stat.exists() or stat.read_text().split()[2] == "Z"


def _fake_jars(root: Path, names):
    d = root / "usr" / "share" / "java"
    d.mkdir(parents=True)
    for n in names:
        (d / n).write_bytes(b"PK")
    return d


def test_locate_debian_tree_and_missing_jars(tmp_path):
    d = _fake_jars(
        tmp_path / "deb",
        [
            "zookeeper.jar",
            "zookeeper-3.8.0.jar",
            "zookeeper-jute.jar",
            "slf4j-api.jar",
            "metrics-core.jar",
            "slf4j-log4j12.jar",
            "log4j-1.2.jar",
        ],
    )
    dist = install.locate(tmp_path / "deb")
    assert (dist.kind, dist.logging, dist.version) == ("debian", "log4j", "3.8.0")
    assert dist.classpath[0] == d / "zookeeper.jar" and d / "log4j-1.2.jar" in dist.classpath
    (d / "log4j-1.2.jar").unlink()
    with pytest.raises(install.MissingServer, match=r"lacks log4j-1.2.jar .* --install"):
        install.locate(tmp_path / "deb")


def test_locate_apache_release(tmp_path):
    lib = tmp_path / "apache-zookeeper-3.8.4-bin" / "lib"
    lib.mkdir(parents=True)
    for n in ("zookeeper-3.8.4.jar", "zookeeper-jute-3.8.4.jar", "logback-classic-1.2.10.jar", "slf4j-api-1.7.30.jar"):
        (lib / n).write_bytes(b"PK")
    dist = install.locate(lib.parent)
    assert (dist.kind, dist.logging, dist.version) == ("apache", "logback", "3.8.4")
    with pytest.raises(install.MissingServer, match=r"no lib/zookeeper-X\.jar"):
        install.locate(tmp_path)
    with pytest.raises(install.MissingServer, match="does not exist"):
        install.locate(tmp_path / "nope")


def test_locate_says_what_is_missing(tmp_path, monkeypatch):
    if Path("/usr/share/java/zookeeper.jar").exists():
        pytest.skip("a system-wide ZooKeeper is installed here")
    with pytest.raises(install.MissingServer) as err:
        install.locate(cache=tmp_path / "empty-cache")
    assert "anomalygen testbed zookeeper --install" in str(err.value) and "--zk-home" in str(err.value)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr(install.shutil, "which", lambda name: None)
    with pytest.raises(install.MissingServer, match="Java is not installed"):
        install.locate(cache=tmp_path / "empty-cache")


def test_cli_plan_and_bad_faults():
    runner = CliRunner()
    res = runner.invoke(
        app, ["testbed", "zookeeper", "--plan", "--faults", "leader_kill,pause", "--duration", "200", "--seed", "4"]
    )
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 2 and {ln.split()[1] for ln in lines} == {"leader_kill", "pause"}
    res = runner.invoke(app, ["testbed", "zookeeper", "--plan", "--faults", "leader_kil"])
    assert res.exit_code == 2 and "unknown kind 'leader_kil'" in res.output
    res = runner.invoke(app, ["testbed", "zookeeper", "--plan", "--faults", "all", "--duration", "30"])
    assert res.exit_code == 2 and "too short" in res.output


def test_kazoo_log_follows_the_current_run(tmp_path):
    import logging

    from anomalygen.testbed.workload import kazoo_logger

    log = kazoo_logger(tmp_path / "a.log")
    log.info("first run")
    log = kazoo_logger(tmp_path / "b.log")
    log.info("second run")
    for h in log.handlers:
        h.flush()
    assert "first run" in (tmp_path / "a.log").read_text() and "second run" not in (tmp_path / "a.log").read_text()
    assert "second run" in (tmp_path / "b.log").read_text()
    assert sum(getattr(h, "_testbed", False) for h in logging.getLogger("kazoo").handlers) == 1
