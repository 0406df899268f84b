"""Anomaly markers learned from labelled real sessions."""

from __future__ import annotations

from anomalygen.synthesis.markers import Markers

LABELLED = [
    (["alloc", "recv", "store"], 0),
    (["alloc", "store", "recv"], 0),
    (["alloc", "recv", "exc", "store"], 1),
    (["alloc", "exc"], 1),
    (["alloc", "recv", "recv", "store"], 1),  # recv -> recv: in an anomalous session only
    (["alloc", "recv", "recv"], 1),
]


def test_events_and_transitions_only_anomalous_sessions_show_are_markers():
    m = Markers.learn(LABELLED, min_transition=2)
    assert m.events == {"exc": 2}
    assert m.transitions == {("recv", "recv"): 2}  # alloc -> exc is covered by the event marker
    assert m.sessions == {"normal": 2, "anomalous": 4}
    assert m.found(["alloc", "recv", "store"]) == []
    found = m.found(["alloc", "recv", "recv", "exc"])
    assert len(found) == 2 and found[0].startswith("exc ") and "recv -> recv" in found[1]
    assert Markers.from_dict(m.to_dict()) == m


def test_transitions_need_support():
    assert Markers.learn(LABELLED, min_transition=3).transitions == {}
