"""`anomalygen run --testbed A --test-testbed B` on two hand-made testbed run folders (the example service's
ZooKeeper-format log cut in two, a fault and a planned operation recorded in the second): no Java needed."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from typer.testing import CliRunner

from anomalygen.cli import app
from anomalygen.examples import example_logs, example_tree


def _t(line: str) -> float:
    return datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").replace(tzinfo=UTC).timestamp()


def _fake_run(path, lines, faults=(), operations=()):
    (path / "logs").mkdir(parents=True)
    (path / "logs" / "zookeeper-1.log").write_text("".join(lines), encoding="utf-8")
    (path / "faults.jsonl").write_text("".join(json.dumps(f) + "\n" for f in faults), encoding="utf-8")
    (path / "operations.jsonl").write_text("".join(json.dumps(o) + "\n" for o in operations), encoding="utf-8")
    (path / "summary.json").write_text(
        json.dumps({"workload_started_t": _t(lines[50]), "ended_t": _t(lines[-1]) + 1}), encoding="utf-8"
    )


def test_run_over_two_testbed_runs(tmp_path):
    with open(example_logs() / "minisvc.log", encoding="utf-8") as fh:
        raw = [ln for ln in fh if ln[:2] == "20"][:6000]
    # evenly spaced stamps (0.1 s apart), so that 10 s windows each hold lines
    base = _t(raw[0])
    lines = [
        datetime.fromtimestamp(base + i / 10, UTC).strftime("%Y-%m-%d %H:%M:%S,%f")[:23] + ln[23:]
        for i, ln in enumerate(raw)
    ]
    train, test = tmp_path / "train", tmp_path / "test"
    _fake_run(train, lines[:3000])
    t0 = _t(lines[3050])
    _fake_run(
        test,
        lines[3000:],
        [{"index": 0, "kind": "pause", "start": t0 + 60, "end": t0 + 70}],
        [{"index": 1, "kind": "graceful_restart", "start": t0 + 150, "end": t0 + 155, "planned": True}],
    )
    out = tmp_path / "run"
    r = CliRunner().invoke(
        app,
        [
            "run",
            "--testbed",
            str(train),
            "--test-testbed",
            str(test),
            "--source",
            str(example_tree()),
            "--out",
            str(out),
            "--models",
            "PCA",
            "--n",
            "60",
            "--seeds",
            "1",
            "--epochs",
            "1",
        ],
    )
    assert r.exit_code == 0, r.output
    st = json.loads((out / "run.json").read_text())["stages"]
    assert list(st) == ["inventory", "windows", "generate-0", "evaluate", "report"], st
    windows = [json.loads(ln) for ln in (out / "testbed" / "test" / "sessions.jsonl").read_text().splitlines()]
    assert any(w["label"] == 1 for w in windows) and any(w["operations"] == [1] for w in windows)
    assert not (test / "relabel.manifest.json").exists()  # the run folders are read, not written
    doc = json.loads((out / "evaluate" / "testbed.json").read_text())
    assert {row["arm"] for row in doc["rows"]} >= {"baseline", "synthetic", "real-duplicate", "naive"}
    assert all(row["faults_total"] == 1 and row["operations_total"] == 1 for row in doc["rows"])
    assert "false alarms/h, steady" in (out / "evaluate" / "summary.md").read_text()
    assert "Testbed: operator metrics" in (out / "report.html").read_text()
    r = CliRunner().invoke(app, ["run", "--testbed", str(train), "--out", str(out / "x")])
    assert r.exit_code == 2 and "--testbed needs --source" in r.output
