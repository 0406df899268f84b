"""The embedded example service and its recorded logs: the shipped log parses fully against the shipped source,
labels join with sessions, and a short live run with one injected fault labels that fault's session anomalous."""

from __future__ import annotations

import csv
import importlib.util
import json
import re
import shutil
import sys
from pathlib import Path

import pytest

from anomalygen.core.example import example_logs, example_tree
from anomalygen.core.formats import LogFormat
from anomalygen.core.session_spec import SessionSpec
from anomalygen.logs.parse import LogParser
from anomalygen.logs.sessions import attach_labels, group, load_labels
from anomalygen.source.inventory import build_inventory

REPO = Path(__file__).resolve().parents[2]
LOGS = example_logs()


def _recorder():
    spec = importlib.util.spec_from_file_location("record_minisvc", REPO / "scripts" / "record_minisvc.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, mod)  # dataclasses look their module up while the class is built
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def statements():
    inv, _ = build_inventory(example_tree())
    return inv.statements


def _parse(statements, log: Path):
    parser = LogParser(statements, LogFormat.parse("zookeeper"))
    return parser, list(parser.parse([log]))


def test_shipped_files_are_present_and_small():
    for name in ("minisvc.log", "anomaly_label.csv", "faults.csv", "manifest.json"):
        assert (LOGS / name).is_file(), name
    assert (LOGS / "minisvc.log").stat().st_size < 3 * 1024 * 1024
    m = json.loads((LOGS / "manifest.json").read_text())
    assert m["log_format"] == "zookeeper" and m["counts"]["sessions"] >= 1000
    assert 0.01 <= m["counts"]["anomalous_share"] <= 0.06
    assert any(r["crashed"] for r in m["runs"])


def test_shipped_log_parses_fully_against_the_shipped_source(statements):
    parser, lines = _parse(statements, LOGS / "minisvc.log")
    s = parser.summary.to_dict(parser.matcher)
    read = s["read"]
    # every header line is explained by a source statement; the only rejected lines are the one-line
    # exception summaries the recording runtime prints under a record with a throwable
    assert read["parsed"] > 10000 and s["matched"] == read["parsed"] and s["fallback"] == 0
    assert set(read["rejected_by_kind"]) <= {"continuation"}
    # ... and the header's Class@line names exactly the statement each line was matched to
    where = {st.id: (Path(st.file).stem, st.line) for st in statements}
    fmt = parser.fmt
    ci, li = fmt.component_index, fmt.line_index
    wrong = [ln for ln in lines if where[ln[3]] != (ln[2][ci], int(ln[2][li]))]
    assert not wrong, wrong[:3]
    seen = {ln[3] for ln in lines}
    assert 0.3 < len(seen) / len(statements) < 0.9  # real runs cover part of the code: the gap synthesis fills


def test_labels_join_with_sessions(statements):
    labels = load_labels(LOGS / "anomaly_label.csv")
    fmt = LogFormat.parse("zookeeper")
    parser = LogParser(statements, fmt)
    sessions = list(attach_labels(group(parser.parse([LOGS / "minisvc.log"]), SessionSpec.parse("id"), fmt), labels))
    assert len(sessions) == len(labels)
    assert all(s.label is not None for s in sessions)
    anomalous = sum(s.label for s in sessions)
    m = json.loads((LOGS / "manifest.json").read_text())
    assert anomalous == m["counts"]["anomalous"]
    # ground truth comes from the driver, not from keywords: some normal sessions carry WARN lines of recovered
    # transient faults, and every hard-fault session is anomalous
    with (LOGS / "faults.csv").open() as fh:
        truth = {r["BlockId"]: r for r in csv.DictReader(fh)}
    by_id = {s.session_id: s for s in sessions}
    transient = [b for b, r in truth.items() if r["fault"] in ("flaky-peer", "volume-full", "slow-once")]
    assert transient and all(by_id[b].label == 0 for b in transient if truth[b]["outcome"] != "UNFINISHED")
    hard = [b for b, r in truth.items() if r["fault"] not in ("none", "flaky-peer", "volume-full", "slow-once")]
    assert hard and all(by_id[b].label == 1 for b in hard)


# the lines only the operations a young system's first runs leave out print (RequestHandler, StorageNode)
WITHHELD_LINES = {
    "delete": re.compile(r"Received DELETE request|Deleted blk_"),
    "update": re.compile(r"Overwriting existing block"),
}


def _ops_per_block() -> dict[str, set[str]]:
    """Block id -> the withheld operations its lines show."""
    out: dict[str, set[str]] = {}
    with (LOGS / "minisvc.log").open(encoding="utf-8") as fh:
        for line in fh:
            for op, pat in WITHHELD_LINES.items():
                if pat.search(line):
                    for b in re.findall(r"blk_-?\d+", line):
                        out.setdefault(b, set()).add(op)
    return out


def test_shipped_recording_is_a_young_systems_timeline(statements):
    """The first runs only write and read, the last ones do the whole workload: the earliest 80% of the sessions
    (the training part of `anomalygen run`'s chronological split) never update or delete a block, the rest do."""
    m = json.loads((LOGS / "manifest.json").read_text())
    early = [r["run"] for r in m["runs"] if set(r["ops"]) == {"write", "read"}]
    full = [r["run"] for r in m["runs"] if set(r["ops"]) == {"write", "read", "update", "delete"}]
    assert early and full and max(early) < min(full) and len(early) + len(full) == len(m["runs"])
    assert all(not r["crashed"] for r in m["runs"] if r["run"] in early)
    assert any(r["crashed"] for r in m["runs"] if r["run"] in full)
    with (LOGS / "faults.csv").open() as fh:
        truth = {r["BlockId"]: r for r in csv.DictReader(fh)}
    ops = _ops_per_block()
    early_blocks = [b for b, r in truth.items() if int(r["run"]) in early]
    full_normal = [b for b, r in truth.items() if int(r["run"]) in full and r["label"] == "0"]
    assert early_blocks and not any(ops.get(b) for b in early_blocks)
    assert sum("delete" in ops.get(b, ()) for b in full_normal) >= 50
    assert sum("update" in ops.get(b, ()) for b in full_normal) >= 3
    # the sessions in log order, as `anomalygen run` splits them (the earliest train): the first 80% hold no update or
    # delete, and
    # the early runs' hard faults give that part anomalies to train and validate on
    fmt = LogFormat.parse("zookeeper")
    sessions = list(group(LogParser(statements, fmt).parse([LOGS / "minisvc.log"]), SessionSpec.parse("id"), fmt))
    order = [s.session_id for s in sessions]  # in order of their first line
    k = round(0.8 * len(order))
    assert not any(ops.get(b) for b in order[:k])
    assert sum(truth[b]["label"] == "1" for b in order[:k]) >= 30
    assert sum("delete" in ops.get(b, ()) for b in order[k:]) >= 50


def test_crashed_block_is_recovered_in_the_next_run():
    text = (LOGS / "minisvc.log").read_text()
    with (LOGS / "faults.csv").open() as fh:
        crashed = [r["BlockId"] for r in csv.DictReader(fh) if r["fault"] == "crash"]
    assert len(crashed) == 1
    assert re.search(rf"Discarding partial {crashed[0]} \(\d+ bytes\)", text)


@pytest.mark.skipif(
    shutil.which("javac") is None or shutil.which("java") is None,
    reason="needs a JDK (javac and java on PATH) to compile and run the example service",
)
@pytest.mark.slow  # compiles and runs the Java example service
def test_live_run_with_one_injected_fault(tmp_path, statements):
    rec = _recorder()
    runs = [rec.RunSpec(blocks=12, fault_rate=0.0, transient_rate=0.0, inject=["disk-full@5", "flaky-peer@7"])]
    m = rec.record(tmp_path / "out", seed=3, runs=runs)
    assert m["counts"]["sessions"] == 12 and m["counts"]["anomalous"] == 1
    with (tmp_path / "out" / "faults.csv").open() as fh:
        truth = {r["index"]: r for r in csv.DictReader(fh)}
    disk_full, flaky = truth["5"]["BlockId"], truth["7"]["BlockId"]
    labels = load_labels(tmp_path / "out" / "anomaly_label.csv")
    assert labels[disk_full] == 1 and labels[flaky] == 0
    assert sum(labels.values()) == 1
    log = tmp_path / "out" / "minisvc.log"
    parser, _lines = _parse(statements, log)
    assert parser.summary.to_dict(parser.matcher)["fallback"] == 0
    text = log.read_text()
    assert f"No volume has space for {disk_full}" in text and "Failed to handle request" in text
    assert re.search(rf"Retry 1 for {flaky} to peer-\d:50010", text)


@pytest.mark.skipif(
    shutil.which("javac") is None or shutil.which("java") is None,
    reason="needs a JDK (javac and java on PATH) to compile and run the example service",
)
@pytest.mark.slow  # compiles and runs the Java example service
def test_live_run_with_operations_left_out(tmp_path):
    """`--ops write,read`: the same seeded blocks, faults and reads as the whole workload, without any update or
    delete; the whole workload (the default) has deletes."""
    rec = _recorder()
    rows = {}
    for name, ops in (("all", None), ("young", ["write", "read"])):
        runs = [rec.RunSpec(blocks=40, fault_rate=0.0, transient_rate=0.0, ops=ops)]
        m = rec.record(tmp_path / name, seed=5, runs=runs)
        assert m["counts"]["anomalous"] == 0
        with (tmp_path / name / "faults.csv").open() as fh:
            rows[name] = [(r["BlockId"], r["fault"]) for r in csv.DictReader(fh)]
    assert rows["all"] == rows["young"] and len(rows["all"]) == 40
    full, young = ((tmp_path / n / "minisvc.log").read_text() for n in ("all", "young"))
    assert "Received DELETE request" in full and "Deleted blk_" in full
    assert not any(p.search(young) for p in WITHHELD_LINES.values())
    assert young.count("Received READ request") == full.count("Received READ request") > 0
