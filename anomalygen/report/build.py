"""Assembling the report: one section per stage, each rendered on its own so that a missing or broken part of
the run directory costs only that section (it then says what is missing or what went wrong)."""

from __future__ import annotations

import traceback
from pathlib import Path

from anomalygen import atomic
from anomalygen.core import layout
from anomalygen.report.load import RunDir
from anomalygen.report.markup import note, page, section
from anomalygen.report.sections import (
    alarms,
    answer,
    coverage,
    detectors,
    manifests,
    overview,
    paths,
    results,
    synthetic,
)

# the answer a user came for first, then what it rests on, then how the data was made
SECTIONS = [answer, detectors, results, overview, alarms, coverage, paths, synthetic, manifests]


def render_section(mod, run: RunDir) -> str:
    try:
        body = mod.render(run)
    except Exception as e:  # never let one section take the report down
        tb = traceback.format_exception_only(type(e), e)[-1].strip()
        body = note(f"this section could not be built: {tb}", "error")
    return section(mod.ID, mod.TITLE, body)


def render_report(run_dir: Path) -> str:
    run = RunDir(Path(run_dir))
    title = f"anomalygen run report — {run.root.resolve().name}"
    body = "".join(render_section(m, run) for m in SECTIONS)
    if not run.root.is_dir():
        body = note(f"{run.root} is not a directory") + body
    return page(title, [(m.ID, m.TITLE.split(":")[0]) for m in SECTIONS], body)


def build_report(run_dir: Path, out: Path | None = None) -> Path:
    """Write the self-contained HTML report of `run_dir` to `out` (default `run_dir/report.html`); return its path."""
    run_dir = Path(run_dir)
    out = Path(out) if out is not None else run_dir / layout.REPORT
    html_text = render_report(run_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(out, html_text)
    return out
