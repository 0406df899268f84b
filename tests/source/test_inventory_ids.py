"""Statement ids: a hash of (relative path, class, method, ordinal), the same on every run and after edits
that do not touch the method's logging calls; the JSONL output reads back unchanged."""

from __future__ import annotations

from pathlib import Path

from inventory_helpers import CONSTRUCTS, EDGE, copy_tree, inventory

from anomalygen.source.inventory import build_inventory, read_inventory, statement_id


def test_id_is_the_hash_of_path_class_method_ordinal():
    for root in (CONSTRUCTS, EDGE):
        inv = inventory(root)
        ids = [s.id for s in inv.statements]
        assert len(set(ids)) == len(ids)
        for s in inv.statements:
            assert s.id == statement_id(s.file, s.class_name, s.method, s.ordinal)
            assert s.id.startswith("L") and len(s.id) == 13
    # ordinals count the method's logging calls in source order, from 0
    move = [s for s in inventory(CONSTRUCTS).statements if s.method == "move(List,long)"]
    assert [s.ordinal for s in move] == [0, 1, 2]


def test_same_ids_on_every_run_and_under_another_root(tmp_path):
    first, _ = build_inventory(CONSTRUCTS)
    second, _ = build_inventory(CONSTRUCTS)
    assert [s.to_dict() for s in first.statements] == [s.to_dict() for s in second.statements]
    moved = copy_tree(CONSTRUCTS, tmp_path / "elsewhere" / "src")
    third, _ = build_inventory(moved)
    assert [(s.id, s.file) for s in third.statements] == [(s.id, s.file) for s in first.statements]
    assert not third.statements[0].file.startswith("/")


def _reformat(path: Path) -> None:
    src = path.read_text(encoding="utf-8")
    src = "// a licence header\n// of several lines\n\n" + src
    src = src.replace("  public void move(", "  /** javadoc added */\n\n  public void move(")
    src = src.replace("moved++;", "moved\n        ++;\n")  # reflowed code between two logging calls
    src = src.replace(
        'LOG.warn("legacy {} and {}", new Object[] {a, b});',
        'LOG.warn(\n        "legacy {} and {}",\n        new Object[] {a, b});',
    )
    # an unrelated method, with ordinary calls, before the others and at the end of the class
    src = src.replace(
        "  public Pump(String name) {", "  int helper(int x) { return Math.max(x, 1); }\n\n  public Pump(String name) {"
    )
    src = src.rstrip()[:-1] + '\n  void unrelated() { System.out.println("x"); }\n}\n'
    path.write_text(src, encoding="utf-8")


def test_ids_survive_reformatting_and_unrelated_code(tmp_path):
    before = {s.template: s for s in inventory(CONSTRUCTS).statements}
    root = copy_tree(CONSTRUCTS, tmp_path / "src")
    _reformat(root / "org" / "demo" / "slf4j" / "Pump.java")
    after_inv, _ = build_inventory(root)
    assert after_inv.diagnostics == []
    after = {s.template: s for s in after_inv.statements}
    assert set(after) == set(before)
    for tpl, s in after.items():
        assert s.id == before[tpl].id, tpl
    moved_lines = [t for t in after if after[t].line != before[t].line]
    assert len(moved_lines) >= 20  # the lines did move: the ids do not depend on them


def test_jsonl_round_trip(tmp_path):
    inv = inventory(CONSTRUCTS)
    out = tmp_path / "inventory.jsonl"
    inv.write_jsonl(out)
    back = read_inventory(out)
    assert [s.to_dict() for s in back] == [s.to_dict() for s in inv.statements]
    assert len(out.read_text(encoding="utf-8").splitlines()) == len(inv.statements)


def test_read_inventory_names_the_bad_line(tmp_path):
    out = tmp_path / "bad.jsonl"
    inventory(EDGE).write_jsonl(out)
    out.write_text(out.read_text(encoding="utf-8") + "{not json\n", encoding="utf-8")
    import pytest

    with pytest.raises(ValueError, match=rf"bad.jsonl:{len(inventory(EDGE).statements) + 1}:"):
        read_inventory(out)
