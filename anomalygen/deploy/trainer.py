"""`anomalygen train`: one detector trained on real sessions (plus synthetic ones), its threshold chosen on a
validation split of the real sessions, saved as a model folder that `detect` and `load_detector` use.

Real sessions are formed by the same online sessionizer `detect` uses (with no idle limit, as in the `sessions`
command), so training and detection see identical sessions. Lines no statement prints are kept as one event,
`UNMATCHED`, rather than Drain3 clusters whose numbers would differ between runs.
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from anomalygen.checks import apart_from_inputs
from anomalygen.core.errors import InputError
from anomalygen.core.formats import LogFormat
from anomalygen.core.session_spec import SessionSpec
from anomalygen.deploy.explain import count_profile
from anomalygen.deploy.folder import ModelError, ModelFolder, check_out, save_model, sha256_file, statement_record
from anomalygen.deploy.online import UNMATCHED, OpenSession, Sessionizer, supports
from anomalygen.deploy.requests import TrainRequest
from anomalygen.jsonl import Skipped
from anomalygen.logs.parse import LogParser
from anomalygen.logs.reader import iter_chunks
from anomalygen.logs.sessions import load_labels, unmatched_labels
from anomalygen.settings import check, check_fields

if TYPE_CHECKING:
    pass


class TrainError(ValueError):
    """Bad input to `train`; the message is one line naming what is wrong."""


@dataclass
class TrainResult:
    out: Path
    detector: str
    threshold: float
    sessions: dict  # real / labelled / train / validation / synthetic counts
    validation: dict  # precision, recall, f1, false alarms at the chosen threshold (None without anomalies)
    read: dict  # lines read / parsed / rejected
    seconds: float
    holdout: list[OpenSession] = field(default_factory=list)  # with their lines' text, for a test of the model
    holdout_labels: list[int] = field(default_factory=list)


def resolve_inputs(req: TrainRequest) -> tuple[Path, list[Path], Path | None, str]:
    from anomalygen.core.example import example_logs, example_tree

    if req.source is None:
        logs = list(req.logs) or [example_logs() / "minisvc.log"]
        labels = req.labels or (example_logs() / "anomaly_label.csv" if not req.logs else None)
        return example_tree(), logs, labels, req.format or "zookeeper"
    if not req.logs:
        raise TrainError("--logs is needed with --source (the logs that source printed)")
    return Path(req.source), [Path(p) for p in req.logs], req.labels, req.format or "hdfs"


def real_sessions(
    statements, logs: list[Path], fmt: LogFormat, spec: SessionSpec, keep_events: int = 0
) -> tuple[list[OpenSession], dict]:
    parser = LogParser(statements, fmt, fallback=False)
    grouper = Sessionizer(spec, fmt, idle_lines=1 << 62, max_open=1 << 62, keep_events=keep_events)
    grouper.feed(parser.parse_chunks(iter_chunks(logs, parser.summary.read)))
    sessions = sorted(grouper.close_all(), key=lambda s: s.first)
    return sessions, parser.summary.read.to_dict()


def synthetic_sessions(req: TrainRequest, src: Path, tree, logs: list[Path], fmt: str) -> tuple[list, dict]:
    from anomalygen.core.datasets import load_augment_dir

    if req.augment is not None:
        syn = load_augment_dir(req.augment)
        info: dict[str, Any] = {"augment": str(req.augment)}
    elif req.synthesize > 0:
        from anomalygen.synthesis.api import GenerateRequest, generate

        with tempfile.TemporaryDirectory(prefix="anomalygen-synth-") as tmp:
            # real sessions seed the synthetic ones: never those held out
            made = generate(
                GenerateRequest(
                    Path(tmp),
                    src,
                    tree,
                    logs=list(logs),
                    format=fmt,
                    n=req.synthesize,
                    seed=req.seed,
                    sessions_by=req.sessions_by,
                    host_fraction=1.0 - req.holdout if req.holdout > 0 else None,
                )
            )
            for w in made.warnings:  # a session rule the synthetic sessions cannot follow, among others
                print(f"warning: generate: {w}", file=sys.stderr)
            syn = load_augment_dir(Path(tmp))
        info = {"synthesize": req.synthesize, "seed": req.seed}
    else:
        return [], {}
    if not all(s.has_event_ids for s in syn):
        raise TrainError("synthetic sessions must carry statement ids ('events'), as `anomalygen generate` writes")
    info["sessions"] = len(syn)
    info["anomalous"] = sum(s.label for s in syn)
    return syn, info


def _metrics(y: np.ndarray, pred: np.ndarray) -> dict:
    from sklearn.metrics import precision_recall_fscore_support

    if y.sum() == 0:
        return {"anomalies": 0, "false_alarms": int(pred.sum()), "precision": None, "recall": None, "f1": None}
    p, r, f, _ = precision_recall_fscore_support(y, pred, average="binary", zero_division=0)
    return {
        "anomalies": int(y.sum()),
        "false_alarms": int(((pred == 1) & (y == 0)).sum()),
        "precision": round(float(p), 4),
        "recall": round(float(r), 4),
        "f1": round(float(f), 4),
    }


def train(req: TrainRequest) -> TrainResult:
    """Read and check the inputs, form the real sessions, fit on their training part (plus synthetic ones),
    choose the threshold on the validation part, save the model folder."""
    from anomalygen.source.api import SourceTree

    t0 = time.perf_counter()
    src, logs, labels_path, fmt_spec, fmt, spec = _inputs(req)
    tree = req.tree or SourceTree.read(src)
    inv = tree.inventory
    sessions, read, label_map = _real(req, inv.statements, logs, labels_path, fmt_spec, fmt, spec)
    n_hold = round(len(sessions) * req.holdout)
    sessions, holdout = sessions[: len(sessions) - n_hold], sessions[len(sessions) - n_hold :]
    if not sessions:
        raise TrainError(f"--holdout {req.holdout} leaves no session to train on")
    X = [s.events for s in sessions]
    y = np.array([label_map.get(s.key, 0) for s in sessions], dtype=np.int64)
    from anomalygen.evaluate.splits import train_validation

    tr, va = train_validation(np.arange(len(X)), y, req.val_fraction, req.seed)
    syn, syn_info = synthetic_sessions(req, src, tree, logs, fmt_spec)
    X_fit = [X[i] for i in tr] + [s.events for s in syn]
    y_fit = np.concatenate([y[tr], np.array([s.label for s in syn], dtype=np.int64)])
    det = _fit(req, inv.statements, X_fit, y_fit)
    validation = _validate(det, [X[i] for i in va], y[va])
    counts = {
        "real": len(X),
        "train": len(tr),
        "validation": len(va),
        "anomalous": int(y.sum()),
        "synthetic": len(syn),
        "held_out": len(holdout),
    }
    manifest = _manifest(req, src, logs, labels_path, fmt_spec, read, syn_info, counts, holdout, validation)
    _save(req.out, det, manifest, inv.statements, X_fit, y_fit, req.force)
    return TrainResult(
        Path(req.out),
        req.model,
        float(det.threshold_),
        manifest["training"]["sessions"],
        validation,
        read,
        round(time.perf_counter() - t0, 2),
        holdout,
        [label_map.get(s.key, 0) for s in holdout],
    )


def _manifest(
    req: TrainRequest,
    src: Path,
    logs: list[Path],
    labels_path: Path | None,
    fmt_spec: str,
    read: dict,
    syn_info: dict,
    counts: dict,
    holdout: list[OpenSession],
    validation: dict,
) -> dict:
    """What the model folder records of its training data (digests included) and how `detect` reads logs."""
    return {
        "training": {
            "source": str(src),
            "logs": [{"path": str(p), "sha256": sha256_file(p)} for p in logs],
            "labels": {"path": str(labels_path), "sha256": sha256_file(labels_path)} if labels_path else None,
            "synthetic": syn_info,
            "read": read,
            "sessions": counts,
            "held_out_sessions": [s.key for s in holdout],
            "validation": validation,
            "seed": req.seed,
        },
        "detect": {"format": fmt_spec, "sessions_by": req.sessions_by, "idle_lines": req.idle_lines},
    }


def _inputs(req: TrainRequest) -> tuple[Path, list[Path], Path | None, str, LogFormat, SessionSpec]:
    """The request's inputs resolved (the example's by default) and checked, with its format and session rule."""
    from anomalygen.core.formats import FormatError
    from anomalygen.detect.registry import DETECTORS

    if req.model not in DETECTORS:
        raise TrainError(f"unknown detector {req.model!r}; choose from {', '.join(DETECTORS)}")
    try:
        check_fields(req, ("val_fraction", "holdout", "synthesize", "idle_lines", "seed"))
        if "epochs" in req.params:
            check("epochs", req.params["epochs"])
    except InputError as e:
        raise TrainError(str(e)) from None
    src, logs, labels_path, fmt_spec = resolve_inputs(req)
    for p in [src, *logs, *([labels_path] if labels_path else []), *([req.augment] if req.augment else [])]:
        if not Path(p).exists():
            raise TrainError(f"{p}: no such file or folder")
    try:  # before minutes of training: the model folder replaces whatever `out` was
        apart_from_inputs([req.out], [src, *logs, labels_path, req.augment])
        check_out(req.out, req.force)
    except (InputError, ModelError) as e:
        raise TrainError(str(e)) from None
    try:
        fmt = LogFormat.parse(fmt_spec)
        spec = SessionSpec.parse(req.sessions_by)
    except (FormatError, ValueError) as e:
        raise TrainError(str(e)) from None
    if not supports(req.sessions_by):
        raise TrainError(
            f"--sessions-by {req.sessions_by}: detect forms sessions by id, regex:, field: or window:count:N (no step)"
        )
    return src, logs, labels_path, fmt_spec, fmt, spec


def _real(
    req: TrainRequest,
    statements,
    logs: list[Path],
    labels_path: Path | None,
    fmt_spec: str,
    fmt: LogFormat,
    spec: SessionSpec,
) -> tuple[list[OpenSession], dict, dict[str, int]]:
    """The real sessions in log order (only the labelled ones when labels are given), what reading counted,
    and the labels."""
    try:
        sessions, read = real_sessions(statements, logs, fmt, spec, keep_events=256 if req.holdout > 0 else 0)
    except ValueError as e:  # a header field the format does not have
        raise TrainError(str(e)) from None
    if not sessions:
        raise TrainError(
            f"no session in {', '.join(map(str, logs))} (format {fmt_spec}, sessions by "
            f"{req.sessions_by}): is the format right?"
        )
    skipped = Skipped()
    label_map = load_labels(labels_path, skipped, req.labels_conflict) if labels_path else {}
    for line in skipped.lines(f"labels {labels_path}"):
        print(line, file=sys.stderr)
    warning = unmatched_labels(label_map, (s.key for s in sessions), labels_path) if label_map else None
    if warning and any(s.key in label_map for s in sessions):  # (none at all is an error, below)
        print(f"warning: {warning}", file=sys.stderr)
    if label_map:
        labelled = [s for s in sessions if s.key in label_map]
        if not labelled:
            raise TrainError(f"{labels_path}: labels none of the {len(sessions)} sessions of the logs")
        sessions = labelled
    return sessions, read, label_map


def _fit(req: TrainRequest, statements, X_fit: list, y_fit: np.ndarray):
    from anomalygen.detect.registry import make_detector

    texts = {s.id: s.template for s in statements}
    try:
        det = make_detector(req.model, {"random_state": req.seed, "event_texts": texts}, **req.params)
    except (TypeError, ValueError) as e:
        raise TrainError(f"{req.model}: {_given(req.params)}: {e}") from None
    if det.supervised and len(np.unique(y_fit)) < 2:
        raise TrainError(
            f"{req.model} is supervised: it needs labelled anomalies (--labels, or synthetic "
            "anomalous sessions via --augment/--synthesize)"
        )
    try:
        return det.fit(X_fit, y_fit)
    except ValueError as e:
        raise TrainError(f"{req.model}: {e}") from None
    except TypeError as e:  # a --param of the wrong type (`n_components=abc`) fails only where it is used
        if not req.params:
            raise
        raise TrainError(f"{req.model}: {_given(req.params)}: {e}") from None


def _given(params: dict) -> str:
    return "with " + ", ".join(f"--param {k}={v!r}" for k, v in sorted(params.items()))


def _validate(det, X_val: list, y_val: np.ndarray) -> dict:
    """Move the threshold to the best F1 on the validation sessions (when they hold anomalies); its metrics."""
    if len(X_val) and y_val.sum():
        det.tune_threshold(X_val, y_val)
    validation = _metrics(y_val, det.predict(X_val)) if len(X_val) else {}
    validation["sessions"] = len(X_val)
    return validation


def _save(out: Path, det, manifest: dict, statements, X_fit: list, y_fit: np.ndarray, force: bool) -> None:
    """The model folder: the manifest completed with what the fitted model knows, the vocabulary of the
    statements it saw, and the count profile of its normal sessions (for count explanations)."""
    by_id = {s.id: s for s in statements}
    known = sorted({e for s in X_fit for e in s})
    manifest["training"].update(
        {
            "events_known": len(known),
            "unmatched_event": UNMATCHED in known,
            "train_info": getattr(det, "train_info_", None),
        }
    )
    vocabulary = {k: statement_record(by_id[k]) for k in known if k in by_id}
    normal = [s for s, lab in zip(X_fit, y_fit, strict=True) if lab == 0]
    save_model(out, ModelFolder(det, manifest, statements, vocabulary, count_profile(normal)), force)
