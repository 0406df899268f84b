"""Session keys of a block of parsed lines: distinct ids per line, a header field, or none for windows."""

from __future__ import annotations

import pytest

from anomalygen.deploy.keys import KeyRule
from anomalygen.logs.formats import LogFormat
from anomalygen.logs.parse import EventColumns
from anomalygen.logs.sessions import SessionSpec

FMT = LogFormat.parse("<Level> <Content>")
MSGS = ["copy blk_1 to blk_2 and blk_1", "nothing", "blk_7 x"]
COLS = EventColumns("f.log", [4, 5, 9], [("INFO", m) for m in MSGS], MSGS, ["E1", "E1", ""])


def test_ids_are_each_lines_distinct_keys_with_the_line_they_come_from():
    got = KeyRule(SessionSpec.parse("id"), FMT).block(COLS)
    assert got.keys == ["blk_1", "blk_2", "blk_7"] and got.key_lines.tolist() == [0, 0, 2]
    assert (got.file, list(got.linenos), got.events, got.texts, len(got)) == ("f.log", [4, 5, 9], COLS.events, MSGS, 3)


def test_one_id_per_line_needs_no_line_index():
    cols = COLS._replace(messages=["a blk_1", "blk_2 b", "blk_1"])
    got = KeyRule(SessionSpec.parse("regex:blk_(\\d)"), FMT).block(cols)
    assert got.keys == ["1", "2", "1"] and got.key_lines is None


def test_a_field_is_the_key_of_every_line_and_windows_have_none():
    assert KeyRule(SessionSpec.parse("field:Level"), FMT).block(COLS).keys == ["INFO"] * 3
    got = KeyRule(SessionSpec.parse("window:count:2"), FMT).block(COLS)
    assert got.keys is None and got.key_lines is None and len(got) == 3


@pytest.mark.parametrize("spec,msg", [("window:time:60", "window:time"), ("window:count:4:2", "fixed windows"),
                                      ("field:Pid", "no field")])
def test_rules_detect_cannot_follow_are_refused(spec, msg):
    with pytest.raises(ValueError, match=msg):
        KeyRule(SessionSpec.parse(spec), FMT)
