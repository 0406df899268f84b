"""The shape of composed synthetic normal sessions next to real full-HDFS sessions (issue 12's acceptance).

    python scripts/session_shape.py --model OUT/session_model.json --src /work/src/hadoop [--generated OUT]

OUT is what `anomalygen generate /work/src/hadoop --logs HDFS_20000.log --real-sessions hdfs_deeplog --out OUT`
wrote. For each training share (1%, 5%) and seed, a seeded share of hdfs_deeplog's normal sessions (keyed by
statement ids through the evaluation's template map) is the bases; `compose` makes `--n` sessions from them alone
(with, as in an evaluation cell, the same share of anomalous sessions telling which keys occur only in anomalies).
Printed per share (mean over seeds): median length vs the real normal median; the share holding the lifecycle
statements (E5, E22, E26 equivalents); the share absent from the bases; the share holding a marker (events, and
transitions seen in at least 5 anomalous and no normal session, learned from all labelled sessions: a
measurement, not an input of compose); how many held-out normal sessions with a sequence the bases never showed
are reproduced, and the same for blind adjacent swaps of the bases (`--n` samples, 1-3 swaps each); the share
of samples equal to some real normal sequence. With `--generated`, the generate output is re-sessionized by block
id and compared with its sessions.jsonl (identical twins, one message written at two places of a class, count as
one), and its parse-back figures (regex, statement) are printed.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import itertools

from anomalygen.core.datasets import load_hdfs_deeplog, resolve_dataset
from anomalygen.core.event_keys import statement_sessions
from anomalygen.evaluate.arms import anomaly_only
from anomalygen.source.inventory import build_inventory
from anomalygen.synthesis.compose import load_session_model
from anomalygen.synthesis.markers import Markers
from anomalygen.synthesis.whole import twins

LIFECYCLE = ("E5", "E22", "E26")


def split(normal: list[tuple], frac: float, seed: int) -> tuple[list[tuple], list[tuple]]:
    idx = list(range(len(normal)))
    random.Random(seed).shuffle(idx)
    k = max(1, round(len(normal) * frac))
    return [normal[i] for i in idx[:k]], [normal[i] for i in idx[k:]]


def swaps(bases: list[tuple], n: int, seed: int) -> list[tuple]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        b = list(bases[rng.randrange(len(bases))])
        for _ in range(rng.randint(1, 3)):
            if len(b) > 1:
                j = rng.randrange(len(b) - 1)
                b[j], b[j + 1] = b[j + 1], b[j]
        out.append(tuple(b))
    return out


def measure(
    samples: list[tuple],
    train: list[tuple],
    test: list[tuple],
    real_normal: set,
    markers: Markers,
    lifecycle: list[str],
) -> dict:
    seen = set(train)
    unseen = [t for t in test if t not in seen]
    made = set(samples)
    n = len(samples)
    return {
        "median_len": statistics.median(len(s) for s in samples),
        "lifecycle": sum(all(k in s for k in lifecycle) for s in samples) / n,
        "absent_from_bases": sum(s not in seen for s in samples) / n,
        "marker_event": sum(any(e in markers.events for e in s) for s in samples) / n,
        "marker_transition": sum(any(t in markers.transitions for t in itertools.pairwise(s)) for s in samples) / n,
        "real_normal_seq": sum(s in real_normal for s in samples) / n,
        "unseen_test": len(unseen),
        "reproduced": sum(t in made for t in unseen),
    }


def resessionize(out: Path, src: Path) -> dict:
    from anomalygen.core.formats import LogFormat
    from anomalygen.logs.parse import LogParser
    from anomalygen.logs.sessions import by_identifier

    stmts = build_inventory(src)[0].statements
    fmt = LogFormat.parse("hdfs")
    lines = LogParser(stmts, fmt).parse([str(out / "synthetic.log")])
    twin = twins(stmts)  # one message written at two places of a class: no parser can tell which printed it

    def key(events):
        return [twin.get(e, e) for e in events]

    again = {s.session_id: key(s.events) for s in by_identifier(lines, fmt=fmt)}
    written = {d["session_id"]: key(d["events"]) for d in map(json.loads, (out / "sessions.jsonl").open())}
    back = json.loads((out / "manifest.json").read_text())["outputs"]["parse_back"]
    return {
        "sessions": len(written),
        "resessionized_equal": sum(again.get(k) == v for k, v in written.items()),
        "extra_sessions": len(set(again) - set(written)),
        "lines": back["lines"],
        "regex_match": back["regex_match"],
        "same_statement": back["same_statement"],
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True, type=Path)
    ap.add_argument("--src", required=True, type=Path)
    ap.add_argument("--dataset", default="hdfs_deeplog")
    ap.add_argument("--fractions", default="0.01,0.05")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--generated", type=Path)
    args = ap.parse_args()
    stmts = build_inventory(args.src)[0].statements
    sessions, emap = statement_sessions(load_hdfs_deeplog(resolve_dataset(args.dataset)), stmts)
    normal = [tuple(s.events) for s in sessions if s.label == 0]
    anomalous = [tuple(s.events) for s in sessions if s.label == 1]
    markers = Markers.learn([(s.events, s.label) for s in sessions])
    lifecycle = [emap.event_to_key[e] for e in LIFECYCLE]
    model = load_session_model(args.model)
    real_normal = set(normal)
    print(
        f"real normal sessions: {len(normal):,}, median length {statistics.median(map(len, normal))}; markers: "
        f"{len(markers.events)} events, {len(markers.transitions)} transitions"
    )
    for frac in (float(x) for x in args.fractions.split(",")):
        rows: dict[str, list[dict]] = {"composed": [], "swaps": []}
        changes: Counter = Counter()
        for seed in range(args.seeds):
            train, test = split(normal, frac, seed)
            # as in an evaluation cell: keys the same share of labelled anomalies shows only in anomalies
            avoid = anomaly_only(
                [*train, *split(anomalous, frac, seed)[0]],
                [0] * len(train) + [1] * len(split(anomalous, frac, seed)[0]),
            )
            explained = model.explain([list(t) for t in train], args.n, seed, avoid)
            changes.update(ch["change"] for c in explained for ch in c.changes)
            composed = [tuple(c.events) for c in explained]
            rows["composed"].append(measure(composed, train, test, real_normal, markers, lifecycle))
            rows["swaps"].append(measure(swaps(train, args.n, seed), train, test, real_normal, markers, lifecycle))
        for name, rs in rows.items():
            mean = {k: statistics.fmean(r[k] for r in rs) for k in rs[0]}
            print(
                f"{frac:.0%} {name:8s} bases {len(train):,}: median len {mean['median_len']:.1f}, lifecycle "
                f"{mean['lifecycle']:.1%}, absent from bases {mean['absent_from_bases']:.1%}, marker event "
                f"{mean['marker_event']:.2%} / transition {mean['marker_transition']:.2%}, equal to a real normal "
                f"sequence {mean['real_normal_seq']:.1%}, reproduced {mean['reproduced']:.0f} of "
                f"{mean['unseen_test']:.0f} unseen held-out normal sessions"
            )
        print(f"{frac:.0%} changes over {args.seeds} seeds: {dict(sorted(changes.items()))}")
    if args.generated:
        print("generated output:", json.dumps(resessionize(args.generated, args.src)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
