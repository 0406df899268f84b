"""One testbed run: ensemble up, workload on, faults on schedule, everything stopped, outputs written.

Layout of OUT:
  logs/zookeeper-{1,2,3}.log   the servers' logs (loghub's layout)
  servers/zkN/{conf,data}/     zoo.cfg, log4j.properties, myid, snapshots and transaction logs; jvm.out, pid
  faults.jsonl                 one record per fault (planned and real times, targets, roles, outcome)
  operations.jsonl             one record per planned operation (labelled normal), in the same shape
  schedule.json                the planned schedule
  roles.jsonl                  every peer-state change the servers logged (looking/following/leading)
  client.log, victim.jsonl     kazoo's log; the session-expiry client's sessions
  structured.csv, templates.csv, parse_summary.json, sessions.jsonl, sessions_by_server.jsonl
  summary.json, testbed.manifest.json
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from anomalygen.manifest import write_manifest
from anomalygen.testbed import config as cfgmod
from anomalygen.testbed.inject import FaultRecord, Victim, iso
from anomalygen.testbed.install import ZkDist
from anomalygen.testbed.labels import intervals
from anomalygen.testbed.output import build
from anomalygen.testbed.process import REGISTRY, Ensemble, install_cleanup
from anomalygen.testbed.operations import Operator
from anomalygen.testbed.schedule import OPERATIONS, parse_spec, plan
from anomalygen.testbed.workload import Workload, kazoo_logger


class RunError(RuntimeError):
    """The run could not be carried out (the message says why); processes are cleaned up."""


@dataclass
class RunOptions:
    out: Path
    duration: float = 300.0
    faults: str = "all"
    operations: str = "none"
    seed: int = 0
    rate: float = 20.0
    clients: int = 3
    churn: float = 0.2
    window: float = 10.0
    step: float | None = None
    margin: float = 10.0
    warmup: float = 20.0
    tail: float = 15.0
    session_timeout: float = 10.0
    victim_timeout: float = 6.0
    base_port: int | None = None
    startup_timeout: float = 90.0

    def to_dict(self) -> dict:
        d = asdict(self)
        d["out"] = str(self.out)
        return d


@dataclass
class RunResult:
    out: Path
    faults: list[FaultRecord]
    summary: dict
    interrupted: bool = False
    files: dict = field(default_factory=dict)


def _statements(source: Path | None, inventory: Path | None):
    if inventory is not None:
        from anomalygen.source.inventory import read_inventory
        return read_inventory(inventory)
    if source is not None:
        from anomalygen.source.inventory import build_inventory
        inv, _ = build_inventory(source)
        return inv.statements
    return []


def run(opts: RunOptions, dist: ZkDist, source: Path | None = None, inventory: Path | None = None,
        log=print) -> RunResult:
    out = Path(opts.out)
    if (out / "faults.jsonl").exists():
        raise RunError(f"{out} already holds a testbed run (faults.jsonl); choose another --out")
    counts = parse_spec(opts.faults)
    op_counts = parse_spec(opts.operations, OPERATIONS, "--operations")
    schedule = plan({**counts, **op_counts}, opts.duration, opts.seed, opts.warmup, opts.tail,
                    extra_hold={"session_expiry": opts.victim_timeout, "client_away": opts.victim_timeout})
    out.mkdir(parents=True, exist_ok=True)
    cfg = cfgmod.make_config(out, base_port=opts.base_port)
    cfgmod.write_files(cfg, dist.logging)
    (out / "schedule.json").write_text(json.dumps({"seed": opts.seed, "faults": opts.faults, "counts": counts,
                                                   "operations": opts.operations, "operation_counts": op_counts,
                                                   "planned": [p.to_dict() for p in schedule]}, indent=1) + "\n",
                                       encoding="utf-8")
    statements = _statements(source, inventory)  # before the run: a bad --source fails early
    kazoo_logger(out / "client.log")
    install_cleanup()
    ens = Ensemble(cfg, dist)
    records: list[FaultRecord] = []
    workload = victim = injector = None
    interrupted = False
    started = time.time()
    t_work = None
    try:
        log(f"starting 3 servers (ZooKeeper {dist.version}, {dist.kind}) on {cfg.hosts}")
        ens.start_all()
        if not ens.wait_for(ens.healthy, opts.startup_timeout):
            raise RunError(f"the ensemble did not form within {opts.startup_timeout:g}s (roles {ens.roles()}); "
                           f"see {out}/logs and {out}/servers/*/jvm.out")
        log(f"ensemble up in {time.time() - started:.1f}s, leader zk{ens.leader()}")
        if counts.get("session_expiry"):
            victim = Victim(cfg.hosts, opts.victim_timeout, out / "victim.jsonl")
            victim.start()
        workload = Workload(cfg.hosts, opts.rate, opts.clients, opts.seed, opts.session_timeout, opts.churn)
        workload.start()
        t_work = time.time()
        injector = Operator(ens, victim, cfg.hosts, out, opts.victim_timeout)
        with open(out / "faults.jsonl", "w", encoding="utf-8") as fh, \
                open(out / "operations.jsonl", "w", encoding="utf-8") as ops_fh:
            for pf in schedule:
                wait = t_work + pf.at - time.time()
                if wait > 0:
                    time.sleep(wait)
                what = "operation" if pf.planned else "fault"
                log(f"[{time.time() - t_work:7.1f}s] {what} {pf.index}: {pf.kind} (hold {pf.hold:g}s)")
                rec = injector.run(pf)
                records.append(rec)
                (ops_fh if rec.planned else fh).write(json.dumps(rec.to_dict()) + "\n")
                (ops_fh if rec.planned else fh).flush()
                log(f"           targets {rec.targets} roles {rec.roles} -> leader {rec.details.get('leader_after')}"
                    + (f" ERROR {rec.error}" if rec.error else "")
                    + ("" if rec.recovered or rec.start is None else " (not recovered within settle)"))
            left = t_work + opts.duration - time.time()
            if left > 0:
                time.sleep(left)
    except KeyboardInterrupt:
        interrupted = True
        log("interrupted: stopping every process and writing what was recorded")
        if injector is not None and injector.current is not None and injector.current.start is not None:
            cur = injector.current  # the fault in progress: labelled up to the interruption
            cur.planned = cur.kind in OPERATIONS
            records.append(cur)
            with open(out / ("operations.jsonl" if cur.planned else "faults.jsonl"), "a", encoding="utf-8") as fh:
                fh.write(json.dumps(cur.to_dict()) + "\n")
    finally:
        t_end = time.time()
        if workload is not None:
            workload.stop()
        if victim is not None:
            victim.stop()
        ens.stop_all()
        REGISTRY.kill_all()
    if not (out / "faults.jsonl").exists():
        (out / "faults.jsonl").write_text("", encoding="utf-8")
    log("parsing and labelling the logs")
    fault_dicts = [r.to_dict() for r in records]
    ivs = intervals(fault_dicts, opts.margin)
    op_ivs = intervals(fault_dicts, opts.margin, planned=True)
    logs = [cfg.log_path(n.sid) for n in cfg.nodes]
    built = build(out, logs, statements, ivs, opts.window, opts.step, t_work, t_end if t_work else None, op_ivs)
    faults_only = [r for r in records if not r.planned]
    elections = ens.elections(t_work or started)
    summary = {
        "zookeeper": dist.version, "interrupted": interrupted,
        "started": iso(started), "workload_started": iso(t_work), "ended": iso(t_end),
        "workload_started_t": t_work, "ended_t": t_end,
        "seconds": round(t_end - (t_work or started), 1),
        "faults_planned": sum(not p.planned for p in schedule),
        "faults_run": len([r for r in faults_only if r.start is not None]),
        "faults_failed": [{"index": r.index, "kind": r.kind, "error": r.error} for r in records if r.error],
        "faults_by_kind": {k: sum(r.kind == k for r in faults_only) for k in counts},
        "operations_planned": sum(p.planned for p in schedule),
        "operations_run": len([r for r in records if r.planned and r.start is not None]),
        "operations_by_kind": {k: sum(r.kind == k for r in records if r.planned) for k in op_counts},
        "not_recovered": [r.index for r in records if r.start is not None and r.recovered is None],
        "leader_elections": len(elections),
        "leaders": [e["sid"] for e in elections],
        "workload": workload.stats() if workload is not None else {},
        "victim_sessions": victim.sessions() if victim is not None else [],
        **built,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    files = {"logs": [str(p) for p in logs], "faults": str(out / "faults.jsonl"),
             "operations": str(out / "operations.jsonl"),
             "structured": str(out / "structured.csv"), "sessions": str(out / "sessions.jsonl"),
             "sessions_by_server": str(out / "sessions_by_server.jsonl"), "summary": str(out / "summary.json")}
    write_manifest(out / "testbed.manifest.json", "testbed zookeeper",
                   inputs={"zookeeper": dist.to_dict(), "source": str(source) if source else None,
                           "inventory": str(inventory) if inventory else None, "statements": len(statements)},
                   params={**opts.to_dict(), "ensemble": cfg.to_dict(), "schedule": [p.to_dict() for p in schedule]},
                   outputs={"files": files, **summary})
    return RunResult(out, records, summary, interrupted, files)


def relabel(out: Path, window: float, step: float | None, margin: float, source: Path | None = None,
            inventory: Path | None = None, dest: Path | None = None) -> dict:
    """Parse and label an existing run again (other window, step, margin or statements); returns the counts.

    Reads OUT/faults.jsonl (and operations.jsonl) and OUT/summary.json (the workload's span); rewrites
    structured.csv, templates.csv, parse_summary.json, sessions*.jsonl and writes relabel.manifest.json, in OUT
    or, given `dest`, in that folder (the run itself left as it is)."""
    from datetime import datetime

    from anomalygen.testbed.labels import read_faults

    out = Path(out)
    for name in ("faults.jsonl", "summary.json"):
        if not (out / name).is_file():
            raise RunError(f"{out / name} not found: not a testbed run folder")
    try:
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise RunError(f"{out / 'summary.json'}:{err.lineno}: not valid JSON ({err.msg})") from None

    def epoch(key: str) -> float | None:
        exact = summary.get(key + "_t")
        if isinstance(exact, (int, float)):
            return float(exact)
        v = summary.get(key)
        try:
            return datetime.fromisoformat(v).timestamp() if v else None
        except (TypeError, ValueError):
            raise RunError(f"{out / 'summary.json'}: {key!r} is not an ISO time: {v!r}") from None

    t0, t1 = epoch("workload_started"), epoch("ended")
    ivs = intervals(read_faults(out / "faults.jsonl"), margin)
    ops_path = out / "operations.jsonl"
    op_ivs = intervals(read_faults(ops_path), margin, planned=True) if ops_path.is_file() else []
    logs = sorted((out / "logs").glob("zookeeper-*.log"))
    if not logs:
        raise RunError(f"{out / 'logs'}: no zookeeper-N.log files")
    statements = _statements(source, inventory)
    dest = Path(dest) if dest is not None else out
    dest.mkdir(parents=True, exist_ok=True)
    built = build(dest, logs, statements, ivs, window, step, t0, t1 if t0 else None, op_ivs)
    write_manifest(dest / "relabel.manifest.json", "testbed relabel",
                   inputs={"run": str(out), "logs": [str(p) for p in logs], "source": str(source) if source else None,
                           "inventory": str(inventory) if inventory else None, "statements": len(statements)},
                   params={"window": window, "step": step, "margin": margin}, outputs=built)
    return built
