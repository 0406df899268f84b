"""The page `anomalygen evaluate` writes beside its summary.md: that summary, the plots, the runs that could not
be trained and the manifest, in the run report's markup and style."""

from __future__ import annotations

import json
from pathlib import Path

from anomalygen.report.markup import esc, img_file, markdown, page, pre, section

TITLE = "anomalygen evaluation"


def _skipped(runs: list[dict]) -> str:
    return (
        "<ul>"
        + "".join(
            f"<li>{esc(r['model'])} seed {esc(r['seed'])} fraction {esc(r['train_fraction'])} "
            f"arm {esc(r['arm'])}: {esc(r.get('error', ''))}</li>"
            for r in runs
        )
        + "</ul>"
    )


def render_evaluation(summary_md: str, plots: list[Path], skipped: list[dict], manifest: dict) -> str:
    """One self-contained page: `summary_md` rendered, each plot inline, `skipped` runs (with their error), and
    `manifest` as JSON."""
    blocks = [(p.stem, p.stem, img_file(p)) for p in plots]
    if skipped:
        blocks.append(("skipped", "Skipped runs", _skipped(skipped)))
    blocks.append(("manifest", "Manifest", pre(json.dumps(manifest, indent=1, default=str))))
    return page(
        TITLE,
        [(sid, title) for sid, title, _ in blocks],
        markdown(summary_md, heading=2) + "".join(section(*b) for b in blocks),
    )
