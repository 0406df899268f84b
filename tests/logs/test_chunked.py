"""Parallel parsing (`anomalygen/logs/chunked.py`): spans cut at line starts, the same files as one process."""

from __future__ import annotations

import gzip
import itertools
import json

import pytest

from anomalygen.core.formats import LogFormat
from anomalygen.logs.chunked import plan, write_structured_parallel
from anomalygen.logs.output import write_structured, write_templates
from anomalygen.logs.parse import LogParser
from anomalygen.logs.reader import Span

FMT = LogFormat.parse("hdfs")


def messy_log(data_dir, tmp_path):
    """HDFS_2k with lines no statement explains, stack traces, blank and binary lines, CRLF, no final newline."""
    lines = (data_dir / "hdfs" / "HDFS_2k.log").read_text().splitlines()
    out = []
    for i, ln in enumerate(lines):
        out.append(ln)
        if i % 97 == 5:
            out += ["java.io.IOException: Connection reset", "\tat org.x.Y.z(Y.java:1)", "\tat org.x.Y.w(Y.java:2)"]
        if i % 131 == 7:
            out += ["", "garbage without a header", "081109 203615 148 INFO dfs.Other: a line from another library 7"]
        if i % 211 == 3:
            out.append(ln + "\r")
        if i % 307 == 11:
            out.append("081109 203615 148 INFO dfs.X: bin\x00ary")
    p = tmp_path / "messy.log"
    p.write_text("\n".join(out), encoding="utf-8")  # no final newline
    return p


def run(statements, logs, out, jobs, span_bytes=None):
    parser = LogParser(statements, FMT)
    if span_bytes is None:
        res = write_structured(parser, logs, out)
    else:
        res = write_structured_parallel(parser, statements, logs, out, jobs, span_bytes=span_bytes)
    write_templates(out / "templates.csv", res["counts"], res["templates"], statements, parser.drain.templates())
    assert sorted(p.name for p in out.iterdir()) == ["structured.csv", "templates.csv"]  # no part file left
    return (
        (out / "structured.csv").read_bytes(),
        (out / "templates.csv").read_bytes(),
        json.dumps(parser.summary.to_dict(parser.matcher), sort_keys=True),
    )


@pytest.mark.parametrize("jobs,span", [(1, 4096), (2, 4096), (3, 20_000)])
def test_spans_give_the_sequential_files_and_summary(data_dir, tmp_path, hdfsmini, jobs, span):
    messy = messy_log(data_dir, tmp_path)
    gz = tmp_path / "small.log.gz"
    gz.write_bytes(gzip.compress((data_dir / "hdfs" / "HDFS_2k.log").read_bytes()[:50_000]))
    logs = [messy, gz, data_dir / "hdfs" / "HDFS_2k.log", messy]  # a second big file: its lines count from 1
    seq = run(hdfsmini, logs, tmp_path / "seq", 1)
    assert b"fallback" in seq[0]
    summary = json.loads(seq[2])
    assert summary["read"]["rejected_by_kind"].get("continuation") and summary["fallback"] > 0
    assert run(hdfsmini, logs, tmp_path / f"par{jobs}", jobs, span) == seq


def test_spans_start_at_header_lines_and_number_lines_from_the_file(data_dir, tmp_path):
    messy = messy_log(data_dir, tmp_path)
    spans = list(plan([messy], FMT, 4096))
    assert len(spans) > 20 and all(isinstance(s, Span) for s in spans)
    raw = messy.read_bytes()
    assert spans[0].start == 0 and spans[-1].end == len(raw)
    for a, b in itertools.pairwise(spans):
        assert a.end == b.start and raw[b.start - 1 : b.start] == b"\n"
        line = raw[b.start : raw.index(b"\n", b.start)].decode()
        assert FMT.split(line) is not None  # never a continuation line or a rejected line
        assert b.first_line == raw[: b.start].count(b"\n") + 1
    assert list(plan([messy], FMT, len(raw))) == [str(messy)]  # small files stay whole
    uncounted = list(plan([messy, messy], FMT, 4096, count_lines=False))  # the workers count (LineIds)
    assert uncounted == [s._replace(first_line=0 if s.start else 1) for s in spans + spans]


def test_a_cut_lands_after_a_stack_trace_longer_than_the_first_probe(data_dir, tmp_path):
    lines = (data_dir / "hdfs" / "HDFS_2k.log").read_text().splitlines()
    trace = ["java.io.IOException: boom"] + [f"\tat org.x.Y.z{i}(Y.java:{i})" for i in range(4000)]  # > 64 KiB
    log = tmp_path / "trace.log"
    log.write_text("\n".join(lines[:10] + trace + lines[10:]) + "\n")
    raw = log.read_bytes()
    after = raw.index(lines[10].encode() + b"\n")
    assert after - raw.index(b"java.io") > 1 << 16
    spans = list(plan([log], FMT, raw.index(b"java.io") + 100))
    assert spans[1].start == after and spans[1].first_line == 10 + len(trace) + 1


def test_part_files_are_appended_without_copy_file_range_too(data_dir, tmp_path, hdfsmini, monkeypatch):
    messy = messy_log(data_dir, tmp_path)
    seq = run(hdfsmini, [messy], tmp_path / "seq", 1)

    def unsupported(*_args):
        raise OSError(95, "Operation not supported")

    monkeypatch.setattr("anomalygen.logs.chunked.os.copy_file_range", unsupported)
    assert run(hdfsmini, [messy], tmp_path / "par", 2, 4096) == seq
