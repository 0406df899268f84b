from __future__ import annotations

import numpy as np

from anomalygen.evaluate import splits as S
from anomalygen.evaluate.metrics import anomaly_metrics, mcnemar


def test_random_split_is_seeded_disjoint_and_complete():
    a_tr, a_te = S.random_split(100, 0.2, seed=1)
    _b_tr, b_te = S.random_split(100, 0.2, seed=1)
    c_tr, _ = S.random_split(100, 0.2, seed=2)
    assert np.array_equal(a_te, b_te) and not np.array_equal(a_tr, c_tr)
    assert len(a_te) == 20 and set(a_tr) | set(a_te) == set(range(100)) and not set(a_tr) & set(a_te)


def test_chronological_split_has_no_look_ahead():
    order = np.array([5, 1, 4, 2, 3, 0, 9, 8, 7, 6])
    tr, te = S.chronological_split(order, 0.3)
    assert order[tr].max() < order[te].min()


def test_sparse_subset_keeps_both_classes_and_validation_gets_an_anomaly():
    labels = np.array([0] * 990 + [1] * 10)
    idx = np.arange(1000)
    sub = S.stratified_subset(idx, labels, 0.01, seed=0)
    assert labels[sub].sum() == 1 and (labels[sub] == 0).sum() == 10
    sub5 = S.stratified_subset(idx, labels, 0.2, seed=0)
    tr, va = S.train_validation(sub5, labels, 0.1, seed=0)
    assert labels[va].sum() >= 1 and labels[tr].sum() >= 1 and not set(tr) & set(va)


def test_metrics_on_the_anomaly_class():
    m = anomaly_metrics([1, 1, 0, 0, 0], [1, 0, 1, 0, 0])
    assert (m["tp"], m["fp"], m["fn"], m["false_alarms"]) == (1, 1, 1, 1)
    assert m["precision"] == 0.5 and m["recall"] == 0.5 and m["f1"] == 0.5
    assert anomaly_metrics([0, 0], [0, 0])["f1"] == 0.0


def test_mcnemar_counts_discordant_sessions():
    y = np.array([1, 1, 1, 1, 1, 1, 1, 1, 0, 0])
    a = np.zeros(10, dtype=int)
    b = y.copy()
    r = mcnemar(y, a, b)
    assert r["a_only_correct"] == 0 and r["b_only_correct"] == 8 and r["p_value"] < 0.01
    assert mcnemar(y, b, b)["p_value"] == 1.0


def test_validation_floor_draws_from_the_unused_training_pool_only():
    labels = np.array([0] * 900 + [1] * 100)
    pool, test = S.random_split(1000, 0.2, seed=3)
    sub = S.stratified_subset(pool, labels, 0.01, seed=3)
    tr, va = S.train_validation(sub, labels, 0.1, seed=3)
    assert (labels[va] == 0).sum() < 200
    va2 = S.top_up_validation(va, pool, sub, labels, 200, 50, seed=3)
    assert (labels[va2] == 0).sum() == 200 and (labels[va2] == 1).sum() == 50
    assert not set(va2) & set(tr) and not set(va2) & set(test) and set(va) <= set(va2)
    assert np.array_equal(va2, S.top_up_validation(va, pool, sub, labels, 200, 50, seed=3))
    small = S.top_up_validation(va, pool, sub, labels, 10_000, 0, seed=3)  # not more than the pool holds
    assert (labels[small] == 0).sum() == (labels[np.setdiff1d(pool, sub)] == 0).sum() + (labels[va] == 0).sum()


def test_prior_weighted_f1_discounts_an_anomaly_heavy_test_set():
    y = np.array([1] * 67 + [0] * 33)
    flag_all = np.ones(100, dtype=int)
    m = anomaly_metrics(y, flag_all, prior=0.029)
    assert abs(m["f1"] - 2 * 0.67 / 1.67) < 1e-9  # flagging everything looks good on the raw share
    assert abs(m["f1_prior"] - 2 * 0.029 / 1.029) < 1e-9 and m["fpr"] == 1.0
    perfect = anomaly_metrics(y, y, prior=0.029)
    assert perfect["f1_prior"] == 1.0 and perfect["fpr"] == 0.0
