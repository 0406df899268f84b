from __future__ import annotations

import csv
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anomalygen.core.formats import PRESETS, FormatError, LogFormat, help_text


def _structured(path):
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize(
    "preset,log,structured",
    [
        ("hdfs", "hdfs/HDFS_2k.log", "hdfs/HDFS_2k.log_structured.csv"),
        ("zookeeper", "zookeeper/Zookeeper_2k.log", "zookeeper/Zookeeper_2k.log_structured.csv"),
    ],
)
def test_presets_split_like_loghub(data_dir, preset, log, structured):
    """Every line of the loghub samples splits into the same header fields as loghub's structured CSV (which
    strips lines first; we keep trailing blanks of the message, a statement may print them)."""
    fmt = LogFormat.parse(preset)
    rows = _structured(data_dir / structured)
    lines = (data_dir / log).read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(rows) == 2000
    for line, row in zip(lines, rows, strict=True):
        values = fmt.split(line)
        assert values is not None, line
        got = dict(zip(fmt.fields, values, strict=True))
        got["Content"] = got["Content"].rstrip()
        for name in fmt.fields:
            assert got[name] == row[name], (name, line)


def test_format_fields_and_roles():
    fmt = LogFormat.parse("zookeeper")
    assert fmt.fields == ("Date", "Time", "Level", "Node", "Component", "Id", "Content")
    assert fmt.fields[fmt.level_index] == "Level" and fmt.fields[fmt.line_index] == "Id"
    custom = LogFormat.parse("<Time> [<Thread>] <Level> <Component> - <Content>")
    assert custom.split("12:00:01 [main] INFO a.B - hello world") == ("12:00:01", "main", "INFO", "a.B", "hello world")
    assert custom.split("garbage") is None


@pytest.mark.parametrize("spec", ["no fields at all", "<Date> <Time>", "<Content> <Content>", r"<Date> \( ( <Content>"])
def test_bad_formats_raise(spec):
    with pytest.raises(FormatError):
        LogFormat.parse(spec)


def test_timestamps():
    h = LogFormat.parse("hdfs")
    z = LogFormat.parse("zookeeper")
    t1 = h.timestamp(h.split("081109 203518 143 INFO dfs.DataNode: x"))
    t2 = h.timestamp(h.split("081109 203519 143 INFO dfs.DataNode: x"))
    assert t2 - t1 == 1
    a = z.timestamp(z.split("2015-07-29 17:41:44,747 - INFO  [main:X@1] - m"))
    b = z.timestamp(z.split("2015-07-29 17:41:45,000 - INFO  [main:X@1] - m"))
    assert abs((b - a) - 0.253) < 1e-6
    assert h.timestamp(("bad", "time", "1", "INFO", "c", "m")) is None


_ALPHABET = st.sampled_from(list("ab01:@[]- \t.$") + ["  ", " - ", ": ", "\u00a0", "é"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_ALPHABET, max_size=30).map("".join))
def test_fast_split_equals_reference_regex(line):
    """The backtracking-free fast path gives the reference (logparser) regex's fields, or defers to it."""
    for spec in (*(p.header for p in PRESETS.values()), "<A>:<B> <Content>", "[<A>] <Content>"):
        fmt = LogFormat.parse(spec)
        m = fmt.regex.match(line)
        assert fmt.split(line) == (m.groups() if m else None), (spec, line)


def test_every_preset_is_named_in_the_help_and_in_the_unknown_format_error():
    text = help_text()
    for name in PRESETS:
        assert name in text
    with pytest.raises(FormatError, match=", ".join(PRESETS)):
        LogFormat.parse("hdsf")


def test_a_preset_brings_its_time_format_and_itself():
    fmt = LogFormat.parse("ZooKeeper")
    assert fmt.name == "zookeeper" and fmt.preset is PRESETS["zookeeper"]
    assert fmt.time_format == PRESETS["zookeeper"].time_format
    assert LogFormat.parse("<Date> <Time> <Level> <Content>").preset is None


def test_zookeeper_lines_get_log4j_level_padding():
    finish = PRESETS["zookeeper"].finish
    line = "2015-07-29 17:41:44,747 - INFO [main:QuorumPeer@913] - tickTime set to 2000"
    assert finish(line) == "2015-07-29 17:41:44,747 - INFO  [main:QuorumPeer@913] - tickTime set to 2000"
    assert finish(line.replace("INFO", "ERROR")) == line.replace("INFO", "ERROR")


def test_a_format_travels_to_worker_processes():
    fmt = LogFormat.parse("zookeeper")
    back = pickle.loads(pickle.dumps(fmt))
    assert back.preset == fmt.preset and back.split("x") == fmt.split("x")
