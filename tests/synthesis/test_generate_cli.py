"""`anomalygen generate`'s command line: its options are `GenerateRequest`'s settings, its session rule the one the
other commands speak (`--sessions-by`), with `--session-key` kept as a deprecated spelling."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import anomalygen.synthesis.api as synthesis_api
from anomalygen.cli import app
from anomalygen.synthesis.api import generate
from anomalygen.synthesis.request import GenerateRequest

FIX = Path(__file__).parent / "fixtures"
runner = CliRunner()


class _Caught(Exception):
    pass


@pytest.fixture
def requests(monkeypatch) -> list[GenerateRequest]:
    """The requests the command line hands to the stage, which then fails (exit 1) without doing any work."""
    seen: list[GenerateRequest] = []

    def stage(req):
        seen.append(req)
        raise _Caught

    monkeypatch.setattr(synthesis_api, "generate", stage)
    return seen


def test_the_command_line_s_defaults_are_the_request_s(requests, tmp_path):
    res = runner.invoke(app, ["generate", "--out", str(tmp_path)])
    assert requests == [GenerateRequest(tmp_path)], res.output


def test_flags_reach_the_request_under_the_field_s_name(requests, tmp_path):
    args = ["generate", "src", "-o", str(tmp_path), "--no-feasibility", "-e", "a", "--entry", "b", "--n", "5"]
    runner.invoke(app, [*args, "--sessions-by", "window:count:20", "-k", "3", "--logs", "x.log"])
    assert requests == [
        GenerateRequest(
            tmp_path,
            Path("src"),
            feasibility=False,
            entries=["a", "b"],
            n=5,
            sessions_by="window:count:20",
            loop_bound=3,
            logs=[Path("x.log")],
        )
    ]


@pytest.mark.parametrize("key", ["block", "none", "auto"])
def test_session_key_still_works_as_sessions_by_with_a_note(requests, tmp_path, key):
    res = runner.invoke(app, ["generate", "--out", str(tmp_path), "--session-key", key])
    assert [r.sessions_by for r in requests] == [key]  # block, none and auto are --sessions-by words too
    note = res.stderr.splitlines()[0]  # then the stand-in stage's own failure
    assert note == f"note: --session-key is deprecated; use --sessions-by {'id' if key == 'block' else key}"


def test_session_key_and_sessions_by_together_are_one_error_line(requests, tmp_path):
    res = runner.invoke(app, ["generate", "--out", str(tmp_path), "--session-key", "none", "--sessions-by", "id"])
    assert res.exit_code == 2 and not requests
    assert res.stderr.strip().count("\n") == 0 and "give --sessions-by alone" in res.stderr


def test_a_rule_that_does_not_parse_is_one_error_line_before_any_work(tmp_path):
    res = runner.invoke(app, ["generate", str(FIX / "hdfsish"), "--out", str(tmp_path / "g"), "--sessions-by", "x"])
    assert res.exit_code == 2
    assert res.stderr.strip().count("\n") == 0 and "--sessions-by 'x': expected id, regex:PATTERN" in res.stderr
    assert not (tmp_path / "g").exists()


def _sessions(out: Path) -> bytes:
    return (out / "sessions.jsonl").read_bytes()


def test_generate_keys_by_block_for_id_rules_and_notes_the_keys_it_cannot_draw(tmp_path):
    common = dict(source=FIX / "hdfsish", n=20, max_paths=20, jobs=1)
    by_id = generate(GenerateRequest(tmp_path / "id", sessions_by="id", **common))
    auto = generate(GenerateRequest(tmp_path / "auto", **common))  # the hdfs format: by block id
    assert by_id.manifest["params"]["session_key"] == "block" and not by_id.warnings
    assert _sessions(tmp_path / "id") == _sessions(tmp_path / "auto") and auto.counts == by_id.counts
    none = generate(GenerateRequest(tmp_path / "none", sessions_by="none", **common))
    by_field = generate(GenerateRequest(tmp_path / "f", sessions_by="field:Pid", **common))
    assert none.manifest["params"]["session_key"] is None and not none.warnings
    assert _sessions(tmp_path / "f") == _sessions(tmp_path / "none") != _sessions(tmp_path / "id")
    (note,) = by_field.warnings
    assert note.startswith("--sessions-by field:Pid: synthetic sessions cannot be keyed by this rule")
