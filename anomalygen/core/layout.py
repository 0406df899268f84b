"""Where each stage's outputs sit in a run folder (`anomalygen run --out DIR`), relative to it.

`run` writes this layout and the report reads it; both take the names from here.
"""

from __future__ import annotations

INVENTORY = "inventory/statements.jsonl"
INVENTORY_MANIFEST = "inventory/statements.manifest.json"  # written beside INVENTORY by `anomalygen inventory`

PARSED = "logs"  # the parse stage's output folder
STRUCTURED = "logs/structured.csv"
TEMPLATES = "logs/templates.csv"
PARSE_SUMMARY = "logs/summary.json"
SESSIONS = "logs/sessions.jsonl"

COVERAGE = "coverage"
COVERAGE_JSON = "coverage/coverage.json"
COVERAGE_PNG = "coverage/coverage.png"

SYNTHETIC = "synthetic"
SYNTHETIC_SESSIONS = "synthetic/sessions.jsonl"
SYNTHETIC_MANIFEST = "synthetic/manifest.json"
SYNTHETIC_ENTRIES = "synthetic/entries.csv"
SYNTHETIC_LOG = "synthetic/synthetic.log"
SYNTHETIC_STRUCTURED = "synthetic/synthetic.log_structured.csv"

EVALUATE = "evaluate"
RUNS_CSV = "evaluate/runs.csv"
RUNS_JSON = "evaluate/runs.json"
VERDICT_CSV = "evaluate/verdict.csv"
EVALUATE_MANIFEST = "evaluate/manifest.json"
EVALUATE_SUMMARY = "evaluate/summary.md"

ALARM_RATES = "evaluate/alarm_rates.json"  # without labels: detectors compared by their alarm rates
TESTBED_RESULTS = "evaluate/testbed.json"  # over testbed runs (`run --testbed`)
TESTBED_WINDOWS = "testbed"  # testbed runs windowed and labelled: testbed/{train,test}/sessions.jsonl
SYNTHETIC_SEEDS = "synthetic/seed{seed}"  # over testbed runs: one generator output per seed

ALARMS = "alarms"  # what a deployed detector would flag (alarms/alarms.json)
MODEL = "model"  # the detector trained for that preview

REPORT = "report.html"
STATE = "run.json"  # each stage's fingerprint, status and time
STAGE_LOGS = "stage-logs"
