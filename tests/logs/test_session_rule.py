"""Choosing the session rule from the logs: identifiers most lines carry, label ids, else time windows."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from anomalygen.cli import app
from anomalygen.core.formats import LogFormat
from anomalygen.logs.session_rule import infer_rule, window_size

ZK = LogFormat.parse("zookeeper")


def _zk_line(sec: int, msg: str, level: str = "INFO") -> str:
    h, m, s = sec // 3600, sec // 60 % 60, sec % 60
    return f"2024-05-01 {h:02d}:{m:02d}:{s:02d},000 - {level:<5} [main:Server@10] - {msg}"


def _sessions(tmp_path, *args):
    """`anomalygen sessions` with an empty inventory: every line gets a fallback (Drain) event."""
    inv = tmp_path / "inventory.jsonl"
    inv.write_text("", encoding="utf-8")
    return CliRunner().invoke(app, ["sessions", *map(str, args), "--inventory", str(inv)])


def _write(tmp_path, name, lines):
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def test_hdfs_block_ids_make_the_sessions(tmp_path):
    lines = [
        f"081109 2035{i % 60:02d} 14{i} INFO dfs.DataNode: Receiving block blk_{1000 + i % 7} src: /10.0.0.{i}"
        for i in range(40)
    ]
    rule = infer_rule([_write(tmp_path, "h.log", lines)], LogFormat.parse("hdfs"))
    assert rule.by == "id" and rule.kind == "identifier"
    assert rule.shares["hdfs_block"] == 1.0 and "HDFS block id" in rule.reason


def test_zookeeper_session_ids_when_most_lines_carry_one(tmp_path):
    lines = [
        _zk_line(i, f"Established session 0x14ed93111f2{i % 5:04x} with negotiated timeout 10000") for i in range(30)
    ]
    lines += [_zk_line(40 + i, "Snapshotting: 0x1000003d to /data/snap") for i in range(10)]  # a zxid is not one
    rule = infer_rule([_write(tmp_path, "z.log", lines)], ZK)
    assert rule.kind == "identifier" and rule.by.startswith("regex:")
    assert rule.shares["zk_session"] == 0.75
    # the chosen rule does cut sessions by those ids
    out = tmp_path / "s.jsonl"
    res = _sessions(tmp_path, tmp_path / "z.log", "--format", "zookeeper", "--out", out)
    assert res.exit_code == 0, res.output
    assert "ZooKeeper client session id" in res.output
    ids = {json.loads(ln)["session_id"] for ln in out.read_text().splitlines()}
    assert ids == {f"0x14ed93111f2{i:04x}" for i in range(5)}


def test_window_only_logs_get_time_windows_sized_from_the_data(tmp_path):
    every_second = [_zk_line(i, "Processing request") for i in range(100)]
    every_five = [_zk_line(5 * i, "Processing request") for i in range(40)]
    r1 = infer_rule([_write(tmp_path, "a.log", every_second)], ZK)
    r5 = infer_rule([_write(tmp_path, "b.log", every_five)], ZK)
    assert (r1.by, r1.kind, r1.median_window_lines) == ("window:time:10", "window", 10.0)
    assert r5.by == "window:time:30" and r5.median_window_lines == 6.0  # 10 s would hold 2 lines
    assert "no known identifier" in r1.reason


def test_a_minority_identifier_does_not_win(tmp_path):
    lines = [_zk_line(i, "Processing request") for i in range(60)]
    lines += [_zk_line(60 + i, f"Expiring session 0x14ed93111f20{i:03x}, timeout exceeded") for i in range(20)]
    rule = infer_rule([_write(tmp_path, "c.log", lines)], ZK)
    assert rule.kind == "window" and "25%" in rule.reason


def test_labels_name_the_identifier(tmp_path):
    lines = [_zk_line(i, f"block blk_{i} for session 0x14ed93111f20{i:03x}") for i in range(10)]
    lines += [_zk_line(20 + i, f"block blk_{100 + i} moved") for i in range(10)]
    rule = infer_rule([_write(tmp_path, "d.log", lines)], ZK, label_ids=["0x14ed93111f20001"])
    assert rule.kind == "identifier" and "labels name ZooKeeper client session ids" in rule.reason
    assert infer_rule([tmp_path / "d.log"], ZK).by == "id"  # without labels the commoner block id wins


def test_lines_without_time_fall_back_to_count_windows(tmp_path):
    fmt = LogFormat.parse("<Level> <Content>")
    rule = infer_rule([_write(tmp_path, "e.log", [f"INFO step {i}" for i in range(20)])], fmt)
    assert rule.by == "window:count:60"


def test_window_size_gives_up_at_the_largest():
    assert window_size([("f", 0.0), ("f", 10_000.0)]) == (3600, 1.0)


def test_real_zookeeper_sample_gets_time_windows(data_dir):
    rule = infer_rule([data_dir / "zookeeper" / "Zookeeper_2k.log"], ZK)
    assert rule.kind == "window" and rule.by.startswith("window:time:")
    assert 0 < rule.shares["zk_session"] < 0.5


def test_weak_error_labels_and_manifest(tmp_path):
    lines = [_zk_line(i, "Processing request") for i in range(20)]
    lines[13] = _zk_line(13, "Unexpected exception causing shutdown", "ERROR")
    log = _write(tmp_path, "w.log", lines)
    out = tmp_path / "w.jsonl"
    res = _sessions(
        tmp_path, log, "--format", "zookeeper", "--by", "window:time:5", "--weak-labels", "error", "--out", out
    )
    assert res.exit_code == 0, res.output
    rows = [json.loads(ln) for ln in out.read_text().splitlines()]
    assert [r["label"] for r in rows] == [0, 0, 1, 0]
    assert {r["label_source"] for r in rows} == {"weak:error"} and all("flagged" not in r for r in rows)
    manifest = json.loads((tmp_path / "w.manifest.json").read_text())
    assert manifest["params"]["weak_labels"] == "error" and manifest["params"]["by"] == "window:time:5"
    assert manifest["outputs"]["anomalous"] == 1


@pytest.mark.parametrize(
    "args, words",
    [
        (["--weak-labels", "warn"], "the one rule is 'error'"),
        (["--by", "window:time:5", "--weak-labels", "error", "--format", "<Date> <Time> <Content>"], "no level field"),
    ],
)
def test_weak_label_errors(tmp_path, args, words):
    log = _write(tmp_path, "x.log", [_zk_line(i, "Processing request") for i in range(5)])
    res = _sessions(tmp_path, log, "--format", "zookeeper", *args, "--out", tmp_path / "x.jsonl")
    assert res.exit_code == 2 and words in res.output
