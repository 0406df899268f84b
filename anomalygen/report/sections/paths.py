"""Paths: per entry point, how many paths the source admits, how many were examined, refuted by the feasibility
check, undecided, kept, how many distinct event sequences they print and how many of those are new."""

from __future__ import annotations

from anomalygen.core import layout
from anomalygen.report.load import RunDir, to_int
from anomalygen.report.markup import h3, img, note, table
from anomalygen.report.plots import paths_bar

ID = "paths"
TITLE = "Paths per entry point"

TOP = 25
PLOT_TOP = 15
COLS = ["total", "paths", "infeasible", "unknown", "partial", "kept", "llm_rejected", "sequences", "seen", "new"]


def _rows(raw: list[dict]) -> list[dict]:
    rows = []
    for r in raw:
        d = {"entry": r.get("entry", "")}
        for c in COLS:
            d[c] = to_int(r.get(c))
        rows.append(d)
    # most kept first (what feeds the synthetic sessions), then most paths in the source, then name
    rows.sort(key=lambda d: (-d["kept"], -d["total"], d["entry"]))
    return rows


def render(run: RunDir) -> str:
    got = run.csv_rows(layout.SYNTHETIC_ENTRIES)
    if not got.ok:
        return note(run.why_missing(f"per-entry path report ({got.problem})", "generate", "paths"))
    rows = _rows(got.value)
    if not rows:
        return note("synthetic/entries.csv holds no entry point: no path was explored")
    totals = {c: sum(d[c] for d in rows) for c in COLS}
    parts = [
        table(
            [
                "entries",
                "paths in the source",
                "examined",
                "infeasible",
                "unknown",
                "kept",
                "distinct sequences",
                "new sequences",
            ],
            [
                [
                    len(rows),
                    totals["total"],
                    totals["paths"],
                    totals["infeasible"],
                    totals["unknown"],
                    totals["kept"],
                    totals["sequences"],
                    totals["new"],
                ]
            ],
        )
    ]
    parts.append(
        note(
            "'paths in the source' is the exact count; entries with more than the cap are sampled "
            "('examined'). 'infeasible': refuted by the z3 check; 'unknown': not decided; 'new': "
            "distinct sequences the real logs never showed.",
            "info",
        )
    )
    shown = rows[:TOP]
    parts.append(
        h3(f"Entries (top {len(shown)} of {len(rows)} by kept paths)" if len(rows) > TOP else f"Entries ({len(rows)})")
    )
    parts.append(
        table(
            [
                "entry",
                "paths in the source",
                "examined",
                "infeasible",
                "unknown",
                "partial",
                "kept",
                "LLM rejected",
                "distinct sequences",
                "seen",
                "new",
            ],
            [[d["entry"], *(d[c] for c in COLS)] for d in shown],
        )
    )
    try:
        parts.append(
            img(paths_bar(rows[:PLOT_TOP]), f"paths per entry point (top {min(PLOT_TOP, len(rows))} by kept paths)")
        )
    except Exception as e:  # a plot must never cost the section
        parts.append(note(f"path plot could not be drawn: {type(e).__name__}: {e}", "error"))
    return "".join(parts)
