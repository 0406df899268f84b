#!/usr/bin/env python3
"""Throughput of source-informed parsing vs Drain3 on HDFS_20000.log, measured in the same run.

    python bench/bench_parse.py --source /work/src/hadoop            # Hadoop 0.17.2 (HDFS_v1's code)
    python bench/bench_parse.py                                      # the small fixture tree under tests/

Variants, each run `--repeats` times, interleaved, median reported:
* anomalygen: `LogParser.parse` (chunked reader, header split, statement match, parameters) consumed without
  writing; the matcher is built inside the timed region ("incl. setup") and outside it ("parse only").
* drain3 (logparser regex): lines read with `for line in file`, header split by the logparser-style regex,
  message to `TemplateMiner.add_log_message` (default settings, profiling off) -- Drain3 as usually run.
* drain3 (our reader): the same, but lines and headers come from our chunked reader and fast header split, so the
  difference to anomalygen is template matching alone.
Peak memory: tracemalloc's peak of Python allocations during one more (untimed) run of each variant, and for
anomalygen on the log repeated `--scale` times (bounded memory: the peak should not grow with the input).
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from anomalygen.core.formats import LogFormat  # noqa: E402 - imported once the checkout is on sys.path
from anomalygen.logs.parse import LogParser  # noqa: E402 - imported once the checkout is on sys.path
from anomalygen.logs.reader import ReadStats, iter_chunks  # noqa: E402 - imported once the checkout is on sys.path

DEFAULT_LOG = ROOT.parent / "shared" / "data" / "hdfs" / "HDFS_20000.log"


def drain_miner():
    import logging

    from drain3 import TemplateMiner
    from drain3.template_miner_config import TemplateMinerConfig

    logging.getLogger("drain3").setLevel(logging.WARNING)
    cfg = TemplateMinerConfig()
    cfg.profiling_enabled = False
    return TemplateMiner(config=cfg)


def run_ours(statements, fmt, log, parser=None):
    p = parser or LogParser(statements, fmt)
    n = 0
    for _ in p.parse([log]):
        n += 1
    return n, p


def run_drain_regex(fmt, log):
    tm = drain_miner()
    rx = fmt.regex.match
    ci = fmt.content_index
    n = 0
    with open(log, encoding="utf-8") as fh:
        for line in fh:
            m = rx(line.rstrip("\n"))
            if m is not None:
                tm.add_log_message(m.groups()[ci])
                n += 1
    return n, tm


def run_drain_reader(fmt, log):
    tm = drain_miner()
    split = fmt.split
    ci = fmt.content_index
    n = 0
    for _, _, lines in iter_chunks([log], ReadStats()):
        for line in lines:
            v = split(line) if line is not None else None
            if v is not None:
                tm.add_log_message(v[ci])
                n += 1
    return n, tm


def timed(fn):
    gc.collect()
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def traced_peak(fn) -> float:
    gc.collect()
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", type=Path, default=ROOT / "tests" / "logs" / "fixtures" / "hdfsmini")
    ap.add_argument("--inventory", type=Path, help="inventory.jsonl instead of --source")
    ap.add_argument("--log", type=Path, default=DEFAULT_LOG)
    ap.add_argument("--format", default="hdfs")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--scale", type=int, default=10, help="also run on the log repeated this many times (memory)")
    args = ap.parse_args()

    if args.inventory:
        from anomalygen.source.inventory import read_inventory

        t_inv, statements = timed(lambda: read_inventory(args.inventory))
    else:
        from anomalygen.source.inventory import build_inventory

        t_inv, (inv, _) = timed(lambda: build_inventory(args.source))
        statements = inv.statements
    fmt = LogFormat.parse(args.format)
    with open(args.log, "rb") as fh:
        lines = sum(1 for _ in fh)
    print(
        f"log {args.log} ({lines} lines, {args.log.stat().st_size / 2**20:.1f} MiB); "
        f"{len(statements)} statements from {args.inventory or args.source} (inventory {t_inv:.2f}s)"
    )

    # warm-up: imports, regex compilation caches
    run_ours(statements, fmt, args.log)
    run_drain_regex(fmt, args.log)

    times: dict[str, list[float]] = {"ours_setup": [], "ours": [], "drain_regex": [], "drain_reader": []}
    last = {}
    for _ in range(args.repeats):
        dt, (n, p) = timed(lambda: run_ours(statements, fmt, args.log))
        times["ours_setup"].append(dt)
        fresh = LogParser(statements, fmt)
        dt, (_n2, _p2) = timed(lambda fresh=fresh: run_ours(statements, fmt, args.log, fresh))
        times["ours"].append(dt)
        dt, (n3, tm) = timed(lambda: run_drain_regex(fmt, args.log))
        times["drain_regex"].append(dt)
        dt, (_n4, _tm2) = timed(lambda: run_drain_reader(fmt, args.log))
        times["drain_reader"].append(dt)
        last = {"ours": (n, p), "drain": (n3, tm)}
    n, p = last["ours"]
    s = p.summary.to_dict(p.matcher)
    med = {k: statistics.median(v) for k, v in times.items()}
    rate = {k: lines / v for k, v in med.items()}
    print(
        f"anomalygen: {s['matched']} of {s['read']['parsed']} lines matched to a statement, "
        f"{s['fallback']} Drain3 fallback; {s['statements_seen']} statements seen; "
        f"drain3 found {len(last['drain'][1].drain.clusters)} templates"
    )
    print(f"median of {args.repeats} runs (lines/s):")
    print(f"  anomalygen, parse only         {rate['ours']:>10,.0f}")
    print(
        f"  anomalygen, incl. setup        {rate['ours_setup']:>10,.0f}   (matcher build "
        f"{1000 * (med['ours_setup'] - med['ours']):.0f} ms)"
    )
    print(f"  drain3, logparser regex        {rate['drain_regex']:>10,.0f}")
    print(f"  drain3, our reader             {rate['drain_reader']:>10,.0f}")
    print(
        f"ratio anomalygen / drain3: {rate['ours'] / rate['drain_regex']:.2f}x (Drain3 as usually run), "
        f"{rate['ours'] / rate['drain_reader']:.2f}x (same reader), "
        f"{rate['ours_setup'] / rate['drain_regex']:.2f}x / {rate['ours_setup'] / rate['drain_reader']:.2f}x "
        f"with our setup counted"
    )

    peaks = {
        "anomalygen": traced_peak(lambda: run_ours(statements, fmt, args.log)),
        "drain3 (logparser regex)": traced_peak(lambda: run_drain_regex(fmt, args.log)),
    }
    if args.scale > 1:
        with tempfile.TemporaryDirectory() as tmp:
            big = Path(tmp) / "scaled.log"
            data = args.log.read_bytes()
            with open(big, "wb") as fh:
                for _ in range(args.scale):
                    fh.write(data)
            dt, (nb, _) = timed(lambda: run_ours(statements, fmt, big))
            peaks[f"anomalygen, log x{args.scale} ({nb} lines, {nb / dt:,.0f} lines/s)"] = traced_peak(
                lambda: run_ours(statements, fmt, big)
            )
    print("peak traced Python memory (MiB):")
    for k, v in peaks.items():
        print(f"  {k:<55} {v:7.2f}")
    print(f"process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
