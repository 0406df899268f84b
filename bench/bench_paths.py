"""Cost of the path stage and of the loop bound, measured in one run per tree.

    python bench/bench_paths.py SRC [SRC ...] [--bounds 1,2,3] [--max-paths 1000]

For each tree and each loop bound k: analysis + LCFGs, exact path counts of every entry (dynamic programming),
then the paths themselves (enumerated up to --max-paths per entry, uniformly sampled beyond). Prints seconds,
the ratio to tree-sitter's bare parse of the same files in the same run, total and median exact path counts,
paths written, distinct log sequences and caps hit. This is the measurement behind the default k=2.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import tree_sitter_java
from tree_sitter import Language, Parser

from anomalygen.source.analysis import Analysis, AnalysisConfig
from anomalygen.source.entries import find_entries
from anomalygen.source.paths import PathConfig, PathFinder


def bare_parse(root: Path) -> float:
    parser = Parser(Language(tree_sitter_java.language()))
    t = time.perf_counter()
    for p in sorted(root.rglob("*.java")):
        parser.parse(p.read_bytes())
    return time.perf_counter() - t


def sci(n: int) -> str:
    """Scientific notation for integers too large for a float."""
    d = str(n)
    return d if len(d) <= 6 else f"{d[0]}.{d[1:3]}e+{len(d) - 1}"


def run(root: Path, k: int, max_paths: int) -> dict:
    t0 = time.perf_counter()
    a = Analysis.run(root, AnalysisConfig(loop_bound=k))
    a.build_all_lcfgs()
    t1 = time.perf_counter()
    entries = find_entries(a)
    pf = PathFinder(a, PathConfig(max_paths=max_paths))
    totals = [sum(pf.count(e.key)) for e in entries]
    t2 = time.perf_counter()
    written = distinct = 0
    caps: Counter = Counter()
    for e in entries:
        ep = pf.entry_paths(e.key)
        written += len(ep.paths)
        distinct += ep.distinct_sequences
        caps.update(ep.caps)
    t3 = time.perf_counter()
    return {
        "analysis": t1 - t0,
        "count": t2 - t1,
        "paths": t3 - t2,
        "entries": len(entries),
        "median": sorted(totals)[len(totals) // 2] if totals else 0,
        "max": max(totals, default=0),
        "enumerable": sum(1 for x in totals if x <= max_paths),
        "written": written,
        "distinct": distinct,
        "caps": dict(caps),
        "methods": len(a.callgraph.logging),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src", nargs="+", type=Path)
    ap.add_argument("--bounds", default="1,2,3")
    ap.add_argument("--max-paths", type=int, default=1000)
    args = ap.parse_args()
    for root in args.src:
        bare = min(bare_parse(root) for _ in range(3))
        print(f"\n{root}: bare tree-sitter parse {bare:.3f} s")
        print(
            f"{'k':>2} {'analysis+LCFG s':>15} {'count s':>8} {'paths s':>8} {'total/bare':>10} {'entries':>7} "
            f"{'enumerable':>10} {'median paths':>12} {'max paths':>10} {'written':>8} {'distinct':>8}  caps"
        )
        for k in (int(x) for x in args.bounds.split(",")):
            r = run(root, k, args.max_paths)
            total = r["analysis"] + r["count"] + r["paths"]
            print(
                f"{k:>2} {r['analysis']:>15.2f} {r['count']:>8.2f} {r['paths']:>8.2f} {total / bare:>9.1f}x "
                f"{r['entries']:>7} {r['enumerable']:>10} {sci(r['median']):>12} {sci(r['max']):>10} "
                f"{r['written']:>8} {r['distinct']:>8}  {r['caps']}"
            )


if __name__ == "__main__":
    main()
