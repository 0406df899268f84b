"""`detect --jobs N`: spans parsed by workers give the keyed lines, counts and alarms of one process."""

from __future__ import annotations

import dataclasses

import pytest

from anomalygen.core.example import example_logs
from anomalygen.core.formats import LogFormat
from anomalygen.core.session_spec import SessionSpec
from anomalygen.deploy import spans
from anomalygen.deploy.detector import DetectRequest, load_detector
from anomalygen.deploy.keyed import KeyRule
from anomalygen.deploy.spans import keyed_spans, worth_splitting
from anomalygen.logs.parse import LogParser
from anomalygen.logs.reader import iter_chunks

LOG = example_logs() / "minisvc.log"


@pytest.fixture
def awkward_log(tmp_path):
    """The example's log with lines no header fits (blank, binary, a stack trace) spread through it."""
    lines = LOG.read_bytes().splitlines(keepends=True)
    for i in range(len(lines) - 1, 0, -997):
        lines.insert(i, [b"\n", b"\xff\xfe not text\n", b"\tat org.example.Foo.bar(Foo.java:12)\n"][i % 3])
    path = tmp_path / "awkward.log"
    path.write_bytes(b"".join(lines))
    return path


def records(blocks):
    """Each line's (keys, event, file, line number, message) from blocks of keyed lines."""
    out = []
    for b in blocks:
        keys = [[] for _ in range(len(b))]
        for k, i in zip(b.keys, b.key_lines.tolist() if b.key_lines is not None else range(len(b)), strict=True):
            keys[i].append(k)
        out += zip(map(tuple, keys), b.events, [b.file] * len(b), b.linenos, b.texts, strict=True)
    return out


def test_workers_give_the_records_and_counts_of_one_process(example_model, awkward_log, monkeypatch):
    monkeypatch.setattr(spans, "SPAN_BYTES", 1 << 16)  # about 40 spans
    det = load_detector(example_model[0])
    fmt, spec = LogFormat.parse("zookeeper"), SessionSpec.parse("id")
    one = LogParser(det.statements, fmt, fallback=False)
    rule = KeyRule(spec, fmt)
    expected = records(rule.block(c) for c in one.event_columns(iter_chunks([awkward_log], one.summary.read)))
    many = LogParser(det.statements, fmt, fallback=False)
    got = records(keyed_spans(many, det.statements, rule, [awkward_log], jobs=2))
    with pytest.raises(ValueError, match="at least 2"):
        next(keyed_spans(many, det.statements, rule, [awkward_log], jobs=1))
    assert got == expected and len(got) > 15_000 and any(not k for k, *_ in got)
    assert one.summary.read.rejected and one.summary.read.to_dict() == many.summary.read.to_dict()
    assert one.summary.to_dict(one.matcher) == many.summary.to_dict(many.matcher)


def test_detect_with_workers_gives_the_alarms_of_one_process(example_model, awkward_log, tmp_path, monkeypatch):
    monkeypatch.setattr(spans, "SPAN_BYTES", 1 << 18)
    model_dir = example_model[0]
    out = {}
    for jobs in (1, 3):
        det = load_detector(model_dir)
        res = det.stream(
            DetectRequest(
                model=model_dir,
                logs=[awkward_log, LOG],
                jobs=jobs,
                idle_lines=500,
                json_out=tmp_path / f"j{jobs}.jsonl",
            )
        )
        out[jobs] = (dataclasses.replace(res, seconds=0), (tmp_path / f"j{jobs}.jsonl").read_text())
    assert out[1] == out[3]
    assert out[1][0].alarms > 0 and out[1][0].sessions["closed_idle"] > 0


def test_only_big_plain_files_with_several_workers_are_split(tmp_path, monkeypatch):
    monkeypatch.setattr(spans, "SPAN_BYTES", LOG.stat().st_size // spans.MIN_SPANS)
    assert worth_splitting([LOG], 2) and not worth_splitting([LOG], 1)
    assert not worth_splitting([LOG, "-"], 2) and not worth_splitting([LOG, tmp_path / "old.log.gz"], 2)
    monkeypatch.setattr(spans, "SPAN_BYTES", LOG.stat().st_size // spans.MIN_SPANS + 1)
    assert not worth_splitting([LOG, tmp_path / "missing.log"], 4)
