"""Coverage: which log statements of the source the real logs showed, by level, class and file; the statements
never seen; and how many of those the synthetic sessions print. Tables come from the inventory and the set of
seen statement ids when both are there, else from coverage.json's own breakdowns."""

from __future__ import annotations

from collections import Counter, defaultdict

from anomalygen.core import layout
from anomalygen.core.levels import rank as level_rank
from anomalygen.report.load import RunDir, to_int
from anomalygen.report.markup import h3, img_file, note, pct, table

ID = "coverage"
TITLE = "Coverage of the source's log statements"

MAX_UNSEEN = 60
MAX_GROUPS = 40
COVERAGE = (layout.COVERAGE_JSON, "logs/coverage.json", "coverage.json")


def _level_key(level: str):
    return (level_rank(level), level)


def _seen_ids(run: RunDir) -> tuple[set[str] | None, str]:
    """Statement ids the real logs showed: coverage.json's exact set, else the parse stage's templates.csv."""
    cov = run.json(*COVERAGE)
    if cov.ok and isinstance(cov.value, dict):
        covered = cov.value.get("covered")
        if isinstance(covered, dict) and isinstance(covered.get("exact"), list):
            return set(covered["exact"]), "coverage.json (exact match of real lines)"
    tpl = run.csv_rows(layout.TEMPLATES)
    if tpl.ok:
        return (
            {r["EventId"] for r in tpl.value if r.get("Match", "source") != "fallback" and r.get("EventId")},
            "logs/templates.csv (statements the parser matched)",
        )
    return None, ""


def _synthetic_ids(run: RunDir) -> set[str] | None:
    got = run.jsonl_all(layout.SYNTHETIC_SESSIONS)
    if not got.ok:
        return None
    return {e for s in got.value for e in (s.get("events") or []) if isinstance(e, str)}


def _breakdown(statements: list[dict], key, seen: set[str], synth: set[str] | None) -> list[list]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for s in statements:
        groups[key(s)].append(s)
    rows = []
    for g, sts in groups.items():
        n = len(sts)
        k = sum(1 for s in sts if s.get("id") in seen)
        row = [g, n, k, n - k, pct(k, n)]
        if synth is not None:
            new = sum(1 for s in sts if s.get("id") not in seen and s.get("id") in synth)
            row += [new, pct(k + new, n)]
        rows.append(row)
    return rows


def _more(n: int, what: str) -> str:
    return note(f"... and {n - MAX_GROUPS} more {what} (fewer unseen statements)", "info") if n > MAX_GROUPS else ""


def _from_inventory(statements: list[dict], seen: set[str], source: str, synth: set[str] | None) -> str:
    parts = [note(f"seen statements from {source}", "info")]
    heads = ["", "statements", "seen", "unseen", "seen %"]
    if synth is not None:
        heads += ["unseen, printed by synthetic", "seen or synthetic %"]
    by_level = sorted(
        _breakdown(statements, lambda s: str(s.get("level", "?")), seen, synth), key=lambda r: _level_key(r[0])
    )
    parts += [h3("By level"), table(["level", *heads[1:]], by_level)]
    by_class = sorted(
        _breakdown(statements, lambda s: str(s.get("class_name", "?")).split("$")[0], seen, synth),
        key=lambda r: (-r[3], r[0]),
    )
    parts += [
        h3("By class (most unseen first)"),
        table(["class", *heads[1:]], by_class[:MAX_GROUPS]),
        _more(len(by_class), "classes"),
    ]
    by_file = sorted(
        _breakdown(statements, lambda s: str(s.get("file", "?")), seen, synth), key=lambda r: (-r[3], r[0])
    )
    parts += [
        h3("By file (most unseen first)"),
        table(["file", *heads[1:]], by_file[:MAX_GROUPS]),
        _more(len(by_file), "files"),
    ]
    unseen = sorted(
        (s for s in statements if s.get("id") not in seen),
        key=lambda s: (_level_key(str(s.get("level", ""))), str(s.get("file", "")), to_int(s.get("line"))),
    )
    parts.append(h3(f"Statements never seen in the real logs ({len(unseen)})"))
    rows = [
        [
            s.get("level", ""),
            s.get("template", ""),
            s.get("class_name", ""),
            f"{s.get('file', '')}:{s.get('line', '')}",
            *(["yes" if s.get("id") in synth else "no"] if synth is not None else []),
        ]
        for s in unseen[:MAX_UNSEEN]
    ]
    parts.append(
        table(
            ["level", "template", "class", "where", *(["in synthetic"] if synth is not None else [])], rows, cls="text"
        )
    )
    if len(unseen) > MAX_UNSEEN:
        parts.append(note(f"... and {len(unseen) - MAX_UNSEEN} more", "info"))
    return "".join(parts)


def _from_coverage_json(cov: dict) -> str:
    parts = [note("inventory/statements.jsonl missing: breakdowns from coverage.json", "info")]
    methods = [m for m in ("exact", "token") if isinstance(cov.get("summary", {}).get(m), dict)]
    for title, key in (("By level", "by_level"), ("By package", "by_package"), ("By class", "by_class")):
        data = cov.get(key)
        if not isinstance(data, dict) or not data:
            continue
        rows = [
            [
                g,
                to_int(r.get("statements")),
                *[to_int(r.get(m)) for m in methods],
                *[pct(to_int(r.get(m)), to_int(r.get("statements"))) for m in methods],
            ]
            for g, r in data.items()
            if isinstance(r, dict)
        ]
        parts += [
            h3(title),
            table(
                [key[3:], "statements", *[f"seen ({m})" for m in methods], *[f"seen % ({m})" for m in methods]], rows
            ),
        ]
    never = cov.get("never_seen")
    if isinstance(never, list) and never:
        parts.append(h3("Statements never seen in the real logs (as listed by coverage.json)"))
        parts.append(
            table(
                ["level", "template", "class", "where", "call sites"],
                [
                    [
                        r.get("level", ""),
                        r.get("template", ""),
                        r.get("class", ""),
                        r.get("where", ""),
                        to_int(r.get("call_sites")),
                    ]
                    for r in never
                    if isinstance(r, dict)
                ],
                cls="text",
            )
        )
    return "".join(parts)


def _summary(cov: dict) -> str:
    s = cov.get("summary", {}) if isinstance(cov.get("summary"), dict) else {}
    total = to_int(s.get("statements"))
    rows = []
    for m in ("exact", "token"):
        d = s.get(m)
        if isinstance(d, dict):
            rows.append(
                [
                    m,
                    total,
                    to_int(d.get("covered")),
                    total - to_int(d.get("covered")),
                    pct(to_int(d.get("covered")), total),
                ]
            )
    parse = (cov.get("inputs") or {}).get("parse") or {}
    read = parse.get("read") or {}
    out = table(["method", "statements", "seen", "unseen", "seen %"], rows) if rows else ""
    if read:
        out += note(
            f"real log lines read {to_int(read.get('lines_read')):,}: parsed {to_int(read.get('parsed')):,}, "
            f"rejected {to_int(read.get('rejected')):,}; matched to a statement "
            f"{to_int(parse.get('matched')):,}, parser fallback {to_int(parse.get('fallback')):,}",
            "info",
        )
    return out


def render(run: RunDir) -> str:
    parts = []
    cov = run.json(*COVERAGE)
    if cov.ok and isinstance(cov.value, dict):
        parts.append(_summary(cov.value))
    else:
        parts.append(note(run.why_missing(f"coverage report ({cov.problem})", "coverage", "parse")))
    inv = run.jsonl_all(layout.INVENTORY)
    seen, source = _seen_ids(run)
    synth = _synthetic_ids(run)
    if inv.ok and seen is not None:
        parts.append(_from_inventory(inv.value, seen, source, synth))
    elif cov.ok and isinstance(cov.value, dict):
        parts.append(_from_coverage_json(cov.value))
    elif not inv.ok:
        parts.append(note(run.why_missing(f"statement inventory ({inv.problem})", "inventory")))
    else:
        parts.append(
            note(run.why_missing("seen statements (neither coverage.json nor logs/templates.csv)", "parse", "coverage"))
        )
        levels = Counter(str(s.get("level", "?")) for s in inv.value)
        parts.append(h3("Statements by level (inventory only)"))
        parts.append(table(["level", "statements"], sorted(levels.items(), key=lambda kv: _level_key(kv[0]))))
    png = run.path(layout.COVERAGE_PNG, "logs/coverage.png", "coverage.png")
    if png is not None:
        parts.append(img_file(png, "coverage plot (anomalygen coverage)"))
    elif cov.ok:
        parts.append(note("coverage plot (coverage.png) not found"))
    return "".join(parts)
