#!/usr/bin/env python3
"""A stand-in for a live service: append a recorded log to a file at a steady rate, optionally rotating it.

    python scripts/grow_log.py ../shared/data/hdfs/HDFS_20000.log live.log --rate 4000 [--rotate-every 8000]

Writes `--rate` lines a second in small batches (flushed each time), so `anomalygen detect live.log --follow`
sees the file grow; with `--rotate-every N` the file is renamed to `live.log.1` (as logrotate does) after every
N lines and a new one is started.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("src", type=Path)
    ap.add_argument("dest", type=Path)
    ap.add_argument("--rate", type=float, default=4000.0, help="lines per second")
    ap.add_argument("--rotate-every", type=int, default=0, help="rotate after this many lines (0: never)")
    a = ap.parse_args()
    batch = max(1, int(a.rate / 20))
    out = open(a.dest, "w", encoding="utf-8")  # noqa: SIM115 - reopened on each rotation below, closed at the end
    written = 0
    t0 = time.monotonic()
    with open(a.src, encoding="utf-8", errors="replace") as src:
        for line in src:
            out.write(line)
            written += 1
            if written % batch == 0:
                out.flush()
                time.sleep(max(0.0, t0 + written / a.rate - time.monotonic()))
            if a.rotate_every and written % a.rotate_every == 0:
                out.close()
                os.replace(a.dest, a.dest.with_name(a.dest.name + ".1"))
                out = open(a.dest, "w", encoding="utf-8")  # noqa: SIM115 - the new file after a rotation, as above
    out.close()
    print(f"wrote {written} lines in {time.monotonic() - t0:.1f}s")


if __name__ == "__main__":
    main()
