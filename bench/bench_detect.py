#!/usr/bin/env python3
"""Throughput and memory of `anomalygen detect` next to parsing alone, in the same run.

    python bench/bench_detect.py --model hdfs_model --log ../shared/data/hdfs/HDFS_20000.log
    python bench/bench_detect.py --model MODEL_DIR --log LOG --scale 10 --repeats 3 --json out.json

Each measurement runs in a fresh child process (so peak RSS is its own), on the log repeated 1x and `--scale`x,
block ids renamed per copy (`blk_123` -> `blk_123` + copy number) so that every copy's sessions are new ones:
* parse: `LogParser.parse_columns` over the file with the model's inventory and format (the reader, header split,
  statement match, parameters, a block of columns per read block) consumed without writing: what `anomalygen
  parse` computes before it writes rows;
* lines: `LogParser.parse`, the same as a `ParsedLine` per line (the streaming API; slower);
* events: `LogParser.event_columns`, the columns without templates and parameters: the part of `detect` before
  sessions and scoring, alone;
* detect: `Detector.stream` in one process (parse + online sessions + scoring every closed session +
  explanations of alarms), alarms discarded. The model reads each distinct event sequence once (the scorer's
  cache answers the repeats); the count of sequences it read is printed, since copies of one log repeat the same
  sequences;
* detect-jN (`--jobs N`, default 2): the same with N worker processes parsing 1 MiB spans of the log while the
  main process forms and scores the sessions (the same alarms).
Lines/s is lines read over wall time (median of `--repeats`, interleaved; the range of the repeats' own
detect/parse ratios is printed beside it), and lines per CPU second of the child and its workers (user + system
time, which a neighbour's load moves less than wall time); peak RSS is the child's ru_maxrss, and for detect-jN
also its largest worker's.
Each size's first line has the 1-minute load average: on a shared machine the wall-time ratio moves with it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BLOCK = re.compile(rb"(blk_-?\d+)")


def scaled_log(src: Path, copies: int, dest: Path) -> Path:
    with open(src, "rb") as fh:
        data = fh.read()
    with open(dest, "wb") as out:
        for c in range(copies):
            out.write(data if c == 0 else BLOCK.sub(lambda m, c=c: m.group(1) + str(c).encode(), data))
    return dest


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (detect's parse workers)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def child(kind: str, model: str, log: str, idle_lines: int | None) -> dict:
    from anomalygen.core.formats import LogFormat
    from anomalygen.deploy.detector import DetectRequest, load_detector
    from anomalygen.logs.parse import LogParser
    from anomalygen.logs.reader import iter_chunks

    det = load_detector(model)
    t0, c0 = time.perf_counter(), _cpu()
    if kind in ("parse", "lines", "events"):
        parser = LogParser(det.statements, LogFormat.parse(det.manifest["detect"]["format"]), fallback=False)
        chunks = iter_chunks([log], parser.summary.read)
        way = {"parse": parser.parse_columns, "lines": parser.parse_chunks, "events": parser.event_columns}[kind]
        for _ in way(chunks):
            pass
        lines = parser.summary.read.lines_read
        extra = {}
    else:
        jobs = int(kind.partition("-j")[2] or 1)
        res = det.stream(DetectRequest(model=Path(model), logs=[log], idle_lines=idle_lines, jobs=jobs))
        lines = res.read["lines_read"]
        extra = {
            "alarms": res.alarms,
            "sessions": res.scored,
            "max_open": res.sessions["max_open"],
            "evicted": res.sessions["evicted"],
            "sequences_read": res.scoring["sessions_read"],
        }
    secs, cpu = time.perf_counter() - t0, _cpu() - c0
    return {
        "kind": kind,
        "lines": lines,
        "seconds": secs,
        "lines_per_s": lines / secs,
        "cpu_seconds": cpu,
        "lines_per_cpu_s": lines / cpu,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "workers_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        **extra,
    }


def measure(kind: str, model: str, log: Path, idle_lines: int | None) -> dict:
    cmd = [sys.executable, __file__, "--child", kind, "--model", model, "--log", str(log)]
    if idle_lines:
        cmd += ["--idle-lines", str(idle_lines)]
    out = subprocess.run(
        cmd, check=True, capture_output=True, text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def follow_demo(model: str, log: Path, rate: float, idle_lines: int | None, rotate_every: int) -> dict:
    """A writer process grows a file at `rate` lines/s while `anomalygen detect --follow` reads it: when do the
    alarms arrive, relative to the writer?"""
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "PYTHONUNBUFFERED": "1"}
    with tempfile.TemporaryDirectory() as tmp:
        live = Path(tmp) / "live.log"
        live.write_text("")
        cmd = [
            sys.executable,
            "-m",
            "anomalygen.cli",
            "detect",
            model,
            str(live),
            "--follow",
            "--exit-idle",
            "12",
            *(["--idle-lines", str(idle_lines)] if idle_lines else []),
            "--json",
            str(Path(tmp) / "a.jsonl"),
        ]
        det = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        # let the detector load before the first line is written; it waits up to --exit-idle for that line
        time.sleep(8)
        t0 = time.monotonic()
        writer = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "scripts" / "grow_log.py"),
                str(log),
                str(live),
                "--rate",
                str(rate),
                "--rotate-every",
                str(rotate_every),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        done: list[float] = []
        waiter = threading.Thread(target=lambda: (writer.wait(), done.append(time.monotonic() - t0)))
        waiter.start()
        times = [time.monotonic() - t0 for line in det.stdout if line.startswith("ALARM ")]
        waiter.join()
        summary = det.stderr.read().strip().splitlines()[-1]
        det.wait()
    return {
        "rate": rate,
        "writer_seconds": round(done[0], 1),
        "alarms": len(times),
        "alarms_while_growing": sum(t < done[0] for t in times),
        "first_alarm_s": round(times[0], 1) if times else None,
        "summary": summary,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="model folder from `anomalygen train`")
    ap.add_argument("--log", required=True, type=Path)
    ap.add_argument("--scale", type=int, default=10, help="also measure the log repeated this many times")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--idle-lines", type=int, default=None, help="detect's idle timeout (default: the model's)")
    ap.add_argument("--json", type=Path, default=None, help="write the results here")
    ap.add_argument(
        "--follow-rate",
        type=float,
        default=0,
        help="instead: the --follow demo, a writer growing the log at this many lines/s",
    )
    ap.add_argument("--rotate-every", type=int, default=0, help="with --follow-rate: rotate after this many lines")
    ap.add_argument("--jobs", type=int, default=2, help="also measure `detect --jobs N` (1: only one process)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        print(json.dumps(child(a.child, a.model, str(a.log), a.idle_lines)))
        return
    if a.follow_rate:
        r = follow_demo(a.model, a.log, a.follow_rate, a.idle_lines, a.rotate_every)
        print(
            f"writer: {r['writer_seconds']}s at {r['rate']:g} lines/s; {r['alarms']} alarms, "
            f"{r['alarms_while_growing']} while the file was growing, first after {r['first_alarm_s']}s\n"
            f"{r['summary']}"
        )
        if a.json:
            a.json.write_text(json.dumps(r, indent=1) + "\n")
        return
    kinds = ["parse", "lines", "events", "detect"] + ([f"detect-j{a.jobs}"] if a.jobs > 1 else [])
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for copies in sorted({1, a.scale}):
            log = a.log if copies == 1 else scaled_log(a.log, copies, Path(tmp) / f"x{copies}.log")
            runs: dict[str, list[dict]] = {k: [] for k in kinds}
            for _ in range(a.repeats):
                for kind in kinds:
                    runs[kind].append(measure(kind, a.model, log, a.idle_lines))
            row: dict = {"load_average": round(os.getloadavg()[0], 2)}  # 1-minute, at the end of this size's runs
            for kind, rs in runs.items():
                mid = sorted(rs, key=lambda r: r["lines_per_s"])[len(rs) // 2]
                row[kind] = {
                    **mid,
                    "lines_per_s": statistics.median(r["lines_per_s"] for r in rs),
                    "lines_per_cpu_s": statistics.median(r["lines_per_cpu_s"] for r in rs),
                }
            p = row["parse"]
            print(
                f"x{copies}: {p['lines']:,} lines, load average {row['load_average']:.1f}; parse "
                f"{p['lines_per_s']:,.0f} lines/s, {p['lines_per_cpu_s']:,.0f} per CPU second (peak RSS "
                f"{p['peak_rss_mb']:.0f} MB)"
            )
            e, ln = row["events"], row["lines"]
            print(
                f"  lines (a ParsedLine each): {ln['lines_per_s']:,.0f} lines/s = "
                f"{ln['lines_per_s'] / p['lines_per_s']:.2f} of parse; events only (detect's parsing, alone): "
                f"{e['lines_per_s']:,.0f} lines/s = {e['lines_per_s'] / p['lines_per_s']:.2f} of parse"
            )
            for kind in kinds[3:]:
                d = row[kind]
                # each repeat's runs went back to back: the spread of their ratios is this machine's noise
                pairs = [x["lines_per_s"] / y["lines_per_s"] for y, x in zip(runs["parse"], runs[kind], strict=True)]
                d["vs_parse"] = d["lines_per_s"] / p["lines_per_s"]
                d["vs_parse_per_repeat"] = [round(r, 3) for r in pairs]
                d["vs_parse_cpu"] = d["lines_per_cpu_s"] / p["lines_per_cpu_s"]
                d["vs_events"] = d["lines_per_s"] / e["lines_per_s"]
                d["vs_lines"] = d["lines_per_s"] / ln["lines_per_s"]
                print(
                    f"  {kind}: {d['lines_per_s']:,.0f} lines/s = {d['vs_parse']:.2f} of parse (repeats "
                    f"{min(pairs):.2f}-{max(pairs):.2f}), {d['vs_lines']:.2f} of lines, {d['vs_events']:.2f} of "
                    f"events only; per CPU second {d['vs_parse_cpu']:.2f} of parse's; peak RSS "
                    f"{d['peak_rss_mb']:.0f} MB"
                    + (f" (largest worker {d['workers_peak_rss_mb']:.0f} MB)" if "-j" in kind else "")
                    + f"; {d['sessions']:,} sessions, {d['sequences_read']:,} distinct sequences read by the model, "
                    f"{d['alarms']:,} alarms, at most {d['max_open']:,} open, {d['evicted']} evicted"
                )
            results[f"x{copies}"] = row
    if a.scale != 1:
        r1, rn = results["x1"]["detect"]["peak_rss_mb"], results[f"x{a.scale}"]["detect"]["peak_rss_mb"]
        results["detect_rss_growth"] = rn / r1 - 1
        print(f"detect peak RSS x{a.scale} vs x1: {100 * (rn / r1 - 1):+.1f}%")
    if a.json:
        a.json.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
