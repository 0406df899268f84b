from __future__ import annotations

import hashlib

from anomalygen.manifest import file_digest, paths_digest, tree_digest


def test_file_digest_is_sha256sum(tmp_path):
    f = tmp_path / "a.log"
    f.write_bytes(b"x" * (3 << 20))  # several read blocks
    assert file_digest(f) == hashlib.sha256(b"x" * (3 << 20)).hexdigest()
    assert file_digest(tmp_path / "missing") is None and file_digest(None) is None


def test_tree_digest_covers_names_and_bytes_not_order(tmp_path):
    a, b = tmp_path / "A.java", tmp_path / "B.java"
    a.write_text("class A {}")
    b.write_text("class B {}")
    d = tree_digest([a, b], tmp_path)
    assert d == tree_digest([b, a], tmp_path)
    b.write_text("class B { }")
    assert tree_digest([a, b], tmp_path) != d
    b.rename(tmp_path / "C.java")
    assert tree_digest([a, tmp_path / "C.java"], tmp_path) != d


def test_paths_digest_follows_folders_and_tells_a_missing_input(tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "x.log").write_text("1")
    d = paths_digest([folder])
    (folder / "y.log").write_text("2")
    assert paths_digest([folder]) != d
    assert paths_digest([tmp_path / "gone.log"]) != paths_digest([tmp_path / "other.log"])
