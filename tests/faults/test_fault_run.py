"""`anomalygen run` after damage: a partial or changed output, a stage a kill interrupted, Ctrl-C, bad label rows."""

from __future__ import annotations

import json

import pytest
from faults_helpers import SMALL, invoke


def _stages(out):
    return json.loads((out / "run.json").read_text())["stages"]


@pytest.mark.slow  # the whole pipeline, then re-runs over damaged outputs
def test_damaged_outputs_are_redone_and_say_why(tmp_path, src, log, labels):
    bad_labels = tmp_path / "labels.csv"
    rows = labels.read_text().splitlines()
    bad_labels.write_text("\n".join(rows[:3] + ["blk_9,Perhaps"] + rows[3:]) + "\n")
    out = tmp_path / "run"
    args = [
        "run",
        "--source",
        src,
        "--logs",
        log,
        "--labels",
        bad_labels,
        "--format",
        "zookeeper",
        "--out",
        out,
        *SMALL,
    ]
    res = invoke(*args)
    assert res.code == 0, res.output  # a bad label row is skipped, the run goes on
    assert "skipped 1 bad record" in res.output and f"{bad_labels}:4" in res.output
    st = _stages(out)
    assert all(v["status"] == "done" for v in st.values())
    assert all(v["files"] for v in st.values())  # every output recorded with size and digest
    raw = out / "synthetic" / "synthetic.log"
    good = raw.read_bytes()
    raw.write_bytes(good[: len(good) // 3])  # what a kill mid-write left before outputs were atomic
    res = invoke(*args)
    assert res.code == 0, res.output
    status = {k: v["status"] for k, v in _stages(out).items()}
    assert status == {
        "inventory": "skipped",
        "parse": "skipped",
        "sessions": "skipped",
        "coverage": "skipped",
        "generate": "done",
        "evaluate": "skipped",
        "alarms": "skipped",
        "report": "skipped",
    }, status
    assert "synthetic.log has" in _stages(out)["generate"]["why"] and "synthetic.log has" in res.output
    assert raw.read_bytes() == good
    # a stage a kill stopped after it was marked started: redone, whatever its outputs look like
    state = json.loads((out / "run.json").read_text())
    state["stages"]["evaluate"]["status"] = "started"
    (out / "run.json").write_text(json.dumps(state))
    runs = (out / "evaluate" / "runs.csv").read_text()
    res = invoke(*args)
    assert res.code == 0 and _stages(out)["evaluate"]["why"] == "the last run stopped during this stage"
    assert _stages(out)["generate"]["status"] == "skipped"
    assert [r.split(",")[:13] for r in (out / "evaluate" / "runs.csv").read_text().splitlines()] == [
        r.split(",")[:13] for r in runs.splitlines()
    ]


@pytest.mark.slow  # a pipeline run in a subprocess, interrupted
def test_ctrl_c_during_run_exits_130_without_a_report(tmp_path, monkeypatch):
    import anomalygen.synthesis.output as output

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(output, "write_sessions", interrupted)
    out = tmp_path / "run"
    res = invoke("run", "--out", out, *SMALL)
    assert res.code == 130 and "interrupted" in res.output, res.output
    st = _stages(out)
    assert st["generate"]["status"] == "interrupted" and "evaluate" not in st
    assert not (out / "report.html").exists()
    res = invoke("run", "--out", out, "--report-on-interrupt", *SMALL)
    assert res.code == 130 and (out / "report.html").exists()
    assert _stages(out)["coverage"]["status"] == "skipped"


PROBE = """
import os, signal, threading, time
import z3
from anomalygen.synthesis.feasibility import FeasibilityChecker
FeasibilityChecker()
x = [z3.Int(f"x{i}") for i in range(12)]
s = z3.Solver()
s.set("timeout", 3000)
s.add(sum(v * v * v * v for v in x) == 982451653 * 3, *[v > 1 for v in x], z3.Distinct(*x))
threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
try:
    s.check()
    time.sleep(3)
    print("lost")
except KeyboardInterrupt:
    print("interrupted")
"""


@pytest.mark.slow  # a subprocess interrupted inside z3
def test_ctrl_c_during_a_z3_check_stays_ctrl_c():
    # z3 catches SIGINT during check() and answers "unknown" unless told not to: the run must see the Ctrl-C
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=lambda: __import__("signal").signal(2, __import__("signal").SIG_DFL),
    )
    assert out.stdout.strip() == "interrupted", out.stdout + out.stderr
