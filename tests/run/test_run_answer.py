"""What an operator sees after `anomalygen run`: the verdict in the terminal (100 columns, at most 40 lines after
the stage lines) and at the top of report.html in a real browser at a laptop's size, with nothing to scroll
sideways."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# slow: the module fixture runs the whole pipeline; one test drives Chromium
pytestmark = pytest.mark.slow

SMALL = ["--models", "PCA,LR,IsolationForest", "--n", "200", "--seeds", "3", "--epochs", "1"]


def _run(out: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "100"}
    r = subprocess.run(
        [sys.executable, "-m", "anomalygen.cli", "run", "--out", str(out), *SMALL, *extra],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    return r


@pytest.fixture(scope="module")
def run_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("answer") / "run"
    return out, _run(out)


def test_terminal_prints_the_verdict_block_and_the_two_paths_only(run_out):
    out, r = run_out
    lines = r.stdout.splitlines()
    assert len(lines) <= 40 and max(len(ln) for ln in lines[:-2]) <= 100, r.stdout  # the last two: paths
    assert lines[0].startswith("Does synthetic data help? (F1")
    assert any(ln.startswith("Synthetic data: ") for ln in lines)
    assert lines[-2] == f"report: {out / 'report.html'}"
    assert lines[-1] == f"summary: {out / 'evaluate' / 'summary.md'}"
    for model in ("PCA", "LR", "IsolationForest"):
        assert any(ln.startswith(model + " ") for ln in lines), model
    assert (
        "Paired comparisons" not in r.stdout and "Paired comparisons" in (out / "evaluate" / "summary.md").read_text()
    )
    # the stage lines stay on stderr
    assert "evaluate" in r.stderr and "Does synthetic" not in r.stderr


def test_verbose_prints_every_paired_comparison(run_out):
    out, _ = run_out
    r = _run(out, "--verbose")  # every stage skipped: only the printing differs
    assert "## Paired comparisons" in r.stdout
    assert r.stdout.count("\n") > 40


def _probe(chromium: str, page: Path, width: int, height: int) -> dict:
    """Layout figures measured by Chromium itself on a copy of the page with a script appended."""
    probe = page.with_name("probe.html")
    probe.write_text(
        page.read_text(encoding="utf-8")
        + """<script>
var a = document.querySelector('#answer p.answer'), f = document.querySelector('#answer svg');
document.body.setAttribute('data-probe', JSON.stringify({scroll: document.documentElement.scrollWidth,
  inner: window.innerWidth, answer: a.getBoundingClientRect().bottom, figure: f.getBoundingClientRect().right,
  first: document.querySelector('section').id}));
</script>""",
        encoding="utf-8",
    )
    dom = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--window-size={width},{height}",
            "--dump-dom",
            probe.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    start = dom.index('data-probe="') + len('data-probe="')
    import html

    return json.loads(html.unescape(dom[start : dom.index('"', start)]))


def test_report_in_chromium_at_laptop_size_opens_with_the_answer_and_never_scrolls_sideways(run_out, tool):
    out, _ = run_out
    m = _probe(tool("chromium", "chromium-browser", "google-chrome"), out / "report.html", 1280, 800)
    assert m["first"] == "answer"
    assert m["answer"] < 800  # the verdict sentence is on the first screen
    assert m["scroll"] <= m["inner"] and m["figure"] <= m["inner"], m
