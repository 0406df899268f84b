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
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path

from anomalygen.manifest import write_manifest
from anomalygen.testbed import config as cfgmod
from anomalygen.testbed.inject import FaultRecord, Victim, iso
from anomalygen.testbed.install import ZkDist, locate
from anomalygen.testbed.labels import intervals
from anomalygen.testbed.operations import Operator
from anomalygen.testbed.output import build
from anomalygen.testbed.process import REGISTRY, Ensemble, install_cleanup
from anomalygen.testbed.schedule import OPERATIONS, PlannedFault, parse_spec, plan
from anomalygen.testbed.workload import Workload, kazoo_logger


class RunError(RuntimeError):
    """The run could not be carried out (the message says why); processes are cleaned up."""


_INPUTS = ("zk_home", "source", "inventory", "on_info")  # what the run reads or reports to, not its settings


@dataclass
class TestbedRequest:
    """One testbed run: where it writes, how long it lasts, what it injects, the server and the statements."""

    __test__ = False  # not a pytest test class, whatever its name

    out: Path | None = None  # a new folder per run
    duration: float = 300.0  # seconds of workload, faults included
    faults: str = "all"  # KIND[:COUNT],... or all[:COUNT] or none
    operations: str = "none"  # planned operations, labelled normal, in the same form
    seed: int = 0  # of the schedule, its targets and the workload's choices
    rate: float = 20.0  # client operations per second, all clients together
    clients: int = 3
    churn: float = 0.2  # short client sessions opened per second
    window: float = 10.0  # seconds per window of sessions.jsonl
    step: float | None = None  # None: the window size (tumbling)
    margin: float = 10.0  # recovery seconds added after each fault's end
    warmup: float = 20.0  # fault-free seconds at the start
    tail: float = 15.0
    session_timeout: float = 10.0
    victim_timeout: float = 6.0
    base_port: int | None = None  # None: free ports
    startup_timeout: float = 90.0
    zk_home: Path | None = None  # a ZooKeeper release or unpacked Debian tree; None: the cache, else the system
    source: Path | None = None  # ZooKeeper Java source: log lines get statement ids
    inventory: Path | None = None  # or its inventory.jsonl
    on_info: Callable[[str], None] | None = None  # progress lines

    def params(self) -> dict:
        """The settings, as the run's manifest records them."""
        d = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in _INPUTS}
        d["out"] = str(self.out)
        return d


@dataclass
class TestbedResult:
    __test__ = False

    out: Path
    faults: list[FaultRecord]  # faults and planned operations, in the order they ran
    summary: dict  # what summary.json holds
    interrupted: bool = False
    files: dict = field(default_factory=dict)


@dataclass
class Schedule:
    faults: dict[str, int]  # kind -> count
    operations: dict[str, int]
    planned: list[PlannedFault]  # both, in the order they run


def plan_schedule(req: TestbedRequest) -> Schedule:
    """The seeded schedule of the request's faults and planned operations; raises SpecError on a bad spec."""
    counts = parse_spec(req.faults)
    op_counts = parse_spec(req.operations, OPERATIONS, "--operations")
    planned = plan(
        {**counts, **op_counts},
        req.duration,
        req.seed,
        req.warmup,
        req.tail,
        extra_hold={"session_expiry": req.victim_timeout, "client_away": req.victim_timeout},
    )
    return Schedule(counts, op_counts, planned)


@dataclass
class _Run:
    """One run under way: what it was asked, where it writes, its ensemble, the processes it started, what they
    did, and the times that bound it."""

    req: TestbedRequest
    out: Path
    dist: ZkDist
    cfg: cfgmod.EnsembleConfig
    schedule: Schedule
    say: Callable[[str], None]
    ens: Ensemble
    started: float
    workload: Workload | None = None
    victim: Victim | None = None
    injector: Operator | None = None
    records: list[FaultRecord] = field(default_factory=list)
    t_work: float | None = None
    t_end: float | None = None
    interrupted: bool = False


def _statements(source: Path | None, inventory: Path | None):
    """The statements the logs are parsed against; none without a source or an inventory."""
    if source is None and inventory is None:
        return []
    from anomalygen.source.api import statements_for

    return statements_for(source, inventory, None)


def run_testbed(req: TestbedRequest, dist: ZkDist | None = None) -> TestbedResult:
    """Ensemble up, workload on, the schedule carried out, everything stopped, the logs labelled, OUT written.

    `dist`: the server to run (default: located from `req.zk_home`). Raises RunError, SpecError or MissingServer;
    on Ctrl-C stops every process and writes what was recorded (`interrupted` in the result)."""
    if req.out is None:
        raise RunError("no output folder given")
    out = Path(req.out)
    if (out / "faults.jsonl").exists():
        raise RunError(f"{out} already holds a testbed run (faults.jsonl); choose another --out")
    schedule = plan_schedule(req)
    from anomalygen.testbed.operations import missing_injectors

    gaps = missing_injectors({p.kind for p in schedule.planned})
    if gaps:  # before any server starts, not when the schedule reaches the kind
        raise RunError(f"the schedule names kinds nothing carries out: {'; '.join(gaps)}")
    dist = dist if dist is not None else locate(req.zk_home)
    cfg = _prepare(out, req, dist, schedule)
    statements = _statements(req.source, req.inventory)  # before the run: a bad --source fails early
    kazoo_logger(out / "client.log")
    install_cleanup()
    run = _Run(req, out, dist, cfg, schedule, req.on_info or (lambda _msg: None), Ensemble(cfg, dist), time.time())
    try:
        _start(run)
        _carry_out(run)
    except KeyboardInterrupt:
        run.interrupted = True
        run.say("interrupted: stopping every process and writing what was recorded")
        _keep_current(run)
    finally:
        _stop(run)
    if not (out / "faults.jsonl").exists():
        (out / "faults.jsonl").write_text("", encoding="utf-8")
    run.say("parsing and labelling the logs")
    return _write_results(run, statements)


def _prepare(out: Path, req: TestbedRequest, dist: ZkDist, schedule: Schedule) -> cfgmod.EnsembleConfig:
    out.mkdir(parents=True, exist_ok=True)
    cfg = cfgmod.make_config(out, base_port=req.base_port)
    cfgmod.write_files(cfg, dist.logging)
    (out / "schedule.json").write_text(
        json.dumps(
            {
                "seed": req.seed,
                "faults": req.faults,
                "counts": schedule.faults,
                "operations": req.operations,
                "operation_counts": schedule.operations,
                "planned": [p.to_dict() for p in schedule.planned],
            },
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    return cfg


def _start(run: _Run) -> None:
    req, ens, hosts = run.req, run.ens, run.cfg.hosts
    run.say(f"starting 3 servers (ZooKeeper {run.dist.version}, {run.dist.kind}) on {hosts}")
    ens.start_all()
    if not ens.wait_for(ens.healthy, req.startup_timeout):
        raise RunError(
            f"the ensemble did not form within {req.startup_timeout:g}s (roles {ens.roles()}); "
            f"see {run.out}/logs and {run.out}/servers/*/jvm.out"
        )
    run.say(f"ensemble up in {time.time() - run.started:.1f}s, leader zk{ens.leader()}")
    if run.schedule.faults.get("session_expiry"):
        run.victim = Victim(hosts, req.victim_timeout, run.out / "victim.jsonl")
        run.victim.start()
    run.workload = Workload(hosts, req.rate, req.clients, req.seed, req.session_timeout, req.churn)
    run.workload.start()
    run.t_work = time.time()
    run.injector = Operator(ens, run.victim, hosts, run.out, req.victim_timeout)


def _carry_out(run: _Run) -> None:
    """Each fault and operation at its planned time, recorded as it ends; then the rest of the workload."""
    with (
        open(run.out / "faults.jsonl", "w", encoding="utf-8") as fh,
        open(run.out / "operations.jsonl", "w", encoding="utf-8") as ops_fh,
    ):
        for pf in run.schedule.planned:
            wait = run.t_work + pf.at - time.time()
            if wait > 0:
                time.sleep(wait)
            what = "operation" if pf.planned else "fault"
            run.say(f"[{time.time() - run.t_work:7.1f}s] {what} {pf.index}: {pf.kind} (hold {pf.hold:g}s)")
            rec = run.injector.run(pf)
            run.records.append(rec)
            (ops_fh if rec.planned else fh).write(json.dumps(rec.to_dict()) + "\n")
            (ops_fh if rec.planned else fh).flush()
            run.say(
                f"           targets {rec.targets} roles {rec.roles} -> leader "
                f"{rec.details.get('leader_after')}"
                + (f" ERROR {rec.error}" if rec.error else "")
                + ("" if rec.recovered or rec.start is None else " (not recovered within settle)")
            )
        left = run.t_work + run.req.duration - time.time()
        if left > 0:
            time.sleep(left)


def _keep_current(run: _Run) -> None:
    """The fault in progress at an interruption: recorded, and labelled up to the interruption."""
    cur = run.injector.current if run.injector is not None else None
    if cur is None or cur.start is None:
        return
    cur.planned = cur.kind in OPERATIONS
    run.records.append(cur)
    with open(run.out / ("operations.jsonl" if cur.planned else "faults.jsonl"), "a", encoding="utf-8") as fh:
        fh.write(json.dumps(cur.to_dict()) + "\n")


def _stop(run: _Run) -> None:
    run.t_end = time.time()
    if run.workload is not None:
        run.workload.stop()
    if run.victim is not None:
        run.victim.stop()
    run.ens.stop_all()
    REGISTRY.kill_all()


def _write_results(run: _Run, statements) -> TestbedResult:
    req, out, cfg = run.req, run.out, run.cfg
    fault_dicts = [r.to_dict() for r in run.records]
    ivs = intervals(fault_dicts, req.margin)
    op_ivs = intervals(fault_dicts, req.margin, planned=True)
    logs = [cfg.log_path(n.sid) for n in cfg.nodes]
    built = build(
        out, logs, statements, ivs, req.window, req.step, run.t_work, run.t_end if run.t_work else None, op_ivs
    )
    summary = {**_summary(run), **built}
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    files = {
        "logs": [str(p) for p in logs],
        "faults": str(out / "faults.jsonl"),
        "operations": str(out / "operations.jsonl"),
        "structured": str(out / "structured.csv"),
        "sessions": str(out / "sessions.jsonl"),
        "sessions_by_server": str(out / "sessions_by_server.jsonl"),
        "summary": str(out / "summary.json"),
    }
    write_manifest(
        out / "testbed.manifest.json",
        "testbed zookeeper",
        inputs={
            "zookeeper": run.dist.to_dict(),
            "source": str(req.source) if req.source else None,
            "inventory": str(req.inventory) if req.inventory else None,
            "statements": len(statements),
        },
        params={**req.params(), "ensemble": cfg.to_dict(), "schedule": [p.to_dict() for p in run.schedule.planned]},
        outputs={"files": files, **summary},
    )
    return TestbedResult(out, run.records, summary, run.interrupted, files)


def _summary(run: _Run) -> dict:
    records, t_work, schedule = run.records, run.t_work, run.schedule
    faults_only = [r for r in records if not r.planned]
    elections = run.ens.elections(t_work or run.started)
    return {
        "zookeeper": run.dist.version,
        "interrupted": run.interrupted,
        "started": iso(run.started),
        "workload_started": iso(t_work),
        "ended": iso(run.t_end),
        "workload_started_t": t_work,
        "ended_t": run.t_end,
        "seconds": round(run.t_end - (t_work or run.started), 1),
        "faults_planned": sum(not p.planned for p in schedule.planned),
        "faults_run": len([r for r in faults_only if r.start is not None]),
        "faults_failed": [{"index": r.index, "kind": r.kind, "error": r.error} for r in records if r.error],
        "faults_by_kind": {k: sum(r.kind == k for r in faults_only) for k in schedule.faults},
        "operations_planned": sum(p.planned for p in schedule.planned),
        "operations_run": len([r for r in records if r.planned and r.start is not None]),
        "operations_by_kind": {k: sum(r.kind == k for r in records if r.planned) for k in schedule.operations},
        "not_recovered": [r.index for r in records if r.start is not None and r.recovered is None],
        "leader_elections": len(elections),
        "leaders": [e["sid"] for e in elections],
        "workload": run.workload.stats() if run.workload is not None else {},
        "victim_sessions": run.victim.sessions() if run.victim is not None else [],
    }


def relabel(
    out: Path,
    window: float,
    step: float | None,
    margin: float,
    source: Path | None = None,
    inventory: Path | None = None,
    dest: Path | None = None,
) -> dict:
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
    write_manifest(
        dest / "relabel.manifest.json",
        "testbed relabel",
        inputs={
            "run": str(out),
            "logs": [str(p) for p in logs],
            "source": str(source) if source else None,
            "inventory": str(inventory) if inventory else None,
            "statements": len(statements),
        },
        params={"window": window, "step": step, "margin": margin},
        outputs=built,
    )
    return built
