"""Shared helpers for the inventory tests: the fixture trees and lookups into their statements."""

from __future__ import annotations

import re
import shutil
from functools import cache
from pathlib import Path

from anomalygen.core.statements import LogStatement
from anomalygen.source.inventory import Inventory, build_inventory

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CONSTRUCTS = FIXTURES / "constructs" / "src"
EDGE = FIXTURES / "edge" / "src"


@cache
def inventory(root: Path) -> Inventory:
    inv, _ = build_inventory(root)
    return inv


def by_template(inv: Inventory, template: str) -> LogStatement:
    hits = [s for s in inv.statements if s.template == template]
    assert len(hits) == 1, f"{template!r}: {len(hits)} statements; have {[s.template for s in inv.statements]}"
    return hits[0]


def matches(s: LogStatement, line: str) -> bool:
    return re.match(s.regex, line) is not None


def copy_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst
