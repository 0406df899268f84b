"""What a deployed detector would flag, for the run report: one detector trained as `anomalygen train` does
(real + the run's synthetic sessions, threshold on validation data), then scored on the last fifth of the real
sessions, which it never saw; the top alarms with their explanations go to `alarms/alarms.json`."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

from anomalygen.core import layout
from anomalygen.deploy.detector import Detector
from anomalygen.deploy.folder import load_model
from anomalygen.deploy.trainer import TrainRequest, train

TOP = 10
HOLDOUT = 0.2


def pick_model(models: str) -> str:
    """DeepLog when the run evaluates it (its explanations point at single lines), else the first named."""
    from anomalygen.detect.registry import parse_models

    names = parse_models(models)
    return "DeepLog" if "DeepLog" in names else names[0]


def preview_alarms(
    run_dir: Path,
    source: Path,
    logs: list[Path],
    labels: Path,
    fmt: str,
    sessions_by: str,
    models: str,
    epochs: int,
    seed: int,
    tree=None,
    labels_conflict: str = "error",
) -> Path:
    """`tree`: the source already read (a `SourceTree`), as `run` passes it."""
    run_dir = Path(run_dir)
    synthetic = run_dir / layout.SYNTHETIC
    model = pick_model(models)
    from anomalygen.detect.registry import DETECTORS

    params = {"epochs": epochs} if "epochs" in inspect.signature(DETECTORS[model].__init__).parameters else {}
    res = train(
        TrainRequest(
            model=model,
            source=source,
            logs=logs,
            labels=labels,
            format=fmt,
            sessions_by=sessions_by,
            augment=synthetic if (synthetic / "sessions.jsonl").exists() else None,
            out=run_dir / layout.MODEL,
            params=params,
            seed=seed,
            holdout=HOLDOUT,
            tree=tree,
            labels_conflict=labels_conflict,
        )
    )
    det = Detector(load_model(res.out))
    verdicts = det.judge(res.holdout)
    labels_of = dict(zip((s.key for s in res.holdout), res.holdout_labels, strict=True))
    alarms = sorted((v for v in verdicts if v.anomalous), key=lambda v: (-v.score, v.session))
    doc = {
        "detector": model,
        "threshold": det.threshold,
        "model": str(res.out),
        "test_sessions": len(verdicts),
        "test_anomalies": sum(res.holdout_labels),
        "alarms": len(alarms),
        "alarms_labelled_anomalous": sum(labels_of[v.session] for v in alarms),
        "anomalies_missed": sum(1 for v in verdicts if not v.anomalous and labels_of[v.session]),
        "validation": res.validation,
        "top": [{**v.to_dict(), "label": labels_of[v.session]} for v in alarms[:TOP]],
    }
    out = run_dir / layout.ALARMS / "alarms.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(out)
    return out
