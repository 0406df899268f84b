"""Alarms posted to Alertmanager's API or a webhook: the payload carries the source-linked explanation, retries
recover from a failing receiver, and a dead or hanging one never blocks and loses nothing uncounted."""

from __future__ import annotations

import json

import pytest
from receiver import Hanging, Receiver, dead_port
from typer.testing import CliRunner

from anomalygen.cli import app
from anomalygen.core.errors import InputError
from anomalygen.deploy.alerts import Alerter, payload, resolve_kind

runner = CliRunner()


def _detect(model, log, tmp_path, *extra):
    out = tmp_path / "alarms.jsonl"
    res = runner.invoke(app, ["detect", str(model), str(log), "--quiet", "--json", str(out), *extra])
    assert res.exit_code == 0, res.output
    return [json.loads(x) for x in out.read_text().splitlines()], res.output


@pytest.mark.parametrize("path", ["/hook", "/api/v2/alerts"])
def test_every_alarm_reaches_the_receiver_with_its_explanation(example_model, part_log, tmp_path, path):
    rec = Receiver()
    try:
        alarms, output = _detect(example_model[0], part_log, tmp_path, "--alert-url", rec.url(path))
    finally:
        rec.close()
    assert alarms and f"{len(alarms)} of {len(alarms)} sent" in output
    assert {p for p, _ in rec.bodies} == {path}
    if path == "/hook":  # the webhook gets one post per alarm, with the alarm as data and as the terminal's text
        assert len(rec.bodies) == len(alarms)
        got = {b["alarm"]["session"]: b for _, b in rec.bodies}
        assert set(got) == {a["session"] for a in alarms}
        for a in alarms:
            b = got[a["session"]]
            assert b["alarm"] == a and b["detector"] == "DeepLog"
            assert b["text"].startswith(f"ALARM {a['session']}") and "com/example/minisvc/" in b["text"]
            assert b["statement"].startswith("com/example/minisvc/") and ".java:" in b["statement"]
    else:  # Alertmanager's v2 API: lists of alerts (those that queued up meanwhile share a post)
        alerts = [alert for _, body in rec.bodies for alert in body]
        assert len(alerts) == len(alarms) and 1 <= len(rec.bodies) <= len(alarms)
        for alert in alerts:
            assert alert["labels"]["alertname"] == "AnomalousLogSession" and alert["labels"]["detector"] == "DeepLog"
            assert "unexpected com/example/minisvc/" in alert["annotations"]["description"]
            assert alert["startsAt"].endswith("Z")
        assert [a["labels"]["session"] for a in alerts] == [a["session"] for a in alarms]  # in alarm order


def test_retries_recover_from_a_failing_receiver():
    rec = Receiver(fail_first=2)
    alarm = {
        "session": "blk_1",
        "score": 2.0,
        "threshold": 1.0,
        "lines": 3,
        "start": "x.log:1",
        "closed_by": "end",
        "explanation": {"kind": "counts", "unseen": [], "deviations": []},
    }
    try:
        a = Alerter(rec.url("/hook"), "PCA", retries=3, backoff=0.01)
        for i in range(3):
            a.alarm({**alarm, "session": f"blk_{i}"})
        assert _wait(lambda: len(rec.bodies) == 3)  # close() stops retrying: let the retries happen first
        s = a.close()
    finally:
        rec.close()
    assert s["sent"] == 3 and s["failed_attempts"] == 2 and sum(s["dropped"].values()) == 0
    assert [b["alarm"]["session"] for _, b in rec.bodies] == ["blk_0", "blk_1", "blk_2"]  # order kept


def _wait(cond, tries: int = 400) -> bool:
    import time

    for _ in range(tries):
        if cond():
            return True
        time.sleep(0.01)
    return False


def _alarms(n):
    return [
        {
            "session": f"blk_{i}",
            "score": 2.0,
            "threshold": 1.0,
            "lines": 1,
            "start": "x.log:1",
            "closed_by": "end",
            "explanation": None,
        }
        for i in range(n)
    ]


def test_a_dead_receiver_loses_nothing_uncounted():
    a = Alerter(f"http://127.0.0.1:{dead_port()}/hook", "PCA", queue_size=4, retries=1, backoff=0.01)
    for x in _alarms(50):
        a.alarm(x)
    s = a.close()
    assert s["alarms"] == 50 and s["sent"] == 0
    assert sum(s["dropped"].values()) == 50 and s["dropped"]["queue_full"] >= 50 - 4 - 1
    assert s["failed_attempts"] >= 1


def test_a_hanging_receiver_never_blocks_the_caller_and_every_alarm_is_counted():
    hang = Hanging()
    try:
        a = Alerter(
            f"http://127.0.0.1:{hang.port}/hook", "PCA", queue_size=1, retries=0, timeout=5.0, drain_seconds=0.2
        )
        for x in _alarms(6):  # at most one in flight and one queued: the other 4 or 5 are dropped at once
            a.alarm(x)
        s = a.close()  # the post in flight is abandoned after drain_seconds, not after its 5 s timeout
    finally:
        hang.close()
    assert s["sent"] == 0 and s["dropped"]["queue_full"] >= 4
    assert s["dropped"]["queue_full"] + s["dropped"]["exit"] + s["dropped"]["gave_up"] == 6


def test_format_follows_the_url_and_bad_settings_are_one_line(example_model, part_log):
    assert resolve_kind("http://am:9093/api/v2/alerts", "auto") == "alertmanager"
    assert resolve_kind("http://h/hook", "auto") == "webhook"
    with pytest.raises(InputError):
        resolve_kind("http://h/hook", "slack")
    assert json.loads(payload(_alarms(1)[0], "PCA", "webhook"))["statement"] == "unknown"
    for args, msg in (
        (["--alert-url", "ftp://x/y"], "not an http(s) URL"),
        (["--alert-url", "http://127.0.0.1:1/h", "--alert-format", "x"], "--alert-format x"),
        (["--alert-url", "http://127.0.0.1:1/h", "--alert-queue", "0"], "--alert-queue"),
    ):
        res = runner.invoke(app, ["detect", str(example_model[0]), str(part_log), "--quiet", *args])
        assert res.exit_code == 2 and msg in res.output and "Traceback" not in res.output, (args, res.output)
