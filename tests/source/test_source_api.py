"""The source stage's functions: one read of a tree shared by every analysis, and the inventory written as
the command writes it."""

from __future__ import annotations

import json

import pytest

from anomalygen.core.errors import InputError
from anomalygen.core.example import example_tree
from anomalygen.source.api import (
    EntriesRequest,
    InventoryRequest,
    SourceTree,
    entry_points,
    statements_for,
    take_inventory,
)
from anomalygen.source.inventory import build_inventory


def test_a_tree_is_read_once_and_its_call_graph_shared_by_every_loop_bound():
    tree = SourceTree.read()
    a2, a1 = tree.analysis(2), tree.analysis(1)
    assert tree.analysis(2) is a2 and a1 is not a2
    assert a1.callgraph is a2.callgraph and a1.inventory is tree.inventory
    assert a1.config.loop_bound == 1 and a2.config.loop_bound == 2
    with pytest.raises(InputError, match="exceptions"):
        tree.analysis(2, "some")


def test_inventory_in_memory_equals_a_fresh_build_and_the_written_file(tmp_path):
    res = take_inventory(InventoryRequest(out=tmp_path / "inv.jsonl"))
    fresh, _ = build_inventory(example_tree())
    assert [s.to_dict() for s in res.statements] == [s.to_dict() for s in fresh.statements]
    written = [json.loads(x) for x in (tmp_path / "inv.jsonl").read_text().splitlines()]
    assert [d["id"] for d in written] == [s.id for s in fresh.statements]
    manifest = json.loads((tmp_path / "inv.manifest.json").read_text())
    assert manifest["outputs"]["statements"] == len(fresh.statements)
    assert any("log statements" in line for line in res.describe())


def test_statements_for_prefers_the_tree_then_the_file_then_the_source(tmp_path):
    tree = SourceTree.read()
    assert statements_for(None, tmp_path / "absent.jsonl", tree) is tree.statements
    take_inventory(InventoryRequest(tree=tree, out=tmp_path / "inv.jsonl"))
    from_file = statements_for(None, tmp_path / "inv.jsonl", None)
    assert [s.id for s in from_file] == [s.id for s in tree.statements]
    with pytest.raises(InputError, match="--source"):
        statements_for(None, None, None)


def test_entry_points_count_paths_and_an_empty_tree_is_one_clear_error(tmp_path):
    res = entry_points(EntriesRequest(out=tmp_path / "e.jsonl"))
    assert res.rows and all(int(r["paths"]) >= 1 for r in res.rows)
    assert len((tmp_path / "e.jsonl").read_text().splitlines()) == len(res.rows)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no Java source could be analysed"):
        SourceTree.read(tmp_path / "empty")
