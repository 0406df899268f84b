#!/usr/bin/env python3
"""Scale: `--jobs 2` vs `--jobs 1`, a full-HDFS-size log, and a big real tree, each ratio measured in one run.

    python bench/bench_scale.py generate --source /work/src/hadoop --logs ../shared/data/hdfs/HDFS_20000.log \
        [--baseline /tmp/base] [--keep DIR]   # also an older checkout (`git archive REV`); keep the outputs
    python bench/bench_scale.py generate --source /work/src/zk38/src/zookeeper-server/src/main/java --format zookeeper
    python bench/bench_scale.py cpu --source /work/src/hadoop --baseline /tmp/base   # per-path CPU, in process
    python bench/bench_scale.py parse --source /work/src/hadoop --lines 11200000
    python bench/bench_scale.py tree --source /work/src/hadoop25      # Hadoop 2.5.0: */src/main/java only

generate: `anomalygen generate` as subprocesses, one after the other: `--jobs 1`, `--jobs 2` (and the
baseline checkout, which has no --jobs), each's "paths_and_feasibility" seconds from its manifest, the ratio,
per-path milliseconds, and whether the output files are byte-identical.
parse: writes a log of `--lines` lines into a temporary folder by repeating HDFS_20000.log with fresh block ids
and increasing timestamps, then `anomalygen parse` on it with `--jobs 1` and `--jobs 2` and on HDFS_20000.log
alone (wall time, lines/s, peak RSS of the largest process), and Drain3 as logparser runs it (header regex,
`add_log_message`, structured CSV with EventId/EventTemplate) on the first `--slice` lines.
tree: the main sources (every */src/main/java) copied into a temporary folder; inventory + call graph + every
LCFG in this process (one core); with `--sample-entries N`, every entry's path count and N entries (seed 0)
explored in this process (CPU per path, extrapolated); then `anomalygen generate --jobs 2` end to end (wall,
peak RSS; `--gen-jobs 0` skips it).
Every section prints the machine's load (`os.getloadavg`) before and after: the cores may be shared.
"""

from __future__ import annotations

import argparse
import csv
import filecmp
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
HDFS_20K = ROOT.parent / "shared" / "data" / "hdfs" / "HDFS_20000.log"
SESSION_FILES = ["synthetic.log", "synthetic.log_structured.csv", "anomaly_label.csv", "sessions.jsonl"]


def outputs(folder: Path) -> list[str]:
    """The files a generate run wrote, but the manifest (its timings, paths and job count differ by design)."""
    return sorted(f.name for f in folder.iterdir() if f.is_file() and f.name != "manifest.json")


CPU: list[float] = []


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count() or 0} cores"


def run(cmd: list[str], pythonpath: Path = ROOT) -> tuple[float, int, str]:
    """(wall seconds, peak RSS in MiB of the largest process of the run, output) of a command; its CPU seconds
    (its own and its workers') in CPU[-1]."""
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    t = time.perf_counter()
    # run in the checkout: `python -m` and `-c` put the working folder first on sys.path
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True, cwd=str(pythonpath))
    out = p.stdout.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed ({status}): {' '.join(cmd)}\n{out[-3000:]}")
    CPU.append(usage.ru_utime + usage.ru_stime)
    return wall, usage.ru_maxrss // 1024, out


def anomalygen(*args: str) -> list[str]:
    return [sys.executable, "-m", "anomalygen.cli", *args]


# ---- generate -------------------------------------------------------------------------------------------
def bench_generate(args) -> None:
    print(load())
    tmp = args.keep or Path(tempfile.mkdtemp(prefix="bench_scale_"))
    tmp.mkdir(parents=True, exist_ok=True)
    common = [
        str(args.source),
        "--format",
        args.format,
        "--n",
        str(args.n),
        "--max-paths",
        str(args.max_paths),
        *[x for log in args.logs for x in ("--logs", str(log))],
    ]
    runs = {}
    variants = [("jobs 1", ["--jobs", "1"], ROOT), ("jobs 2", ["--jobs", "2"], ROOT)]
    if args.baseline:  # an older checkout has no --jobs and runs in one process
        variants.append(("baseline", [], args.baseline))
    for name, extra, path in variants:
        out = tmp / name.replace(" ", "")
        wall, rss, _ = run(anomalygen("generate", *common, "--out", str(out), *extra), path)
        man = json.loads((out / "manifest.json").read_text())["outputs"]
        secs = man["seconds"]["paths_and_feasibility"]
        paths = man["counts"]["paths"]
        runs[name] = (out, secs, paths, CPU[-1] - man["seconds"]["analysis"] - man["seconds"]["sessions"])
        print(
            f"{name:9s}: paths + feasibility {secs:7.2f} s for {paths:,} paths ({1000 * secs / max(paths, 1):.3f} "
            f"ms/path); end to end {wall:.1f} s, CPU {CPU[-1]:.1f} s, peak RSS {rss} MiB; {load()}"
        )
    one, two = runs["jobs 1"], runs["jobs 2"]
    files = outputs(one[0])
    same = outputs(two[0]) == files and all(filecmp.cmp(one[0] / f, two[0] / f, shallow=False) for f in files)
    print(f"jobs 2 vs jobs 1: {one[1] / two[1]:.2f}x faster; outputs byte-identical ({', '.join(files)}): {same}")
    if "baseline" in runs:
        base = runs["baseline"]
        per = (one[1] / one[2]) / (base[1] / base[2])
        cpu = (one[3] / one[2]) / (base[3] / base[2])
        same_sessions = all(filecmp.cmp(one[0] / f, base[0] / f, shallow=False) for f in SESSION_FILES)
        print(
            f"per-path cost, jobs 1 vs baseline: {per:.2f} of the baseline's in wall time, {cpu:.2f} in CPU time "
            f"(the run's CPU seconds less its analysis and sessions wall seconds: {1000 * one[3] / one[2]:.3f} vs "
            f"{1000 * base[3] / base[2]:.3f} ms/path); sessions byte-identical to the baseline's: {same_sessions}"
        )
    if not args.keep:
        shutil.rmtree(tmp)


_EXPLORE = """
import sys, time
from pathlib import Path
from anomalygen.synthesis.generate import GenerateConfig, Generator, analyse
a = analyse(Path(sys.argv[1]))
gen = Generator(a, GenerateConfig(n=1000, session_key=None, fmt=sys.argv[2]))
c, w = time.process_time(), time.perf_counter()
gen.explore()
c, w = time.process_time() - c, time.perf_counter() - w
print(c, w, sum(r.paths for r in gen.reports))
"""


def bench_cpu(args) -> None:
    """Paths + feasibility in one process (`Generator.explore`, no CLI), CPU seconds: this checkout vs another."""
    res = {}
    for name, path in (("baseline", args.baseline), ("now", ROOT)):
        print(load())
        _, _, out = run([sys.executable, "-c", _EXPLORE, str(args.source), args.format], path)
        cpu, wall, paths = out.split()[-3:]
        res[name] = float(cpu) / int(paths)
        print(
            f"{name:8s}: {float(cpu):.1f} s CPU ({float(wall):.1f} s wall) for {int(paths):,} paths: "
            f"{1000 * res[name]:.3f} ms of CPU per path"
        )
    print(f"per-path CPU now vs baseline: {res['now'] / res['baseline']:.2f}x; {load()}")


# ---- parse ----------------------------------------------------------------------------------------------
_BLK = re.compile(r"blk_(-?)(\d+)")


def big_log(src: Path, dst: Path, lines: int) -> int:
    """`lines` lines: `src` repeated, each copy with fresh block ids and its timestamps shifted past the last."""
    base = src.read_text(encoding="utf-8").splitlines()
    epochs = [_epoch(ln[:6], ln[7:13]) for ln in base]
    span = epochs[-1] - epochs[0] + 1
    # \x00 marks where a copy's suffix goes: appended to each block id, so every copy's ids are new
    bodies = [_BLK.sub(lambda m: f"blk_{m.group(1)}{m.group(2)}\x00", ln[13:]) for ln in base]
    stamp: dict[int, str] = {}
    written = 0
    with open(dst, "w", encoding="utf-8") as fh:
        rep = 0
        while written < lines:
            take = min(len(base), lines - written)
            suffix = f"{rep:04d}" if rep else ""
            buf = []
            for e, body in zip(epochs[:take], bodies[:take], strict=False):
                e += rep * span
                ts = stamp.get(e)
                if ts is None:
                    ts = stamp[e] = time.strftime("%y%m%d %H%M%S", time.gmtime(e))
                buf.append(ts + body.replace("\x00", suffix))
            fh.write("\n".join(buf) + "\n")
            written += take
            rep += 1
    return written


def _epoch(d: str, t: str) -> int:
    import calendar

    return calendar.timegm(time.strptime(d + t, "%y%m%d%H%M%S"))


def drain_logparser_style(log: Path, n: int, out: Path) -> float:
    """Seconds for Drain3 as usually run on the first n lines: logparser's header regex, then a structured CSV."""
    import logging

    from drain3 import TemplateMiner
    from drain3.template_miner_config import TemplateMinerConfig

    from anomalygen.core.formats import LogFormat

    logging.getLogger("drain3").setLevel(logging.WARNING)
    cfg = TemplateMinerConfig()
    cfg.profiling_enabled = False
    fmt = LogFormat.parse("hdfs")
    rx = fmt.regex
    t = time.perf_counter()
    c = time.process_time()
    miner = TemplateMiner(config=cfg)
    rows, ids = [], []
    with open(log, encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i >= n:
                break
            m = rx.match(line.rstrip("\n"))
            if m is None:
                continue
            values = m.groups()
            r = miner.add_log_message(values[fmt.content_index])
            rows.append(values)
            ids.append(r["cluster_id"])
    templates = {c.cluster_id: c.get_template() for c in miner.drain.clusters}
    with open(out, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["LineId", *fmt.fields, "EventId", "EventTemplate"])
        for k, (values, cid) in enumerate(zip(rows, ids, strict=True), 1):
            w.writerow([k, *values, f"E{cid}", templates[cid]])
    CPU.append(time.process_time() - c)
    return time.perf_counter() - t


def bench_parse(args) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench_scale_parse_"))
    try:
        inv = tmp / "inventory.jsonl"
        run(anomalygen("inventory", str(args.source), "--out", str(inv), "--show", "0"))
        log = tmp / "HDFS_big.log"
        t = time.perf_counter()
        n = big_log(HDFS_20K, log, args.lines)
        print(f"wrote {n:,} lines ({log.stat().st_size / 2**20:,.0f} MiB) in {time.perf_counter() - t:.1f} s; {load()}")
        small_wall, small_rss, _ = run(
            anomalygen("parse", str(HDFS_20K), "--inventory", str(inv), "--out", str(tmp / "p20k"), "--jobs", "1")
        )
        print(f"parse HDFS_20000.log (20,000 lines), jobs 1: {small_wall:.1f} s, peak RSS {small_rss} MiB")
        res, cpu = {}, {}
        for jobs in args.jobs:
            wall, rss, _ = run(
                anomalygen(
                    "parse", str(log), "--inventory", str(inv), "--out", str(tmp / f"p{jobs}"), "--jobs", str(jobs)
                )
            )
            res[jobs], cpu[jobs] = wall, CPU[-1]
            print(
                f"parse {n:,} lines, jobs {jobs}: {wall:.1f} s ({n / wall:,.0f} lines/s), CPU {CPU[-1]:.1f} s "
                f"(all processes; {n / CPU[-1]:,.0f} lines per CPU second), peak RSS {rss} MiB "
                f"({rss / small_rss:.2f}x the 20k-line run's); {load()}"
            )
        if len(res) > 1:
            a, b = sorted(res)[:2]
            same = all(
                filecmp.cmp(tmp / f"p{a}" / f, tmp / f"p{b}" / f, shallow=False)
                for f in ("structured.csv", "templates.csv")
            )
            print(
                f"jobs {b} vs jobs {a}: {res[a] / res[b]:.2f}x; structured.csv and templates.csv byte-identical: {same}"
            )
        dsecs = drain_logparser_style(log, args.slice, tmp / "drain.csv")
        drain_rate = args.slice / dsecs
        print(
            f"Drain3 as logparser runs it, first {args.slice:,} lines: {dsecs:.1f} s ({drain_rate:,.0f} lines/s), "
            f"CPU {CPU[-1]:.1f} s ({args.slice / CPU[-1]:,.0f} lines per CPU second); "
            + "; ".join(f"parse --jobs {j} is {n / w / drain_rate:.1f}x" for j, w in sorted(res.items()))
            + " in lines per second of wall time, "
            + ", ".join(f"{n / cpu[j] / (args.slice / CPU[-1]):.1f}x (--jobs {j})" for j in sorted(cpu))
            + f" in lines per CPU second; {load()}"
        )
    finally:
        shutil.rmtree(tmp)


# ---- a big tree -----------------------------------------------------------------------------------------
def main_sources(src: Path, dst: Path) -> int:
    """Every */src/main/java of `src` copied under `dst` (their module paths kept); the number of files."""
    n = 0
    for main in sorted(src.glob("**/src/main/java")):
        for f in main.rglob("*.java"):
            target = dst / f.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, target)
            n += 1
    return n


def sample_entries(a, entries: list, n: int) -> None:
    """What generate's path stage costs on this tree without running all of it: every entry's path count (what
    generate's main process computes before it hands entries out), then `n` entries drawn with seed 0 explored
    in this process, one after the other (CPU seconds per path and per entry, extrapolated to every entry)."""
    import random
    import resource

    from anomalygen.synthesis.explore import EntryExplorer
    from anomalygen.synthesis.generate import GenerateConfig

    ex = EntryExplorer(a, GenerateConfig(fmt="hadoop"), "INFO")
    t, c = time.perf_counter(), time.process_time()
    keys = sorted(e.key for e in entries)
    for k in keys:
        ex.pf.count(k)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(
        f"path counts of all {len(keys):,} entries: {time.perf_counter() - t:.1f} s ({time.process_time() - c:.1f} s "
        f"CPU), {len(ex.pf._suffix):,} count tables, peak RSS {rss} MiB; {load()}"
    )
    pick = sorted(random.Random(0).sample(keys, min(n, len(keys))))
    t, c = time.perf_counter(), time.process_time()
    costs = []
    for k in pick:
        c0 = time.process_time()
        paths = ex(k).report.paths
        costs.append((time.process_time() - c0, k, paths))
    cpu = time.process_time() - c
    paths = sum(x[2] for x in costs)
    top = sorted(costs, reverse=True)[: max(1, len(costs) // 5)]
    print(
        f"{len(pick)} entries (seed 0): {cpu:.1f} s CPU ({time.perf_counter() - t:.1f} s wall), {paths:,} paths, "
        f"{1000 * cpu / max(paths, 1):.2f} ms CPU per path; "
        f"the costliest fifth of them {sum(x[0] for x in top):.1f} s; "
        f"all {len(keys):,} entries at this rate: about {cpu / len(pick) * len(keys) / 60:.0f} CPU minutes; {load()}"
    )


def bench_tree(args) -> None:
    from anomalygen.source.analysis import Analysis
    from anomalygen.source.entries import find_entries

    tmp = Path(tempfile.mkdtemp(prefix="bench_scale_tree_"))
    try:
        tree = tmp / "src"
        files = main_sources(args.source, tree) if not args.as_is else None
        tree = tree if files is not None else args.source
        size = sum(f.stat().st_size for f in tree.rglob("*.java"))
        print(f"{tree}: {files or len(list(tree.rglob('*.java'))):,} java files, {size / 1e6:.1f} MB; {load()}")
        t, c = time.perf_counter(), time.process_time()
        a = Analysis.run(tree)
        t1 = time.perf_counter()
        lcfgs = a.build_all_lcfgs()
        t2, c2 = time.perf_counter(), time.process_time()
        entries = find_entries(a)
        t3 = time.perf_counter()
        import resource

        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        print(
            f"inventory + call graph {t1 - t:.1f} s ({len(a.inventory.statements):,} statements, "
            f"{len(a.callgraph.logging):,} methods that log); every LCFG {t2 - t1:.1f} s ({len(lcfgs):,}); "
            f"together {t2 - t:.1f} s on one core (CPU {c2 - c:.1f} s); entries {t3 - t2:.1f} s ({len(entries):,}); "
            f"peak RSS {rss} MiB"
        )
        if args.sample_entries:
            sample_entries(a, entries, args.sample_entries)
        del a, lcfgs
        if args.gen_jobs <= 0:
            return
        wall, rss, _out = run(
            anomalygen(
                "generate",
                str(tree),
                "--format",
                args.format,
                "--out",
                str(tmp / "gen"),
                "--jobs",
                str(args.gen_jobs),
                "--n",
                str(args.n),
            )
        )
        man = json.loads((tmp / "gen" / "manifest.json").read_text())["outputs"]
        c = man["counts"]
        print(
            f"generate --jobs {args.gen_jobs} end to end: {wall:.1f} s, CPU {CPU[-1]:.1f} s "
            f"(analysis {man['seconds']['analysis']:.1f} s, "
            f"paths + feasibility {man['seconds']['paths_and_feasibility']:.1f} s, sessions "
            f"{man['seconds']['sessions']:.1f} s), peak RSS {rss} MiB of the largest process; {c['entries']:,} "
            f"entries, {c['paths']:,} paths ({c['infeasible']:,} infeasible), {c['sessions']:,} sessions; {load()}"
        )
    finally:
        shutil.rmtree(tmp)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="what", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--source", type=Path, required=True)
    g.add_argument("--logs", type=Path, nargs="*", default=[])
    g.add_argument("--format", default="hdfs")
    g.add_argument("--n", type=int, default=1000)
    g.add_argument("--max-paths", type=int, default=200)
    g.add_argument("--baseline", type=Path, help="an older checkout to run the same generate with")
    g.add_argument("--keep", type=Path, help="write the runs' outputs here (one folder per variant) and keep them")
    c = sub.add_parser("cpu")
    c.add_argument("--source", type=Path, required=True)
    c.add_argument("--format", default="hdfs")
    c.add_argument("--baseline", type=Path, required=True, help="an older checkout (`git archive REV`)")
    p = sub.add_parser("parse")
    p.add_argument("--source", type=Path, required=True, help="the Java tree whose statements parse the log")
    p.add_argument("--lines", type=int, default=11_200_000)
    p.add_argument("--slice", type=int, default=200_000, help="lines Drain3 parses")
    p.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    t = sub.add_parser("tree")
    t.add_argument("--source", type=Path, required=True)
    t.add_argument("--as-is", action="store_true", help="analyse the folder itself, not its */src/main/java")
    t.add_argument("--format", default="hadoop")
    t.add_argument("--gen-jobs", type=int, default=2, help="0: analysis only, no generate")
    t.add_argument("--n", type=int, default=1000)
    t.add_argument("--sample-entries", type=int, default=0, help="also explore this many entries in process")
    args = ap.parse_args()
    for k, v in vars(args).items():  # subprocesses run in the checkout they measure
        if isinstance(v, Path):
            setattr(args, k, v.resolve())
        elif isinstance(v, list) and v and isinstance(v[0], Path):
            setattr(args, k, [x.resolve() for x in v])
    {"generate": bench_generate, "cpu": bench_cpu, "parse": bench_parse, "tree": bench_tree}[args.what](args)


if __name__ == "__main__":
    main()
