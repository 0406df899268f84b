"""`anomalygen run` as a function: settings in (flags, a config file, defaults), every stage run or skipped in
order (`run/pipeline.py`), the run's state and report out. `run/cli.py` adds only the progress display."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from anomalygen.core import layout
from anomalygen.core.errors import InputError
from anomalygen.run.config import DEFAULTS, RunRequest, RunSettings, load_config, resolve

if TYPE_CHECKING:
    from anomalygen.run.pipeline import Stage


@dataclass
class RunResult:
    out: Path
    state: dict  # run.json: each stage's fingerprint, status, time, outputs
    failed: list[str]  # stages neither done nor skipped
    report: Path | None
    summary: str | None  # the evaluation's summary.md, when the evaluation finished


def resolve_settings(req: RunRequest) -> tuple[RunSettings, bool]:
    """The run's settings with the example's defaults filled in and every path checked; and whether it is the
    embedded example."""
    from anomalygen.checks import apart_from_inputs, readable, writable
    from anomalygen.core.example import example_logs, example_tree
    from anomalygen.core.formats import LogFormat
    from anomalygen.detect.registry import parse_models

    cfg = resolve(
        {k: getattr(req, k) for k in DEFAULTS} | {"logs": list(req.logs), "test_testbed": list(req.test_testbed)},
        load_config(req.config),
        req.config,
    )
    example = cfg["source"] is None
    if example:
        cfg["source"] = example_tree()
        if not cfg["logs"]:
            cfg["logs"] = [example_logs() / "minisvc.log"]
            cfg["labels"] = cfg["labels"] or example_logs() / "anomaly_label.csv"
        cfg["format"] = cfg["format"] or "zookeeper"
    cfg["format"] = cfg["format"] or "hdfs"
    s = RunSettings.from_resolved(cfg)
    runs = [p for p in (s.testbed, s.val_testbed, s.oracle_testbed, *s.test_testbed) if p]
    readable([s.source], "source file or folder", folder_ok=True)
    readable(s.logs, "log file")
    readable([s.labels] if s.labels else [], "labels file")
    readable(runs, "testbed run", folder_ok=True)
    writable(s.out, folder=True)
    apart_from_inputs([s.out], [s.source, *s.logs, s.labels, *runs])
    LogFormat.parse(s.format)  # an unknown preset fails here, not in the third stage
    parse_models(s.models, "--models")  # not after minutes of parsing and generating
    return s, example


def plan_stages(s: RunSettings, example: bool, say: Callable[[str], None]) -> tuple[RunSettings, list[Stage]]:
    """The stages: over testbed runs, or over logs with the session rule chosen from them unless given; and the
    settings they were planned with (the chosen rule filled in), which run.json records."""
    from anomalygen.run.stages import plan

    for key in ("test_testbed", "val_testbed", "oracle_testbed"):
        if getattr(s, key) and not s.testbed:
            raise InputError(f"--{key.replace('_', '-')} needs --testbed (the run to train on)")
    if s.testbed:
        from anomalygen.run.testbed import plan_testbed

        if example:
            raise InputError("--testbed needs --source: the ZooKeeper 3.8 source (scripts/zk38_source.sh)")
        return s, plan_testbed(s)
    if not s.logs:
        raise InputError("--logs is needed with --source (the logs that source printed)")
    if s.weak_labels and s.labels:
        raise InputError("--weak-labels and --labels exclude each other")
    from anomalygen.jsonl import Skipped
    from anomalygen.logs.sessions import load_labels

    # read once before any stage: a label file that cannot be used (no valid row, an id labelled twice with
    # different labels) fails here; the sessions stage reports the bad rows it skips
    label_ids = load_labels(s.labels, Skipped(), s.labels_conflict) if s.labels else ()
    if s.sessions_by == "auto":
        from anomalygen.core.formats import LogFormat
        from anomalygen.logs.session_rule import infer_rule

        rule = infer_rule(s.logs, LogFormat.parse(s.format), label_ids)
        s = replace(s, sessions_by=rule.by, session_rule=rule.reason)
        say(f"sessions by {rule.by}: {rule.reason} (--sessions-by overrides)")
    return s, plan(s)


def run_pipeline(
    req: RunRequest, on_event: Callable[[str, str, dict], None] | None = None, say: Callable[[str], None] = print
) -> RunResult:
    """Every stage on a Java source tree and its logs, each skipped when its inputs and settings did not
    change; the HTML report last. `on_event(stage, "start" | "end" | "skipped", info)` follows the stages, after
    one `on_event("run", "plan", {"stages": names})`."""
    from anomalygen.runlock import RunLock

    s, example = resolve_settings(req)
    try:
        s, stages = plan_stages(s, example, say)
    except InputError:
        raise
    except ValueError as e:  # a setting the stages cannot use, found while planning them
        raise InputError(str(e)) from None
    with RunLock(s.out, say):  # two runs on one folder would delete each other's temporaries and outputs
        return _run_locked(req, s, example, stages, on_event)


def _run_locked(req: RunRequest, s: RunSettings, example: bool, stages: list[Stage], on_event) -> RunResult:
    from anomalygen.report import build_report
    from anomalygen.run.pipeline import Interrupted, Pipeline

    params = s.to_dict()
    inputs = {
        "source": str(s.source),
        "logs": [str(p) for p in s.logs],
        "labels": str(s.labels) if s.labels else None,
        "example": example,
    }
    if on_event is not None:
        on_event("run", "plan", {"stages": [st.name for st in stages]})
    try:
        state = Pipeline(s.out, stages, params, inputs, req.force, on_event).run()
    except Interrupted:
        if req.report_on_interrupt:
            build_report(s.out)
        raise
    failed = [
        k for k, v in state.get("stages", {}).items() if not str(v.get("status", "")).startswith(("done", "skipped"))
    ]
    report, summary = s.out / layout.REPORT, s.out / layout.EVALUATE_SUMMARY
    return RunResult(
        s.out,
        state,
        failed,
        report if report.exists() else None,
        summary.read_text(encoding="utf-8") if summary.exists() and "evaluate" not in failed else None,
    )
