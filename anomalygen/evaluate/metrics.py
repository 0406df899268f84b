"""Metrics on the anomaly class, re-weighted to a stated anomaly prior, and the paired test of two detectors
on the same sessions (scikit-learn and scipy do the arithmetic)."""

from __future__ import annotations

import numpy as np
from scipy.stats import binomtest
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from anomalygen.detect.base import best_f1_threshold


def prior_weights(y_true, prior: float) -> np.ndarray:
    """Per-session weights that make anomalies `prior` of the total weight (and normals 1 - prior), so that a
    test set far more anomalous than the system's logs (full HDFS_v1's event sets are 67% anomalous; its logs
    2.9%) scores like one with the real share."""
    y = np.asarray(y_true, dtype=bool)
    n_a, n_n = int(y.sum()), int((~y).sum())
    w = np.empty(len(y), dtype=np.float64)
    w[y] = prior / n_a if n_a else 0.0
    w[~y] = (1.0 - prior) / n_n if n_n else 0.0
    return w


def anomaly_metrics(y_true, y_pred, prior: float | None = None) -> dict:
    """precision / recall / F1 of the anomaly class, false alarms and their rate among normal sessions; with a
    prior, `precision_prior` and `f1_prior` as if anomalies were that share of the sessions (recall and the
    false-positive rate do not depend on the share)."""
    y, p = np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
    tn, fp, fn, tp = (int(v) for v in confusion_matrix(y, p, labels=[0, 1]).ravel())
    prec, rec, f1, _ = precision_recall_fscore_support(y, p, labels=[1], average=None, zero_division=0.0)
    out = {
        "precision": float(prec[0]),
        "recall": float(rec[0]),
        "f1": float(f1[0]),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "false_alarms": fp,
        "fpr": fp / (fp + tn) if fp + tn else 0.0,
    }
    if prior is not None:
        pw, _, fw, _ = precision_recall_fscore_support(
            y, p, labels=[1], average=None, zero_division=0.0, sample_weight=prior_weights(y, prior)
        )
        out["precision_prior"], out["f1_prior"] = float(pw[0]), float(fw[0])
    return out


def mcnemar(y_true, pred_a, pred_b) -> dict:
    """Exact McNemar test: `a_only` sessions only A gets right, `b_only` only B; two-sided binomial p-value."""
    y = np.asarray(y_true, dtype=bool)
    ra, rb = np.asarray(pred_a, dtype=bool) == y, np.asarray(pred_b, dtype=bool) == y
    a_only, b_only = int(np.sum(ra & ~rb)), int(np.sum(~ra & rb))
    n = a_only + b_only
    p = float(binomtest(min(a_only, b_only), n, 0.5).pvalue) if n else 1.0
    return {"a_only_correct": a_only, "b_only_correct": b_only, "p_value": p}


def mean_std(values) -> tuple[float, float]:
    v = np.asarray(list(values), dtype=np.float64)
    if len(v) == 0:
        return float("nan"), float("nan")
    return float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else 0.0


def tuned_threshold(scores: np.ndarray, y: np.ndarray, default: float, prior: float | None) -> float:
    """The validation cut with the best F1; with a prior, the best F1 re-weighted to that anomaly share, so the
    cut is chosen for the metric that is reported (an anomaly-heavy validation set would otherwise pull it low)."""
    if prior is None:
        return best_f1_threshold(scores, y, default)
    scores = np.asarray(scores, dtype=np.float64)
    w = prior_weights(y, prior)
    uniq = np.unique(scores)
    cands = np.concatenate(([default], (uniq[:-1] + uniq[1:]) / 2, [uniq[0] - 1.0]))
    pos = y == 1
    wpos = float(w[pos].sum())
    best, best_f1 = default, -1.0
    for t in cands:
        flag = scores > t
        tp = float(w[flag & pos].sum())
        denom = float(w[flag].sum()) + wpos
        f1 = 2 * tp / denom if denom else 0.0
        if f1 > best_f1 + 1e-12:
            best, best_f1 = float(t), f1
    return best
