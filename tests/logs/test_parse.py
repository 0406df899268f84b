from __future__ import annotations

import csv
import hashlib
import json

import pytest
from typer.testing import CliRunner

from anomalygen.cli import app
from anomalygen.core.formats import LogFormat
from anomalygen.logs.parse import LogParser
from anomalygen.logs.reader import ReadStats, iter_chunks, read_logs


def test_hdfs_20000_all_matched_and_deterministic(data_dir, hdfsmini):
    path = data_dir / "hdfs" / "HDFS_20000.log"
    digests = []
    for _ in range(2):
        parser = LogParser(hdfsmini, LogFormat.parse("hdfs"))
        h = hashlib.sha256()
        n = 0
        for ln in parser.parse([path]):
            h.update(repr(ln[1:]).encode())
            n += 1
        digests.append(h.hexdigest())
        s = parser.summary.to_dict(parser.matcher)
        assert n == s["read"]["parsed"] == s["read"]["lines_read"] == 20000
        assert s["matched"] == 20000 and s["fallback"] == 0
        assert s["statements_seen"] == 13
    assert digests[0] == digests[1]


def test_unknown_lines_fall_back_to_drain(data_dir, hdfsmini):
    """ZooKeeper lines against HDFS statements: nothing matches, everything gets a Drain3 template."""
    parser = LogParser(hdfsmini, LogFormat.parse("zookeeper"))
    lines = list(parser.parse([data_dir / "zookeeper" / "Zookeeper_2k.log"]))
    assert len(lines) == 2000
    assert all(ln.kind == "fallback" and ln.event_id.startswith("D") for ln in lines)
    assert parser.summary.fallback == 2000
    tpls = parser.drain.templates()
    assert 10 < len(tpls) < 200
    rec = next(ln for ln in lines if ln.fields[-1].startswith("Received connection request"))
    assert rec.template.startswith("Received connection request")


def test_parse_cli_writes_structured_csv(tmp_path, data_dir, fixtures):
    out = tmp_path / "parsed"
    res = CliRunner().invoke(
        app,
        [
            "parse",
            str(data_dir / "hdfs" / "HDFS_2k.log"),
            "--source",
            str(fixtures / "hdfsmini"),
            "--format",
            "hdfs",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "matched to a source statement: 2000 of 2000" in res.output
    with open(out / "structured.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2000
    assert list(rows[0])[:10] == [
        "LineId",
        "Date",
        "Time",
        "Pid",
        "Level",
        "Component",
        "Content",
        "EventId",
        "EventTemplate",
        "ParameterList",
    ]
    assert json.loads(rows[0]["ParameterList"]) == ["1", "blk_38865049064139660"]
    with open(out / "templates.csv", encoding="utf-8", newline="") as fh:
        tpl = list(csv.DictReader(fh))
    assert sum(int(r["Occurrences"]) for r in tpl) == 2000 and len(tpl) == 14
    summary = json.loads((out / "summary.json").read_text())
    assert summary["read"]["lines_read"] == 2000 and summary["matched"] == 2000


def test_parse_cli_bad_input_does_not_abort(tmp_path, fixtures):
    log = tmp_path / "x.log"
    log.write_bytes(b"081109 203518 1 INFO cov.Alpha: Alpha started on port 1\nnope\n\xff\xfe\n")
    out = tmp_path / "o"
    res = CliRunner().invoke(app, ["parse", str(log), "--source", str(fixtures / "covtree"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    s = json.loads((out / "summary.json").read_text())
    r = s["read"]
    assert r["lines_read"] == 3 == r["parsed"] + r["rejected"]
    assert r["rejected_by_kind"] == {"header_mismatch": 2}
    assert r["warnings_by_kind"] == {"non_utf8": 1}
    assert f"{log}:2" in res.output
    # a missing log is refused before any work, by name
    res = CliRunner().invoke(
        app,
        [
            "parse",
            str(log),
            str(tmp_path / "missing.log"),
            "--source",
            str(fixtures / "covtree"),
            "--out",
            str(tmp_path / "o2"),
        ],
    )
    assert res.exit_code == 2 and "missing.log: no such log file" in res.output
    assert not (tmp_path / "o2").exists()


def test_parquet_output(tmp_path, data_dir, fixtures):
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "p"
    res = CliRunner().invoke(
        app,
        [
            "parse",
            str(data_dir / "hdfs" / "HDFS_2k.log"),
            "--source",
            str(fixtures / "hdfsmini"),
            "--out",
            str(out),
            "--parquet",
        ],
    )
    assert res.exit_code == 0, res.output
    table = pq.read_table(out / "structured.parquet")
    assert table.num_rows == 2000
    assert table.column("EventTemplate")[0].as_py() == "PacketResponder <*> for block <*> terminating"


@pytest.mark.parametrize("fallback", [False, True])
def test_event_columns_give_the_lines_events_and_counts_of_parse(tmp_path, data_dir, hdfsmini, fallback):
    """Columns a chunk at a time, with lines the header does not fit spread through them: rejected (blank,
    binary, a stack trace's continuation, other text), or fitting only the reference regex."""
    lines = (data_dir / "hdfs" / "HDFS_2k.log").read_bytes().splitlines()[:1200]
    odd = [
        b"",
        b"bin\x00ary",
        b"\tat org.x.Y.z(Y.java:1)",
        b"081109 203518 143 INFO dfs.X:y: odd component",
        b"not a header \xff",
        b"081109 203519 35 INFO dfs.FSNamesystem: nothing the code prints",
    ]
    for i in range(len(lines) - 1, 0, -31):
        lines.insert(i, odd[i % len(odd)])
    path = tmp_path / "mixed.log"
    path.write_bytes(b"\n".join(lines) + b"\n")
    fmt = LogFormat.parse("hdfs")
    one, cols = LogParser(hdfsmini, fmt, fallback=fallback), LogParser(hdfsmini, fmt, fallback=fallback)
    want = [(ln.file, ln.lineno, ln.fields, ln.event_id) for ln in one.parse([path], chunk_bytes=65536)]
    got = [
        (c.file, n, v, e)
        for c in cols.event_columns(iter_chunks([path], cols.summary.read))
        for n, v, m, e in zip(c.linenos, c.values, c.messages, c.events, strict=True)
        if m == v[-1]
    ]
    assert got == want and len(got) > 1100
    assert {e for *_, e in got} >= ({"D1"} if fallback else {""})
    assert one.summary.to_dict(one.matcher) == cols.summary.to_dict(cols.matcher)
    assert one.summary.statement_counts == cols.summary.statement_counts
    read = one.summary.read.to_dict()
    assert read["rejected"] > 20 and read == cols.summary.read.to_dict()
    assert any(v[4] == "dfs.X:y" for _, _, v, _ in got)
    plain = ReadStats()  # the reader's line-by-line split and rejection, for the header part
    assert [(r.file, r.lineno, r.fields) for r in read_logs([path], fmt, plain, chunk_bytes=4096)] == [
        (f, n, v) for f, n, v, _ in got
    ]
    assert plain.to_dict() == read
