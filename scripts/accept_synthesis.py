"""Acceptance of the synthesis stage on a real tree and its real logs (issue 5).

    python scripts/accept_synthesis.py --src /work/src/hadoop --logs ../shared/data/hdfs/HDFS_20000.log \
        --format hdfs --reference ../shared/data/reference/anomalygen/hdfs_combined_parsed_logs.csv --n 5000

Runs `anomalygen generate`, then checks and prints: the share of generated lines that match their statement's
regex and parse back to the same statement; that every session uses exactly one block id (hdfs); the share of
AnomalyGen's released lines that match any statement of the same tree, next to ours; leaked prompt examples;
and the coverage gain per entry (distinct feasible visible sequences, and those printing a statement the real
logs never showed). Exits non-zero when a hard check fails.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from anomalygen.logs.matcher import Matcher
from anomalygen.source.inventory import build_inventory

LEAKS = ("namenode01", "/user/test")


def share_matching(contents: list[str], matcher: Matcher) -> float:
    hit = sum(1 for c in contents if matcher.candidates(c.split("\n")[0]))
    return hit / max(1, len(contents))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", required=True, type=Path)
    ap.add_argument("--logs", nargs="*", default=[])
    ap.add_argument("--format", default="hdfs")
    ap.add_argument("--reference", type=Path)
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--out", type=Path, default=Path("/tmp/anomalygen-accept-synthesis"))
    ap.add_argument("--max-paths", type=int, default=200)
    args = ap.parse_args()
    cmd = [
        sys.executable,
        "-m",
        "anomalygen.cli",
        "generate",
        str(args.src),
        "--out",
        str(args.out),
        "--n",
        str(args.n),
        "--format",
        args.format,
        "--max-paths",
        str(args.max_paths),
    ]
    for p in args.logs:
        cmd += ["--logs", p]
    print("$", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)
    man = json.loads((args.out / "manifest.json").read_text())["outputs"]
    back = man["parse_back"]
    ok = True
    print(
        f"lines {back['lines']:,}: regex match {back['regex_match'] / back['lines']:.2%}, same statement on "
        f"parse-back {back['same_statement'] / back['lines']:.2%} ({back['identical_twins']:,} of them identical "
        f"twins: same template, level and class)"
    )
    ok &= back["regex_match"] == back["lines"] == back["same_statement"]
    sessions = [json.loads(x) for x in (args.out / "sessions.jsonl").read_text().splitlines()]
    if args.format == "hdfs":
        multi = [
            s["session_id"]
            for s in sessions
            if {b for ps in s["params"] for p in ps for b in re.findall(r"blk_-?\d+", p)} != {s["session_id"]}
        ]
        print(f"sessions {len(sessions):,}: {len(sessions) - len(multi):,} use exactly one block id (their own)")
        ok &= not multi
    raw = (args.out / "synthetic.log").read_text(encoding="utf-8")
    leaks = {w: raw.count(w) for w in LEAKS}
    print(f"prompt-example leaks in our lines: {leaks}")
    ok &= not any(leaks.values())
    statements = build_inventory(args.src)[0].statements
    matcher = Matcher(statements)
    ours = [
        row["Content"]
        for row in csv.DictReader(io.StringIO((args.out / "synthetic.log_structured.csv").read_text(encoding="utf-8")))
    ]
    print(f"share of our lines matching a statement of {args.src.name}: {share_matching(ours, matcher):.2%}")
    if args.reference:
        theirs = [row["Content"] for row in csv.DictReader(io.StringIO(args.reference.read_text(encoding="utf-8")))]
        ref_leaks = {w: sum(w in c for c in theirs) for w in LEAKS}
        print(
            f"share of AnomalyGen's released lines ({len(theirs):,}) matching a statement of {args.src.name}: "
            f"{share_matching(theirs, matcher):.2%}; lines with prompt-example leaks: {ref_leaks}"
        )
    c = man["counts"]
    print(
        f"paths {c['paths']:,}: infeasible {c['infeasible']:,}, unknown {c['unknown']:,}, kept {c['kept']:,}; "
        f"distinct visible sequences {c['sequences']:,} ({c['new']:,} print a statement the real logs never showed, "
        f"{c['seen']:,} only seen ones); statements newly covered {c['statements_newly_covered']}"
    )
    rows = list(csv.DictReader(io.StringIO((args.out / "entries.csv").read_text(encoding="utf-8"))))
    rows.sort(key=lambda r: -int(r["new"]))
    print("top entries by coverage gain (entry, paths, infeasible, kept, sequences, new):")
    for r in rows[:10]:
        print(f"  {r['entry']}: {r['paths']} {r['infeasible']} {r['kept']} {r['sequences']} {r['new']}")
    print("ACCEPT" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
