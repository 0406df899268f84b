"""The JSON fixtures are what the real layouts write: `fixtures/json/generate.sh` run again here (JDK and the
Debian log4j2 / logback / logstash-logback-encoder jars; .ci/run installs them) makes files with the same keys
and, parsed, the same events as the committed ones (timestamps aside)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from anomalygen.core.formats import LogFormat
from anomalygen.logs.parse import LogParser
from anomalygen.source.api import SourceTree

FIX = Path(__file__).parent / "fixtures" / "json"
JARS = (
    "log4j-api",
    "log4j-core",
    "log4j-to-slf4j",
    "slf4j-api",
    "logback-classic",
    "logback-core",
    "logstash-logback-encoder",
    "jackson-core",
    "jackson-databind",
    "jackson-annotations",
)


def _events(path: Path, statements) -> list[tuple[str, str]]:
    parser = LogParser(statements, LogFormat.parse("json"), fallback=False)
    return [(ln.fields[3], ln.event_id) for ln in parser.parse([str(path)])]


@pytest.mark.slow  # compiles and runs Java (log4j2, logback) to regenerate the fixtures
def test_regenerated_fixtures_match_the_committed_ones(tmp_path, tool):
    tool("javac")
    tool("java")
    missing = [j for j in JARS if not Path(f"/usr/share/java/{j}.jar").exists()]
    if missing:
        if os.environ.get("ANOMALYGEN_REQUIRE_TOOLS") == "1":
            pytest.fail(f"jars missing: {missing}")
        pytest.skip(f"jars missing: {missing} (.ci/run installs them)")
    r = subprocess.run([str(FIX / "generate.sh"), str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    statements = SourceTree.read(FIX / "src").statements
    for layout in ("log4j2", "logstash", "ecs"):
        new, old = tmp_path / f"{layout}.jsonl", FIX / f"{layout}.jsonl"
        first_new, first_old = (json.loads(p.read_text(encoding="utf-8").splitlines()[0]) for p in (new, old))
        assert set(first_new) == set(first_old), layout
        assert _events(new, statements) == _events(old, statements), layout
