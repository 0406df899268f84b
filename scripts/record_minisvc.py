#!/usr/bin/env python3
"""Record labelled logs from the embedded example service (anomalygen/examples/minisvc) with injected faults.

Compiles the service together with the recording runtime (scripts/minisvc_runtime: small stand-ins for the SLF4J,
commons-logging and log4j APIs plus a java.util.logging Formatter, all writing one ZooKeeper-style line format),
runs it several times against one data directory with a seeded workload and seeded faults, and writes:

* `minisvc.log`: the runs' logs one after the other (header format: `anomalygen ... --format zookeeper`);
* `anomaly_label.csv`: loghub's `BlockId,Label` (Normal/Anomaly) for every block that appears in the log;
* `faults.csv`: the driver's ground truth per block (run, index, fault, label, client-side outcome);
* `manifest.json`: command, seed, runs, counts, JDK version, and what varies between recordings.

Ground truth comes from the workload driver (com.example.minisvc.Workload), never from the log text: a block is
anomalous iff the driver injected a *hard* fault into its session (disk-full, peer-down, slow-peer,
corrupt-checksum, bad-request, crash) or the session was still in flight when an injected crash killed the node
(it never completed); *transient* faults (volume-full, flaky-peer, slow-once) are recovered by the
service's own failover and retries and their sessions are normal, though they print WARN lines.

The shipped recording is a young system's timeline (`DEFAULT_RUNS`): the first three runs' clients only write
and read blocks (`--ops write,read`), the last two do the whole workload (in-place updates and deletes too) and
one of them is killed by an injected crash. The earliest 80% of the sessions, the training part of `anomalygen
run`'s default chronological split, therefore never shows a block being updated or deleted, though the code does
both and the test part holds plenty: the valid behaviour that synthesis from the code is meant to supply.

Needs only a JDK (javac, java on PATH or under $JAVA_HOME). Usage:

    python scripts/record_minisvc.py [--seed 0] [--out anomalygen/examples/minisvc/logs]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SERVICE_SRC = REPO / "anomalygen" / "examples" / "minisvc" / "src"
RUNTIME_SRC = Path(__file__).resolve().parent / "minisvc_runtime"
DEFAULT_OUT = REPO / "anomalygen" / "examples" / "minisvc" / "logs"
MAIN_CLASS = "com.example.minisvc.Server"
TS_FORMAT = "%Y-%m-%d %H:%M:%S,%f"
START = "2026-11-24 10:00:00,000"
LOG_FORMAT = "zookeeper"  # the anomalygen preset that reads the runtime's layout
BLOCK_RE = re.compile(r"blk_-?\d+")


@dataclass
class RunSpec:
    """One service run: its share of the workload and what the switchboard does to it."""

    blocks: int
    fault_rate: float = 0.03
    transient_rate: float = 0.05
    inject: list[str] = field(default_factory=list)  # FAULT@INDEX, e.g. crash@250
    workers: int = 2
    clients: int = 2
    ops: list[str] | None = None  # the clients' operations (write + any of read, update, delete); None: all

    def args(self, seed: int) -> list[str]:
        out = [
            "--blocks",
            str(self.blocks),
            "--seed",
            str(seed),
            "--fault-rate",
            str(self.fault_rate),
            "--transient-rate",
            str(self.transient_rate),
            "--workers",
            str(self.workers),
            "--clients",
            str(self.clients),
        ]
        if self.ops is not None:
            out += ["--ops", ",".join(self.ops)]
        for spec in self.inject:
            out += ["--inject", spec]
        return out


# the operations of a young system's first runs: its clients have only written and read blocks so far
EARLY_OPS = ["write", "read"]
# what the early runs never do, though the code can: the statements only these operations print
WITHHELD_OPS = ["update", "delete"]

# the shipped recording, a young system's timeline: three runs of writes and reads only (hard and transient faults
# at the usual rates), then two runs of the whole workload, the first cut short by a crash that the second
# recovers from at start-up. The early runs hold over 80% of the sessions, so the training part of `anomalygen
# run`'s chronological 80/20 split never sees a block updated or deleted.
DEFAULT_RUNS = [
    RunSpec(blocks=800, ops=EARLY_OPS),
    RunSpec(blocks=600, ops=EARLY_OPS),
    RunSpec(blocks=500, ops=EARLY_OPS),
    RunSpec(blocks=250, inject=["crash@200"]),
    RunSpec(blocks=230, workers=3, clients=3),
]


def java_tool(name: str) -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / name).exists():
        return str(Path(home) / "bin" / name)
    return shutil.which(name)


def compile_service(classes: Path, service_src: Path = SERVICE_SRC, runtime_src: Path = RUNTIME_SRC) -> None:
    """javac the service and the recording runtime into `classes`."""
    javac = java_tool("javac")
    if javac is None:
        raise RuntimeError("javac not found (install a JDK >= 11 or set JAVA_HOME)")
    sources = sorted(str(p) for root in (runtime_src, service_src) for p in root.rglob("*.java"))
    classes.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(
        [javac, "-nowarn", "-encoding", "UTF-8", "-d", str(classes), *sources], capture_output=True, text=True
    )
    if r.returncode != 0:
        raise RuntimeError(f"javac failed:\n{r.stdout}{r.stderr}")


def run_service(
    classes: Path,
    workdir: Path,
    log_file: Path,
    truth_file: Path,
    args: list[str],
    start: str = START,
    level: str = "INFO",
    timeout: float = 300,
) -> int:
    """One run of the service in `workdir` (data under `workdir/data`); its log is appended to `log_file`.
    Returns the exit status (137 after an injected crash)."""
    java = java_tool("java")
    if java is None:
        raise RuntimeError("java not found")
    cmd = [
        java,
        "-Xshare:auto",
        "-Duser.language=en",
        "-Duser.country=US",
        "-Dfile.encoding=UTF-8",
        "-Djava.util.logging.config.class=minisvc.runtime.JulSetup",
        f"-Dminisvc.log.file={log_file}",
        f"-Dminisvc.log.start={start}",
        f"-Dminisvc.log.level={level}",
        "-cp",
        str(classes),
        MAIN_CLASS,
        "--data-dir",
        "data",
        "--truth",
        str(truth_file),
        *args,
    ]
    r = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=timeout)
    if r.returncode not in (0, 137):
        raise RuntimeError(f"service exited with {r.returncode}:\n{r.stdout[-2000:]}{r.stderr[-2000:]}")
    return r.returncode


def last_timestamp(log_file: Path) -> datetime | None:
    last = None
    if log_file.exists():
        with log_file.open(encoding="utf-8") as fh:
            for line in fh:
                if line[:4].isdigit():
                    last = line[:23]
    return datetime.strptime(last, TS_FORMAT) if last else None


def read_truth(truth_file: Path, run: int) -> dict[str, dict]:
    """Block id -> the driver's record (`start` then `end` rows; a crashed session has no `end`)."""
    out: dict[str, dict] = {}
    if not truth_file.exists():
        return out
    with truth_file.open(encoding="utf-8") as fh:
        for row in csv.reader(fh):
            if len(row) != 6:
                continue
            event, index, blk, fault, label, outcome = row
            rec = out.setdefault(
                blk,
                {
                    "BlockId": blk,
                    "run": run,
                    "index": int(index),
                    "fault": fault,
                    "label": int(label),
                    "outcome": "UNFINISHED",
                },
            )
            if event == "end":
                rec["outcome"] = outcome
    for rec in out.values():
        if rec["outcome"] == "UNFINISHED":  # in flight when the node crashed: cut off, never completed
            rec["label"] = 1
    return out


def record(
    out: Path,
    seed: int = 0,
    runs: list[RunSpec] | None = None,
    gap_minutes: float = 7.0,
    level: str = "INFO",
    keep_workdir: Path | None = None,
) -> dict:
    """Compile, run every RunSpec, and write the log, labels, ground truth and manifest into `out`."""
    runs = runs or DEFAULT_RUNS
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="minisvc-rec-"))
    try:
        classes = tmp / "classes"
        compile_service(classes)
        work = keep_workdir or (tmp / "node")
        work.mkdir(parents=True, exist_ok=True)
        log_file = tmp / "minisvc.log"
        truth: dict[str, dict] = {}
        run_info = []
        start = datetime.strptime(START, TS_FORMAT)
        for k, spec in enumerate(runs):
            run_seed = seed * 1000 + k + 1
            truth_file = tmp / f"truth{k}.csv"
            status = run_service(
                classes,
                work,
                log_file,
                truth_file,
                spec.args(run_seed),
                start=start.strftime(TS_FORMAT)[:-3],
                level=level,
            )
            got = read_truth(truth_file, k)
            overlap = set(got) & set(truth)
            if overlap:
                raise RuntimeError(f"run {k} reused block ids of an earlier run: {sorted(overlap)[:3]}")
            truth.update(got)
            run_info.append(
                {
                    "run": k,
                    "seed": run_seed,
                    "args": spec.args(run_seed),
                    "ops": spec.ops or ["write", "read", "update", "delete"],
                    "exit_status": status,
                    "sessions_started": len(got),
                    "crashed": status == 137,
                }
            )
            end = last_timestamp(log_file) or start
            start = end + timedelta(minutes=gap_minutes)
        final_log = out / "minisvc.log"
        shutil.copyfile(log_file, final_log)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return write_outputs(out, final_log, truth, run_info, seed, level)


def blocks_in_log(log_file: Path) -> list[str]:
    seen: dict[str, None] = {}
    with log_file.open(encoding="utf-8") as fh:
        for line in fh:
            for b in BLOCK_RE.findall(line):
                seen.setdefault(b, None)
    return list(seen)


def write_outputs(
    out: Path, log_file: Path, truth: dict[str, dict], run_info: list[dict], seed: int, level: str
) -> dict:
    blocks = blocks_in_log(log_file)
    # the driver's order (run, then session index): the same for every recording with one seed
    blocks.sort(key=lambda b: (truth[b]["run"], truth[b]["index"]) if b in truth else (1 << 30, 0))
    missing = [b for b in blocks if b not in truth]
    if missing:
        raise RuntimeError(f"{len(missing)} blocks in the log have no ground truth, e.g. {missing[:3]}")
    with (out / "anomaly_label.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["BlockId", "Label"])
        for b in blocks:
            w.writerow([b, "Anomaly" if truth[b]["label"] else "Normal"])
    with (out / "faults.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["BlockId", "run", "index", "fault", "label", "outcome"])
        for b in blocks:
            t = truth[b]
            w.writerow([b, t["run"], t["index"], t["fault"], t["label"], t["outcome"]])
    faults: dict[str, int] = {}
    for b in blocks:
        faults[truth[b]["fault"]] = faults.get(truth[b]["fault"], 0) + 1
    lines = sum(1 for _ in log_file.open(encoding="utf-8"))
    anomalous = sum(truth[b]["label"] for b in blocks)
    manifest = {
        "stage": "record_minisvc",
        "command": f"python scripts/record_minisvc.py --seed {seed:d}",
        "seed": seed,
        "log_format": LOG_FORMAT,
        "log_level": level,
        "session_key": "block id (blk_-?\\d+), as `anomalygen sessions --by id`",
        "label_rule": "anomalous iff the workload driver injected a hard fault (disk-full, peer-down, slow-peer, "
        "corrupt-checksum, bad-request, crash), or the session was in flight when the injected "
        "crash killed the node (outcome UNFINISHED); transient faults (volume-full, flaky-peer, "
        "slow-once) are recovered and stay normal",
        "runs": run_info,
        "java": java_version(),
        "counts": {
            "lines": lines,
            "bytes": log_file.stat().st_size,
            "sessions": len(blocks),
            "anomalous": anomalous,
            "anomalous_share": round(anomalous / max(1, len(blocks)), 4),
            "faults": dict(sorted(faults.items())),
        },
        "varies_between_recordings": [
            "timestamps (wall-clock offsets from each run's fixed start time)",
            "the interleaving of lines of different sessions (2-3 worker and client threads)",
            "where the heartbeat monitor's lines and its re-replication of queued blocks fall relative to a "
            "session's later reads, and how many monitor rounds a run has (Cluster status lines)",
        ],
        "fixed_by_seed": [
            "block ids, sizes, reads and deletes per block, which block gets which fault, "
            "the set of lines of every session"
        ],
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def java_version() -> str:
    java = java_tool("java")
    if java is None:
        return "unknown"
    r = subprocess.run([java, "-version"], capture_output=True, text=True)
    return (r.stderr or r.stdout).splitlines()[0] if (r.stderr or r.stdout) else "unknown"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--level", default="INFO", help="log threshold of the runtime (TRACE..ERROR)")
    a = ap.parse_args(argv)
    m = record(a.out, seed=a.seed, level=a.level)
    c = m["counts"]
    print(
        f"wrote {a.out}/minisvc.log: {c['lines']} lines, {c['bytes']} bytes, {c['sessions']} sessions, "
        f"{c['anomalous']} anomalous ({100 * c['anomalous_share']:.2f}%); faults {c['faults']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
