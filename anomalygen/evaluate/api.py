"""The evaluate stage as a function: a request (dataset, generator outputs, keys, settings) in, the written
results out. The command line (`evaluate/cli.py`) and `anomalygen run` are layers over `evaluate`."""

from __future__ import annotations

import json
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from anomalygen.core.datasets import load_augment_dir, load_dataset, resolve_dataset
from anomalygen.core.event_keys import KeyPlan, load_template_map, plan_keys
from anomalygen.core.sessions import DataFormatError, Session
from anomalygen.detect.semantic import resolve_backend
from anomalygen.evaluate import arms as A
from anomalygen.evaluate.harness import EvalConfig, EvalResult, run_evaluation, sources_from_sessions
from anomalygen.jsonl import Skipped
from anomalygen.manifest import file_digest
from anomalygen.settings import check

SESSION_MODEL = "session_model.json"


@dataclass
class EvaluateRequest:
    dataset: str | Path
    out: Path
    config: EvalConfig = field(default_factory=EvalConfig)
    augment: Path | None = None
    ablations: dict[str, Path] = field(default_factory=dict)  # arm name -> another generator output
    template_map: str | None = None  # None, "auto", or a JSON file {event key: template}
    source: Path | None = None  # Java tree: its statements key event-id data in `auto` mode
    inventory: Path | None = None  # or the inventory written by `anomalygen inventory`
    use_session_model: bool = True  # compose from each cell's training sessions when DIR has session_model.json
    on_run: Callable[[dict], None] | None = None
    on_info: Callable[[str], None] | None = None


@dataclass
class EvaluateOutcome:
    result: EvalResult
    files: dict[str, Path]
    manifest: dict
    plan: KeyPlan


def _statements(req: EvaluateRequest, augment_dirs: list[Path]):
    from anomalygen.source.api import statements_for

    if req.inventory is not None:
        return statements_for(None, req.inventory, None), str(req.inventory)
    src = req.source
    if src is None:  # the source the generator read, as its manifest names it
        for d in augment_dirs:
            man = d / "manifest.json"
            if man.is_file():
                cand = json.loads(man.read_text(encoding="utf-8")).get("inputs", {}).get("src")
                if cand and Path(cand).exists():
                    src = Path(cand)
                    break
    if src is None:
        return None, None
    return statements_for(Path(src), None, None), str(src)


def _composer(d: Path, use: bool):
    if not use or not d.is_dir() or not (d / SESSION_MODEL).is_file():
        return None
    from anomalygen.synthesis.compose import load_session_model

    return load_session_model(d / SESSION_MODEL)


def evaluate(req: EvaluateRequest) -> EvaluateOutcome:
    resolve_backend(req.config.semantic)  # a bad setting fails before the data is read, not after
    check("seeds", len(req.config.seeds), "--seeds")
    if req.config.epochs is not None:
        check("epochs", req.config.epochs)
    say = req.on_info or (lambda _msg: None)
    path = resolve_dataset(req.dataset)
    if not path.exists():
        raise DataFormatError(f"dataset {req.dataset!r} not found at {path}")
    started = time.time()
    skipped = Skipped()  # bad session records: left out, counted, named by file:line
    real = load_dataset(path, skipped)
    dirs = {A.SYNTHETIC: req.augment} if req.augment else {}
    dirs.update(req.ablations)
    loaded: dict[str, list[Session]] = {name: load_augment_dir(d, skipped) for name, d in dirs.items()}
    for line in skipped.lines("the session files"):
        say(line)
    statements, src = (None, None)
    if req.template_map == "auto" or req.inventory is not None or req.source is not None:
        statements, src = _statements(req, list(dirs.values()))
    everything = [s for ss in loaded.values() for s in ss]
    plan = plan_keys(
        real,
        everything,
        None if req.template_map in (None, "auto") else load_template_map(req.template_map),
        auto=req.template_map == "auto",
        statements=statements,
    )
    if src:
        plan.info["source"] = src
    say(_describe(plan))
    sources = {}
    for name, sessions in loaded.items():
        comp = _composer(dirs[name], req.use_session_model)
        sources[name] = sources_from_sessions(sessions, plan, name, comp)
        if comp is not None:
            say(
                f"{name}: normal sessions composed by the session model of {dirs[name]} from each cell's own "
                f"real normal training sessions"
            )
    inventory = sorted({plan.statement_keys([st.id])[0] for st in statements}) if statements else None
    result = run_evaluation(req.config, real, sources, plan, on_run=req.on_run, inventory=inventory)
    manifest = _manifest(req, path, dirs, result, started)
    from anomalygen.evaluate.report import write_report

    files = write_report(result, req.out, manifest)
    return EvaluateOutcome(result, files, manifest, plan)


def _describe(plan: KeyPlan) -> str:
    i = plan.info
    if plan.mode == "statements":
        return (
            f"keys: real events mapped to source statements ({i['real_events_mapped']} of {i['real_events']} "
            f"events; {i['statements_in_mapped_events']} statements); shared keys with synthetic data: "
            f"{i.get('shared_keys', 'n/a')}"
        )
    if plan.mode in ("real-events", "templates") and "synthetic_statements_mapped" in i:
        return (
            f"keys: {plan.mode}; {i['synthetic_statements_mapped']} synthetic statements matched a real event; "
            f"shared keys: {i.get('shared_keys', 'n/a')}"
        )
    return f"keys: {plan.mode}; shared keys: {i.get('shared_keys', 'n/a')}"


def _manifest(req: EvaluateRequest, path: Path, dirs: dict[str, Path], result: EvalResult, started: float) -> dict:
    import numpy
    import sklearn
    import torch

    def sessions_file(d: Path) -> Path:
        return d / "sessions.jsonl" if d.is_dir() else d

    return {
        "command": sys.argv,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(started)),
        "seconds": round(time.time() - started, 1),
        "inputs": {
            "dataset": str(path),
            "dataset_sha256": file_digest(path),
            "augment": {
                k: {
                    "path": str(d),
                    "sha256": file_digest(sessions_file(d)),
                    "session_model_sha256": file_digest(d / SESSION_MODEL) if d.is_dir() else None,
                }
                for k, d in dirs.items()
            },
            "template_map": req.template_map,
            "source": str(req.source) if req.source else None,
            "inventory": str(req.inventory) if req.inventory else None,
        },
        "data": {k: v for k, v in result.info.items() if k != "config"},
        "config": result.info["config"],
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "numpy": numpy.__version__,
            "scikit-learn": sklearn.__version__,
        },
    }
