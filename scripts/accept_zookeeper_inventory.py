#!/usr/bin/env python3
"""Acceptance: the inventory finds every logging call that a careful textual search finds.

    python scripts/accept_zookeeper_inventory.py /work/src/zk        # ZooKeeper 3.4.5 src/java/main

Works on any Java tree. The textual search (scripts/textual_logcalls.py) does not use tree-sitter: it blanks
comments and literals with its own lexer, takes logger names from declarations (logging type or
getLogger/getLog initializer) and counts `<receiver>.<level>(` calls on them across line breaks. Calls are
compared as (file, line, method) multisets; every difference is listed with a reason. Also listed, for the
record: the `x.info(`-like matches the careful search rejects (in comments/strings, or on non-logger receivers).
Exit 0 when both sides agree, 1 otherwise (2 when the inventory could not run at all).
For information (not part of the exit status), when ../shared/data/zookeeper/Zookeeper_2k.log exists: how many
of its real lines some statement regex with literal text matches.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from textual_logcalls import LEVEL_METHODS, blank, scan

from anomalygen.source.inventory import build_inventory

_LOOSE = re.compile(r"([\w$.]+)\s*\.\s*(" + "|".join(LEVEL_METHODS) + r")\s*\(")


def rejected_matches(root: Path, accepted: set[tuple[str, int]]) -> tuple[list[str], Counter]:
    """Naive regex hits the careful search does not count: in comments/strings, or on non-loggers."""
    in_text: list[str] = []
    other: Counter = Counter()
    for p in sorted(root.rglob("*.java")):
        rel = p.relative_to(root).as_posix()
        raw = p.read_bytes().decode("utf-8", "replace")
        b = blank(raw)
        live = {m.start() for m in _LOOSE.finditer(b)}
        for m in _LOOSE.finditer(raw):
            line = raw.count("\n", 0, m.start()) + 1
            if m.start() not in live:
                snippet = raw[m.start() : m.end() + 30].split("\n")[0].strip()
                in_text.append(f"{rel}:{line}: {snippet}")
            elif (rel, line) not in accepted:
                other[m.group(1) + "." + m.group(2)] += 1
    return in_text, other


ZK_LOG = Path(__file__).resolve().parents[2] / "shared" / "data" / "zookeeper" / "Zookeeper_2k.log"
_ZK_LINE = re.compile(r"^\S+ \S+ - (\w+)\s+\[(.*?)\] - (.*)$")


def real_log_check(statements, path: Path) -> None:
    from accept_hdfs_templates import Matcher, literal_len

    matcher = Matcher(statements)
    total = unmatched = other_level = 0
    examples: list[str] = []
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        m = _ZK_LINE.match(raw)
        if not m:
            continue
        total += 1
        level, content = m.group(1), m.group(3)
        found = [s for s in matcher.matches(content) if literal_len(s)]
        if not found:
            unmatched += 1
            examples.append(raw[:140])
        elif not any(s.level == level for s in found):
            other_level += 1
    print(
        f"real log {path.name}: {total} lines, {total - unmatched} matched by a statement regex with literal text, "
        f"{unmatched} unmatched, {other_level} matched only at another level"
    )
    for e in examples[:10]:
        print(f"  UNMATCHED {e}")


def main(argv: list[str]) -> int:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src", type=Path, help="Java tree, e.g. ZooKeeper 3.4.5 src/java/main")
    ap.add_argument(
        "--log",
        type=Path,
        default=ZK_LOG if ZK_LOG.is_file() else None,
        help="a real log of that system (default: ../shared/data/zookeeper/Zookeeper_2k.log)",
    )
    ap.add_argument("--no-log", action="store_true", help="skip the real-log check (e.g. for another tree)")
    a = ap.parse_args(argv)
    root = a.src
    if not root.is_dir():
        print(f"{root}: not a directory", file=sys.stderr)
        return 2
    calls, declared = scan(root)
    inv, _ = build_inventory(root)
    for d in inv.diagnostics:
        print(f"diagnostic: {d}")
    text_keys = Counter((c.file, c.line, c.method) for c in calls)
    inv_keys = Counter((s.file, s.line, s.call) for s in inv.statements)
    print(f"tree: {root}  java files: {inv.files}")
    print(f"textual search: {len(calls)} logging calls")
    print(f"inventory:      {len(inv.statements)} log statements")
    by_recv = Counter(c.receiver for c in calls)
    print("textual receivers: " + ", ".join(f"{r} {n}" for r, n in by_recv.most_common()))

    only_text = text_keys - inv_keys
    only_inv = inv_keys - text_keys
    diag_files = {d.file for d in inv.diagnostics}
    for (f, line, meth), n in sorted(only_text.items()):
        recv = next(c.receiver for c in calls if (c.file, c.line, c.method) == (f, line, meth))
        why = "file has parse diagnostics" if f in diag_files else f"inventory did not take {recv!r} as a logger"
        print(f"TEXT ONLY  {f}:{line} {recv}.{meth}(  x{n}: {why}")
    for (f, line, meth), n in sorted(only_inv.items()):
        s = next(s for s in inv.statements if (s.file, s.line, s.call) == (f, line, meth))
        known = any(s.logger.rsplit(".", 1)[-1] in names for names in declared.values())
        why = (
            f"receiver {s.logger!r} is not a declared logger name in the text (recognised by {s.recognised_by})"
            if not known
            else "textual pattern missed the call's shape"
        )
        print(f"INV ONLY   {f}:{line} {s.logger}.{meth}(  x{n}: {why}")

    in_text, other = rejected_matches(root, {(c.file, c.line) for c in calls})
    print(f"naive `x.level(` matches inside comments or string literals (not calls): {len(in_text)}")
    for s in in_text:
        print(f"  {s}")
    print(f"naive matches on receivers that are not loggers: {sum(other.values())}")
    for k, n in other.most_common():
        print(f"  {k}(  x{n}")
    if a.log is not None and not a.no_log:
        real_log_check(inv.statements, a.log)
    same = not only_text and not only_inv
    print(
        "RESULT: "
        + ("agree" if same else f"{sum(only_text.values())} textual-only, {sum(only_inv.values())} inventory-only")
    )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
