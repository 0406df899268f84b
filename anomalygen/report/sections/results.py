"""Sessions and labels: the session rule (chosen from the logs or given), what the labels are (given, weak, none),
and the results of a run without labels (alarm rates) or over testbed runs (operator metrics), from
`evaluate/summary.md` next to `alarm_rates.json` / `testbed.json`."""

from __future__ import annotations

from anomalygen.report.load import RunDir
from anomalygen.report.markup import kv_table, markdown, note

ID = "results"
TITLE = "Sessions, labels, alarms and operator metrics"


def render(run: RunDir) -> str:
    params = run.run.get("params", {}) if isinstance(run.run, dict) else {}
    labelled_eval = run.path("evaluate/runs.json", "evaluate/runs.csv") is not None
    parts = []
    if params.get("testbed"):
        parts.append(
            kv_table(
                {
                    "train on": params.get("testbed"),
                    "test on": _runs(params.get("test_testbed")) or "the second half of the same run",
                    "session form chosen on": params.get("val_testbed") or "no validation run (all-server kept)",
                    "oracle arm from": params.get("oracle_testbed") or "no oracle run",
                }
            )
        )
    else:
        weak = "weak: a session with an ERROR line is anomalous" if params.get("weak_labels") else None
        parts.append(
            kv_table(
                {
                    "sessions by": params.get("sessions_by", "not recorded"),
                    "why": params.get("session_rule") or "given by --sessions-by",
                    "labels": params.get("labels") or weak or ("given" if labelled_eval else "none"),
                }
            )
        )
    if params.get("weak_labels"):
        parts.append(
            note(
                "WEAK LABELS: every label in this report comes from the ERROR rule, not from ground "
                "truth; precision, recall and F1 in the detector table are against these weak labels.",
                "error",
            )
        )
    summary = run.path("evaluate/summary.md")
    if run.path("evaluate/alarm_rates.json", "evaluate/testbed.json") and summary is not None:
        parts.append(markdown(summary.read_text(encoding="utf-8")))
    elif not labelled_eval:
        parts.append(note(run.why_missing("evaluate/summary.md", "evaluate")))
    return "".join(parts)


def _runs(v) -> str:
    """Test runs as run.json records them: a list of folders (one, before several could be given)."""
    return ", ".join(map(str, v)) if isinstance(v, list) else str(v or "")
