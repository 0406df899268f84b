"""The README's "Python API" example runs as written, and the package's top level exposes every stage."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest

import anomalygen as ag

README = Path(__file__).resolve().parents[2] / "README.md"


def _example() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Python API", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert blocks, "README has no python example under '## Python API'"
    return blocks[0]


@pytest.mark.slow  # the README's example: every stage on the embedded example
def test_readme_python_api_example_runs_as_written(tmp_path, monkeypatch, capsys):
    script = tmp_path / "example.py"
    script.write_text(_example(), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(script), run_name="__main__")
    printed = capsys.readouterr().out
    demo = tmp_path / "api_demo"
    for f in (
        "statements.jsonl",
        "parsed/structured.csv",
        "sessions.jsonl",
        "synthetic/sessions.jsonl",
        "evaluate/summary.md",
        "model/manifest.json",
    ):
        assert (demo / f).is_file(), f
    m = re.search(r"(\d+) statements; (\d+)% of lines traced to one; (\d+) sessions, (\d+) anomalous", printed)
    assert m and int(m[1]) > 0 and int(m[2]) > 50 and int(m[3]) > int(m[4]) > 0, printed
    m = re.search(r"(\d+) synthetic sessions from (\d+) feasible paths", printed)
    assert m and int(m[1]) > 0 and int(m[2]) > 0, printed
    m = re.search(r"(\d+) of (\d+) sessions flagged", printed)
    assert m and 0 < int(m[1]) < int(m[2]), printed


def test_top_level_names_are_the_stage_functions():
    from anomalygen.logs.api import parse_logs
    from anomalygen.synthesis.api import generate

    assert ag.generate is generate and ag.parse_logs is parse_logs
    package = Path(ag.__file__).parent
    for name in ag.__all__:
        assert getattr(ag, name) is not None
        # a subpackage or module of that name would replace the attribute once imported
        assert not (package / name).exists() and not (package / f"{name}.py").exists(), name
    assert set(ag.__all__) <= set(dir(ag))
