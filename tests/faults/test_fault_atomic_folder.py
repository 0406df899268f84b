"""`atomic.atomic_folder`: a folder replaced whole or not at all, with renameat2's exchange and without it, and
what a killed replacement left beside it cleared or put back by the next one."""

from __future__ import annotations

import subprocess
import sys

import pytest

from anomalygen import atomic


def _fill(folder, text):
    (folder / "a.txt").write_text(text)
    (folder / "b.txt").write_text(text * 2)


@pytest.mark.parametrize("exchange", [True, False])
def test_a_folder_is_replaced_whole_or_left_as_it_was(tmp_path, monkeypatch, exchange):
    if not exchange:
        monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    target = tmp_path / "model"
    with atomic.atomic_folder(target) as tmp:
        _fill(tmp, "one")
    (target / "old-only.txt").write_text("x")
    with pytest.raises(RuntimeError), atomic.atomic_folder(target) as tmp:
        _fill(tmp, "two")
        raise RuntimeError("interrupted")
    assert sorted(p.name for p in target.iterdir()) == ["a.txt", "b.txt", "old-only.txt"]
    assert (target / "a.txt").read_text() == "one"
    with atomic.atomic_folder(target) as tmp:
        _fill(tmp, "three")
    assert sorted(p.name for p in target.iterdir()) == ["a.txt", "b.txt"]
    assert (target / "a.txt").read_text() == "three"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_leftovers_of_a_killed_replacement_are_cleared_or_put_back(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    target = tmp_path / "model"
    half = tmp_path / f".model.part-{dead.pid}"  # a new folder half filled when the kill came
    half.mkdir()
    (half / "a.txt").write_text("half")
    old = tmp_path / f".model.old-{dead.pid}"  # killed between the two renames of the fallback: no `model`
    old.mkdir()
    (old / "a.txt").write_text("previous")
    atomic._recover(target)
    assert (target / "a.txt").read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
