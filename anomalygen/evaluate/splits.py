"""Index splits. Every random choice takes a seed; the test set depends only on (split kind, seed), so runs
with and without augmentation are scored on identical test sessions."""

from __future__ import annotations

import numpy as np


def random_split(n: int, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """deep-loglizer style: shuffle all sessions, the last `test_fraction` is the test set."""
    perm = np.random.default_rng(seed).permutation(n)
    k = round(n * (1 - test_fraction))
    return np.sort(perm[:k]), np.sort(perm[k:])


def chronological_split(order: np.ndarray, test_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """The earliest sessions train, the latest test (no look-ahead); ties keep file order."""
    idx = np.argsort(np.asarray(order), kind="stable")
    k = round(len(idx) * (1 - test_fraction))
    return np.sort(idx[:k]), np.sort(idx[k:])


def given_split(splits: list[str | None]) -> tuple[np.ndarray, np.ndarray]:
    s = np.array([x or "" for x in splits])
    train, test = np.flatnonzero(s == "train"), np.flatnonzero(s == "test")
    if len(train) == 0 or len(test) == 0:
        raise ValueError("split 'given' needs sessions marked split=train and split=test in the dataset")
    return train, test


def stratified_subset(idx: np.ndarray, labels: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """`fraction` of `idx` drawn per class, keeping at least one session of each class present
    (a sparse training set still has to contain what it is being asked to learn)."""
    if fraction >= 1.0:
        return np.asarray(idx)
    rng = np.random.default_rng(seed)
    out = []
    for c in (0, 1):
        members = idx[labels[idx] == c]
        if len(members) == 0:
            continue
        k = max(1, round(len(members) * fraction))
        out.append(rng.choice(members, k, replace=False))
    return np.sort(np.concatenate(out)) if out else np.asarray(idx[:0])


def train_validation(idx: np.ndarray, labels: np.ndarray, val_fraction: float, seed: int):
    """Stratified split of the training indices; validation gets at least one anomaly when there are two or
    more, so thresholds can be tuned without touching the test set."""
    rng = np.random.default_rng(seed + 7919)
    train, val = [], []
    for c in (0, 1):
        members = rng.permutation(idx[labels[idx] == c])
        k = round(len(members) * val_fraction)
        if k == 0 and len(members) >= 2:
            k = 1
        val.append(members[:k])
        train.append(members[k:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(val))


def top_up_validation(
    val: np.ndarray,
    pool: np.ndarray,
    used: np.ndarray,
    labels: np.ndarray,
    min_normal: int,
    min_anomalous: int,
    seed: int,
) -> np.ndarray:
    """Validation with at least `min_normal` normal and `min_anomalous` anomalous sessions where the pool has
    them: the missing ones are drawn from the part of the training pool no detector trains on (`pool` minus
    `used`), never from the test set. A threshold picked on 10 normal sessions (a 1% training share) swings
    with every seed; on 200 it holds still."""
    rng = np.random.default_rng(seed + 15485863)
    unused = np.setdiff1d(pool, used)
    extra = []
    for c, floor in ((0, min_normal), (1, min_anomalous)):
        need = floor - int(np.sum(labels[val] == c))
        members = unused[labels[unused] == c]
        if need > 0 and len(members):
            extra.append(rng.choice(members, min(need, len(members)), replace=False))
    return np.sort(np.concatenate([val, *extra])) if extra else val
