"""The testbed stage's request, its schedule and what it refuses before any server starts (no Java needed)."""

import json

import pytest

from anomalygen.testbed import RunError, TestbedRequest, plan_schedule, run_testbed
from anomalygen.testbed.schedule import SpecError, plan


def test_params_are_the_settings_without_the_inputs(tmp_path):
    req = TestbedRequest(out=tmp_path / "o", duration=60, source=tmp_path / "src", on_info=print)
    params = req.params()
    assert params["out"] == str(tmp_path / "o") and params["duration"] == 60 and params["faults"] == "all"
    assert not {"zk_home", "source", "inventory", "on_info"} & set(params)
    assert list(params)[:3] == ["out", "duration", "faults"]
    json.dumps(params)  # the manifest holds them as they are


def test_schedule_keeps_faults_and_operations_apart():
    req = TestbedRequest(duration=300, faults="leader_kill:2,pause", operations="graceful_restart", seed=3)
    sch = plan_schedule(req)
    assert sch.faults == {"leader_kill": 2, "pause": 1} and sch.operations == {"graceful_restart": 1}
    assert sorted(p.kind for p in sch.planned) == ["graceful_restart", "leader_kill", "leader_kill", "pause"]
    assert [p.kind for p in sch.planned if p.planned] == ["graceful_restart"]
    # the request's own warm-up, tail and victim timeout reach the planner
    assert sch.planned == plan(
        {"leader_kill": 2, "pause": 1, "graceful_restart": 1},
        300,
        3,
        20.0,
        15.0,
        extra_hold={"session_expiry": 6.0, "client_away": 6.0},
    )
    assert plan_schedule(req) == sch
    assert plan_schedule(TestbedRequest(duration=300, faults="leader_kill:2,pause", seed=4)).planned != [
        p for p in sch.planned if not p.planned
    ]


def test_bad_spec_is_refused():
    with pytest.raises(SpecError, match="unknown kind 'bogus'"):
        plan_schedule(TestbedRequest(faults="bogus"))
    with pytest.raises(SpecError, match="--operations"):
        plan_schedule(TestbedRequest(faults="none", operations="leader_kill"))


def test_a_folder_holding_a_run_is_refused_before_anything_is_written(tmp_path):
    (tmp_path / "faults.jsonl").write_text("", encoding="utf-8")
    with pytest.raises(RunError, match="already holds a testbed run"):
        run_testbed(TestbedRequest(out=tmp_path, duration=60, faults="leader_kill"))
    assert [p.name for p in tmp_path.iterdir()] == ["faults.jsonl"]


def test_no_output_folder_is_refused():
    with pytest.raises(RunError, match="no output folder"):
        run_testbed(TestbedRequest(duration=60))
