"""Bad inputs from the issue's table: each gives one line naming the file (and line), an honest exit code, and
no traceback; bad records are skipped and counted where the rest is still usable."""

from __future__ import annotations

import csv
import json

from faults_helpers import error_line, invoke


def _rows(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return [r[:-2] for r in csv.reader(fh)]  # File and FileLine name the input file


def test_crlf_and_lone_cr_logs_parse_like_lf(tmp_path, src, log):
    lines = log.read_bytes().splitlines()[:400]
    variants = {"lf": b"\n", "crlf": b"\r\n", "cr": b"\r", "crcrlf": b"\r\r\n"}
    outs = {}
    for name, end in variants.items():
        f = tmp_path / f"{name}.log"
        f.write_bytes(end.join(lines) + end)
        res = invoke("parse", f, "--source", src, "--format", "zookeeper", "--out", tmp_path / name)
        assert res.code == 0, res.output
        outs[name] = _rows(tmp_path / name / "structured.csv")
        summary = json.loads((tmp_path / name / "summary.json").read_text())
        assert summary["read"]["lines_read"] == 400 == summary["read"]["parsed"] + summary["read"]["rejected"]
        assert len(outs[name]) == 1 + summary["read"]["parsed"] > 350
    assert all(outs[k] == outs["lf"] for k in variants), "line ends changed the parse"
    assert not any("\r" in cell for row in outs["crlf"] for cell in row)


def test_unreadable_java_next_to_a_good_one_is_a_warning(tmp_path, src):
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "Server.java").write_bytes((src / "com/example/minisvc/Server.java").read_bytes())
    (tree / "Self.java").symlink_to("Self.java")  # a link to itself: reading it fails
    for cmd in (
        ["inventory", tree, "--out", tmp_path / "inv.jsonl"],
        ["entries", tree],
        ["paths", tree, "--out", tmp_path / "paths.jsonl"],
        ["generate", tree, "--out", tmp_path / "g", "--n", "10", "--session-key", "none"],
    ):
        res = invoke(*cmd)
        assert res.code == 0, (cmd[0], res.output)
        assert "Self.java" in res.output and "unreadable" in res.output
    assert (tmp_path / "inv.jsonl").read_text().count("\n") == 10  # Server.java's statements


def test_java_syntax_error_is_reported_at_its_line(tmp_path):
    (tmp_path / "B.java").write_text(
        'package x;\npublic class B {\n  void f() {\n    LOG.info("one");\n  }\n  void g() {\n'
        '    LOG.warn("bad")\n    LOG.warn("two");\n  }\n  void h() {\n    String s = "abc;\n  }\n}\n'
    )
    res = invoke("inventory", tmp_path, "--show", "0")
    warnings = [ln for ln in res.output.splitlines() if "syntax" in ln]
    assert warnings and all("B.java:2:" not in w for w in warnings), res.output  # not the class line
    assert any("B.java:7:" in w or "B.java:8:" in w for w in warnings), res.output


def test_labels_with_a_bad_row_missing_or_binary(tmp_path, src, log, labels):
    bad = tmp_path / "labels.csv"
    rows = labels.read_text().splitlines()
    bad.write_text("\n".join(rows[:5] + ["blk_1,Maybe"] + rows[5:]) + "\n")
    out = tmp_path / "s.jsonl"
    res = invoke("sessions", log, "--source", src, "--format", "zookeeper", "--labels", bad, "--out", out)
    assert res.code == 0, res.output
    assert "skipped 1 bad record" in res.output and f"{bad}:6" in res.output
    labelled = sum(1 for ln in out.read_text().splitlines() if json.loads(ln)["label"] is not None)
    assert labelled > 1000  # the other rows still label their sessions
    jl = tmp_path / "labels.jsonl"
    jl.write_text('{"block_id": "blk_1", "label": 0}\n{"block_id": "blk_2", "label": 1}\nnot json\n')
    res = invoke("sessions", log, "--source", src, "--format", "zookeeper", "--labels", jl, "--out", out)
    assert res.code == 0 and f"{jl}:3: not valid JSON" in res.output, res.output
    res = invoke(
        "sessions", log, "--source", src, "--format", "zookeeper", "--labels", tmp_path / "none.csv", "--out", out
    )
    assert res.code == 2 and "none.csv: no such labels file" in error_line(res)
    binary = tmp_path / "labels.bin.csv"
    binary.write_bytes(b"BlockId,Label\n" + bytes(range(256)) * 8)
    res = invoke("sessions", log, "--source", src, "--format", "zookeeper", "--labels", binary, "--out", out)
    assert res.code == 2 and "labels.bin.csv" in error_line(res) and "no valid record" in error_line(res)


def test_inventory_cut_mid_record(tmp_path, src, log):
    inv = tmp_path / "inv.jsonl"
    assert invoke("inventory", src, "--out", inv).code == 0
    text = inv.read_text()
    cut = tmp_path / "cut.jsonl"
    cut.write_text(text[: len(text) - len(text.splitlines()[-1]) // 2 - 1])  # the last record loses its tail
    n = len(text.splitlines())
    res = invoke("parse", log, "--inventory", cut, "--format", "zookeeper", "--out", tmp_path / "p")
    assert res.code == 0, res.output
    assert "skipped 1 bad record" in res.output and f"{cut}:{n}:" in res.output


def test_missing_empty_folder_or_all_rejected_logs(tmp_path, src):
    empty = tmp_path / "empty.log"
    empty.write_text("")
    for cmd in ("parse", "sessions"):
        out = tmp_path / ("o" if cmd == "parse" else "o.jsonl")
        for bad, says in (
            (tmp_path / "missing.log", "no such log file"),
            (empty, "nothing parsed"),
            (tmp_path, "is a folder"),
        ):
            res = invoke(cmd, bad, "--source", src, "--format", "zookeeper", "--out", out)
            assert res.code == 2 and says in error_line(res) and str(bad) in error_line(res), (cmd, res.output)
    hdfs = tmp_path / "hdfs.log"
    hdfs.write_text("081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 terminating\n" * 5)
    res = invoke("parse", hdfs, "--source", src, "--format", "zookeeper", "--out", tmp_path / "p")
    assert res.code == 2 and "all 5 lines rejected" in error_line(res)
    res = invoke("coverage", "--source", src, "--logs", tmp_path / "missing.log", "--format", "zookeeper")
    assert res.code == 2 and "missing.log" in error_line(res)


def test_generate_on_an_empty_folder_or_a_text_file(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "a.txt").write_text("not java\n")
    for src in (tmp_path / "empty", tmp_path / "a.txt"):
        res = invoke("generate", src, "--out", tmp_path / "g")
        assert res.code == 2 and "no Java source could be analysed" in error_line(res) and str(src) in error_line(res)


def test_messages_name_the_problem(tmp_path, src, log):
    res = invoke("parse", log, "--source", src, "--format", "hdfss", "--out", tmp_path / "p")
    assert res.code == 2 and "unknown log format 'hdfss'" in res.output and "zookeeper" in res.output
    res = invoke("generate", src, "--n", "-5", "--out", tmp_path / "g")
    assert res.code == 2 and "--n" in res.output and "feasible" not in res.output
