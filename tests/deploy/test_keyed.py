"""Session keys of a block of parsed lines: distinct ids per line, a header field, or none for windows."""

from __future__ import annotations

import random
import re

import pytest

from anomalygen.core.formats import LogFormat
from anomalygen.core.session_spec import SessionSpec
from anomalygen.deploy.keyed import KeyRule
from anomalygen.logs.matcher import digit_keys
from anomalygen.logs.parse import EventColumns

FMT = LogFormat.parse("<Level> <Content>")
MSGS = ["copy blk_1 to blk_2 and blk_1", "nothing", "blk_7 x"]


def columns(msgs: list[str], file: str = "f.log", linenos=None) -> EventColumns:
    return EventColumns(
        file,
        linenos or list(range(1, len(msgs) + 1)),
        [("INFO", m) for m in msgs],
        msgs,
        ["E1"] * len(msgs),
        digit_keys(msgs),
    )


COLS = columns(MSGS, linenos=[4, 5, 9])._replace(events=["E1", "E1", ""])


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


@pytest.mark.parametrize(
    "spec,msg", [("window:time:60", "window:time"), ("window:count:4:2", "fixed windows"), ("field:Pid", "no field")]
)
def test_rules_detect_cannot_follow_are_refused(spec, msg):
    with pytest.raises(ValueError, match=msg):
        KeyRule(SessionSpec.parse(spec), FMT)


@pytest.mark.parametrize(
    "pattern", ["id", "regex:job_(\\d+)", "regex:(?:task|job)_\\d+_(\\d+)?", "regex:job_20\\d+", "regex:(a)(b)"]
)
def test_keys_found_once_per_digit_key_are_those_findall_finds_on_every_line(pattern):
    rnd = random.Random(7)

    def num() -> str:
        return str(rnd.randrange(10 ** rnd.randint(1, 4)))

    shapes = [
        lambda: f"blk_{num()} to blk_-{num()} and blk_{num()}",
        lambda: f"job_{num()} é task_{num()}_",
        lambda: f"task_{num()}_{num()} job_20{num()}",
        lambda: "ab ab nothing",
        lambda: f"blk_{num()}",
    ]
    rule = KeyRule(SessionSpec.parse(pattern), FMT, cache_size=7)
    rx = re.compile(rule.spec.pattern)
    for n in range(30):
        # the first block: messages of one digit key that a pattern with digits of its own tells apart
        msgs = (
            ["job_2012 x", "job_1012 x", "job_2012 x"]
            if n == 0
            else [rnd.choice(shapes)() for _ in range(rnd.randint(1, 40))]
        )
        got = rule.block(columns(msgs))
        lines = got.key_lines.tolist() if got.key_lines is not None else range(len(msgs))
        by_line = [[] for _ in msgs]
        for k, i in zip(got.keys, lines, strict=True):
            by_line[i].append(k)
        assert by_line == [list(dict.fromkeys(rx.findall(m))) for m in msgs]
