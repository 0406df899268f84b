#!/usr/bin/env python3
"""Acceptance: the Hadoop 0.17.2 inventory explains the real HDFS_v1 log.

    python scripts/accept_hdfs_templates.py /work/src/hadoop [--data ../shared/data/hdfs]

1. For each of loghub's 30 HDFS_v1 templates (HDFS_templates.csv), take the real lines of that event in
   HDFS_20000.log (the template as a regex; when several templates match a line, the one with the most literal
   text wins) and show a statement whose regex matches one of them; say why not when there is none
   (an event absent from the first 20,000 lines is looked up in the 2k sample spread over the whole log).
2. Every line of HDFS_20000.log must be matched by some statement regex (with the line's level); report the
   count unmatched and examples.
Exit 0 when every event present has a statement and every line is matched, else 1.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from anomalygen.core.statements import LogStatement
from anomalygen.core.templates import first_line_regex
from anomalygen.source.inventory import build_inventory

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "hdfs"
LINE = re.compile(r"^(\d{6}) (\d{6}) (\d+) (\w+) ([\w.$]+): (.*)$")


def template_regex(tpl: str) -> re.Pattern[str]:
    return re.compile("^" + ".*?".join(re.escape(p) for p in tpl.split("<*>")) + "$", re.S)


class Matcher:
    """All statement regexes, pre-filtered by each statement's longest literal piece."""

    def __init__(self, statements: list[LogStatement]):
        self.items: list[tuple[str, re.Pattern[str], LogStatement]] = []
        for s in statements:
            lits = [p for p in re.split(r"<\*>", s.template) if p.strip()]
            key = max(lits, key=len) if lits else ""
            key = key.split("\n", 1)[0]
            self.items.append((key, re.compile(s.regex), s))
            first = first_line_regex(s.regex)
            if first is not None:
                self.items.append((key, re.compile(first), s))

    def matches(self, content: str) -> list[LogStatement]:
        """Statements whose regex matches, the most specific (most literal text) first."""
        found = {id(s): s for key, rx, s in self.items if key in content and rx.match(content)}
        return sorted(found.values(), key=lambda s: -literal_len(s))


def literal_len(s: LogStatement) -> int:
    return len(s.template.replace("<*>", "").strip())


def parse_log(path: Path) -> list[tuple[int, str, str, str]]:
    out = []
    for n, raw in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        m = LINE.match(raw)
        if m:
            out.append((n, m.group(4), m.group(5), m.group(6)))
        else:
            out.append((n, "?", "?", raw))
    return out


def short(s: LogStatement) -> str:
    cls = s.class_name.rsplit(".", 1)[-1]
    return f"{s.id} {s.file.rsplit('/', 1)[-1]}:{s.line} {cls}.{s.method.split('(')[0]} {s.level} {s.template!r}"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src", type=Path, help="Hadoop 0.17.2 tree (or its src/java/org/apache/hadoop/dfs)")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with HDFS_templates.csv, HDFS_20000.log")
    ap.add_argument("--examples", type=int, default=10)
    a = ap.parse_args(argv)
    if not a.src.is_dir():
        print(f"{a.src}: not a directory", file=sys.stderr)
        return 2
    for name in ("HDFS_templates.csv", "HDFS_20000.log"):
        if not (a.data / name).is_file():
            print(f"{a.data / name}: missing (see ../shared/data/README.md)", file=sys.stderr)
            return 2
    inv, _ = build_inventory(a.src)
    print(
        f"inventory of {a.src}: {len(inv.statements)} statements in {inv.files} files, "
        f"{len(inv.diagnostics)} diagnostics"
    )
    matcher = Matcher(inv.statements)
    with open(a.data / "HDFS_templates.csv", encoding="utf-8") as fh:
        templates = [(r["EventId"], r["EventTemplate"]) for r in csv.DictReader(fh)]
    trx = {eid: template_regex(t) for eid, t in templates}
    weight = {eid: len(t.replace("<*>", "")) for eid, t in templates}

    lines = parse_log(a.data / "HDFS_20000.log")
    unmatched: list[tuple[int, str, str, str]] = []
    wrong_level = 0
    per_event: dict[str, list[tuple[int, str, list[LogStatement]]]] = defaultdict(list)
    no_event = 0
    hits_per_stmt: Counter = Counter()
    cache: dict[str, list[LogStatement]] = {}
    same_class = 0
    for n, level, comp, content in lines:
        found = cache.get(content)
        if found is None:
            found = cache[content] = matcher.matches(content)
        found = [s for s in found if literal_len(s) > 0]  # a bare `<*>` message explains nothing
        same_level = [s for s in found if s.level == level]
        if not found:
            unmatched.append((n, level, comp, content))
        elif not same_level:
            wrong_level += 1
        for s in same_level or found:
            hits_per_stmt[s.id] += 1
        if any(s.class_name.endswith("." + comp.split(".", 1)[-1]) for s in same_level):
            same_class += 1
        events = [e for e, rx in trx.items() if rx.match(content)]
        if events:
            best = max(events, key=lambda e: weight[e])
            per_event[best].append((n, content, same_level + [s for s in found if s not in same_level]))
        else:
            no_event += 1

    print()
    print("== the 30 HDFS_v1 templates ==")
    missing_events: list[str] = []
    failed_events: list[str] = []
    sample_lines = None
    in_main = in_sample = 0
    for eid, tpl in templates:
        occ = per_event.get(eid, [])
        if occ:
            with_stmt = [o for o in occ if o[2]]
            if with_stmt:
                in_main += 1
                n, content, stmts = with_stmt[0]
                print(f"{eid:>4} {tpl}\n     {len(occ)} lines; line {n}: {content[:110]}")
                for s in stmts[:3]:
                    print(f"     <- {short(s)}")
            else:
                failed_events.append(eid)
                print(
                    f"{eid:>4} {tpl}\n     {len(occ)} lines, NONE matched by a statement; "
                    f"e.g. line {occ[0][0]}: {occ[0][1][:110]}"
                )
            continue
        # not in the first 20,000 lines: try the 2k sample spread over the whole log
        if sample_lines is None:
            p = a.data / "HDFS_2k.log"
            sample_lines = parse_log(p) if p.is_file() else []
        alt = next(((n, c) for n, _, _, c in sample_lines if trx[eid].match(c)), None)
        if alt is not None:
            stmts = [s for s in matcher.matches(alt[1]) if literal_len(s)]
            print(f"{eid:>4} {tpl}\n     not in HDFS_20000.log; HDFS_2k.log line {alt[0]}: {alt[1][:110]}")
            for s in stmts[:3]:
                print(f"     <- {short(s)}")
            if not stmts:
                failed_events.append(eid)
                print("     NONE matched by a statement")
            else:
                in_sample += 1
            continue
        missing_events.append(eid)
        # no real line to test: check the other direction, the loghub template against our template filled in
        cands = [s for s in inv.statements if literal_len(s) and trx[eid].match(s.template.replace("<*>", "x1"))]
        print(
            f"{eid:>4} {tpl}\n     no real line of this event in HDFS_20000.log nor HDFS_2k.log; "
            f"statements whose filled-in template the loghub template matches: {len(cands)}"
        )
        for s in cands[:3]:
            print(f"     ~  {short(s)}")

    print()
    print("== every line of HDFS_20000.log ==")
    print(
        f"lines: {len(lines)}; matched by some statement regex: {len(lines) - len(unmatched)}; "
        f"unmatched: {len(unmatched)}"
    )
    print(f"matched only by a statement of another level: {wrong_level}")
    print(f"matched by a statement of the line's component class (e.g. DataNode$DataXceiver): {same_class}")
    print(f"lines of no loghub template: {no_event}")
    print(f"distinct statements that match some line: {len(hits_per_stmt)}")
    catch_all = [s for s in inv.statements if not literal_len(s)]
    print(f"statements whose message is a bare runtime value (template '<*>', ignored above): {len(catch_all)}")
    for n, level, comp, content in unmatched[: a.examples]:
        print(f"  UNMATCHED line {n}: {level} {comp}: {content[:140]}")
    print()
    present = sum(1 for eid, _ in templates if eid not in missing_events)
    print(
        f"RESULT: templates with a statement matching a real line: {present - len(failed_events)}/{len(templates)} "
        f"({in_main} on HDFS_20000.log lines, {in_sample} on HDFS_2k.log lines) "
        f"(absent from the data: {', '.join(missing_events) or 'none'}; "
        f"unmatched: {', '.join(failed_events) or 'none'}); "
        f"unmatched lines: {len(unmatched)}"
    )
    return 0 if not failed_events and not unmatched else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
