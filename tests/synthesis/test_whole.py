"""generate's session-model helpers: identical twins and one execution's view of an entry's paths."""

from __future__ import annotations

from anomalygen.core.statements import LogStatement
from anomalygen.synthesis.whole import _once, twins


def stmt(sid: str, line: int, template: str, cls: str = "a.B", level: str = "INFO") -> LogStatement:
    return LogStatement(sid, "a/B.java", line, cls, "m()", level, "info", "log4j", "LOG", None, "type", template, "^$")


def test_twins_are_one_message_at_two_places_of_one_class():
    sts = [
        stmt("L2", 20, "Deleting block <*>"),
        stmt("L1", 10, "Deleting block <*>"),
        stmt("L3", 30, "Deleting block <*>", cls="a.C"),
        stmt("L4", 40, "Deleting block <*>", level="WARN"),
    ]
    assert twins(sts) == {"L2": "L1"}


def test_an_entrys_loop_line_is_printed_once_beside_other_events():
    shapes = [{"recv": 1, "term": 1}]
    assert _once([("recv", "recv", "term"), ("recv", "term")], shapes) == [["recv", "term"]]
    assert _once([("del", "del", "del")], None) == [["del", "del", "del"]]
