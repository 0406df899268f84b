"""`anomalygen generate`: synthetic labelled log sessions from a Java tree (and, optionally, its real logs)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.table import Table

from anomalygen.checks import readable, writable
from anomalygen.errors import InputError
from anomalygen.examples import example_tree
from anomalygen.manifest import source_inputs, write_manifest

console = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 160)


def generate(
    src: Optional[Path] = typer.Argument(None, help="Java source tree; default: the embedded example service"),
    out: Path = typer.Option(..., "--out", "-o", help="output folder"),
    logs: List[Path] = typer.Option([], "--logs", "-l", help="real logs of the same system (repeatable): "
                                    "parameter values, header fields, timing and the statements already seen"),
    fmt: str = typer.Option("hdfs", "--format", "-f", help="header format: hdfs | zookeeper | hadoop | spark | "
                            "a logparser format string"),
    n: int = typer.Option(1000, "--n", min=1, help="sessions to generate"),
    seed: int = typer.Option(0, "--seed", help="seed of every random choice"),
    session_key: str = typer.Option("auto", "--session-key", help="block: one HDFS block per session, lines "
                                    "without a block id left out; none: one session per path; auto: block "
                                    "for the hdfs format"),
    min_level: Optional[str] = typer.Option(None, "--min-level", help="lowest level printed (default: the "
                                            "lowest in the real logs, else INFO)"),
    max_paths: int = typer.Option(200, "--max-paths", help="paths per entry: enumerated up to this, sampled beyond"),
    loop_bound: int = typer.Option(2, "--loop-bound", "-k", help="loop unrolling bound"),
    depth: int = typer.Option(4, "--depth", help="call depth inlined into a path"),
    entries: List[str] = typer.Option([], "--entry", "-e", help="only entries matching (repeatable)"),
    rules: Optional[Path] = typer.Option(None, "--rules", help="label rules YAML (default: the shipped rules)"),
    new_share: float = typer.Option(0.5, "--new-share", help="share of sessions drawn from paths that print a "
                                    "statement the real logs never showed"),
    anomalous_share: Optional[float] = typer.Option(0.1, "--anomalous-share", help="share of anomalous "
                                                    "sessions to draw (a negative value: as the paths fall)"),
    hosts: Optional[Path] = typer.Option(None, "--hosts", help="real sessions (a sessions JSONL of the logs "
                                         "stage, events = statement ids): each synthetic path is spliced into one "
                                         "of its normal sessions, so a session reads like a real one plus a path "
                                         "the logs never showed"),
    host_fraction: Optional[float] = typer.Option(None, "--host-fraction", help="use only the first share of "
                                                  "--hosts (default 0.8) or --real-sessions (default 1): keep the "
                                                  "rest out, e.g. the chronological test split of an evaluation"),
    real_sessions: Optional[str] = typer.Option(None, "--real-sessions", help="real sessions to compose from "
                                                "(anything `evaluate --dataset` accepts: hdfs_deeplog, a sessions "
                                                "JSONL, ...); its normal sessions are the bases, its labels teach "
                                                "anomaly markers. Default: the --logs' own sessions"),
    session_model: str = typer.Option("on", "--session-model", help="on: whole sessions composed from real "
                                      "ones and written with session_model.json; off: one path per session"),
    no_feasibility: bool = typer.Option(False, "--no-feasibility", help="keep paths without the z3 check "
                                        "(an ablation)"),
    prior: float = typer.Option(0.0, "--prior", help="weight of code paths and entries that print statements "
                                "the real normal sessions never showed, against 1 for the others (0: composed "
                                "normal sessions print only statements real normal sessions print)"),
    llm: str = typer.Option("none", "--llm", help="none | openai | local: optional LLM check of paths z3 could "
                            "only partly read, and value proposals for statements real logs never showed"),
    llm_max: int = typer.Option(200, "--llm-max", help="at most this many LLM path checks and value proposals"),
    jobs: int = typer.Option(0, "--jobs", "-j", help="processes for paths + feasibility, one entry point a task "
                             "(0: every core of this machine); the output is the same for any number"),
    executor: str = typer.Option("process", "--executor", help="process: a pool on this machine; ray: Ray tasks "
                                 "(the 'ray' extra), on the cluster at --ray-address / RAY_ADDRESS or a local one"),
    ray_address: Optional[str] = typer.Option(None, "--ray-address", help="Ray cluster address (default: "
                                              "RAY_ADDRESS, else a local Ray instance)"),
) -> None:
    """Feasible paths -> realistic, consistent, labelled sessions in loghub format (offline by default)."""
    from anomalygen.logs.formats import FormatError, LogFormat
    from anomalygen.synthesis.generate import GenerateConfig, Generator, analyse, learn
    from anomalygen.synthesis.labels import RulesError, load_rules
    from anomalygen.synthesis.output import parse_back, write_entries, write_sessions
    from anomalygen.synthesis.sessionstep import SessionModelStep

    src = src if src is not None else example_tree()
    readable([src], "source file or folder", folder_ok=True)
    readable(logs, "log file")
    readable([hosts] if hosts else [], "hosts sessions file")
    writable(out, folder=True)
    try:
        log_format = LogFormat.parse(fmt)
        rule_set = load_rules(rules)
    except (FormatError, RulesError) as e:
        err.print(f"[red]error[/]: {e}")
        raise typer.Exit(2)
    key = None if session_key == "none" else ("block" if session_key == "auto" and log_format.name == "hdfs"
                                              else (None if session_key == "auto" else session_key))
    if session_model not in ("on", "off"):
        err.print(f"[red]error[/]: --session-model {session_model!r}: expected on or off")
        raise typer.Exit(2)
    if host_fraction is not None and not 0 < host_fraction <= 1:
        err.print(f"[red]error[/]: --host-fraction {host_fraction} is not in (0, 1]")
        raise typer.Exit(2)
    step = SessionModelStep(session_model == "on" and hosts is None, real_sessions, prior,
                            1.0 if host_fraction is None else host_fraction)
    host_fraction = 0.8 if host_fraction is None else host_fraction
    host_events = None
    if hosts is not None:
        from anomalygen.synthesis.hosts import load_hosts

        try:
            host_events = load_hosts(hosts, host_fraction)
        except (OSError, ValueError) as e:
            err.print(f"[red]error[/]: {e}")
            raise typer.Exit(2)
    t0 = time.perf_counter()
    a = analyse(src, loop_bound)
    statements = a.inventory.statements
    for d in a.diagnostics[:10]:
        err.print(f"[yellow]warning[/]: {d}", highlight=False)
    if not statements:
        raise InputError(f"{src}: no logging statement found in {a.inventory.files} Java file(s): nothing to generate")
    if host_events is not None:
        known = {s.id for s in statements}
        host_events = [h for h in ([e for e in hs if e in known] for hs in host_events) if h]
        if not host_events:
            err.print(f"[red]error[/]: {hosts}: no normal session whose events are statements of {src}")
            raise typer.Exit(2)
    model = seen = parse_info = None
    try:
        step.load(statements)
    except (OSError, ValueError) as e:
        err.print(f"[red]error[/]: --real-sessions {real_sessions}: {e}")
        raise typer.Exit(2)
    if logs:
        model, seen, parse_info = learn(statements, logs, log_format, key, step.by_key)
        console.print(f"learned from {model.lines:,} real lines: {len(seen)} statements seen, "
                      f"{len(model.slots)} slots with values")
    cfg = GenerateConfig(n=n, seed=seed, fmt=fmt, session_key=key, min_level=min_level, loop_bound=loop_bound,
                         depth=depth, max_paths=max_paths, entries=list(entries), rules=rule_set,
                         new_share=new_share,
                         anomalous_share=None if anomalous_share is None or anomalous_share < 0 else anomalous_share,
                         hosts=host_events, feasibility=not no_feasibility)
    try:
        gen = Generator(a, cfg, model, seen)
    except ValueError as e:
        err.print(f"[red]error[/]: {e}")
        raise typer.Exit(2)
    llm_usage = None
    verify = None
    if llm != "none":
        from anomalygen.synthesis.llm_bridge import LLMBridge

        try:
            bridge = LLMBridge.create(llm, seed, llm_max, {s.id: s for s in statements})
        except Exception as e:  # configuration problems: say which setting is missing
            err.print(f"[red]error[/]: LLM backend {llm!r}: {e}")
            raise typer.Exit(2)
        verify = bridge.verify
        bridge.propose(gen)
    t1 = time.perf_counter()
    try:
        gen.explore(verify, jobs, executor, ray_address)
    except (ValueError, RuntimeError) as e:  # an unknown executor, Ray missing or unreachable
        err.print(f"[red]error[/]: {e}")
        raise typer.Exit(2)
    t2 = time.perf_counter()
    if llm != "none":
        llm_usage = bridge.usage()
        if llm_usage and llm_usage.get("calls") and llm_usage.get("failures", 0) >= llm_usage["calls"]:
            llm_usage["status"] = f"every call failed ({llm_usage['failures']} of {llm_usage['calls']})"
            err.print(f"[red]warning[/]: LLM backend {llm!r}: {llm_usage['status']}; the sessions were made without "
                      "it (see manifest.json, outputs.llm_usage)")
    out.mkdir(parents=True, exist_ok=True)
    composed = step.sessions(gen, out, logs, {**source_inputs(src, a.project), "max_paths": max_paths,
                                             "loop_bound": loop_bound, "depth": depth,
                                             "feasibility": not no_feasibility})
    counts = write_sessions(composed if composed is not None else gen.sessions(), log_format, out,
                            "BlockId" if key == "block" else "SessionId")
    t3 = time.perf_counter()
    write_entries(gen.reports, out)
    back = parse_back(out, statements, log_format)
    reps = gen.reports
    totals = {k: sum(getattr(r, k) for r in reps) for k in ("paths", "infeasible", "unknown", "partial", "kept",
                                                            "llm_rejected", "sequences", "seen", "new")}
    new_statements = sorted({s for c in gen.candidates if c.new for s in c.events if s not in (seen or set())})
    write_manifest(
        out / "manifest.json", "generate",
        {**source_inputs(src, a.project), "logs": [str(p) for p in logs]},
        {"n": n, "seed": seed, "format": log_format.spec, "session_key": key,
                   "min_level": gen.min_level, "max_paths": max_paths, "loop_bound": loop_bound, "depth": depth,
                   "entries": list(entries), "rules": rule_set, "new_share": new_share, "llm": llm,
                   "hosts": str(hosts) if hosts else None, "host_fraction": host_fraction, "jobs": jobs,
                   "executor": executor, "session_model": step.params(), "feasibility": not no_feasibility,
                   "host_sessions": len(host_events) if host_events else 0},
        {"counts": {**counts, "statements": len(statements), "entries": len(reps), **totals,
                   "statements_newly_covered": len(new_statements), "caps": dict(gen.caps)},
        "feasibility": dict(gen.work),
        "real_logs": parse_info,
        "session_model": step.summary(),
        "parse_back": back,
        "llm_usage": llm_usage,
        "seconds": {"analysis": round(t1 - t0, 3), "paths_and_feasibility": round(t2 - t1, 3),
                    "sessions": round(t3 - t2, 3)}})
    table = Table(title=f"paths of {len(reps)} entries (feasibility by z3)")
    for c in ("paths", "infeasible", "unknown", "kept", "sequences", "new"):
        table.add_column(c, justify="right")
    table.add_row(*(f"{totals[c]:,}" for c in ("paths", "infeasible", "unknown", "kept", "sequences", "new")))
    console.print(table)
    console.print(f"{counts['sessions']:,} sessions ({counts['anomalous']:,} anomalous), {counts['lines']:,} lines "
                  f"-> {out}; parse-back: {back['same_statement']:,}/{back['lines']:,} lines give back their "
                  f"statement, {back['regex_match']:,} match its regex")
    if counts["sessions"] == 0:
        err.print("[yellow]warning[/]: no session could be generated (no feasible path prints a visible line)")


def register(app: typer.Typer) -> None:
    app.command("generate")(generate)
