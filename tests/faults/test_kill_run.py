"""Kills at seeded random moments of `anomalygen run` (subprocess + SIGKILL/SIGTERM/SIGINT), then a re-run: every
output equals an uninterrupted run's (timing columns aside); no partial output ever appears under its real name.
The 20-kill acceptance run is `python scripts/kill_run.py --kills 20`."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "kill_run.py"


def test_killed_runs_resume_to_the_uninterrupted_outputs(tmp_path):
    spec = importlib.util.spec_from_file_location("kill_run", SCRIPT)
    kill_run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(kill_run)
    res = kill_run.campaign(kills=4, seed=3, work=tmp_path, log=lambda *_: None)
    assert res["problems"] == []
    assert sum(r["landed"] for r in res["kills"]) >= 3, res["kills"]
    assert {r["stage"] for r in res["kills"]} and len(res["kills"]) == 4
