"""The generate stage as a function: a request (source tree, optional real logs and sessions, settings) in, the
written synthetic sessions and their figures out. The command line (`synthesis/cli.py`) and `anomalygen run`
are layers over `generate`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from anomalygen.checks import readable, writable
from anomalygen.core.errors import InputError
from anomalygen.manifest import write_manifest
from anomalygen.settings import check_fields
from anomalygen.source.api import SourceTree
from anomalygen.synthesis.request import GenerateRequest

TOTALS = ("paths", "infeasible", "unknown", "partial", "kept", "llm_rejected", "sequences", "seen", "new")


@dataclass
class GenerateResult:
    out: Path
    counts: dict  # sessions, anomalous, lines, ...
    totals: dict  # paths, infeasible, unknown, kept, sequences, new, ... summed over entries
    entries: int
    parse_back: dict
    learned: str | None  # what the real logs gave, one line
    warnings: list[str]
    manifest: dict

    def describe(self) -> list[str]:
        c, b = self.counts, self.parse_back
        return [
            *([self.learned] if self.learned else []),
            f"paths of {self.entries} entries: "
            + ", ".join(
                f"{k} {self.totals[k]:,}" for k in ("paths", "infeasible", "unknown", "kept", "sequences", "new")
            ),
            f"{c['sessions']:,} sessions ({c['anomalous']:,} anomalous), {c['lines']:,} lines -> {self.out}; "
            f"parse-back: {b['same_statement']:,}/{b['lines']:,} lines give back their statement, "
            f"{b['regex_match']:,} match its regex",
        ]


def _session_key(req: GenerateRequest, format_name: str | None) -> tuple[str | None, str | None]:
    from anomalygen.core.session_spec import synthetic_key

    try:
        return synthetic_key(req.sessions_by, format_name)
    except ValueError as e:
        raise InputError(str(e)) from None


def _check(req: GenerateRequest) -> None:
    readable(req.logs, "log file")
    readable([req.hosts] if req.hosts else [], "hosts sessions file")
    writable(req.out, folder=True)
    if req.session_model not in ("on", "off"):
        raise InputError(f"--session-model {req.session_model!r}: expected on or off")
    check_fields(req, ("n", "seed", "max_paths", "novel_share"))
    if req.host_fraction is not None and not 0 < req.host_fraction <= 1:
        raise InputError(f"--host-fraction {req.host_fraction} is not in (0, 1]")


def _host_events(req: GenerateRequest, fraction: float, statements, root: Path) -> list[list[str]] | None:
    """The normal host sessions' statement ids, those of other trees left out."""
    if req.hosts is None:
        return None
    from anomalygen.synthesis.hosts import load_hosts

    try:
        hosts = load_hosts(req.hosts, fraction)
    except (OSError, ValueError) as e:
        raise InputError(str(e)) from None
    known = {s.id for s in statements}
    hosts = [h for h in ([e for e in hs if e in known] for hs in hosts) if h]
    if not hosts:
        raise InputError(f"{req.hosts}: no normal session whose events are statements of {root}")
    return hosts


class _LLM:
    """The optional LLM: path checks during exploration, value proposals before; its usage after."""

    def __init__(self, req: GenerateRequest, statements):
        self.bridge = None
        if req.llm == "none":
            return
        from anomalygen.synthesis.llm_bridge import LLMBridge

        try:
            self.bridge = LLMBridge.create(req.llm, req.seed, req.llm_max, {s.id: s for s in statements})
        except Exception as e:  # configuration problems: say which setting is missing
            raise InputError(f"LLM backend {req.llm!r}: {e}") from None

    def verify(self):
        return self.bridge.verify if self.bridge else None

    def usage(self, llm: str, warnings: list[str]) -> dict | None:
        if self.bridge is None:
            return None
        usage = self.bridge.usage()
        if usage and usage.get("calls") and usage.get("failures", 0) >= usage["calls"]:
            usage["status"] = f"every call failed ({usage['failures']} of {usage['calls']})"
            warnings.append(
                f"LLM backend {llm!r}: {usage['status']}; the sessions were made without it (see "
                "manifest.json, outputs.llm_usage)"
            )
        return usage


def _generator(req: GenerateRequest, a, fmt, rule_set, key: str | None, step, host_fraction: float):
    """The generator over the analysed tree, with what the real logs (if any) teach it: values, the statements
    they show, each key's statement ids for the session model."""
    from anomalygen.synthesis.generate import GenerateConfig, Generator, learn

    statements = a.inventory.statements
    if not statements:
        raise InputError(
            f"{a.inventory.root}: no logging statement found in {a.inventory.files} Java file(s): nothing to generate"
        )
    host_events = _host_events(req, host_fraction, statements, Path(a.inventory.root))
    try:
        step.load(statements)
    except (OSError, ValueError) as e:
        raise InputError(f"--real-sessions {req.real_sessions}: {e}") from None
    model = seen = parse_info = None
    if req.logs:
        model, seen, parse_info = learn(statements, req.logs, fmt, key, step.by_key)
    anomalous = None if req.anomalous_share is None or req.anomalous_share < 0 else req.anomalous_share
    cfg = GenerateConfig(
        n=req.n,
        seed=req.seed,
        fmt=req.format,
        session_key=key,
        min_level=req.min_level,
        loop_bound=req.loop_bound,
        depth=req.depth,
        max_paths=req.max_paths,
        entries=list(req.entries),
        rules=rule_set,
        new_share=req.new_share,
        anomalous_share=anomalous,
        hosts=host_events,
        feasibility=req.feasibility,
        cover=req.cover,
    )
    try:
        return Generator(a, cfg, model, seen), parse_info
    except ValueError as e:
        raise InputError(str(e)) from None


def generate(req: GenerateRequest) -> GenerateResult:
    """Feasible paths -> realistic, consistent, labelled sessions in loghub format, written into `req.out`."""
    from anomalygen.core.formats import LogFormat
    from anomalygen.synthesis.labels import load_rules
    from anomalygen.synthesis.output import parse_back, write_entries, write_sessions
    from anomalygen.synthesis.sessionstep import SessionModelStep

    _check(req)
    log_format, rule_set = LogFormat.parse(req.format), load_rules(req.rules)
    key, key_note = _session_key(req, log_format.name)
    step = SessionModelStep(
        req.session_model == "on" and req.hosts is None,
        req.real_sessions,
        req.prior,
        1.0 if req.host_fraction is None else req.host_fraction,
        req.novel_share,
    )
    host_fraction = 0.8 if req.host_fraction is None else req.host_fraction
    t0 = time.perf_counter()
    tree = req.tree or SourceTree.read(req.source)
    a = tree.analysis(req.loop_bound)
    warnings = [str(d) for d in a.diagnostics[:10]] + ([key_note] if key_note else [])
    gen, parse_info = _generator(req, a, log_format, rule_set, key, step, host_fraction)
    llm = _LLM(req, a.inventory.statements)
    if llm.bridge is not None:
        llm.bridge.propose(gen)
    t1 = time.perf_counter()
    try:
        gen.explore(llm.verify(), req.jobs, req.executor, req.ray_address)
    except (ValueError, RuntimeError) as e:  # an unknown executor, Ray missing or unreachable
        raise InputError(str(e)) from None
    t2 = time.perf_counter()
    llm_usage = llm.usage(req.llm, warnings)
    req.out.mkdir(parents=True, exist_ok=True)
    code = {
        **tree.inputs(),
        "max_paths": req.max_paths,
        "loop_bound": req.loop_bound,
        "depth": req.depth,
        "feasibility": req.feasibility,
        "cover": req.cover,
    }
    composed = step.sessions(gen, req.out, req.logs, code)
    counts = write_sessions(
        composed if composed is not None else gen.sessions(),
        log_format,
        req.out,
        "BlockId" if key == "block" else "SessionId",
    )
    t3 = time.perf_counter()
    write_entries(gen.reports, req.out)
    back = parse_back(req.out, a.inventory.statements, log_format)
    totals = {k: sum(getattr(r, k) for r in gen.reports) for k in TOTALS}
    seen = gen.seen
    new_statements = sorted({s for c in gen.candidates if c.new for s in c.events if s not in seen})
    params = {
        "n": req.n,
        "seed": req.seed,
        "format": log_format.spec,
        "session_key": key,
        "min_level": gen.min_level,
        "max_paths": req.max_paths,
        "loop_bound": req.loop_bound,
        "depth": req.depth,
        "entries": list(req.entries),
        "rules": rule_set,
        "new_share": req.new_share,
        "llm": req.llm,
        "hosts": str(req.hosts) if req.hosts else None,
        "host_fraction": host_fraction,
        "jobs": req.jobs,
        "executor": req.executor,
        "session_model": step.params(),
        "feasibility": req.feasibility,
        "cover": req.cover,
        "host_sessions": len(gen.cfg.hosts) if gen.cfg.hosts else 0,
    }
    outputs = {
        "counts": {
            **counts,
            "statements": len(a.inventory.statements),
            "entries": len(gen.reports),
            **totals,
            "statements_newly_covered": len(new_statements),
            "caps": dict(gen.caps),
        },
        "feasibility": dict(gen.work),
        "real_logs": parse_info,
        "session_model": step.summary(),
        "parse_back": back,
        "llm_usage": llm_usage,
        "seconds": {
            "analysis": round(t1 - t0, 3),
            "paths_and_feasibility": round(t2 - t1, 3),
            "sessions": round(t3 - t2, 3),
        },
    }
    write_manifest(
        req.out / "manifest.json", "generate", {**tree.inputs(), "logs": [str(p) for p in req.logs]}, params, outputs
    )
    if counts["sessions"] == 0:
        warnings.append("no session could be generated (no feasible path prints a visible line)")
    learned = (
        (
            f"learned from {gen.model.lines:,} real lines: {len(seen)} statements seen, "
            f"{len(gen.model.slots)} slots with values"
        )
        if req.logs
        else None
    )
    return GenerateResult(
        req.out, counts, totals, len(gen.reports), back, learned, warnings, {"params": params, "outputs": outputs}
    )
