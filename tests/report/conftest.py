"""A small hand-written run directory with every part the report reads, and an HTML checker."""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

# a raw log line with markup in it: it must come out escaped
EVIL = "2026-01-01 10:00:00,000 - ERROR [w-1:Node@9] - bad <script>alert('x')</script> & <b>bold</b> blk_7"

STATEMENTS = [
    {
        "id": "L000000000001",
        "file": "a/Node.java",
        "line": 5,
        "class_name": "a.Node",
        "method": "run()",
        "level": "INFO",
        "template": "Started <*>",
    },
    {
        "id": "L000000000002",
        "file": "a/Node.java",
        "line": 9,
        "class_name": "a.Node",
        "method": "run()",
        "level": "ERROR",
        "template": "bad <*> & <*> blk_<*>",
    },
    {
        "id": "L000000000003",
        "file": "a/Peer.java",
        "line": 12,
        "class_name": "a.Peer",
        "method": "send()",
        "level": "WARN",
        "template": "Retry <*> for <peer>",
    },
    {
        "id": "L000000000004",
        "file": "a/Peer.java",
        "line": 20,
        "class_name": "a.Peer",
        "method": "send()",
        "level": "DEBUG",
        "template": "Sent <*>",
    },
]


def _png() -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(1, 1))
    ax.plot([0, 1], [0, 1])
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=20)
    plt.close(fig)
    return buf.getvalue()


def _write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def _json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def make_run_dir(root: Path) -> Path:
    png = _png()
    _json(
        root / "run.json",
        {
            "stages": {
                "inventory": {"status": "done", "seconds": 1.25, "outputs": ["inventory/statements.jsonl"]},
                "paths": {"status": "skipped (inputs unchanged)", "seconds": 0.0, "outputs": []},
                "parse": {"status": "done", "seconds": 2.5, "outputs": ["logs/structured.csv"]},
                "generate": {"status": "done", "seconds": 3.75, "outputs": ["synthetic/sessions.jsonl"]},
                "evaluate": {"status": "done", "seconds": 10.5, "outputs": ["evaluate/runs.csv"]},
            },
            "inputs": {"source": "src/<tree>", "logs": ["svc.log"]},
            "params": {"n": 20, "seed": 3, "models": ["PCA", "LR"]},
        },
    )
    inv = root / "inventory" / "statements.jsonl"
    inv.parent.mkdir(parents=True)
    inv.write_text("".join(json.dumps(s) + "\n" for s in STATEMENTS), encoding="utf-8")
    _json(root / "inventory" / "statements.manifest.json", {"stage": "inventory", "outputs": {"statements": 4}})
    _json(root / "logs" / "summary.json", {"read": {"lines_read": 100}, "matched": 100})
    _write_csv(
        root / "logs" / "templates.csv",
        ["EventId", "EventTemplate", "Occurrences", "Match"],
        [
            ["L000000000001", "Started <*>", 60, "source"],
            ["L000000000003", "Retry <*> for <peer>", 40, "source"],
            ["D1", "x <*>", 3, "fallback"],
        ],
    )
    _json(
        root / "coverage" / "coverage.json",
        {
            "summary": {"statements": 4, "opaque": 0, "exact": {"covered": 2, "pct": 50.0, "pct_of_non_opaque": 50.0}},
            "inputs": {
                "parse": {"read": {"lines_read": 103, "parsed": 100, "rejected": 3}, "matched": 100, "fallback": 0}
            },
            "by_level": {"INFO": {"statements": 1, "exact": 1, "exact_pct": 100.0}},
            "by_class": {"a.Node": {"statements": 2, "exact": 1, "exact_pct": 50.0}},
            "never_seen": [
                {
                    "template": "bad <*> & <*> blk_<*>",
                    "call_sites": 1,
                    "level": "ERROR",
                    "class": "a.Node",
                    "where": "a/Node.java:9",
                }
            ],
            "covered": {"exact": ["L000000000001", "L000000000003"]},
        },
    )
    (root / "coverage" / "coverage.png").write_bytes(png)
    # synthetic: 20 sessions, 6 anomalous (s02, s05, s08, s11, s14, s17)
    syn = root / "synthetic"
    syn.mkdir()
    sessions, raw, structured = [], [], []
    for i in range(20):
        anomalous = i % 3 == 2
        sid = f"s{i:02d}"
        entry = "a.Node#run()" if i % 2 == 0 else "a.Peer#send()"
        if anomalous:
            events = ["L000000000001", "L000000000002"]
            lines = [
                f"2026-01-01 10:00:{i:02d},000 - INFO [w-1:Node@5] - Started job{i}",
                EVIL.replace("blk_7", f"blk_{i}"),
            ]
            reason = "L000000000002: ERROR line; the path leaves its entry by an uncaught exception"
        else:
            events = ["L000000000001", "L000000000004"]
            lines = [
                f"2026-01-01 10:00:{i:02d},000 - INFO [w-1:Node@5] - Started job{i}",
                f"2026-01-01 10:00:{i:02d},500 - DEBUG [w-1:Peer@20] - Sent {i}",
            ]
            reason = ""
        sessions.append(
            {
                "session_id": sid,
                "label": int(anomalous),
                "reason": reason,
                "events": events,
                "templates": [next(s["template"] for s in STATEMENTS if s["id"] == e) for e in events],
                "entry": entry,
                "path": i,
                "exit": "exception" if anomalous else "normal",
                "params": [[f"job{i}"], ["x", "y", str(i)] if anomalous else [str(i)]],
            }
        )
        for ln, ev in zip(lines, events, strict=True):
            raw.append(ln)
            structured.append(
                [len(structured) + 1, ln.split(" - ")[-1], ev, sid, "anomalous" if ev == "L000000000002" else "normal"]
            )
    (syn / "sessions.jsonl").write_text("".join(json.dumps(s) + "\n" for s in sessions), encoding="utf-8")
    (syn / "synthetic.log").write_text("".join(r + "\n" for r in raw), encoding="utf-8")
    _write_csv(
        syn / "synthetic.log_structured.csv", ["LineId", "Content", "EventId", "SessionId", "LineLabel"], structured
    )
    _write_csv(
        syn / "anomaly_label.csv",
        ["SessionId", "Label"],
        [[s["session_id"], "Anomaly" if s["label"] else "Normal"] for s in sessions],
    )
    _write_csv(
        syn / "entries.csv",
        [
            "entry",
            "total",
            "paths",
            "infeasible",
            "unknown",
            "partial",
            "kept",
            "llm_rejected",
            "sequences",
            "seen",
            "new",
        ],
        [
            ["a.Node#run()", 10**40, 1000, 613, 2, 0, 385, 0, 97, 4, 93],
            ["a.Peer#send()", 12, 12, 5, 0, 0, 7, 0, 3, 1, 2],
        ],
    )
    _json(
        syn / "manifest.json",
        {
            "stage": "generate",
            "params": {"n": 20, "seed": 3, "rules": {"line": {}}},
            "outputs": {
                "counts": {
                    "sessions": 20,
                    "anomalous": 6,
                    "lines": 40,
                    "empty_sessions": 0,
                    "statements_newly_covered": 2,
                },
                "parse_back": {
                    "lines": 40,
                    "same_statement": 39,
                    "identical_twins": 1,
                    "regex_match": 38,
                    "rejected_by_reader": 0,
                    "mismatches": [
                        {"line": 17, "expected": "L000000000002", "parsed": "D1", "content": "odd <content>"}
                    ],
                },
            },
        },
    )
    # evaluate: PCA and LR, 2 seeds, arms baseline and synthetic (ratio 0.5); one LR synthetic run failed
    ev = root / "evaluate"
    runs = []
    f1 = {
        ("PCA", "baseline"): [0.8, 0.9],
        ("PCA", "synthetic"): [0.9, 1.0],
        ("LR", "baseline"): [0.5, 0.7],
        ("LR", "synthetic"): [0.6, None],
    }
    for (model, arm), vals in f1.items():
        for seed, v in enumerate(vals):
            base = {
                "model": model,
                "seed": seed,
                "train_fraction": 1.0,
                "arm": arm,
                "ratio": 0.0 if arm == "baseline" else 0.5,
            }
            if v is None:
                runs.append({**base, "status": "error", "error": "CUDA <oom> & co"})
            else:
                runs.append(
                    {**base, "status": "ok", "precision": v, "recall": v, "f1": v, "false_alarms": 2, "fpr": 0.02}
                )
    _json(ev / "runs.json", runs)
    cols = sorted({k for r in runs for k in r})
    _write_csv(ev / "runs.csv", cols, [[r.get(c, "") for c in cols] for r in runs])
    _write_csv(
        ev / "verdict.csv",
        [
            "model",
            "train_fraction",
            "ratio",
            "metric",
            "baseline",
            "synthetic",
            "vs_baseline",
            "p_vs_baseline",
            "verdict_vs_baseline",
            "fpr_baseline",
            "fpr_synthetic",
            "fpr_verdict_vs_baseline",
        ],
        [
            ["PCA", 1.0, 0.5, "f1", 0.85, 0.95, 0.1, 0.0123, "better", 0.02, 0.02, "no significant change"],
            ["LR", 1.0, 0.5, "f1", 0.6, 0.6, 0.0, 1.0, "no significant change", 0.02, 0.02, "no significant change"],
        ],
    )
    _write_csv(
        ev / "paired.csv",
        ["model", "train_fraction", "ratio", "arm", "versus", "metric", "delta_mean", "p_ttest", "verdict"],
        [["PCA", 1.0, 0.5, "synthetic", "baseline", "f1", 0.1, 0.0123, "better"]],
    )
    _json(ev / "manifest.json", {"data": {"n_real": 555, "n_synthetic": 20}, "config": {"models": ["PCA", "LR"]}})
    (ev / "f1_per_model.png").write_bytes(png)
    return root


@pytest.fixture
def run_dir(tmp_path) -> Path:
    return make_run_dir(tmp_path / "run")


class Checker(HTMLParser):
    """Balanced tags, element counts, ids, and every src/href."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.counts: dict[str, int] = {}
        self.ids: list[str] = []
        self.refs: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.counts[tag] = self.counts.get(tag, 0) + 1
        for k, v in attrs:
            if k == "id":
                self.ids.append(v)
            if k in ("src", "href", "data", "action", "poster"):
                self.refs.append((tag, k, v or ""))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> with open {self.stack[-3:]} at {self.getpos()}")
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass
        else:
            self.stack.pop()


def check(text: str) -> Checker:
    c = Checker()
    c.feed(text)
    c.close()
    return c


@pytest.fixture
def parse_html():
    return check


def section_html(text: str, sid: str) -> str:
    start = text.index(f'<section id="{sid}">')
    return text[start : text.index("</section>", start)]


@pytest.fixture
def section_of():
    return section_html
