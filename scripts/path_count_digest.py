#!/usr/bin/env python3
"""A digest of every entry point's path counts in a source tree, to check that the path stage's counts are the
same from run to run (they decide which paths `generate` samples).

    python scripts/path_count_digest.py SRC [--reverse] [--show KEY]

Counts every entry (in key order, or reversed with `--reverse`) as `generate`'s main process does, and prints
the sha256 of the sorted (entry, counts) pairs, the number of count tables, and with `--show` one entry's
counts. Two runs on the same tree must print the same digest, whatever the order and PYTHONHASHSEED.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    from anomalygen.source.analysis import Analysis
    from anomalygen.source.entries import find_entries
    from anomalygen.synthesis.explore import EntryExplorer
    from anomalygen.synthesis.generate import GenerateConfig

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("source", type=Path)
    ap.add_argument("--format", default="hadoop")
    ap.add_argument("--reverse", action="store_true", help="count the entries in reverse key order")
    ap.add_argument("--show", default=None, help="also print this entry's counts")
    a = ap.parse_args()
    sys.set_int_max_str_digits(0)  # whole trees have counts of thousands of digits (all of Hadoop 2.5.0's do)
    analysis = Analysis.run(a.source)
    keys = sorted(e.key for e in find_entries(analysis))
    explorer = EntryExplorer(analysis, GenerateConfig(fmt=a.format), "INFO")
    counts = {k: list(explorer.pf.count(k)) for k in (keys[::-1] if a.reverse else keys)}
    digest = hashlib.sha256(json.dumps(sorted(counts.items())).encode()).hexdigest()[:16]
    print(
        f"{len(keys):,} entries; counts digest {digest}; {len(explorer.pf._suffix):,} count tables"
        + (f"; {a.show}: {counts.get(a.show)}" if a.show else "")
    )


if __name__ == "__main__":
    main()
