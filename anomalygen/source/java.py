"""Reading Java files and parsing them with tree-sitter.

A file that cannot be decoded as UTF-8 is decoded as Latin-1 (every byte sequence is valid there, and Java
literals in old code bases are mostly ASCII), so its statements are still found; the problem is reported.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import tree_sitter_java
from tree_sitter import Language, Node, Parser, Query, QueryCursor, Tree

from anomalygen.source.diagnostics import Diagnostic

JAVA = Language(tree_sitter_java.language())

_MAX_SYNTAX_REPORTS_PER_FILE = 5


@dataclass
class SourceFile:
    path: Path
    rel: str  # posix path relative to the analysed root: part of every statement id
    data: bytes
    tree: Tree
    diagnostics: list[Diagnostic] = field(default_factory=list)


def new_parser() -> Parser:
    return Parser(JAVA)


def find_java_files(root: Path) -> tuple[list[Path], list[Diagnostic]]:
    """All .java files under root, in a stable order, plus problems with root itself."""
    root = Path(root)
    if not root.exists():
        return [], [Diagnostic(str(root), 0, "missing", "no such file or directory")]
    if root.is_file():
        if root.suffix == ".java":
            return [root], []
        return [], [Diagnostic(str(root), 0, "not-a-directory", "expected a directory of .java files or a .java file")]
    found: list[Path] = []
    problems: list[Diagnostic] = []

    def onerror(err: OSError) -> None:
        problems.append(Diagnostic(str(err.filename or root), 0, "unreadable", err.strerror or str(err)))

    for dirpath, dirnames, filenames in os.walk(root, onerror=onerror):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith(".java"):
                found.append(Path(dirpath) / name)
    if not found and not problems:
        problems.append(Diagnostic(str(root), 0, "empty", "no .java files found"))
    return found, problems


def decode_java(data: bytes, rel: str) -> tuple[bytes, list[Diagnostic]]:
    """UTF-8 bytes for tree-sitter; non-UTF-8 input is re-encoded from Latin-1 and reported."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        data.decode("utf-8")
        return data, []
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        fixed = data.decode("latin-1").encode("utf-8")
        return fixed, [Diagnostic(rel, line, "encoding", "not valid UTF-8; decoded as Latin-1")]


def syntax_problems(tree: Tree, rel: str) -> list[Diagnostic]:
    """tree-sitter recovers from syntax errors; report where it had to (first few per file)."""
    if not tree.root_node.has_error:
        return []
    out: list[Diagnostic] = []
    stack: list[Node] = [tree.root_node]
    while stack and len(out) < _MAX_SYNTAX_REPORTS_PER_FILE:
        node = stack.pop()
        if not node.has_error:
            continue
        if node.is_missing:
            out.append(Diagnostic(rel, node.start_point[0] + 1, "syntax", f"missing {node.type!r}"))
            continue
        if node.type == "ERROR" and any(c.has_error for c in node.children):
            # a wide ERROR (often the whole class) holds the real fault deeper: report that line, not the class's
            stack.extend(reversed([c for c in node.children if c.has_error]))
            continue
        if node.type == "ERROR":
            snippet = (node.text or b"")[:40].decode("utf-8", "replace").split("\n")[0]
            out.append(Diagnostic(rel, node.start_point[0] + 1, "syntax", f"cannot parse near {snippet!r}"))
            continue
        stack.extend(reversed(node.children))
    return out


def load_source(path: Path, root: Path, parser: Parser | None = None) -> SourceFile | Diagnostic:
    """Read and parse one file; a Diagnostic instead when it cannot be read at all."""
    root_dir = root if root.is_dir() else root.parent
    rel = path.relative_to(root_dir).as_posix() if path.is_relative_to(root_dir) else path.as_posix()
    try:
        raw = path.read_bytes()
    except OSError as err:
        return Diagnostic(rel, 0, "unreadable", err.strerror or str(err))
    data, diags = decode_java(raw, rel)
    tree = (parser or new_parser()).parse(data)
    diags.extend(syntax_problems(tree, rel))
    if not data.strip():
        diags.append(Diagnostic(rel, 0, "empty", "file is empty"))
    return SourceFile(path=path, rel=rel, data=data, tree=tree, diagnostics=diags)


def text(node: Node | None) -> str:
    if node is None:
        return ""
    return node.text.decode("utf-8", "replace") if node.text is not None else ""


def captures(query: Query, node: Node) -> dict[str, list[Node]]:
    """A query's captures under `node`, each list in document order (outer node first at a shared start).

    py-tree-sitter hands each capture's nodes back in an order that follows their addresses, so it changes with
    the allocation history: which of two fields of one name won, and the order of calls sharing a start, varied
    from run to run (Hadoop 2.5.0's call graph and path counts with them).
    """
    return {name: sorted(nodes, key=_doc_order) for name, nodes in QueryCursor(query).captures(node).items()}


def _doc_order(n: Node) -> tuple[int, int]:
    return (n.start_byte, -n.end_byte)
