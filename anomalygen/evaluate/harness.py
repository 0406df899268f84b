"""Baseline vs augmented: for each seed, split once, then train every detector on the real training sessions
plus `ratio * len(real training)` synthetic sessions, tune thresholds on a validation slice of the real
training data, and score the same test sessions."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np

from anomalygen.detect.registry import DETECTORS, DEEP, SEMANTIC, make_detector
from anomalygen.evaluate import keys as K
from anomalygen.evaluate import splits as S
from anomalygen.evaluate.metrics import anomaly_metrics, mcnemar
from anomalygen.logs.sessions_data import Session


@dataclass
class EvalConfig:
    models: list[str] = field(default_factory=lambda: list(DETECTORS))
    ratios: list[float] = field(default_factory=lambda: [0.0])
    seeds: list[int] = field(default_factory=lambda: [0])
    split: str = "random"  # random | chronological | given
    test_fraction: float = 0.2
    train_fractions: list[float] = field(default_factory=lambda: [1.0])
    val_fraction: float = 0.1
    epochs: int | None = None  # deep models only; None keeps each model's default
    semantic: str = "auto"
    tune_supervised: bool = False
    measure_memory: bool = False
    verbose: bool = False


@dataclass
class EvalResult:
    runs: list[dict]
    paired: list[dict]
    info: dict


def _split(cfg: EvalConfig, real: list[Session], labels: np.ndarray, seed: int):
    if cfg.split == "random":
        return S.random_split(len(real), cfg.test_fraction, seed)
    if cfg.split == "chronological":
        return S.chronological_split(np.array([s.order for s in real]), cfg.test_fraction)
    if cfg.split == "given":
        return S.given_split([s.split for s in real])
    raise ValueError(f"split must be random, chronological or given, not {cfg.split!r}")


def _sample_augment(pool: list[int], k: int, seed: int) -> np.ndarray:
    if k <= 0 or not pool:
        return np.zeros(0, dtype=np.int64)
    rng = np.random.default_rng(seed)
    # with replacement only when asked for more synthetic sessions than exist
    return rng.choice(np.asarray(pool), k, replace=k > len(pool))


def run_evaluation(
    cfg: EvalConfig,
    real: list[Session],
    synthetic: list[Session] | None = None,
    template_map: dict[str, str] | None = None,
    on_run: Callable[[dict], None] | None = None,
) -> EvalResult:
    for m in cfg.models:
        if m not in DETECTORS:
            raise ValueError(f"unknown model {m!r}; choose from {', '.join(DETECTORS)}")
    if not real:
        raise ValueError("the dataset has no sessions")
    synthetic = synthetic or []
    if any(r > 0 for r in cfg.ratios) and not synthetic:
        raise ValueError("ratios above 0 need synthetic sessions (--augment DIR)")
    tmap = template_map or {}
    field_ = K.real_key_field(real)
    X_real = [K.session_keys(s, field_, tmap) for s in real]
    X_syn = [K.session_keys(s, field_, tmap) for s in synthetic]
    y_real = np.array([s.label for s in real], dtype=np.int64)
    y_syn = np.array([s.label for s in synthetic], dtype=np.int64)
    texts = K.event_texts(real + synthetic, field_, tmap)
    info = {"key_field": field_, "n_real": len(real), "n_real_anomalous": int(y_real.sum()),
            "n_synthetic": len(synthetic), "n_synthetic_anomalous": int(y_syn.sum()),
            "semantic_backend": None, "ambiguous_test_anomalies": {}}
    runs, preds = [], {}
    for seed in cfg.seeds:
        pool, test = _split(cfg, real, y_real, seed)
        X_test, y_test = [X_real[i] for i in test], y_real[test]
        info["ambiguous_test_anomalies"][seed] = _ambiguous(X_real, y_real, pool, test)
        for frac in cfg.train_fractions:
            sub = S.stratified_subset(pool, y_real, frac, seed)
            tr, va = S.train_validation(sub, y_real, cfg.val_fraction, seed)
            X_val, y_val = [X_real[i] for i in va], y_real[va]
            for ratio in cfg.ratios:
                aug = _sample_augment(list(range(len(synthetic))), int(round(ratio * len(tr))), seed + 104729)
                for name in cfg.models:
                    det_cls = DETECTORS[name]
                    use = aug if det_cls.supervised else aug[y_syn[aug] == 0] if len(aug) else aug
                    X_fit = [X_real[i] for i in tr] + [X_syn[i] for i in use]
                    y_fit = np.concatenate([y_real[tr], y_syn[use]])
                    row = {"model": name, "seed": seed, "split": cfg.split, "train_fraction": frac,
                           "ratio": ratio, "n_train_real": len(tr), "n_train_real_anomalous": int(y_real[tr].sum()),
                           "n_synthetic_used": len(use), "n_synthetic_anomalous_used": int(y_syn[use].sum()),
                           "n_val": len(va), "n_test": len(test), "n_test_anomalous": int(y_test.sum()),
                           "supervised": det_cls.supervised}
                    params = {"random_state": seed, "verbose": cfg.verbose, "semantic": cfg.semantic,
                              "event_texts": texts}
                    if cfg.epochs is not None and name in DEEP:
                        params["epochs"] = cfg.epochs
                    det = make_detector(name, **params)
                    try:
                        pred, row_extra = _fit_score(det, X_fit, y_fit, X_val, y_val, X_test, cfg)
                    except ValueError as exc:  # e.g. one class only in a sparse supervised training set
                        row.update(status="skipped", error=str(exc))
                        runs.append(row)
                        if on_run:
                            on_run(row)
                        continue
                    row.update(row_extra, status="ok", **anomaly_metrics(y_test, pred))
                    if name in SEMANTIC:
                        info["semantic_backend"] = getattr(det, "semantic_backend_", None)
                    preds[(name, seed, frac, ratio)] = pred
                    runs.append(row)
                    if on_run:
                        on_run(row)
    paired = _paired(cfg, preds, real, y_real)
    info["config"] = asdict(cfg)
    return EvalResult(runs, paired, info)


def _fit_score(det, X_fit, y_fit, X_val, y_val, X_test, cfg):
    if cfg.measure_memory:
        tracemalloc.start()
    t0 = time.perf_counter()
    det.fit(X_fit, y_fit)
    if (not det.supervised or cfg.tune_supervised) and len(X_val):
        det.tune_threshold(X_val, y_val)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    pred = det.predict(X_test)
    predict_s = time.perf_counter() - t0
    extra = {"fit_s": round(fit_s, 3), "predict_s": round(predict_s, 3), "threshold": float(det.threshold_)}
    if cfg.measure_memory:
        extra["peak_python_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        tracemalloc.stop()
    if hasattr(det, "train_info_"):
        extra["epochs_run"] = det.train_info_["epochs_run"]
    return pred, extra


def _ambiguous(X, y, pool, test) -> int:
    """Test anomalies whose exact event sequence is labelled normal in the training pool: no session-level
    detector can get them right, which caps recall (the first-100k-lines HDFS sample has many)."""
    normal = {tuple(X[i]) for i in pool if y[i] == 0}
    return int(sum(1 for i in test if y[i] == 1 and tuple(X[i]) in normal))


def _paired(cfg, preds, real, y_real) -> list[dict]:
    out = []
    for seed in cfg.seeds:
        _, test = _split(cfg, real, y_real, seed)
        y_test = y_real[test]
        for (name, s, frac, ratio), pred in preds.items():
            if s != seed or ratio == 0 or (name, s, frac, 0.0) not in preds:
                continue
            base = preds[(name, s, frac, 0.0)]
            fb, fa = anomaly_metrics(y_test, base)["f1"], anomaly_metrics(y_test, pred)["f1"]
            out.append({"model": name, "seed": seed, "train_fraction": frac, "ratio": ratio,
                        "f1_baseline": fb, "f1_augmented": fa, "delta_f1": fa - fb,
                        **mcnemar(y_test, base, pred)})
    return out
