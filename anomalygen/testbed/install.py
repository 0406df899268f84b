"""Finding (and, only when asked, fetching) a ZooKeeper server and a Java runtime to run it.

Three kinds of installation are recognised:

- `debian`: the jars of Debian's `libzookeeper-java` (3.8.0) and the few libraries it needs, either installed
  system-wide (`/usr/share/java/zookeeper.jar`) or unpacked without installing into a cache folder
  (`~/.cache/anomalygen/zookeeper/debian`, or `$ANOMALYGEN_ZK_CACHE`) by `install_debian()`, which runs
  `apt-get download` + `dpkg -x`: nothing is installed into the system, no root needed.
  Debian's build logs through slf4j-log4j12 + log4j 1.2.
- `apache`: an Apache release (`apache-zookeeper-X-bin`), pointed to with `--zk-home`: `lib/*.jar`; from 3.8.0
  on it logs through logback.
- any folder with `usr/share/java/zookeeper.jar` (a Debian tree unpacked elsewhere) given as `--zk-home`.

Nothing is installed silently: `locate()` raises `MissingServer` with the command that gets what is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

# Debian packages whose jars the server needs at run time (bookworm: zookeeper 3.8.0-11)
DEBIAN_PACKAGES = [
    "libzookeeper-java",
    "libslf4j-java",
    "liblog4j1.2-java",
    "libdropwizard-metrics-java",
    "libnetty-java",
    "libjackson2-annotations-java",
    "libjackson2-core-java",
    "libjackson2-databind-java",
    "libjetty9-java",
    "libservlet-api-java",
    "libcommons-cli-java",
    "libcommons-io-java",
    "libsnappy-java",
    "libfindbugs-annotations-java",
]
# jars (under usr/share/java) on the server's class path, in order
DEBIAN_JARS = [
    "zookeeper.jar",
    "zookeeper-jute.jar",
    "slf4j-api.jar",
    "slf4j-log4j12.jar",
    "log4j-1.2.jar",
    "metrics-core.jar",
    "netty-buffer.jar",
    "netty-codec.jar",
    "netty-common.jar",
    "netty-handler.jar",
    "netty-resolver.jar",
    "netty-transport.jar",
    "netty-transport-native-unix-common.jar",
    "netty-transport-native-epoll.jar",
    "jackson-annotations.jar",
    "jackson-core.jar",
    "jackson-databind.jar",
    "jetty9-http.jar",
    "jetty9-io.jar",
    "jetty9-security.jar",
    "jetty9-server.jar",
    "jetty9-servlet.jar",
    "jetty9-util.jar",
    "servlet-api.jar",
    "commons-cli.jar",
    "commons-io.jar",
    "snappy-java.jar",
    "findbugs-annotations.jar",
]
# without these the server does not start (the others are needed by optional features)
REQUIRED_JARS = ["zookeeper.jar", "zookeeper-jute.jar", "slf4j-api.jar", "metrics-core.jar"]
LOG4J_JARS = ["slf4j-log4j12.jar", "log4j-1.2.jar"]

MAIN_CLASS = "org.apache.zookeeper.server.quorum.QuorumPeerMain"
INSTALL_HINT = "anomalygen testbed zookeeper --install   (apt-get download + dpkg -x into {cache}; no root needed)"


class MissingServer(RuntimeError):
    """Java or the ZooKeeper server cannot be found; the message says what is missing and how to get it."""


@dataclass
class ZkDist:
    kind: str  # "debian" | "apache"
    home: Path
    classpath: list[Path]
    logging: str  # "log4j" | "logback"
    version: str
    java: str
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "home": str(self.home),
            "classpath": [str(p) for p in self.classpath],
            "logging": self.logging,
            "version": self.version,
            "java": self.java,
            "notes": self.notes,
        }


def default_cache() -> Path:
    env = os.environ.get("ANOMALYGEN_ZK_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "anomalygen" / "zookeeper" / "debian"


def find_java() -> tuple[str, str]:
    """(path of java, its version line); raises MissingServer."""
    java = None
    jh = os.environ.get("JAVA_HOME")
    if jh and (Path(jh) / "bin" / "java").exists():
        java = str(Path(jh) / "bin" / "java")
    java = java or shutil.which("java")
    if not java:
        raise MissingServer(
            "Java is not installed (no `java` on PATH, no $JAVA_HOME/bin/java); ZooKeeper 3.8 needs "
            "Java 8+: apt-get install default-jre-headless"
        )
    try:
        res = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise MissingServer(f"`{java} -version` failed: {err}") from None
    first = (res.stderr or res.stdout).strip().splitlines()
    if res.returncode != 0 or not first:
        raise MissingServer(f"`{java} -version` exited {res.returncode}: {(res.stderr or '').strip()[:200]}")
    return java, first[0]


def _version_from_jar(path: Path) -> str:
    m = re.search(r"zookeeper-(\d+\.\d+\.\d+)", path.resolve().name)
    if m:
        return m.group(1)
    # Debian: /usr/share/java/zookeeper.jar -> zookeeper-3.8.0.jar
    for sib in sorted(path.parent.glob("zookeeper-[0-9]*.jar")):
        m = re.search(r"zookeeper-(\d+\.\d+\.\d+)\.jar$", sib.name)
        if m:
            return m.group(1)
    return "unknown"


def _debian_dist(root: Path, java: str) -> ZkDist | None:
    """A Debian layout: ROOT/usr/share/java/zookeeper.jar (ROOT = / for a system install)."""
    jars = root / "usr" / "share" / "java"
    if not (jars / "zookeeper.jar").exists():
        return None
    missing = [j for j in REQUIRED_JARS + LOG4J_JARS if not (jars / j).exists()]
    if missing:
        raise MissingServer(
            f"ZooKeeper at {root} lacks {', '.join(missing)} under {jars}; get them with "
            + INSTALL_HINT.format(cache=default_cache())
        )
    cp = [jars / j for j in DEBIAN_JARS if (jars / j).exists()]
    notes = [f"optional jar absent: {j}" for j in DEBIAN_JARS if not (jars / j).exists()]
    return ZkDist("debian", root, cp, "log4j", _version_from_jar(jars / "zookeeper.jar"), java, notes)


def _apache_dist(home: Path, java: str) -> ZkDist | None:
    lib = home / "lib"
    zk = sorted(lib.glob("zookeeper-[0-9]*.jar"))
    if not zk:
        return None
    cp = sorted(lib.glob("*.jar"))
    names = {p.name for p in cp}
    logging = "logback" if any(n.startswith("logback-classic") for n in names) else "log4j"
    if logging == "log4j" and not any(n.startswith("log4j") for n in names):
        raise MissingServer(f"{lib}: neither logback-classic nor log4j jars: no file logging possible")
    return ZkDist("apache", home, cp, logging, _version_from_jar(zk[0]), java)


def locate(zk_home: Path | None = None, cache: Path | None = None) -> ZkDist:
    """The server to run: --zk-home, else the cache, else a system install; raises MissingServer."""
    java, version = find_java()
    if zk_home is not None:
        home = Path(zk_home)
        if not home.exists():
            raise MissingServer(f"--zk-home {home} does not exist")
        dist = _apache_dist(home, java) or _debian_dist(home, java)
        if dist is None:
            raise MissingServer(
                f"--zk-home {home}: no lib/zookeeper-X.jar (Apache release) and no "
                "usr/share/java/zookeeper.jar (Debian tree) under it"
            )
        dist.notes.append(version)
        return dist
    cache = cache or default_cache()
    tried = []
    for root in (cache / "root", Path("/")):
        tried.append(str(root / "usr/share/java/zookeeper.jar"))
        dist = _debian_dist(root, java)
        if dist is not None:
            dist.notes.append(version)
            return dist
    raise MissingServer(
        "no ZooKeeper server found (looked for " + ", ".join(tried) + "). Get Debian's 3.8.0 jars "
        "with: " + INSTALL_HINT.format(cache=cache) + "; or point --zk-home to an Apache release "
        "(apache-zookeeper-3.8.x-bin)"
    )


def install_debian(cache: Path | None = None, packages: list[str] | None = None, log=print) -> Path:
    """`apt-get download` the server's packages and unpack them with `dpkg -x` into CACHE/root; returns CACHE.

    Needs apt's package lists (run `apt-get update` first if `apt-get download` says it cannot find a package)."""
    cache = cache or default_cache()
    packages = packages or DEBIAN_PACKAGES
    for tool in ("apt-get", "dpkg"):
        if not shutil.which(tool):
            raise MissingServer(
                f"`{tool}` is not available: not a Debian system; download an Apache ZooKeeper 3.8 "
                "release and pass --zk-home"
            )
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="zkdl-", dir=cache) as tmp:
        log(f"apt-get download {' '.join(packages)}")
        res = subprocess.run(["apt-get", "download", *packages], cwd=tmp, capture_output=True, text=True)
        if res.returncode != 0:
            raise MissingServer(
                f"`apt-get download` failed ({res.returncode}): {res.stderr.strip()[-800:]}\n"
                "if packages are not found, run `apt-get update` first"
            )
        debs = sorted(Path(tmp).glob("*.deb"))
        staging = Path(tmp) / "root"
        for deb in debs:
            res = subprocess.run(["dpkg", "-x", str(deb), str(staging)], capture_output=True, text=True)
            if res.returncode != 0:
                raise MissingServer(f"`dpkg -x {deb.name}` failed: {res.stderr.strip()[-400:]}")
        (staging / "PACKAGES").write_text("\n".join(d.name for d in debs) + "\n", encoding="utf-8")
        target = cache / "root"
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    log(f"unpacked {len(debs)} packages into {cache / 'root'}")
    return cache
