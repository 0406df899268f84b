"""`anomalygen testbed zookeeper` options that need no server: the schedule and a bad spec."""

from typer.testing import CliRunner

from anomalygen.cli import app
from anomalygen.testbed import TestbedRequest, plan_schedule


def test_plan_prints_the_requests_schedule():
    args = ["--duration", "300", "--faults", "leader_kill:2,pause", "--operations", "graceful_restart", "--seed", "3"]
    r = CliRunner().invoke(app, ["testbed", "zookeeper", "--plan", *args])
    assert r.exit_code == 0, r.output
    planned = plan_schedule(
        TestbedRequest(duration=300, faults="leader_kill:2,pause", operations="graceful_restart", seed=3)
    ).planned
    lines = r.output.splitlines()
    assert len(lines) == len(planned) == 4
    for line, p in zip(lines, planned, strict=True):
        assert line.split()[:2] == [f"{p.at:.1f}s", p.kind]
        assert line.endswith("(planned operation, normal)") == p.planned


def test_bad_spec_is_a_usage_error():
    r = CliRunner().invoke(app, ["testbed", "zookeeper", "--plan", "--faults", "bogus"])
    assert r.exit_code == 2 and "unknown kind 'bogus'" in r.output
