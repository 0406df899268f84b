"""Metrics on the anomaly class and the paired test of two detectors on the same sessions."""

from __future__ import annotations

from math import comb

import numpy as np


def anomaly_metrics(y_true, y_pred) -> dict:
    y, p = np.asarray(y_true, dtype=bool), np.asarray(y_pred, dtype=bool)
    tp, fp, fn = int(np.sum(p & y)), int(np.sum(p & ~y)), int(np.sum(~p & y))
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return {"precision": prec, "recall": rec, "f1": f1, "tp": tp, "fp": fp, "fn": fn,
            "tn": int(np.sum(~p & ~y)), "false_alarms": fp}


def mcnemar(y_true, pred_a, pred_b) -> dict:
    """Exact McNemar test: `a_only` sessions only A gets right, `b_only` only B; two-sided binomial p-value."""
    y = np.asarray(y_true, dtype=bool)
    ra, rb = np.asarray(pred_a, dtype=bool) == y, np.asarray(pred_b, dtype=bool) == y
    a_only, b_only = int(np.sum(ra & ~rb)), int(np.sum(~ra & rb))
    n, k = a_only + b_only, min(a_only, b_only)
    p = min(1.0, 2 * sum(comb(n, i) for i in range(k + 1)) / 2**n) if n else 1.0
    return {"a_only_correct": a_only, "b_only_correct": b_only, "p_value": p}


def mean_std(values) -> tuple[float, float]:
    v = np.asarray(list(values), dtype=np.float64)
    if len(v) == 0:
        return float("nan"), float("nan")
    return float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else 0.0
