"""The "What the detector flags" section: alarms with their source statements, or why there are none."""

from __future__ import annotations

import json

from anomalygen.report.load import RunDir
from anomalygen.report.sections import alarms

ALARM = {
    "session": "blk_1",
    "score": 13.0,
    "threshold": 8.5,
    "anomalous": True,
    "lines": 4,
    "start": "x.log:10",
    "closed_by": "end",
    "label": 1,
    "explanation": {
        "kind": "next-event",
        "unseen": [{"event": "L000000000009", "note": "not in the inventory", "first_at": "x.log:12", "count": 2}],
        "unexpected": [
            {
                "position": 2,
                "event": "L000000000001",
                "location": "a/Repl.java:81",
                "method": "replicate()",
                "level": "ERROR",
                "template": "Giving up on <*>",
                "at": "x.log:12",
                "rank": 13,
                "expected": [
                    {
                        "event": "L000000000002",
                        "location": "a/Repl.java:65",
                        "method": "replicate()",
                        "level": "INFO",
                        "template": "Replicated <*>",
                    }
                ],
                "context": [
                    {"at": "x.log:11", "text": "Retry 2 <b>", "this": False},
                    {"at": "x.log:12", "text": "Giving up on blk_1", "this": True},
                ],
            }
        ],
    },
}


def _run(tmp_path, doc):
    (tmp_path / "alarms").mkdir()
    (tmp_path / "alarms" / "alarms.json").write_text(json.dumps(doc))
    return RunDir(tmp_path)


def test_alarms_show_statements_expected_events_and_context(tmp_path):
    doc = {
        "detector": "DeepLog",
        "threshold": 8.5,
        "test_sessions": 400,
        "test_anomalies": 9,
        "alarms": 12,
        "alarms_labelled_anomalous": 8,
        "anomalies_missed": 1,
        "model": "run/model",
        "top": [ALARM],
    }
    html = alarms.render(_run(tmp_path, doc))
    assert "DeepLog" in html and "8 (66.7%)" in html
    assert "a/Repl.java:81 replicate() ERROR &quot;Giving up on &lt;*&gt;&quot;" in html
    assert "a/Repl.java:65" in html and "&gt; x.log:12: Giving up on blk_1" in html
    assert "Retry 2 &lt;b&gt;" in html  # log text is escaped
    assert "never seen in training or synthesis: L000000000009" in html
    assert "label-anomaly" in html


def test_count_deviations_and_no_alarm(tmp_path):
    a = dict(
        ALARM,
        label=0,
        explanation={
            "kind": "counts",
            "unseen": [],
            "deviations": [
                {
                    "event": "L1",
                    "location": "a/B.java:3",
                    "method": "m()",
                    "level": "WARN",
                    "template": "t",
                    "count": 4,
                    "normal_mean": 0.5,
                    "deviation": 3.1,
                }
            ],
        },
    )
    html = alarms.render(_run(tmp_path, {"detector": "PCA", "alarms": 1, "top": [a]}))
    assert "a/B.java:3 m() WARN" in html and "3.1" in html and "label-normal" in html
    (tmp_path / "alarms" / "alarms.json").write_text(json.dumps({"detector": "PCA", "alarms": 0, "top": []}))
    assert "no held-out session was flagged" in alarms.render(RunDir(tmp_path))


def test_missing_preview_says_why(tmp_path):
    html = alarms.render(RunDir(tmp_path))
    assert "alarm preview" in html and "not run" in html
