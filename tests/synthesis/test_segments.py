"""Cutting sessions into per-thread segments, and the thread model the code gives."""

from __future__ import annotations

from anomalygen.synthesis.segments import LOOP_CAP, ThreadModel, attribute, remap


def cut(model: ThreadModel, events: list[str]) -> list[tuple[str, list[str]]]:
    return [(s.role, [events[i] for i in s.positions]) for s in model.segment(events)]


def test_known_threads_are_cut_one_segment_per_execution():
    # three responder threads each print "term" then "recv"; the NameNode prints "alloc"; "store" is one RPC each
    model = ThreadModel(
        {"term": "Responder", "recv": "Responder", "alloc": "NameNode", "store": "Store"},
        {"Responder": [{"term": 1, "recv": 1}]},
    )
    events = ["alloc", "term", "recv", "term", "store", "recv", "term", "recv", "store"]
    assert cut(model, events) == [
        ("NameNode", ["alloc"]),
        ("Responder", ["term", "recv"]),
        ("Responder", ["term", "recv"]),
        ("Store", ["store"]),
        ("Responder", ["term", "recv"]),
        ("Store", ["store"]),
    ]
    # an event goes to the newest open execution that can still print it
    assert [s.positions for s in model.segment(["term", "term", "recv", "recv"])] == [[0, 3], [1, 2]]


def test_unknown_events_are_their_own_segments():
    model = ThreadModel({"a": "A"}, {"A": [{"a": LOOP_CAP}]})
    assert cut(model, ["a", "x", "a", "x"]) == [("A", ["a", "a"]), ("event:x", ["x"]), ("event:x", ["x"])]


def test_attribute_gives_each_event_to_the_most_specific_entry_and_uncaps_lone_loops():
    sequences = {
        "Server.main": [("start", "recv", "term"), ("start",)],
        "Responder.run": [("recv", "term"), ("recv", "recv", "term"), ("exc", "term")],
        "Deleter.run": [("del", "del")],
    }
    model = attribute(sequences, in_loop={"del"})
    assert model.role == {
        "start": "Server.main",
        "recv": "Responder.run",
        "term": "Responder.run",
        "exc": "Responder.run",
        "del": "Deleter.run",
    }
    # each event once per execution: a loop beside other events prints this key's line once
    assert model.shapes["Responder.run"] == [{"exc": 1, "term": 1}, {"recv": 1, "term": 1}]
    assert model.shapes["Deleter.run"] == [{"del": LOOP_CAP}]
    assert "Server.main" not in model.shapes  # one event per execution: nothing to group
    back = ThreadModel.from_dict(model.to_dict())
    assert back == model


def test_remap_joins_identical_twins_under_one_key():
    model = ThreadModel({"s1": "R", "s2": "R", "s3": "R"}, {"R": [{"s1": 1, "s2": 1, "s3": 1}]})
    mapped = remap(model, {"s1": "k1", "s2": "k1", "s3": "k3"})
    assert mapped.role == {"k1": "R", "k3": "R"}
    assert mapped.shapes == {"R": [{"k1": 2, "k3": 1}]}
