"""Ensemble layout: ports, folders, `zoo.cfg`, `myid` and the logging configuration of each server."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from pathlib import Path

# loghub's ZooKeeper layout (log4j 1.2 PatternLayout); logback understands the same conversion words
LOG_PATTERN = "%d{ISO8601} - %-5p [%t:%C{1}@%L] - %m%n"
HOST = "127.0.0.1"
FOUR_LETTER_WORDS = "srvr,ruok,mntr,stat,conf"


@dataclass
class NodeConfig:
    sid: int
    client_port: int
    quorum_port: int
    election_port: int
    dir: Path  # OUT/servers/zkN: conf/, data/

    @property
    def name(self) -> str:
        return f"zk{self.sid}"

    @property
    def conf_dir(self) -> Path:
        return self.dir / "conf"

    @property
    def data_dir(self) -> Path:
        return self.dir / "data"

    @property
    def zoo_cfg(self) -> Path:
        return self.conf_dir / "zoo.cfg"

    def to_dict(self) -> dict:
        return {
            "sid": self.sid,
            "name": self.name,
            "client_port": self.client_port,
            "quorum_port": self.quorum_port,
            "election_port": self.election_port,
            "dir": str(self.dir),
        }


@dataclass
class EnsembleConfig:
    nodes: list[NodeConfig]
    out: Path
    tick_time_ms: int = 1000
    init_limit: int = 10
    sync_limit: int = 5
    heap_mb: int = 192
    jvm_flags: list[str] = field(default_factory=lambda: ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k"])

    @property
    def hosts(self) -> str:
        """kazoo/ZooKeeper connect string of all servers."""
        return ",".join(f"{HOST}:{n.client_port}" for n in self.nodes)

    def node(self, sid: int) -> NodeConfig:
        for n in self.nodes:
            if n.sid == sid:
                return n
        raise KeyError(f"no server with id {sid}")

    def log_path(self, sid: int) -> Path:
        return self.out / "logs" / f"zookeeper-{sid}.log"

    def to_dict(self) -> dict:
        return {
            "nodes": [n.to_dict() for n in self.nodes],
            "tick_time_ms": self.tick_time_ms,
            "init_limit": self.init_limit,
            "sync_limit": self.sync_limit,
            "heap_mb": self.heap_mb,
            "jvm_flags": self.jvm_flags,
        }


def free_ports(count: int, host: str = HOST) -> list[int]:
    """`count` distinct ports free on `host` now (bound together, then released)."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def make_config(out: Path, size: int = 3, base_port: int | None = None, **kw) -> EnsembleConfig:
    """Ports: from `base_port` (client base+i, quorum base+100+i, election base+200+i) or any free ones."""
    if size < 1:
        raise ValueError("an ensemble needs at least one server")
    if base_port is not None:
        if not 1024 <= base_port <= 65535 - 200 - size:
            raise ValueError(f"base port {base_port} out of range 1024..{65535 - 200 - size}")
        ports = [(base_port + i, base_port + 100 + i, base_port + 200 + i) for i in range(size)]
    else:
        flat = free_ports(3 * size)
        ports = [(flat[3 * i], flat[3 * i + 1], flat[3 * i + 2]) for i in range(size)]
    out = Path(out)
    nodes = [NodeConfig(i + 1, *ports[i], out / "servers" / f"zk{i + 1}") for i in range(size)]
    used = [p for n in nodes for p in (n.client_port, n.quorum_port, n.election_port)]
    if len(set(used)) != len(used):
        raise ValueError(f"ports collide: {used}")
    return EnsembleConfig(nodes, out, **kw)


def zoo_cfg_text(cfg: EnsembleConfig, node: NodeConfig) -> str:
    lines = [
        f"tickTime={cfg.tick_time_ms}",
        f"initLimit={cfg.init_limit}",
        f"syncLimit={cfg.sync_limit}",
        f"dataDir={node.data_dir}",
        f"clientPort={node.client_port}",
        f"clientPortAddress={HOST}",
        "maxClientCnxns=200",
        "admin.enableServer=false",
        f"4lw.commands.whitelist={FOUR_LETTER_WORDS}",
        "autopurge.snapRetainCount=3",
        "autopurge.purgeInterval=0",
        # snapshots roll often enough to show up in a run of minutes
        "snapCount=2000",
    ]
    for n in cfg.nodes:
        lines.append(f"server.{n.sid}={HOST}:{n.quorum_port}:{n.election_port}")
    return "\n".join(lines) + "\n"


def log4j_properties() -> str:
    # to stdout: the harness pumps it into the log file, so that a file-size limit on the server (the
    # disk-full fault) does not silence its own log
    return (
        "log4j.rootLogger=INFO, CONSOLE\n"
        "log4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender\n"
        "log4j.appender.CONSOLE.Target=System.out\n"
        "log4j.appender.CONSOLE.Threshold=INFO\n"
        "log4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout\n"
        f"log4j.appender.CONSOLE.layout.ConversionPattern={LOG_PATTERN}\n"
    )


def logback_xml() -> str:
    return (
        "<configuration>\n"
        '  <appender name="CONSOLE" class="ch.qos.logback.core.ConsoleAppender">\n'
        f"    <encoder><pattern>{LOG_PATTERN}</pattern></encoder>\n"
        "  </appender>\n"
        '  <root level="INFO"><appender-ref ref="CONSOLE"/></root>\n'
        "</configuration>\n"
    )


def write_files(cfg: EnsembleConfig, logging: str = "log4j") -> None:
    """zoo.cfg, the logging configuration and data/myid of every server; the logs folder."""
    (cfg.out / "logs").mkdir(parents=True, exist_ok=True)
    for n in cfg.nodes:
        n.conf_dir.mkdir(parents=True, exist_ok=True)
        n.data_dir.mkdir(parents=True, exist_ok=True)
        n.zoo_cfg.write_text(zoo_cfg_text(cfg, n), encoding="utf-8")
        (n.data_dir / "myid").write_text(f"{n.sid}\n", encoding="utf-8")
        if logging == "logback":
            (n.conf_dir / "logback.xml").write_text(logback_xml(), encoding="utf-8")
        else:
            (n.conf_dir / "log4j.properties").write_text(log4j_properties(), encoding="utf-8")


def java_command(
    cfg: EnsembleConfig, node: NodeConfig, java: str, classpath: list[Path], logging: str, main_class: str
) -> list[str]:
    log_conf = (
        [f"-Dlogback.configurationFile={node.conf_dir / 'logback.xml'}"]
        if logging == "logback"
        else [f"-Dlog4j.configuration=file:{node.conf_dir / 'log4j.properties'}"]
    )
    return [
        java,
        f"-Xmx{cfg.heap_mb}m",
        *cfg.jvm_flags,
        "-Duser.timezone=UTC",
        "-Dzookeeper.jmx.log4j.disable=true",
        f"-Dzookeeper.log.dir={cfg.out / 'logs'}",
        *log_conf,
        "-cp",
        ":".join([str(node.conf_dir), *map(str, classpath)]),
        main_class,
        str(node.zoo_cfg),
    ]
