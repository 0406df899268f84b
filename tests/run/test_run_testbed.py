"""`anomalygen run --testbed A --test-testbed B` on two hand-made testbed run folders (the example service's
ZooKeeper-format log cut in two, a fault and a planned operation recorded in the second): no Java needed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from anomalygen.cli import app
from anomalygen.core.example import example_logs, example_tree


def _t(line: str) -> float:
    return datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").replace(tzinfo=UTC).timestamp()


def _fake_run(path, lines, faults=(), operations=(), seed=None):
    """A testbed run folder: the lines split over two servers' logs (even lines zk1, odd lines zk2)."""
    (path / "logs").mkdir(parents=True)
    (path / "logs" / "zookeeper-1.log").write_text("".join(lines[0::2]), encoding="utf-8")
    (path / "logs" / "zookeeper-2.log").write_text("".join(lines[1::2]), encoding="utf-8")
    if seed is not None:
        (path / "schedule.json").write_text(json.dumps({"seed": seed}), encoding="utf-8")
    (path / "faults.jsonl").write_text("".join(json.dumps(f) + "\n" for f in faults), encoding="utf-8")
    (path / "operations.jsonl").write_text("".join(json.dumps(o) + "\n" for o in operations), encoding="utf-8")
    (path / "summary.json").write_text(
        json.dumps({"workload_started_t": _t(lines[50]), "ended_t": _t(lines[-1]) + 1}), encoding="utf-8"
    )


def _lines():
    with open(example_logs() / "minisvc.log", encoding="utf-8") as fh:
        raw = [ln for ln in fh if ln[:2] == "20"][:6000]
    # evenly spaced stamps (0.1 s apart), so that 10 s windows each hold lines
    base = _t(raw[0])
    return [
        datetime.fromtimestamp(base + i / 10, UTC).strftime("%Y-%m-%d %H:%M:%S,%f")[:23] + ln[23:]
        for i, ln in enumerate(raw)
    ]


def _faulty(path, lines, seed):
    t0 = _t(lines[50])
    _fake_run(
        path,
        lines,
        [{"index": 0, "kind": "pause", "start": t0 + 20, "end": t0 + 28}],
        [{"index": 1, "kind": "graceful_restart", "start": t0 + 60, "end": t0 + 65, "planned": True}],
        seed,
    )


def _args(out, *extra):
    return [
        "run",
        *extra,
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
    ]


def test_run_over_testbed_runs(tmp_path):
    lines = _lines()
    train, val, oracle, t1, t2 = (tmp_path / n for n in ("train", "val", "oracle", "t1", "t2"))
    _fake_run(train, lines[:2000], seed=1)
    _fake_run(
        oracle,
        lines[2000:3000],
        operations=[
            {"index": 0, "kind": "leader_handover", "start": _t(lines[2200]), "end": _t(lines[2260]), "planned": True}
        ],
        seed=3,
    )
    _faulty(val, lines[3000:4000], 5)
    _faulty(t1, lines[4000:5000], 11)
    _faulty(t2, lines[5000:6000], 12)
    out = tmp_path / "run"
    runs = ["--testbed", str(train), "--val-testbed", str(val), "--oracle-testbed", str(oracle)]
    r = CliRunner().invoke(app, _args(out, *runs, "--test-testbed", str(t1), "--test-testbed", str(t2)))
    assert r.exit_code == 0, r.output
    st = json.loads((out / "run.json").read_text())["stages"]
    assert list(st) == ["inventory", "windows", "generate-0", "evaluate", "report"], st
    windows = [json.loads(ln) for ln in (out / "testbed" / "test1" / "sessions.jsonl").read_text().splitlines()]
    assert any(w["label"] == 1 for w in windows) and any(w["operations"] == [1] for w in windows)
    per_server = (out / "testbed" / "test2" / "sessions_by_server.jsonl").read_text().splitlines()
    assert {json.loads(ln)["host"] for ln in per_server} == {"zk1", "zk2"}
    assert not (t1 / "relabel.manifest.json").exists()  # the run folders are read, not written
    doc = json.loads((out / "evaluate" / "testbed.json").read_text())
    rows = doc["rows"]
    assert {row["arm"] for row in rows} >= {"baseline", "synthetic", "real-duplicate", "naive", "oracle"}
    assert {row["form"] for row in rows} == {"all-server", "per-server"}
    assert {(row["run"], row["role"]) for row in rows} == {("val", "val"), ("test1", "test"), ("test2", "test")}
    assert all(row["faults_total"] == 1 and row["operations_total"] == 1 for row in rows)
    assert doc["verdict"]["form"] in ("all-server", "per-server")
    assert set(doc["verdict"]["validation_scores"]) == {"all-server", "per-server"}
    summary = (out / "evaluate" / "summary.md").read_text()
    assert "## Session form used for the verdict" in summary and "false alarms/h, steady" in summary
    assert f"chosen on the validation run {val}" in summary
    units = (out / "evaluate" / "units.csv").read_text().splitlines()
    assert units[0] == "form,run,model,arm,seed,unit,kind,index,alarmed,ttd_s"
    # 2 forms x 2 test runs x 1 model x arms x 1 seed x (1 fault + 1 operation)
    assert len(units) - 1 == 2 * 2 * len({row["arm"] for row in rows}) * 2
    assert "Testbed: operator metrics" in (out / "report.html").read_text()
    r = CliRunner().invoke(app, ["run", "--testbed", str(train), "--out", str(out / "x")])
    assert r.exit_code == 2 and "--testbed needs --source" in r.output


def test_run_refuses_a_test_run_sharing_a_seed(tmp_path):
    lines = _lines()[:2000]
    train, val, test = tmp_path / "train", tmp_path / "val", tmp_path / "test"
    _fake_run(train, lines[:1000], seed=1)
    _faulty(val, lines[1000:], 5)
    _faulty(test, lines[1000:], 5)
    out = tmp_path / "run"
    r = CliRunner().invoke(
        app, _args(out, "--testbed", str(train), "--val-testbed", str(val), "--test-testbed", str(test))
    )
    assert r.exit_code == 2, r.output
    assert f"test run {test} has seed 5, like the val run {val}" in r.output
    assert "Traceback" not in r.output and not (out / "run.json").exists()
    r = CliRunner().invoke(app, _args(out, "--test-testbed", str(test)))
    assert r.exit_code == 2 and "--test-testbed needs --testbed" in r.output
    r = CliRunner().invoke(app, _args(out, "--testbed", str(train), "--test-testbed", str(train)))
    assert r.exit_code == 2 and f"{train} is given as both the train run and the test1 run" in r.output
    (test / "summary.json").unlink()  # a run still under way
    r = CliRunner().invoke(app, _args(out, "--testbed", str(train), "--test-testbed", str(test)))
    assert r.exit_code == 2 and f"{test} (the test1 run) is not a finished testbed run: no summary.json" in r.output
    assert "Traceback" not in r.output


def test_config_file_names_one_or_several_test_runs(tmp_path):
    from anomalygen.run.config import RunSettings, load_config, resolve
    from anomalygen.run.testbed import testbed_runs

    def settings(cfg):  # a testbed run has its --source (resolve_settings fills in only the example's)
        return RunSettings.from_resolved(cfg | {"source": "zk38"})

    one, several = tmp_path / "one.yaml", tmp_path / "several.toml"
    one.write_text("testbed: tr\ntest-testbed: t1\nval-testbed: v\n")
    several.write_text('testbed = "tr"\ntest-testbed = ["t1", "t2"]\noracle-testbed = "o"\n')
    cfg = resolve({}, load_config(one), one)
    assert cfg["test_testbed"] == ["t1"] and list(testbed_runs(settings(cfg))) == ["train", "val", "test1"]
    cfg = resolve({"test_testbed": ["t3"]}, load_config(several), several)  # flags win over the file
    runs = testbed_runs(settings(cfg))
    assert list(runs.items()) == [("train", Path("tr")), ("oracle", Path("o")), ("test1", Path("t3"))]
