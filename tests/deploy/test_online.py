"""Online sessions: closed when idle (lines or seconds), capped with eviction, windows, unmatched lines."""

from __future__ import annotations

import random
from collections import OrderedDict

import pytest

from anomalygen.core.formats import LogFormat
from anomalygen.core.session_spec import SessionSpec
from anomalygen.deploy.online import UNMATCHED, OpenSession, Sessionizer, supports
from anomalygen.logs.matcher import digit_keys
from anomalygen.logs.parse import EventColumns, ParsedLine

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


@pytest.mark.parametrize(
    "spec,msg", [("window:time:60", "window:time"), ("window:count:4:2", "fixed windows"), ("field:Pid", "no field")]
)
def test_unsupported_rules_are_refused(spec, msg):
    with pytest.raises(ValueError, match=msg):
        Sessionizer(SessionSpec.parse(spec), FMT)


def test_idle_check_runs_every_check_every_lines():
    s = Sessionizer(SessionSpec.parse("id"), FMT, idle_lines=1, check_every=4)
    closed = [[c.key for c in s.add(line(i, f"blk_{i}"))] for i in range(1, 9)]
    assert closed == [[], [], [], ["blk_1", "blk_2", "blk_3"], [], [], [], ["blk_4", "blk_5", "blk_6", "blk_7"]]


def test_supports_names_the_rules_detect_can_follow():
    assert [
        supports(x)
        for x in (
            "id",
            "regex:x(\\d+)",
            "field:Pid",
            "window:count:10",
            "window:count:10:5",
            "window:time:60",
            "nonsense",
        )
    ] == [True, True, True, True, False, False, False]


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


def test_a_check_still_falls_every_check_every_lines_when_keyless_lines_land_on_it():
    # lines 2 and 4 carry no key: the checks due after them are skipped, the one after line 6 still happens
    s = Sessionizer(SessionSpec.parse("id"), FMT, idle_lines=2, check_every=2)
    msgs = ["blk_1", "-", "blk_2", "-", "blk_2", "blk_2"]
    closed = [(i, c.key) for i, m in enumerate(msgs, 1) for c in s.add(line(i, m))]
    assert closed == [(6, "blk_1")]


def line_by_line(lines, window, idle_lines, check_every, max_open, keep):
    """The bookkeeping `feed_block` must give (the sessions closed, and the most open at once), written line by
    line as plainly as it can be: each line's keys in order (a new one past `max_open` evicts the least recent
    session), then every `check_every` lines a check
    (skipped when it falls on a line of no session) closes the sessions idle for `idle_lines` lines; a window
    closes at its last line."""
    open_, out, most = OrderedDict(), [], 0
    check_every = window or check_every
    for n, (keys, event, where, text) in enumerate(lines, 1):
        if window:
            keys = [f"w{(n - 1) // window}"]
        elif not keys:
            continue
        for k in keys:
            if k in open_:
                open_.move_to_end(k)
            else:
                open_[k] = {"key": k, "first": n, "events": [], "where": [], "text": []}
                if len(open_) > max_open:
                    out.append((open_.popitem(last=False)[1], "evicted"))
                most = max(most, len(open_))
            s = open_[k]
            s["events"].append(event or UNMATCHED)
            if len(s["text"]) < keep:
                s["where"].append(where)
                s["text"].append(text)
            s["last"] = n
        if n % check_every == 0:
            while open_ and (window or n - next(iter(open_.values()))["last"] >= idle_lines):
                out.append((open_.popitem(last=False)[1], "window" if window else "idle"))
    out += [(s, "end") for s in open_.values()]
    return [(s["key"], why, s["first"], s["events"], s["where"], s["text"]) for s, why in out], most


@pytest.mark.parametrize("seed", range(60))
def test_blocks_of_lines_close_the_sessions_that_line_by_line_bookkeeping_closes(seed):
    rnd = random.Random(seed)
    rule = rnd.choice(["id", "id", "field:Level", f"window:count:{rnd.randint(1, 6)}"])
    idle, every = rnd.choice([rnd.randint(1, 12), rnd.randint(1, 60)]), rnd.randint(1, 6)
    max_open, keep = rnd.choice([1, 2, 3, 5, 1000, 1000]), rnd.randint(1, 4)
    lines, files = [], []
    for i in range(rnd.randint(1, 160)):
        ids = [f"blk_{rnd.randint(0, 9)}" for _ in range(rnd.choice([0, 1, 1, 1, 1, 2, 3]))]
        msg = " ".join(ids) + f" m{i}"
        level = rnd.choice(["INFO", "WARN"])
        files.append("a.log" if i < 100 else "b.log")
        keys = [level] if rule.startswith("field") else list(dict.fromkeys(ids))
        lines.append((keys, rnd.choice(["E1", "E2", "E3", ""]), f"{files[-1]}:{i + 1}", msg, level))
    s = Sessionizer(
        SessionSpec.parse(rule), FMT, idle_lines=idle, max_open=max_open, keep_events=keep, check_every=every
    )
    closed, i = [], 0
    while i < len(lines):  # blocks of any size, never across files
        j = min(i + rnd.randint(1, 40), len(lines))
        j = next((k for k in range(i + 1, j) if files[k] != files[i]), j)
        block = lines[i:j]
        cols = EventColumns(
            files[i],
            [int(w.split(":")[1]) for _, _, w, _, _ in block],
            [(lv, msg) for *_, msg, lv in block],
            [msg for *_, msg, _ in block],
            [ev for _, ev, *_ in block],
            digit_keys([msg for *_, msg, _ in block]),
        )
        closed += s.feed_block(s.rule.block(cols))
        i = j
    closed += s.close_all()
    got = [(c.key, c.closed_by, c.first, list(c.events), c.where, c.text) for c in closed]
    want, most = line_by_line([(k, ev, w, msg) for k, ev, w, msg, _ in lines], s.window, idle, every, max_open, keep)
    assert got == want
    assert s.counts.evicted == sum(why == "evicted" for _, why, *_ in want)
    assert s.counts.opened == len(want) and s.n == len(lines)
    assert s.counts.max_open == most


def test_a_session_opened_on_a_check_line_counts_before_that_check_closes_others():
    s = Sessionizer(SessionSpec.parse("id"), FMT, idle_lines=2, check_every=2)
    closed = s.feed([line(i, f"blk_{i}") for i in range(1, 5)])
    # line 4 opens blk_4 while blk_1..3 are open; the check after it then closes blk_1 and blk_2
    assert [c.key for c in closed] == ["blk_1", "blk_2"] and s.counts.max_open == 4
