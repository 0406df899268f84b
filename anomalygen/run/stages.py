"""The stages of `anomalygen run`: each a call of its stage function on a request built from the run's settings,
writing into the run folder's layout (`core/layout.py`). The source tree is read once and passed to every stage
that needs it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, replace
from pathlib import Path
from typing import TYPE_CHECKING

from anomalygen.core import layout
from anomalygen.deploy.online import supports
from anomalygen.evaluate.harness import default_jobs
from anomalygen.run.pipeline import Stage
from anomalygen.source.api import SourceTree

if TYPE_CHECKING:
    from anomalygen.run.config import RunSettings


class TreeOnce:
    """The run's source tree, read when a stage first needs it (not at all when every stage is skipped)."""

    def __init__(self, source: Path):
        self.source = Path(source)
        self._tree: SourceTree | None = None

    def __call__(self) -> SourceTree:
        if self._tree is None:
            self._tree = SourceTree.read(self.source)
        return self._tree


def settings(req) -> dict:
    """A request's fields as the stage's parameters in run.json and its fingerprint (the tree is its source's
    bytes, which the stage's inputs already cover)."""
    values = {f.name: getattr(req, f.name) for f in fields(req) if f.name != "tree"}  # no deep copy of a tree
    return {
        k: (str(v) if isinstance(v, Path) else [str(x) for x in v] if isinstance(v, list) else v)
        for k, v in values.items()
    }


def request_stage(
    name: str,
    fn: Callable,
    req,
    tree: TreeOnce,
    inputs: list[Path],
    outputs: list[Path],
    after: list[str] | None = None,
) -> Stage:
    """A stage that calls a stage function on `req` with the run's tree, its parameters the request's fields;
    the result's lines go to the stage log."""

    def run() -> None:
        res = fn(replace(req, tree=tree()))
        for line in res.describe():
            print(line)
        for line in getattr(res, "warnings", []):
            print(f"warning: {line}")

    return Stage(name, settings(req), inputs, outputs, run, after=list(after or []))


def plan(s: RunSettings) -> list[Stage]:
    from anomalygen.logs.api import (
        CoverageRequest,
        ParseRequest,
        SessionsRequest,
        make_sessions,
        measure_coverage,
        parse_logs,
    )
    from anomalygen.source.api import InventoryRequest, take_inventory
    from anomalygen.synthesis.api import generate

    r = s.out
    src, logs, fmt = s.source, list(s.logs), s.format
    tree = TreeOnce(src)
    labels = [s.labels] if s.labels else []
    inv = InventoryRequest(src, r / layout.INVENTORY)
    parse = ParseRequest(logs, r / layout.PARSED, fmt, src)
    sess = SessionsRequest(
        logs,
        r / layout.SESSIONS,
        fmt,
        s.sessions_by,
        s.labels,
        s.weak_labels,
        source=src,
        labels_conflict=s.labels_conflict,
    )
    cov = CoverageRequest(logs, [], r / layout.COVERAGE, fmt, source=src)
    gen = generate_request(s, r)
    stages = [
        request_stage("inventory", take_inventory, inv, tree, [src], [(r / layout.INVENTORY).parent]),
        request_stage(
            "parse",
            parse_logs,
            parse,
            tree,
            [src, *logs],
            [r / layout.PARSED / f for f in ("structured.csv", "templates.csv", "summary.json")],
        ),
        request_stage("sessions", make_sessions, sess, tree, [src, *logs, *labels], [r / layout.SESSIONS]),
        request_stage("coverage", measure_coverage, cov, tree, [src, *logs], [r / layout.COVERAGE]),
        request_stage("generate", generate, gen, tree, [src, *logs], [r / layout.SYNTHETIC], after=["sessions"]),
    ]
    if s.labels is not None or s.weak_labels:
        stages.append(
            Stage(
                "evaluate",
                _evaluate_settings(s),
                [],
                [r / layout.EVALUATE],
                after=["inventory", "sessions", "generate"],
                call=lambda: _evaluate(s, r),
            )
        )
    else:
        stages.append(
            Stage(
                "evaluate",
                {"alarm_rates": _evaluate_settings(s)},
                [],
                [r / layout.EVALUATE],
                after=["sessions", "generate"],
                call=lambda: _alarm_rates(s, r),
            )
        )
    if s.labels is not None and supports(s.sessions_by):
        labels_file = s.labels
        stages.append(
            Stage(
                "alarms",
                {
                    "models": s.models,
                    "epochs": s.epochs,
                    "seed": s.seed,
                    "format": fmt,
                    "sessions_by": s.sessions_by,
                    "labels_conflict": s.labels_conflict,
                },
                [src, *logs, labels_file],
                [r / layout.ALARMS],
                after=["generate"],
                call=lambda: _alarms(s, labels_file, tree()),
            )
        )
    stages.append(
        Stage(
            "report", {}, [], [r / layout.REPORT], after=[s.name for s in stages], call=lambda: report(r), always=True
        )
    )
    return stages


def generate_request(s: RunSettings, r: Path):
    """`generate` as `run` calls it: whole sessions composed from the run's own labelled sessions; with a
    chronological split only from the first 80%, so no test session reaches the session model."""
    from anomalygen.synthesis.api import GenerateRequest

    labelled, hosts = s.labels is not None, _hosts(s)
    return GenerateRequest(
        r / layout.SYNTHETIC,
        s.source,
        logs=list(s.logs),
        format=s.format,
        n=s.n,
        seed=s.seed,
        max_paths=s.max_paths,
        anomalous_share=s.anomalous_share,
        sessions_by=s.sessions_by,
        real_sessions=str(r / layout.SESSIONS) if labelled else None,
        hosts=r / layout.SESSIONS if hosts else None,
        host_fraction=0.8 if hosts or (labelled and s.split == "chronological") else None,
        llm=s.llm,
    )


def _hosts(s: RunSettings) -> bool:
    """Window sessions without ground-truth labels: splice synthetic paths into the first 80% of the windows
    (presumed normal, or normal by the weak rule), so that a synthetic session has a window's shape."""
    return s.sessions_by.startswith("window:") and not s.labels


def _models(s: RunSettings) -> list[str]:
    from anomalygen.detect.registry import parse_models

    return parse_models(s.models)


def _evaluate_settings(s: RunSettings) -> dict[str, object]:
    return {k: getattr(s, k) for k in ("ratios", "models", "split", "train_fractions", "seeds", "epochs", "calibrate")}


def _evaluate(s: RunSettings, r: Path) -> None:
    from anomalygen.checks import number_list
    from anomalygen.evaluate.api import EvaluateRequest, evaluate
    from anomalygen.evaluate.harness import EvalConfig

    ecfg = EvalConfig(
        models=_models(s),
        ratios=number_list(s.ratios, "--ratios", 0.0, 100.0),
        seeds=list(range(s.seeds)),
        split=s.split,
        test_fraction=0.2,
        train_fractions=number_list(s.train_fractions, "--train-fractions", 0.0, 1.0, low_open=True),
        epochs=s.epochs,
        verbose=False,
        jobs=default_jobs(),
        unseen=True,
        calibrate_auto=s.calibrate == "auto",
    )
    # the run's inventory: every statement's key, for the inventory-random control
    outcome = evaluate(
        EvaluateRequest(
            r / layout.SESSIONS,
            r / layout.EVALUATE,
            ecfg,
            r / layout.SYNTHETIC,
            inventory=r / layout.INVENTORY,
            on_info=print,
        )
    )
    print(outcome.files["summary_md"].read_text(encoding="utf-8"))


def _alarm_rates(s: RunSettings, r: Path) -> None:
    from anomalygen.detect.registry import UNSUPERVISED
    from anomalygen.evaluate.alarms import AlarmConfig, run_alarms

    acfg = AlarmConfig(models=[m for m in _models(s) if m in UNSUPERVISED], seeds=list(range(s.seeds)), epochs=s.epochs)
    rows = run_alarms(r / layout.SESSIONS, r / layout.SYNTHETIC, r / layout.EVALUATE, acfg)
    print(f"alarm rates: {len(rows)} runs; wrote {r / layout.EVALUATE_SUMMARY}")


def report(run_dir: Path) -> None:
    from anomalygen.report import build_report

    build_report(run_dir)


def _alarms(s: RunSettings, labels: Path, tree: SourceTree) -> None:
    from anomalygen.deploy.preview import preview_alarms

    preview_alarms(
        s.out, s.source, s.logs, labels, s.format, s.sessions_by, s.models, s.epochs, s.seed, tree, s.labels_conflict
    )
