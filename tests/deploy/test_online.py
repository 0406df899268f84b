"""Online sessions: closed when idle (lines or seconds), capped with eviction, windows, unmatched lines."""

from __future__ import annotations

import pytest

from anomalygen.deploy.online import UNMATCHED, KeyRule, OpenSession, Sessionizer, supports
from anomalygen.logs.formats import LogFormat
from anomalygen.logs.parse import ParsedLine
from anomalygen.logs.sessions import SessionSpec

FMT = LogFormat.parse("<Level> <Content>")


def line(n: int, msg: str, event: str = "E1") -> ParsedLine:
    return ParsedLine("f.log", n, ("INFO", msg), event, "t", (), "source", 1)


def test_idle_lines_close_sessions_in_order_of_inactivity():
    s = Sessionizer(SessionSpec.parse("id"), FMT, idle_lines=3, check_every=1)
    closed = []
    msgs = ["blk_1 a", "blk_2 b", "blk_1 c", "no id here", "x blk_3", "y blk_3", "z blk_3", "w blk_3"]
    for i, m in enumerate(msgs, 1):
        closed += [(c.key, list(c.where)) for c in s.add(line(i, m))]
    # blk_2 went idle first (last seen on line 2), then blk_1 (line 3); a line without a key counts for nothing
    assert closed == [("blk_2", ["f.log:2"]), ("blk_1", ["f.log:1", "f.log:3"])]
    rest = s.close_all()
    assert [(c.key, c.closed_by, len(c.events)) for c in rest] == [("blk_3", "end", 4)]
    assert (s.counts.opened, s.counts.closed_idle, s.counts.closed_end, s.counts.evicted) == (3, 2, 1, 0)


def test_cap_evicts_the_least_recent_session_and_counts_it():
    s = Sessionizer(SessionSpec.parse("id"), FMT, max_open=2)
    assert s.add(line(1, "blk_1")) == [] and s.add(line(2, "blk_2")) == []
    s.add(line(3, "blk_1"))
    out = s.add(line(4, "blk_3"))
    assert [(c.key, c.closed_by) for c in out] == [("blk_2", "evicted")]
    assert s.counts.evicted == 1 and s.counts.max_open == 2 and len(s.open) == 2


def test_idle_seconds_only_when_a_time_is_given():
    s = Sessionizer(SessionSpec.parse("id"), FMT, idle_seconds=5.0)
    s.add(line(1, "blk_1"), now=100.0)
    s.add(line(2, "blk_2"), now=103.0)
    assert s.expire() == []
    assert [c.key for c in s.expire(now=106.0)] == ["blk_1"]


def test_a_line_naming_two_keys_goes_to_both_and_unmatched_lines_get_one_event():
    s = Sessionizer(SessionSpec.parse("id"), FMT)
    s.add(line(1, "copy blk_1 to blk_2", event=""))
    out = {c.key: c.events for c in s.close_all()}
    assert out == {"blk_1": (UNMATCHED,), "blk_2": (UNMATCHED,)}


def test_field_keys_and_count_windows():
    f = Sessionizer(SessionSpec.parse("field:Level"), FMT)
    f.add(line(1, "a"))
    assert [c.key for c in f.close_all()] == ["INFO"]
    w = Sessionizer(SessionSpec.parse("window:count:2"), FMT)
    got = [c.events for i in range(1, 6) for c in w.add(line(i, "m", f"E{i}"))] + [c.events for c in w.close_all()]
    assert got == [("E1", "E2"), ("E3", "E4"), ("E5",)]


@pytest.mark.parametrize("spec,msg", [("window:time:60", "window:time"), ("window:count:4:2", "fixed windows"),
                                      ("field:Pid", "no field")])
def test_unsupported_rules_are_refused(spec, msg):
    with pytest.raises(ValueError, match=msg):
        Sessionizer(SessionSpec.parse(spec), FMT)


def test_idle_check_runs_every_check_every_lines():
    s = Sessionizer(SessionSpec.parse("id"), FMT, idle_lines=1, check_every=4)
    closed = [[c.key for c in s.add(line(i, f"blk_{i}"))] for i in range(1, 9)]
    assert closed == [[], [], [], ["blk_1", "blk_2", "blk_3"], [], [], [], ["blk_4", "blk_5", "blk_6", "blk_7"]]


def test_supports_names_the_rules_detect_can_follow():
    assert [supports(x) for x in ("id", "regex:x(\\d+)", "field:Pid", "window:count:10", "window:count:10:5",
                                  "window:time:60", "nonsense")] == [True, True, True, True, False, False, False]


def test_sessions_keep_event_codes_into_one_shared_table_and_places_as_numbers():
    s = Sessionizer(SessionSpec.parse("id"), FMT, keep_events=2)
    for i, (msg, ev) in enumerate([("blk_1 a", "E1"), ("blk_2 b", "E2"), ("blk_1 c", "E2"), ("blk_1 d", "E1")], 1):
        s.add(ParsedLine("f.log" if i < 4 else "g.log", 10 * i, ("INFO", msg), ev, "t", (), "source", 1))
    closed = {c.key: c for c in s.close_all()}
    one, two = closed["blk_1"], closed["blk_2"]
    assert s.names == ["E1", "E2"] and one.names is two.names is s.names
    assert (one.codes.itemsize, list(one.codes), one.events) == (4, [0, 1, 0], ("E1", "E2", "E1"))
    # the fourth line is past keep_events: counted as an event, its place and text not kept
    assert (one.where, one.text, one.start) == (["f.log:10", "f.log:30"], ["blk_1 a", "blk_1 c"], "f.log:10")
    assert one.places.itemsize == 8 and two.where == ["f.log:20"]


def test_feed_takes_many_lines_and_closes_as_add_does_line_by_line():
    msgs = [f"blk_{i % 7} m{i}" for i in range(300)]
    one, many = (Sessionizer(SessionSpec.parse("id"), FMT, idle_lines=20, check_every=16) for _ in range(2))
    by_line = [(c.key, c.events, c.where) for i, m in enumerate(msgs, 1) for c in one.add(line(i, m, f"E{i % 3}"))]
    fed = [(c.key, c.events, c.where) for c in many.feed([line(i, m, f"E{i % 3}") for i, m in enumerate(msgs, 1)])]
    assert fed == by_line and many.counts == one.counts and many.n == one.n == 300


def test_a_session_made_of_event_ids_reads_them_back():
    s = OpenSession.of("k", ["B", "A", "B"], first=3)
    assert (s.events, s.first, s.where, s.start) == (("B", "A", "B"), 3, [], None)


def test_key_rule_gives_each_line_its_distinct_keys_or_leaves_windows_to_the_sessionizer():
    lines = [line(1, "copy blk_1 to blk_2 and blk_1"), line(2, "nothing"), line(3, "blk_7 x", event="")]
    by_id = list(KeyRule(SessionSpec.parse("id"), FMT).keyed(lines))
    assert by_id == [(["blk_1", "blk_2"], "E1", "f.log", 1, "copy blk_1 to blk_2 and blk_1"),
                     ([], "E1", "f.log", 2, "nothing"), (["blk_7"], "", "f.log", 3, "blk_7 x")]
    assert [r[0] for r in KeyRule(SessionSpec.parse("field:Level"), FMT).keyed(lines)] == [["INFO"]] * 3
    assert [r[0] for r in KeyRule(SessionSpec.parse("window:count:2"), FMT).keyed(lines)] == [None] * 3


def test_a_check_still_falls_every_check_every_lines_when_keyless_lines_land_on_it():
    # lines 2 and 4 carry no key: the checks due after them are skipped, the one after line 6 still happens
    s = Sessionizer(SessionSpec.parse("id"), FMT, idle_lines=2, check_every=2)
    msgs = ["blk_1", "-", "blk_2", "-", "blk_2", "blk_2"]
    closed = [(i, c.key) for i, m in enumerate(msgs, 1) for c in s.add(line(i, m))]
    assert closed == [(6, "blk_1")]
