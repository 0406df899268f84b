"""Shared helpers for the LCFG / call-graph / path tests: small Java trees written to tmp folders."""

from __future__ import annotations

from pathlib import Path

from anomalygen.source.analysis import Analysis, AnalysisConfig
from anomalygen.source.entries import find_entries, select_entries
from anomalygen.source.paths import PathConfig, PathFinder

HEADER = """package t;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.io.*;
import java.util.*;
"""


def java_class(name: str, body: str, extra: str = "") -> str:
    return (
        f"{HEADER}{extra}\npublic class {name} {{\n"
        f"  private static final Logger LOG = LoggerFactory.getLogger({name}.class);\n{body}\n}}\n"
    )


def analyse(tmp: Path, files: dict[str, str], loop_bound: int = 2, exceptions: str = "try") -> Analysis:
    root = tmp / "src"
    for name, code in files.items():
        p = root / "t" / f"{name}.java"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(code, encoding="utf-8")
    return Analysis.run(root, AnalysisConfig(loop_bound=loop_bound, exceptions=exceptions))


def one(tmp: Path, body: str, **kw) -> Analysis:
    """A tree with one class `A` holding `body`."""
    return analyse(tmp, {"A": java_class("A", body)}, **kw)


def key_of(a: Analysis, pattern: str) -> str:
    (e,) = select_entries(find_entries(a), [pattern], a)
    return e.key


def templates(a: Analysis) -> dict[str, str]:
    return {s.id: s.template for s in a.inventory.statements}


def paths(a: Analysis, pattern: str, **cfg) -> list[tuple[tuple[str, ...], str, list]]:
    """(templates printed, exit kind, conditions) of every path of an entry (enumerated or sampled)."""
    cfg.setdefault("max_paths", 100_000)
    ep = PathFinder(a, PathConfig(**cfg)).entry_paths(key_of(a, pattern))
    t = templates(a)
    return [(tuple(t[s] for s in p.events), p.exit, p.conditions) for p in ep.paths]


def seqs(a: Analysis, pattern: str, **cfg) -> set[tuple[tuple[str, ...], str]]:
    return {(ev, ex) for ev, ex, _ in paths(a, pattern, **cfg)}


def normal(a: Analysis, pattern: str, **cfg) -> set[tuple[str, ...]]:
    return {ev for ev, ex in seqs(a, pattern, **cfg) if ex == "normal"}


def count(a: Analysis, pattern: str, depth: int = 4) -> tuple[int, int, int]:
    return PathFinder(a, PathConfig(depth=depth)).count(key_of(a, pattern))
