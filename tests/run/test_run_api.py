"""`run` as a function: the source tree is read once for all stages, and not at all when every stage is
skipped; stages record their settings, not command lines."""

from __future__ import annotations

import json

import pytest

from anomalygen.run.api import RunRequest, run_pipeline
from anomalygen.source.api import SourceTree

# slow: runs the whole pipeline twice
pytestmark = pytest.mark.slow


def test_run_reads_the_tree_once_and_not_when_nothing_changed(tmp_path, monkeypatch):
    reads = []
    original = SourceTree.read.__func__

    def counting(cls, source=None):
        reads.append(source)
        return original(cls, source)

    monkeypatch.setattr(SourceTree, "read", classmethod(counting))
    req = RunRequest(out=tmp_path / "run", models="PCA", n=100, seeds=1, epochs=1)
    from anomalygen.source import api as source_api
    from anomalygen.source import inventory as inventory_module

    builds = []  # any inventory built, by the tree or by a stage on its own
    build = inventory_module.build_inventory
    for module in (source_api, inventory_module):
        monkeypatch.setattr(module, "build_inventory", lambda *a, **k: builds.append(a) or build(*a, **k))
    events = []
    res = run_pipeline(req, on_event=lambda stage, what, info: events.append((stage, what)), say=lambda _m: None)
    assert not res.failed and res.report is not None and res.summary
    # inventory, parse, sessions, coverage, generate and the alarm preview's training share one read
    assert len(reads) == 1 and len(builds) == 1, (reads, builds)
    assert events[0] == ("run", "plan") and ("generate", "end") in events
    state = json.loads((tmp_path / "run" / "run.json").read_text())
    assert state["stages"]["generate"]["params"]["n"] == 100 and "args" not in state["stages"]["generate"]
    reads.clear()
    again = run_pipeline(req, say=lambda _m: None)
    assert not again.failed and reads == []
    assert {v["status"] for v in again.state["stages"].values()} == {"skipped"}
