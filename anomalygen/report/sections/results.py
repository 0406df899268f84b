"""Sessions and labels: the session rule (chosen from the logs or given), what the labels are (given, weak, none),
and the results of a run without labels (alarm rates) or over testbed runs (operator metrics), from
`evaluate/summary.md` next to `alarm_rates.json` / `testbed.json`."""

from __future__ import annotations

from anomalygen.report.load import RunDir
from anomalygen.report.markup import h3, kv_table, note, para, table

ID = "results"
TITLE = "Sessions, labels, alarms and operator metrics"


def markdown_blocks(text: str) -> str:
    """The headings, paragraphs and pipe tables of a summary.md as HTML."""
    out, rows = [], []

    def flush() -> None:
        if rows:
            body = [r for r in rows[1:] if not set("".join(r)) <= set("-: ")]
            out.append(table(rows[0], body))
            rows.clear()

    for line in text.splitlines():
        s = line.strip()
        if s.startswith("|"):
            rows.append([c.strip() for c in s.strip("|").split("|")])
            continue
        flush()
        if s.startswith("#"):
            out.append(h3(s.lstrip("#").strip()))
        elif s:
            out.append(para(s))
    flush()
    return "".join(out)


def render(run: RunDir) -> str:
    params = run.run.get("params", {}) if isinstance(run.run, dict) else {}
    labelled_eval = run.path("evaluate/runs.json", "evaluate/runs.csv") is not None
    parts = []
    if params.get("testbed"):
        parts.append(kv_table({"train on": params.get("testbed"),
                               "test on": params.get("test_testbed") or "the second half of the same run"}))
    else:
        weak = "weak: a session with an ERROR line is anomalous" if params.get("weak_labels") else None
        parts.append(kv_table({"sessions by": params.get("sessions_by", "not recorded"),
                               "why": params.get("session_rule") or "given by --sessions-by",
                               "labels": params.get("labels") or weak or ("given" if labelled_eval else "none")}))
    if params.get("weak_labels"):
        parts.append(note("WEAK LABELS: every label in this report comes from the ERROR rule, not from ground "
                          "truth; precision, recall and F1 in the detector table are against these weak labels.",
                          "error"))
    summary = run.path("evaluate/summary.md")
    if run.path("evaluate/alarm_rates.json", "evaluate/testbed.json") and summary is not None:
        parts.append(markdown_blocks(summary.read_text(encoding="utf-8")))
    elif not labelled_eval:
        parts.append(note(run.why_missing("evaluate/summary.md", "evaluate")))
    return "".join(parts)
