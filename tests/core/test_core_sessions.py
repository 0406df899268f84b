"""The one finished-session record: its JSONL row as each stage writes it, and back."""

from __future__ import annotations

import json

import pytest

from anomalygen.core.sessions import DataFormatError, Session

# a row of each kind the stages write, keys in the order they write them
LOGS_ROW = {
    "session_id": "t0.1",
    "label": None,
    "events": ["L1", "D2"],
    "templates": ["Started <*>", "Stopped"],
    "start": "app.log:7",
    "lines": 2,
    "window_start": 1226262975.0,
    "label_source": "weak:error",
}
WINDOW_ROW = {
    "session_id": "zk2/w00003",
    "label": 1,
    "events": ["L1"],
    "templates": ["Started <*>"],
    "start": 30.0,
    "end": 40.0,
    "lines": 1,
    "faults": [0],
    "fault_kinds": ["pause"],
    "operations": [],
    "operation_kinds": [],
    "host": "zk2",
    "server": "zk2",
}
SPLICED_ROW = {
    "session_id": "blk_-7",
    "label": 0,
    "reason": "",
    "events": ["L1", "L2"],
    "templates": ["Started <*>", "Stopped"],
    "entry": "Server.run",
    "path": 3,
    "exit": "normal",
    "params": [["job7"], []],
    "host": 4,
    "inserted_at": 1,
}
COMPOSED_ROW = {
    "session_id": "blk_9",
    "label": 1,
    "reason": "ERROR line; marker L9",
    "events": ["L1"],
    "templates": ["Started <*>"],
    "entry": "composed",
    "path": -1,
    "exit": "normal",
    "params": [["job9"]],
    "provenance": {"base": "blk_1", "changes": [{"change": "drop"}], "relaxed": False},
}


@pytest.mark.parametrize("row", [LOGS_ROW, WINDOW_ROW, SPLICED_ROW, COMPOSED_ROW])
def test_a_row_comes_back_byte_for_byte(row):
    line = json.dumps(row, ensure_ascii=False)
    assert json.dumps(Session.from_dict(json.loads(line)).to_dict(), ensure_ascii=False) == line


def test_each_key_lands_in_its_field():
    logs = Session.from_dict(LOGS_ROW)
    assert logs.label is None and logs.start == "app.log:7" and logs.provenance == {}
    assert logs.extra == {"lines": 2, "window_start": 1226262975.0, "label_source": "weak:error"}
    window = Session.from_dict(WINDOW_ROW)
    # a window's host is the server that printed it, not a session a path was spliced into
    assert window.start == 30.0 and window.provenance == {} and window.extra["host"] == "zk2"
    spliced = Session.from_dict(SPLICED_ROW, source="synthetic")
    assert spliced.extra == {} and spliced.reason == "" and spliced.source == "synthetic"
    assert list(spliced.provenance) == ["entry", "path", "exit", "params", "host", "inserted_at"]
    composed = Session.from_dict(COMPOSED_ROW)
    assert composed.provenance["provenance"]["base"] == "blk_1" and composed.has_event_ids


def test_a_record_made_in_memory_writes_the_stage_rows():
    s = Session(
        "zk2/w00003",
        1,
        ["L1"],
        ["Started <*>"],
        start=30.0,
        extra={k: v for k, v in WINDOW_ROW.items() if k not in ("session_id", "label", "events", "templates", "start")},
    )
    assert list(s.to_dict().items()) == list(WINDOW_ROW.items())


def test_labels_and_bad_rows():
    assert Session.from_dict({"block_id": "b", "label": "Anomaly", "templates": ["x"]}).label == 1
    only_templates = Session.from_dict({"id": 3, "label": "Normal", "templates": ["x"]})
    assert only_templates.session_id == "3" and only_templates.events == ["x"] and not only_templates.has_event_ids
    with pytest.raises(DataFormatError, match=r"f:2: label None"):
        Session.from_dict(LOGS_ROW, "f:2", labelled=True)
    with pytest.raises(DataFormatError, match="missing 'label'"):
        Session.from_dict({"session_id": "s", "events": []}, "f:1")
    with pytest.raises(DataFormatError, match="differ in length"):
        Session.from_dict({"session_id": "s", "label": 0, "events": ["a"], "templates": []}, "f:1")
    assert Session.from_dict({"label": 0, "events": []}, "f:1", default_id="f:1").session_id == "f:1"
