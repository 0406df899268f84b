"""Reading a windowed testbed run, and synthetic sessions moved from the host sessions they were generated in
into windows of another form."""

from __future__ import annotations

import json

from testbed_helpers import win

from anomalygen.core.sessions import Session
from anomalygen.evaluate import testbed_windows as tw
from anomalygen.testbed.labels import Interval


def test_load_run_reads_windows_faults_and_operations(tmp_path):
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "sessions.jsonl").write_text(json.dumps(win(0, ["a"]).to_dict()) + "\n")
    (tmp_path / "faults.jsonl").write_text(json.dumps({"index": 0, "kind": "pause", "start": 1.0, "end": 2.0}) + "\n")
    (tmp_path / "operations.jsonl").write_text(
        json.dumps({"index": 1, "kind": "snapshot", "start": 5.0, "end": 6.0, "planned": True}) + "\n"
    )
    run = tw.load_run(tmp_path / "w", tmp_path, margin=1.0)
    assert run.faults == [Interval(1.0, 3.0, 0, "pause")] and run.operations == [Interval(5.0, 7.0, 1, "snapshot")]
    assert run.startup == [] and [w.to_dict() for w in run.windows] == [win(0, ["a"]).to_dict()]
    assert tw.span(run.windows[0]) == (0.0, 10.0)


def test_respliced_moves_the_same_paths_into_other_windows():
    hosts = [["a", "b"], ["c"]]
    recs = [
        Session("s0", 0, ["a", "p", "q", "b"], provenance={"host": 0, "inserted_at": 1}),
        Session("s1", 0, ["c", "r"], provenance={"host": 1, "inserted_at": 1}),
        # does not read back as host[:at] + path + host[at:]
        Session("s2", 0, ["a", "x"], provenance={"host": 0, "inserted_at": 1}),
    ]
    assert tw.path_of(recs[0], hosts) == ["p", "q"] and tw.path_of(recs[2], hosts) is None
    targets = [["t1", "t2", "t3"]]
    out, lost = tw.respliced(recs, hosts, targets, 0)
    assert lost == 1 and len(out) == 2
    for s, p in zip(out, (["p", "q"], ["r"]), strict=True):
        i = s.index(p[0])
        assert s[i : i + len(p)] == p and s[:i] + s[i + len(p) :] == targets[0]
    assert out == tw.respliced(recs, hosts, targets, 0)[0]
