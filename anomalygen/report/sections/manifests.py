"""Manifests: run.json and every stage's own manifest, each as collapsible JSON."""

from __future__ import annotations

from anomalygen.report.load import RunDir
from anomalygen.report.markup import json_block, note

ID = "manifest"
TITLE = "Manifests"

FILES = [
    ("run manifest (run.json)", ("run.json",)),
    ("inventory", ("inventory/statements.manifest.json", "inventory/manifest.json")),
    ("parse summary (logs/summary.json)", ("logs/summary.json",)),
    ("coverage summary", ("coverage/coverage.json", "logs/coverage.json")),
    ("generate (synthetic/manifest.json)", ("synthetic/manifest.json",)),
    ("evaluate (evaluate/manifest.json)", ("evaluate/manifest.json",)),
]


def render(run: RunDir) -> str:
    parts = []
    for title, cands in FILES:
        got = run.json(*cands)
        if got.ok:
            data = got.value
            if cands[0].endswith("coverage.json") and isinstance(data, dict):
                data = {k: data[k] for k in ("summary", "inputs") if k in data}
            parts.append(json_block(f"{title} — {got.path.relative_to(run.root)}", data))
        else:
            parts.append(note(f"{title}: {got.problem}"))
    return "".join(parts)
