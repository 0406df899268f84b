"""End to end on the ZooKeeper testbed (issue 6): train on one run, test on a held-out run with another seed.

    python scripts/testbed_e2e.py --train /work/tbruns/bench_s7 --test /work/tbruns/bench_s8 \
        --source /work/src/zk38/src/zookeeper-server/src/main/java --out /tmp/tb_e2e

1. dataset: the labelled windows of the training run (split=train) and of the test run (split=test);
2. `anomalygen generate` on the ZooKeeper 3.8 source, learning values from the training run's logs only, splicing
   each synthetic path into a normal window of the training run (`--hosts`);
3. `anomalygen evaluate --split given`: every detector without and with the synthetic windows, on the full and on
   sparse portions of the training run (`--train-fractions`), scored on the held-out run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path


def windows(run: Path, name: str, split: str) -> list[dict]:
    out = []
    with open(run / name, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            doc = json.loads(line)
            if not doc.get("events"):
                continue  # an empty window has nothing to score
            doc["session_id"] = f"{run.name}:{doc.get('session_id', n)}"
            doc["split"] = split
            out.append(doc)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", type=Path, required=True)
    ap.add_argument("--test", type=Path, required=True)
    ap.add_argument("--source", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=Path("/tmp/tb_e2e"))
    ap.add_argument("--sessions", default="sessions.jsonl", help="sessions.jsonl or sessions_by_server.jsonl")
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--train-fractions", default="1,0.3,0.1")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--models", default="all")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    train = windows(args.train, args.sessions, "train")
    test = windows(args.test, args.sessions, "test")
    data = args.out / "dataset.jsonl"
    data.write_text("".join(json.dumps(d) + "\n" for d in train + test), encoding="utf-8")
    print(
        f"windows: train {len(train)} ({sum(d['label'] for d in train)} anomalous), "
        f"test {len(test)} ({sum(d['label'] for d in test)} anomalous)"
    )
    hosts = args.out / "hosts.jsonl"
    hosts.write_text("".join(json.dumps(d) + "\n" for d in train), encoding="utf-8")
    py = [sys.executable, "-m", "anomalygen.cli"]
    logs = sorted((args.train / "logs").glob("zookeeper-*.log"))
    gen = [
        *py,
        "generate",
        str(args.source),
        "--out",
        str(args.out / "synthetic"),
        "--format",
        "zookeeper",
        "--session-key",
        "none",
        "--hosts",
        str(hosts),
        "--host-fraction",
        "1",
        "--n",
        str(args.n),
    ]
    for p in logs:
        gen += ["--logs", str(p)]
    print("$", " ".join(gen), flush=True)
    subprocess.run(gen, check=True)
    ev = [
        *py,
        "evaluate",
        "--dataset",
        str(data),
        "--augment",
        str(args.out / "synthetic"),
        "--split",
        "given",
        "--ratios",
        "0,1",
        "--train-fractions",
        args.train_fractions,
        "--seeds",
        str(args.seeds),
        "--models",
        args.models,
        "--epochs",
        "3",
        "--out",
        str(args.out / "evaluate"),
        "--quiet",
    ]
    print("$", " ".join(ev), flush=True)
    subprocess.run(ev, check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
