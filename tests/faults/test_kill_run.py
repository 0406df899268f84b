"""Kills at seeded random moments of `anomalygen run` (subprocess + SIGKILL/SIGTERM/SIGINT), then a re-run: every
output equals an uninterrupted run's (timing columns aside); no partial output ever appears under its real name.
The 20-kill acceptance run is `python scripts/kill_run.py --kills 20`."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

# slow: kill campaigns over whole `anomalygen run` subprocesses, each followed by a re-run
pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "kill_run.py"


def test_killed_runs_resume_to_the_uninterrupted_outputs(tmp_path):
    spec = importlib.util.spec_from_file_location("kill_run", SCRIPT)
    kill_run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(kill_run)
    res = kill_run.campaign(kills=4, seed=3, work=tmp_path, log=lambda *_: None)
    assert res["problems"] == []
    assert sum(r["landed"] for r in res["kills"]) >= 3, res["kills"]
    assert {r["stage"] for r in res["kills"]} and len(res["kills"]) == 4


def _script():
    spec = importlib.util.spec_from_file_location("kill_run", SCRIPT)
    kill_run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(kill_run)
    return kill_run


def test_killed_train_into_an_existing_model_leaves_one_that_loads(tmp_path):
    res = _script().train_campaign(kills=3, seed=1, work=tmp_path, log=lambda *_: None)
    assert res["problems"] == [] and len(res["kills"]) == 3
    assert all(r["model_seed"] is not None for r in res["kills"])


def test_killed_detect_worker_ends_the_command_within_30_s(tmp_path):
    res = _script().detect_campaign(kills=3, seed=2, work=tmp_path, log=lambda *_: None)
    assert res["problems"] == [] and len(res["kills"]) == 3
