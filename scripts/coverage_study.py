#!/usr/bin/env python3
"""The template-coverage study for HDFS_v1 and ZooKeeper, as markdown (the numbers in BENCHMARKS.md).

    python scripts/coverage_study.py --hadoop /work/src/hadoop --zookeeper /work/src/zk [--out /tmp/coverage_study]

Hadoop 0.17.2's `org.apache.hadoop.dfs` against the shared HDFS_v1 excerpts (HDFS_20000.log, HDFS_2k.log) and
loghub's templates (the 30 of HDFS_templates.csv, the 2k sample's); ZooKeeper 3.4.5 against loghub's 2k sample and
the 77 templates of the full log. Each combination is also run on its own. Every run is what
`anomalygen coverage` does; JSON, text tables and PNG plots go to --out.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from anomalygen.core.formats import LogFormat  # noqa: E402 - imported once the checkout is on sys.path
from anomalygen.logs.coverage import measure, write_outputs  # noqa: E402 - imported once the checkout is on sys.path
from anomalygen.source.inventory import build_inventory  # noqa: E402 - imported once the checkout is on sys.path

DATA = ROOT.parent / "shared" / "data"


def row(name: str, rep: dict) -> str:
    s = rep["summary"]
    cells = []
    for m in ("exact", "token"):
        cells.append(f"{s[m]['covered']} ({s[m]['pct']:.1f}%)" if m in s else "")
    p = rep["inputs"].get("parse")
    lines = f"{p['matched']:,} / {p['read']['parsed']:,}" if p else ""
    tpls = rep["inputs"].get("loghub_templates", "")
    return f"| {name} | {s['statements']} | {lines} | {tpls} | {cells[0]} | {cells[1]} |"


def levels(rep: dict) -> list[str]:
    out = []
    for lv, r in rep["by_level"].items():
        out.append(
            f"| {lv} | {r['statements']} | "
            + " | ".join(f"{r[m]} ({r[m + '_pct']:.1f}%)" if m in r else "" for m in ("exact", "token"))
            + " |"
        )
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hadoop", type=Path, required=True, help="Hadoop 0.17.2 source tree (src/java/.../dfs)")
    ap.add_argument("--zookeeper", type=Path, required=True, help="ZooKeeper 3.4.5 source tree")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--out", type=Path, default=Path("/tmp/coverage_study"))
    args = ap.parse_args()
    h, z = args.data / "hdfs", args.data / "zookeeper"
    systems = [
        (
            "Hadoop 0.17.2 dfs",
            args.hadoop,
            "hdfs",
            [
                (
                    "HDFS_20000.log + HDFS_2k.log; HDFS_templates.csv (30) + HDFS_2k templates",
                    [h / "HDFS_20000.log", h / "HDFS_2k.log"],
                    [h / "HDFS_templates.csv", h / "HDFS_2k.log_templates.csv"],
                ),
                ("HDFS_20000.log (first 20k lines)", [h / "HDFS_20000.log"], []),
                ("HDFS_2k.log (sample of the whole log)", [h / "HDFS_2k.log"], []),
                ("HDFS_templates.csv (loghub's 30)", [], [h / "HDFS_templates.csv"]),
            ],
        ),
        (
            "ZooKeeper 3.4.5",
            args.zookeeper,
            "zookeeper",
            [
                (
                    "Zookeeper_2k.log; 2k templates (50) + full-log templates (77)",
                    [z / "Zookeeper_2k.log"],
                    [z / "Zookeeper_2k.log_templates.csv", z / "Zookeeper_full.log_templates.csv"],
                ),
                ("Zookeeper_2k templates (50)", [], [z / "Zookeeper_2k.log_templates.csv"]),
                ("Zookeeper_full templates (77)", [], [z / "Zookeeper_full.log_templates.csv"]),
            ],
        ),
    ]
    print("| system / inputs | statements | lines matched | loghub templates | exact covered | token covered |")
    print("|---|---|---|---|---|---|")
    mains = []
    for sysname, src, fmtname, runs in systems:
        inv, _ = build_inventory(src)
        fmt = LogFormat.parse(fmtname)
        for i, (name, logs, tpls) in enumerate(runs):
            rep = measure(inv.statements, logs, fmt, tpls).to_dict()
            tag = f"{fmtname}_{i}"
            write_outputs(rep, args.out / tag, f"{sysname}: {name}")
            print(row(f"{sysname}: {name}", rep))
            if i == 0:
                mains.append((sysname, rep))
    for sysname, rep in mains:
        s = rep["summary"]
        print(
            f"\n{sysname}: {s['statements']} statements ({s['opaque']} opaque); covered by both methods "
            f"{s.get('both')}, by either {s.get('either')}\n"
        )
        print("| level | statements | exact | token |")
        print("|---|---|---|---|")
        print("\n".join(levels(rep)))
        print(
            "\nmost call sites among never-seen templates: "
            + "; ".join(f"{r['template'][:60]!r} x{r['call_sites']}" for r in rep["never_seen"][:5])
        )
        if rep["unmatched_log_templates"]:
            print(
                "\nlog lines no statement explains: "
                + "; ".join(f"{r['template'][:70]!r} ({r['lines']})" for r in rep["unmatched_log_templates"][:5])
            )
    print(f"\n(JSON, tables and plots in {args.out})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
