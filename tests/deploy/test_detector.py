"""`load_detector` and the streaming `detect` loop on the embedded example: the injected faults' sessions are
flagged, each explanation names a statement (with its file and line) that the fault's session printed, and
with --follow alarms arrive while the log is still being written."""

from __future__ import annotations

import csv
import json
import threading

import pytest

from anomalygen.core.example import example_logs, example_tree
from anomalygen.deploy.detector import DetectRequest, load_detector
from anomalygen.deploy.folder import ModelError
from anomalygen.source.api import SourceTree

LOG = example_logs() / "minisvc.log"
HARD = {"disk-full", "peer-down", "slow-peer", "corrupt-checksum", "bad-request", "crash"}


def _faults() -> dict[str, str]:
    with open(example_logs() / "faults.csv", newline="") as fh:
        return {r["BlockId"]: r["fault"] for r in csv.DictReader(fh)}


def test_detect_flags_fault_sessions_and_explains_them_with_their_own_statements(example_model, tmp_path):
    model_dir, _ = example_model
    det = load_detector(model_dir)
    alarms = []
    res = det.stream(DetectRequest(model=model_dir, logs=[LOG], json_out=tmp_path / "alarms.jsonl"), alarms.append)
    assert res.scored == 2332 and res.alarms == len(alarms) > 0
    # sessions repeat their event sequences: the model reads each distinct one once
    assert res.scoring["sessions_read"] + res.scoring["cache_hits"] == res.scored
    assert 0 < res.scoring["sessions_read"] < res.scored / 2
    assert res.read["lines_read"] == res.read["parsed"] + res.read["rejected"]
    faults = _faults()
    hard = {b for b, f in faults.items() if f in HARD}
    flagged = {a.session for a in alarms}
    # the threshold was tuned on a validation split of these logs: most hard faults must be caught
    assert len(flagged & hard) >= 0.8 * len(hard), f"{len(flagged & hard)} of {len(hard)} hard faults flagged"
    inventory = {s.id: s for s in det.statements}
    sessions = {s.key: s for s in _sessions(det)}
    for a in alarms:
        if a.session not in hard:
            continue
        ex = a.explanation
        assert ex["kind"] == "next-event" and ex["unexpected"], a.session
        for u in ex["unexpected"]:
            if u["event"] == "<end>":
                continue
            st = inventory[u["event"]]
            assert u["location"] == f"{st.file}:{st.line}" and u["template"] == st.template
            assert u["event"] in sessions[a.session].events  # a statement the fault's path printed
            assert any(c["this"] and c["at"] == u["at"] for c in u["context"])
            assert all("location" in e or e["event"] == "<end>" for e in u["expected"])
    written = [json.loads(x) for x in (tmp_path / "alarms.jsonl").read_text().splitlines()]
    assert [w["session"] for w in written] == [a.session for a in alarms]


def _sessions(det):
    from anomalygen.core.formats import LogFormat
    from anomalygen.core.session_spec import SessionSpec
    from anomalygen.deploy.trainer import real_sessions

    return real_sessions(det.statements, [LOG], LogFormat.parse("zookeeper"), SessionSpec.parse("id"))[0]


def test_score_takes_lines_or_sessions_and_agrees_with_itself(example_model):
    det = load_detector(example_model[0])
    lines = LOG.read_text().splitlines()[:3000]
    by_lines = det.score(lines)
    assert by_lines and all(v.score >= 0 and v.threshold == det.threshold for v in by_lines)
    again = det.score([s.events for s in _sessions(det)[:50]])
    assert len(again) == 50 and [v.session for v in again] == [str(i) for i in range(50)]
    unseen = det.score([["L000000000000"]])[0]
    assert unseen.anomalous and unseen.explanation["unseen"][0]["note"] == "not in the inventory"
    with pytest.raises(TypeError, match="item 0"):
        det.score([1, 2])


def test_follow_streams_alarms_while_the_log_grows(example_model, tmp_path):
    model_dir, _ = example_model
    lines = LOG.read_text().splitlines(keepends=True)
    live = tmp_path / "live.log"
    live.write_text("")
    first_alarm = threading.Event()
    wrote_all = threading.Event()
    flags = []

    def writer():
        with open(live, "a") as fh:
            fh.writelines(lines[:6000])
            fh.flush()
            first_alarm.wait(60)
            flags.append(first_alarm.is_set())
            fh.writelines(lines[6000:])
        wrote_all.set()

    def on_alarm(v):
        first_alarm.set()

    t = threading.Thread(target=writer)
    t.start()
    det = load_detector(model_dir)
    res = det.stream(
        DetectRequest(model=model_dir, logs=[live], follow=True, idle_lines=500, exit_idle=1.5, poll=0.05), on_alarm
    )
    t.join()
    assert flags == [True]  # an alarm came before the second half of the log was written
    assert res.read["lines_read"] == len(lines) and res.sessions["closed_idle"] > 0


def test_other_source_is_refused_unless_allowed(example_model, tmp_path):
    import shutil

    src = tmp_path / "src"
    shutil.copytree(example_tree(), src)
    java = src / "com/example/minisvc/RequestHandler.java"
    java.write_text(java.read_text().replace('"Served block blk_{} ({} bytes)"', '"Sent block blk_{} ({} bytes)"'))
    with pytest.raises(
        ModelError,
        match=r"trained on another inventory .*RequestHandler\.java:49\) now logs INFO "
        r"'Sent block",
    ) as e:
        load_detector(example_model[0], source=src)
    assert "--allow-other-source" in str(e.value) and "\n" not in str(e.value)
    det = load_detector(example_model[0], source=src, allow_other_source=True)
    assert any("Sent block" in d for d in det.differences)
    assert load_detector(example_model[0], source=example_tree()).differences == []
    # a tree the caller already read is used as it is; a missing one is the model loader's one-line error
    tree = SourceTree.read(src)
    assert load_detector(example_model[0], source=tree, allow_other_source=True).differences == det.differences
    with pytest.raises(ModelError, match=r"nowhere: no such source file or folder$"):
        load_detector(example_model[0], source=tmp_path / "nowhere")
