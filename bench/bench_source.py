"""Time the source-analysis stage against tree-sitter's bare parse of the same files, in the same run.

    python bench/bench_source.py SRC [SRC ...] [--repeat 3] [--profile]

For each tree: (1) bare parse: read every .java file and parse it with tree-sitter, nothing else; (2) the
inventory (`build_inventory`: read, decode, parse, index, resolve loggers, fold templates); (3) when
`anomalygen.source.analysis` is importable, inventory + call graph (`Analysis.run`) and then every LCFG
(`build_all_lcfgs`). Each figure is the best of --repeat runs, on one core (single-threaded Python).
Prints files/s, seconds and the ratio to the bare parse. --profile prints the top cProfile entries of one
inventory run.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import tree_sitter_java
from tree_sitter import Language, Parser

from anomalygen.source.inventory import build_inventory


def java_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.java") if p.is_file())


def bare_parse(files: list[Path]) -> float:
    parser = Parser(Language(tree_sitter_java.language()))
    t = time.perf_counter()
    for p in files:
        parser.parse(p.read_bytes())
    return time.perf_counter() - t


def timed(fn, repeat: int) -> tuple[float, object]:
    best = float("inf")
    out = None
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src", nargs="+", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", action="store_true")
    a = ap.parse_args(argv)
    try:
        from anomalygen.source.analysis import Analysis  # the LCFG/call-graph stage, when present
    except Exception as err:  # absent or broken: report and time the rest
        Analysis = None
        print(f"(analysis stage not timed: {err!r})")

    print(
        "| tree | files | MB | bare parse s | files/s | inventory s | files/s | x parse | statements "
        "| inventory+callgraph s | +all LCFGs s | LCFGs | x parse |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for root in a.src:
        files = java_files(root)
        if not files:
            print(f"{root}: no .java files", file=sys.stderr)
            continue
        mb = sum(p.stat().st_size for p in files) / 1e6
        bare_parse(files)  # warm the page cache and the parser
        bare, _ = timed(lambda files=files: bare_parse(files), a.repeat)
        inv_s, res = timed(lambda root=root: build_inventory(root), a.repeat)
        inv = res[0]  # type: ignore[index]
        row = (
            f"| {root} | {len(files)} | {mb:.1f} | {bare:.2f} | {len(files) / bare:.0f} | {inv_s:.2f} "
            f"| {len(files) / inv_s:.0f} | {inv_s / bare:.2f} | {len(inv.statements)} "
        )
        if Analysis is not None:
            try:
                an_s, _an = timed(lambda root=root: Analysis.run(root), a.repeat)

                def all_lcfgs(root: Path = root):
                    x = Analysis.run(root)
                    x.build_all_lcfgs()
                    return x

                full_s, full = timed(all_lcfgs, a.repeat)
                row += f"| {an_s:.2f} | {full_s:.2f} | {len(full._lcfgs)} | {full_s / bare:.2f} |"  # type: ignore[union-attr]
            except Exception as err:
                row += f"| failed: {err!r} | | | |"
        else:
            row += "| n/a | n/a | | |"
        print(row, flush=True)
        if a.profile:
            prof = cProfile.Profile()
            prof.enable()
            build_inventory(root)
            prof.disable()
            buf = io.StringIO()
            pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(25)
            print(buf.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
