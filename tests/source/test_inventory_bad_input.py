"""Bad input: each problem is reported with its file (and line where there is one), and the rest of the tree
is still inventoried."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from anomalygen.source.inventory import build_inventory

GOOD = """package p;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
public class Good {
  private static final Logger LOG = LoggerFactory.getLogger(Good.class);
  void ok(int n) { LOG.info("good {}", n); }
}
"""

BROKEN = """package p;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
public class Broken {
  private static final Logger LOG = LoggerFactory.getLogger(Broken.class);
  void before() { LOG.info("before the error"); }
  void bad( { int x = ; }
  void after() { LOG.warn("after the error"); }
}
"""


def write(root: Path, rel: str, data: str | bytes) -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    p.write_bytes(data)
    return p


def test_syntax_error_is_reported_with_file_and_line_and_the_rest_is_kept(tmp_path):
    write(tmp_path, "p/Good.java", GOOD)
    write(tmp_path, "p/Broken.java", BROKEN)
    inv, _ = build_inventory(tmp_path)
    syntax = [d for d in inv.diagnostics if d.kind == "syntax"]
    assert syntax and {d.file for d in syntax} == {"p/Broken.java"}
    assert {d.line for d in syntax} == {7}
    assert str(syntax[0]).startswith("p/Broken.java:7: syntax: ")
    templates = {s.template for s in inv.statements}
    assert "good <*>" in templates
    assert "before the error" in templates  # tree-sitter recovers around the bad method
    assert inv.files == 2


def test_non_utf8_file_falls_back_to_latin1_with_a_diagnostic(tmp_path):
    src = GOOD.replace('"good {}"', '"caf\u00e9 {}"').replace("package p;", "package p;\n// r\u00e9sum\u00e9")
    write(tmp_path, "p/Good.java", src.encode("latin-1"))
    inv, _ = build_inventory(tmp_path)
    [d] = inv.diagnostics
    assert (d.file, d.line, d.kind) == ("p/Good.java", 2, "encoding")
    assert "Latin-1" in d.message
    [s] = inv.statements
    assert s.template == "caf\u00e9 <*>"
    assert s.line == 7  # lines are unchanged by the re-encoding


def test_utf8_bom_is_accepted_silently(tmp_path):
    write(tmp_path, "p/Good.java", b"\xef\xbb\xbf" + GOOD.encode())
    inv, _ = build_inventory(tmp_path)
    assert inv.diagnostics == [] and [s.template for s in inv.statements] == ["good <*>"]


def test_empty_directory(tmp_path):
    (tmp_path / "sub").mkdir()
    write(tmp_path, "notes.txt", "no java here")
    inv, _ = build_inventory(tmp_path)
    assert inv.statements == [] and inv.files == 0
    [d] = inv.diagnostics
    assert (d.kind, d.file) == ("empty", str(tmp_path))


def test_empty_java_file_is_reported(tmp_path):
    write(tmp_path, "p/Empty.java", "")
    write(tmp_path, "p/Good.java", GOOD)
    inv, _ = build_inventory(tmp_path)
    assert [(d.file, d.kind) for d in inv.diagnostics] == [("p/Empty.java", "empty")]
    assert len(inv.statements) == 1


def test_missing_path(tmp_path):
    inv, _ = build_inventory(tmp_path / "nope")
    assert inv.statements == [] and inv.files == 0
    [d] = inv.diagnostics
    assert d.kind == "missing" and d.file.endswith("nope")


def test_a_non_java_file_instead_of_a_directory(tmp_path):
    f = write(tmp_path, "readme.txt", "text")
    inv, _ = build_inventory(f)
    [d] = inv.diagnostics
    assert d.kind == "not-a-directory" and d.file == str(f)
    assert inv.statements == []


def test_a_single_java_file_is_analysed(tmp_path):
    f = write(tmp_path, "p/Good.java", GOOD)
    inv, _ = build_inventory(f)
    assert inv.diagnostics == []
    [s] = inv.statements
    assert (s.file, s.template) == ("Good.java", "good <*>")


def test_unreadable_file_is_skipped_with_a_diagnostic(tmp_path, monkeypatch):
    """Simulated (works as root too): reading one file fails, the other file is still inventoried."""
    write(tmp_path, "p/Good.java", GOOD)
    locked = write(tmp_path, "p/Locked.java", GOOD.replace("Good", "Locked"))
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self == locked:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    inv, _ = build_inventory(tmp_path)
    assert [(d.file, d.kind, d.message) for d in inv.diagnostics] == [
        ("p/Locked.java", "unreadable", "Permission denied")
    ]
    assert [s.class_name for s in inv.statements] == ["p.Good"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read a chmod 000 file")
def test_unreadable_file_for_real(tmp_path):
    write(tmp_path, "p/Good.java", GOOD)
    locked = write(tmp_path, "p/Locked.java", GOOD.replace("Good", "Locked"))
    locked.chmod(0)
    try:
        inv, _ = build_inventory(tmp_path)
    finally:
        locked.chmod(0o644)
    assert [(d.file, d.kind) for d in inv.diagnostics] == [("p/Locked.java", "unreadable")]
    assert len(inv.statements) == 1
