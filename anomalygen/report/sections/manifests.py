"""Manifests: run.json and every stage's own manifest, each as collapsible JSON."""

from __future__ import annotations

from anomalygen.core import layout
from anomalygen.report.load import RunDir
from anomalygen.report.markup import json_block, note

ID = "manifest"
TITLE = "Manifests"

FILES = [
    ("run manifest (run.json)", (layout.STATE,)),
    ("inventory", (layout.INVENTORY_MANIFEST, "inventory/manifest.json")),
    ("parse summary (logs/summary.json)", (layout.PARSE_SUMMARY,)),
    ("coverage summary", (layout.COVERAGE_JSON, "logs/coverage.json")),
    ("generate (synthetic/manifest.json)", (layout.SYNTHETIC_MANIFEST,)),
    ("evaluate (evaluate/manifest.json)", (layout.EVALUATE_MANIFEST,)),
]


def render(run: RunDir) -> str:
    parts = []
    for title, cands in FILES:
        got = run.json(*cands)
        if got.ok:
            data = got.value
            if cands[0].endswith("coverage.json") and isinstance(data, dict):
                data = {k: data[k] for k in ("summary", "inputs") if k in data}
            parts.append(json_block(f"{title} — {got.path.relative_to(run.root)}", data))  # type: ignore[union-attr]  # ok: found
        else:
            parts.append(note(f"{title}: {got.problem}"))
    return "".join(parts)
