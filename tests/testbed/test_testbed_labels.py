"""Fault intervals, windows and their labels; the outputs built from hand-made server logs (no Java)."""

import csv
import json

import pytest

from anomalygen.core.datasets import load_sessions_jsonl
from anomalygen.core.sessions import Session
from anomalygen.testbed.labels import (
    Interval,
    LabelError,
    covering,
    intervals,
    overlapping,
    per_host_windows,
    read_faults,
    window_grid,
    windows,
)
from anomalygen.testbed.output import build, log_time, phase, server_of


def rec(index, kind, start, end=None, recovered=None):
    return {"index": index, "kind": kind, "start": start, "end": end, "recovered": recovered}


def test_interval_runs_to_the_later_of_end_and_recovery_plus_margin():
    ivs = intervals(
        [rec(0, "pause", 100, 105, 108), rec(1, "leader_kill", 50, 60, None), rec(2, "restart", None)], margin=10
    )
    assert [(i.index, i.start, i.stop) for i in ivs] == [(1, 50, 70), (0, 100, 118)]
    assert intervals([rec(0, "pause", 100)], margin=0)[0].stop == 100
    with pytest.raises(ValueError):
        intervals([], margin=-1)


def test_overlap_and_cover_boundaries():
    ivs = intervals([rec(0, "pause", 100, 110)], margin=5)  # [100, 115]
    assert overlapping(90, 100, ivs) == []  # window [90, 100) ends where the fault starts
    assert overlapping(90, 100.001, ivs) == [0]
    assert overlapping(115, 120, ivs) == [0]  # the closed end is inside
    assert overlapping(115.001, 120, ivs) == []
    assert covering(115, ivs) == [0] and covering(99.99, ivs) == []


def test_window_grid():
    assert window_grid(0, 25, 10) == [(0, 10), (10, 20), (20, 30)]
    assert window_grid(0, 10, 10, 5) == [(0, 10), (5, 15), (10, 20)]
    assert window_grid(5, 4, 10) == []
    with pytest.raises(ValueError):
        window_grid(0, 10, 0)


def test_windows_label_skip_empty_and_keep_order():
    rows = [(0.5, "A", "a"), (3, "B", "b"), (12, "C", "c"), (31, "D", "d"), (32, "E", "e")]
    ivs = intervals([rec(0, "leader_kill", 11, 13)], margin=2)  # [11, 15]
    cut = list(windows(rows, ivs, 10, t0=0, t1=35))
    assert all(isinstance(w, Session) for w in cut) and [w.start for w in cut] == [0, 10, 30]
    got = [w.to_dict() for w in cut]  # the rows sessions.jsonl holds
    assert [w["session_id"] for w in got] == ["w00000", "w00001", "w00003"]  # [20, 30) is empty
    assert [w["label"] for w in got] == [0, 1, 0]
    assert got[1]["events"] == ["C"] and got[1]["faults"] == [0] and got[1]["fault_kinds"] == ["leader_kill"]
    assert got[2]["events"] == ["D", "E"] and got[2]["templates"] == ["d", "e"] and got[2]["lines"] == 2
    sliding = [w.to_dict() for w in windows(rows, ivs, 10, step=5, t0=0, t1=35, prefix="zk1/w")]
    # [5,15) and [10,20) hold C inside [11,15]; [15,25) touches the interval but is empty, so it is skipped
    assert [w["session_id"] for w in sliding] == ["zk1/w00000", "zk1/w00001", "zk1/w00002", "zk1/w00005", "zk1/w00006"]
    assert [w["label"] for w in sliding] == [0, 1, 1, 0, 0]


def test_read_faults_names_file_and_line(tmp_path):
    p = tmp_path / "faults.jsonl"
    p.write_text(json.dumps(rec(0, "pause", 1.0, 2.0)) + "\n\n{oops\n")
    with pytest.raises(LabelError, match=r"faults.jsonl:3: not valid JSON"):
        read_faults(p)
    p.write_text(json.dumps({"index": 0, "kind": "pause", "start": "soon"}) + "\n")
    with pytest.raises(LabelError, match=r"faults.jsonl:1: 'start' must be a number"):
        read_faults(p)
    p.write_text(json.dumps({"kind": "pause"}) + "\n")
    with pytest.raises(LabelError, match=r"faults.jsonl:1: missing 'index'"):
        read_faults(p)


def test_log_time_is_utc_and_server_names():
    assert log_time("1970-01-01", "00:00:01,500") == 1.5
    assert log_time("1970-01-01", "garbage") is None
    assert server_of("/x/logs/zookeeper-3.log") == "zk3"
    assert phase(5, 10, 20) == "startup" and phase(10, 10, 20) == "run" and phase(20, 10, 20) == "shutdown"


LINE = "{stamp} - {level:<5} [{thread}:{cls}@{line}] - {msg}\n"


def _log(path, entries):
    with open(path, "w") as fh:
        for sec, level, thread, cls, line, msg in entries:
            fh.write(
                LINE.format(
                    stamp=f"1970-01-01 00:00:{sec:02d},000", level=level, thread=thread, cls=cls, line=line, msg=msg
                )
            )


def test_build_outputs_from_three_logs(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    qp = "QuorumPeer[myid={}](plain=127.0.0.1:2181)(secure=disabled)"
    _log(
        logs / "zookeeper-1.log",
        [
            (1, "INFO", "main", "QuorumPeerMain", 137, "Starting quorum peer"),
            (12, "INFO", "NIOWorkerThread-1", "ZooKeeperServer", 1443, "Established session 0x1 with timeout 10000"),
            (22, "WARN", qp.format(1), "Follower", 128, "Exception when following the leader"),
            (23, "INFO", qp.format(1), "QuorumPeer", 1455, "LOOKING"),
            (44, "INFO", qp.format(1), "Follower", 77, "FOLLOWING - LEADER ELECTION TOOK - 230 MS"),
            (58, "INFO", "main", "QuorumPeerMain", 90, "shutting down"),
        ],
    )
    _log(
        logs / "zookeeper-2.log",
        [
            (13, "INFO", "NIOWorkerThread-2", "ZooKeeperServer", 1443, "Established session 0x2 with timeout 10000"),
            (24, "INFO", qp.format(2), "Leader", 588, "LEADING - LEADER ELECTION TOOK - 240 MS"),
        ],
    )
    with open(logs / "zookeeper-2.log", "a") as fh:
        fh.write("java.io.IOException: boom\n\tat x.y(Z.java:1)\n")  # a stack trace: continuation lines
    _log(logs / "zookeeper-3.log", [(35, "INFO", "main", "QuorumPeerMain", 137, "Starting quorum peer")])
    ivs = intervals([rec(0, "leader_kill", 21.5, 30, 31)], margin=4)  # [21.5, 35]
    res = build(tmp_path, sorted(logs.glob("*.log")), [], ivs, window=10, t0=10, t1=50)

    assert res["structured"] == {
        "lines": 9,
        "run_lines": 7,
        "startup_lines": 1,
        "shutdown_lines": 1,
        "anomalous_lines": 4,
    }
    assert res["lines_by_server"] == {"zk1": 4, "zk2": 2, "zk3": 1}
    with open(tmp_path / "structured.csv") as fh:
        table = list(csv.DictReader(fh))
    assert [r["Server"] for r in table] == ["zk1", "zk1", "zk2", "zk1", "zk1", "zk2", "zk3", "zk1", "zk1"]
    assert next(r["Phase"] for r in table) == "startup" and table[-1]["Phase"] == "shutdown"
    assert [r["Label"] for r in table] == ["", "0", "0", "1", "1", "1", "1", "0", ""]
    assert table[3]["Level"] == "WARN" and table[3]["Content"] == "Exception when following the leader"
    assert table[3]["Faults"] == "0"

    sessions = load_sessions_jsonl(tmp_path / "sessions.jsonl")
    assert [(s.session_id, s.label, len(s.events)) for s in sessions] == [
        ("w00000", 0, 2),
        ("w00001", 1, 3),
        ("w00002", 1, 1),
        ("w00003", 0, 1),
    ]
    assert res["sessions"]["windows"] == 4 and res["sessions"]["anomalous_share"] == 0.5
    by_server = load_sessions_jsonl(tmp_path / "sessions_by_server.jsonl")
    assert {s.session_id for s in by_server} >= {"zk1/w00000", "zk2/w00001", "zk3/w00002"}
    assert all(s.label == 1 for s in by_server if s.session_id in ("zk1/w00001", "zk2/w00001", "zk3/w00002"))
    assert all(s.label == 0 for s in by_server if s.session_id.endswith("w00000"))
    for name in ("sessions.jsonl", "sessions_by_server.jsonl", "sessions_startup.jsonl"):
        lines = (tmp_path / name).read_text(encoding="utf-8").splitlines()  # the rows of core Sessions, as they were
        assert lines == [json.dumps(Session.from_dict(json.loads(x)).to_dict(), ensure_ascii=False) for x in lines]
    startup = [json.loads(ln) for ln in (tmp_path / "sessions_startup_by_server.jsonl").read_text().splitlines()]
    assert [(w["host"], w["server"], w["lines"]) for w in startup] == [("zk1", "zk1", 1)]
    assert (tmp_path / "templates.csv").exists()
    summary = json.loads((tmp_path / "parse_summary.json").read_text())
    assert summary["read"]["lines_read"] == 11 and summary["read"]["parsed"] == 9


def test_per_host_windows_of_two_hosts():
    # two hosts, any names (a host is a log file): one grid for both, from the first line of either
    rows = [
        (100.0, "web-a", "e1", "t1"),
        (101.0, "db", "e2", "t2"),
        (112.0, "web-a", "e3", "t3"),
        (113.0, "web-a", "e1", "t1"),
        (131.0, "db", "e4", "t4"),
    ]
    fault = [Interval(110.0, 115.0, 0, "pause")]
    op = [Interval(130.0, 135.0, 1, "graceful_restart")]
    ws = [w.to_dict() for w in per_host_windows(rows, fault, 10.0, ops=op)]
    got = [(w["session_id"], w["host"], w["start"], w["events"], w["label"], w["operations"]) for w in ws]
    assert got == [
        ("db/w00000", "db", 100.0, ["e2"], 0, []),
        ("web-a/w00000", "web-a", 100.0, ["e1"], 0, []),
        ("web-a/w00001", "web-a", 110.0, ["e3", "e1"], 1, []),  # db printed nothing then: no window
        ("db/w00003", "db", 130.0, ["e4"], 0, [1]),
    ]
    assert per_host_windows([], fault, 10.0) == []


def test_relabel_command_on_a_run_folder(tmp_path):
    from typer.testing import CliRunner

    from anomalygen.cli import app

    run = tmp_path / "run"
    (run / "logs").mkdir(parents=True)
    _log(
        run / "logs" / "zookeeper-1.log",
        [
            (5, "INFO", "main", "QuorumPeerMain", 137, "Starting quorum peer"),
            (12, "INFO", "NIOWorkerThread-1", "ZooKeeperServer", 1443, "Established session 0x1 with timeout 10000"),
            (22, "WARN", "QuorumPeer[myid=1]", "Follower", 128, "Exception when following the leader"),
            (41, "INFO", "NIOWorkerThread-1", "ZooKeeperServer", 1443, "Established session 0x2 with timeout 10000"),
        ],
    )
    (run / "summary.json").write_text(
        json.dumps({"workload_started": "1970-01-01T00:00:10+00:00", "ended": "1970-01-01T00:00:50+00:00"})
    )
    (run / "faults.jsonl").write_text(json.dumps(rec(0, "leader_kill", 21.0, 25.0, 26.0)) + "\n")
    runner = CliRunner()
    res = runner.invoke(app, ["testbed", "relabel", str(run), "--window", "20", "--margin", "0"])
    assert res.exit_code == 0, res.output
    got = [(s.session_id, s.label, len(s.events)) for s in load_sessions_jsonl(run / "sessions.jsonl")]
    assert got == [("w00000", 1, 2), ("w00001", 0, 1)]  # [10,30) holds the fault [21,26]; [30,50) does not
    assert json.loads((run / "relabel.manifest.json").read_text())["params"]["window"] == 20
    (run / "faults.jsonl").write_text(json.dumps(rec(0, "leader_kill", 21.0)) + "\n" + '{"index": 1}\n')
    res = runner.invoke(app, ["testbed", "relabel", str(run)])
    assert res.exit_code == 2 and "faults.jsonl:2: missing 'kind'" in res.output
    res = runner.invoke(app, ["testbed", "relabel", str(tmp_path / "nothing")])
    assert res.exit_code == 2 and "not a testbed run folder" in res.output


def test_windows_note_planned_operations_without_changing_labels():
    rows = [(float(t), "E1", "tpl") for t in range(0, 40, 2)]
    faults = [Interval(5.0, 8.0, 0, "pause")]
    ops = [Interval(21.0, 24.0, 1, "graceful_restart")]
    got = [w.to_dict() for w in windows(rows, faults, 10.0, t0=0.0, t1=39.0, ops=ops)]
    assert [w["label"] for w in got] == [1, 0, 0, 0]
    assert [w["operations"] for w in got] == [[], [], [1], []]
    assert got[2]["operation_kinds"] == ["graceful_restart"]
    assert "operations" not in next(windows(rows, faults, 10.0, t0=0.0, t1=39.0)).to_dict()
