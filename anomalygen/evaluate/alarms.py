"""Evaluation without labels: how many alarms would each detector raise on data presumed normal?

The sessions are split chronologically (the first part trains, the last `test_fraction` is held out). Each
unsupervised detector is trained on the real training sessions alone ("real only") and with the synthetic
normal sessions added ("+ synthetic", as many as the real ones, sampled with the seed), at its natural threshold
(no labels to tune one), and its alarm rate on the held-out sessions is reported. Nothing here says whether an
alarm is right: on a log presumed normal, a lower rate means fewer false alarms only if the presumption holds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from anomalygen.core.sessions import DataFormatError
from anomalygen.detect.registry import DEEP, DETECTORS, UNSUPERVISED, make_detector
from anomalygen.jsonl import read_jsonl

ARMS = ("real only", "+ synthetic")


@dataclass
class AlarmConfig:
    models: list[str] = field(default_factory=lambda: list(UNSUPERVISED))
    seeds: list[int] = field(default_factory=lambda: [0])
    test_fraction: float = 0.2
    epochs: int | None = None


def read_events(path: Path, normal_only: bool = False) -> list[list[str]]:
    """Event lists of a sessions JSONL whatever its labels (null allowed); `normal_only` keeps label 0/Normal."""
    out = []
    for n, obj in read_jsonl(Path(path), DataFormatError):
        ev = obj.get("events", obj.get("templates"))
        if not isinstance(ev, list):
            raise DataFormatError(f"{path}:{n}: needs an 'events' list")
        if normal_only and str(obj.get("label")).lower() not in ("0", "normal"):
            continue
        out.append([str(e) for e in ev])
    return out


def fit_predict(
    model: str, seed: int, X_train: list[list[str]], X_test: list[list[str]], epochs: int | None = None
) -> np.ndarray:
    """0/1 alarms of `model` trained on X_train (all presumed normal) at its natural threshold."""
    params = {"random_state": seed, "verbose": False}
    if epochs is not None and model in DEEP:
        params["epochs"] = epochs
    det = make_detector(model, params)
    det.fit(X_train)
    return np.asarray(det.predict(X_test), dtype=np.int64)


def sample_synthetic(synthetic: list[list[str]], k: int, seed: int) -> list[list[str]]:
    if k <= 0 or not synthetic:
        return []
    rng = np.random.default_rng(seed + 104729)
    idx = rng.choice(len(synthetic), k, replace=k > len(synthetic))
    return [synthetic[i] for i in idx]


def alarm_rates(real: list[list[str]], synthetic: list[list[str]], cfg: AlarmConfig) -> list[dict]:
    """One row per (model, seed, arm): alarms on the held-out last part of `real`."""
    if len(real) < 5:
        raise ValueError(f"{len(real)} sessions: too few to hold any out")
    cut = round(len(real) * (1 - cfg.test_fraction))
    train, test = real[:cut], real[cut:]
    rows = []
    for seed in cfg.seeds:
        extra = sample_synthetic(synthetic, len(train), seed)
        for model in cfg.models:
            if DETECTORS[model].supervised:
                raise ValueError(f"{model} is supervised: it needs labels")
            for arm, X in ((ARMS[0], train), (ARMS[1], train + extra)):
                if arm == ARMS[1] and not extra:
                    continue
                pred = fit_predict(model, seed, X, test, cfg.epochs)
                rows.append(
                    {
                        "model": model,
                        "seed": seed,
                        "arm": arm,
                        "n_train_real": len(train),
                        "n_synthetic": len(X) - len(train),
                        "n_test": len(test),
                        "alarms": int(pred.sum()),
                        "alarm_rate": round(float(pred.mean()), 4),
                    }
                )
    return rows


def summary_markdown(rows: list[dict], note: str = "") -> str:
    models = list(dict.fromkeys(r["model"] for r in rows))
    first = rows[0] if rows else {}
    lines = [
        "## Alarm rates on held-out sessions presumed normal (no labels)",
        "",
        f"Chronological split: {first.get('n_train_real', 0)} sessions train, the last {first.get('n_test', 0)} "
        "are held out; each detector at its natural threshold; mean over seeds. An alarm here is a false "
        "alarm only if the held-out part is normal: no label was used. " + note,
        "",
        "| detector | alarm rate, real only | alarm rate, + synthetic |",
        "|---|---|---|",
    ]
    for m in models:
        cells = []
        for arm in ARMS:
            got = [r for r in rows if r["model"] == m and r["arm"] == arm]
            cells.append(
                f"{np.mean([r['alarm_rate'] for r in got]):.3f} "
                f"({np.mean([r['alarms'] for r in got]):.1f} of {got[0]['n_test']})"
                if got
                else "-"
            )
        lines.append(f"| {m} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines) + "\n"


def run_alarms(sessions: Path, synthetic_dir: Path | None, out: Path, cfg: AlarmConfig) -> list[dict]:
    """The `anomalygen run` stage: rows to OUT/alarm_rates.json, the table to OUT/summary.md."""
    real = read_events(sessions)
    syn_path = synthetic_dir / "sessions.jsonl" if synthetic_dir is not None else None
    synthetic = read_events(syn_path, normal_only=True) if syn_path is not None and syn_path.is_file() else []
    rows = alarm_rates(real, synthetic, cfg)
    out.mkdir(parents=True, exist_ok=True)
    (out / "alarm_rates.json").write_text(
        json.dumps({"config": cfg.__dict__, "rows": rows}, indent=1) + "\n", encoding="utf-8"
    )
    note = "" if synthetic else "No synthetic session was available, so only the real-only arm ran."
    (out / "summary.md").write_text(summary_markdown(rows, note), encoding="utf-8")
    return rows
