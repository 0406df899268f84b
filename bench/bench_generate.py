#!/usr/bin/env python3
"""Synthesis throughput: sessions per second with the feasibility check on, measured in one run.

    python bench/bench_generate.py --source /work/src/hadoop --logs ../shared/data/hdfs/HDFS_20000.log
    python bench/bench_generate.py                         # the small fixture tree under tests/synthesis

Stages timed separately: analysis (inventory, call graph, LCFGs), paths + z3 feasibility of every path of
every entry, learning values from the real logs, and the generation of `--n` sessions (fill, render, label;
no disk). The goal is >= 10,000 sessions/s on one core for the generation. For scale, the same run times Drain3
(default settings) mining the generated lines: a familiar throughput of a per-line log tool on the same data.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from anomalygen.core.formats import LogFormat  # noqa: E402 - imported once the checkout is on sys.path
from anomalygen.synthesis.generate import GenerateConfig, Generator, analyse, learn  # noqa: E402 - imported once the checkout is on sys.path

GOAL = 10_000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", type=Path, default=ROOT / "tests" / "synthesis" / "fixtures" / "hdfsish")
    ap.add_argument("--logs", type=Path, nargs="*", default=[ROOT / "tests" / "synthesis" / "fixtures" / "hdfsish.log"])
    ap.add_argument("--format", default="hdfs")
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--max-paths", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    fmt = LogFormat.parse(args.format)
    key = "block" if fmt.name == "hdfs" else None
    t0 = time.perf_counter()
    a = analyse(args.source)
    t1 = time.perf_counter()
    model, seen, _ = learn(a.inventory.statements, list(args.logs), fmt, key)
    t2 = time.perf_counter()
    gen = Generator(
        a, GenerateConfig(n=args.n, fmt=args.format, session_key=key, max_paths=args.max_paths), model, seen
    )
    gen.explore()
    t3 = time.perf_counter()
    rates, lines = [], 0
    sessions = []
    for _ in range(args.repeats):
        s = time.perf_counter()
        sessions = list(gen.sessions())
        rates.append(len(sessions) / (time.perf_counter() - s))
        lines = sum(len(x.lines) for x in sessions)
    rate = statistics.median(rates)
    paths = sum(r.paths for r in gen.reports)
    print(
        f"tree {args.source}: {len(a.inventory.statements)} statements, {len(gen.reports)} entries, "
        f"{paths:,} paths ({sum(r.infeasible for r in gen.reports):,} infeasible), "
        f"{len(gen.candidates):,} distinct visible sequences"
    )
    print(
        f"analysis {t1 - t0:.2f} s | learn from logs {t2 - t1:.2f} s | paths + feasibility {t3 - t2:.2f} s "
        f"({paths / max(t3 - t2, 1e-9):,.0f} paths/s)"
    )
    print(
        f"generation: {rate:,.0f} sessions/s, {rate * lines / max(len(sessions), 1):,.0f} lines/s "
        f"(median of {args.repeats}, {len(sessions):,} sessions, {lines:,} lines); goal {GOAL:,}: "
        f"ratio {rate / GOAL:.2f}"
    )
    end_to_end = len(sessions) / ((t3 - t0) + len(sessions) / rate)
    print(f"end to end incl. analysis, paths and feasibility: {end_to_end:,.0f} sessions/s for {len(sessions):,}")
    try:
        from drain3 import TemplateMiner
        from drain3.template_miner_config import TemplateMinerConfig
    except ImportError:
        return
    cfg = TemplateMinerConfig()
    cfg.profiling_enabled = False
    miner = TemplateMiner(config=cfg)
    contents = [ln.content for s in sessions for ln in s.lines]
    s = time.perf_counter()
    for c in contents:
        miner.add_log_message(c)
    drain = len(contents) / (time.perf_counter() - s)
    print(
        f"Drain3 mining the same {len(contents):,} lines: {drain:,.0f} lines/s; generation/Drain3 lines per "
        f"second: {rate * lines / max(len(sessions), 1) / drain:.2f}x"
    )


if __name__ == "__main__":
    main()
