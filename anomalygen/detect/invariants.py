"""Invariants Mining (Lou et al. ATC'10, as in loglizer): sparse integer linear relations between event counts."""

from __future__ import annotations

from itertools import combinations

import numpy as np

from anomalygen.detect.counts import CountDetector


class InvariantsMiningDetector(CountDetector):
    """Mines relations `sum(c_i * count_i) == 0` over up to `max_combination` events that hold in at least
    `percentage` of normal sessions; the score is the number of relations a session breaks.

    Coefficients are small integers (|c| <= `max_coefficient`, all non-zero), tried smallest first, against
    the distinct count vectors weighted by frequency. The search is greedy as in the paper: an event set whose
    subset already yields an invariant is skipped.
    Columns that never vary (the OOV column, in particular) become single-event invariants `count == const`.
    """

    name = "InvariantsMining"

    def __init__(
        self, percentage: float = 0.98, max_coefficient: int = 3, max_combination: int = 3, max_events: int = 40
    ):
        self.percentage = percentage
        self.max_coefficient = max_coefficient
        self.max_combination = max_combination
        self.max_events = max_events

    def fit(self, X, y=None):
        X, _ = self._prepare_fit(X, y)
        rows, weight = np.unique(self._fit_features(X), axis=0, return_counts=True)
        w = weight / weight.sum()
        m = rows.shape[1]
        invariants: list[tuple[tuple[int, ...], np.ndarray, float]] = []
        covered: list[frozenset] = []
        for j in range(m):
            vals = rows[:, j]
            share = {v: w[vals == v].sum() for v in np.unique(vals)}
            v_best = max(share, key=share.get)
            if share[v_best] >= self.percentage:
                invariants.append(((j,), np.array([1.0]), float(v_best)))
                covered.append(frozenset((j,)))
        # only frequent events take part in multi-event relations: bounds the combinatorial search
        freq = (rows > 0).T @ w
        active = sorted(
            int(j) for j in np.argsort(-freq)[: self.max_events] if freq[j] > 0 and frozenset((int(j),)) not in covered
        )
        for size in range(2, self.max_combination + 1):
            coefs = _coefficient_grid(size, self.max_coefficient)
            for cols in combinations(active, size):
                fs = frozenset(cols)
                if any(c <= fs for c in covered):
                    continue
                holds = (np.abs(rows[:, cols] @ coefs.T) < 1e-9).T @ w
                ok = np.flatnonzero(holds >= self.percentage)
                if len(ok):
                    invariants.append((cols, coefs[ok[0]], 0.0))
                    covered.append(fs)
        self.invariants_ = invariants
        self.threshold_ = 0.5  # any broken invariant
        return self

    def decision_function(self, X) -> np.ndarray:
        M = self._features(X)
        score = np.zeros(len(M))
        for cols, coef, const in self.invariants_:
            score += np.abs(M[:, cols] @ coef - const) > 1e-9
        return score

    def _save_state(self, st) -> None:
        super()._save_state(st)
        st.meta["invariants"] = [
            [list(map(int, cols)), [float(c) for c in coef], float(const)] for cols, coef, const in self.invariants_
        ]

    def _load_state(self, st) -> None:
        super()._load_state(st)
        self.invariants_ = [
            (tuple(cols), np.asarray(coef, dtype=np.float64), float(const))
            for cols, coef, const in st.meta["invariants"]
        ]


def _coefficient_grid(size: int, max_coef: int) -> np.ndarray:
    """Integer vectors with no zero entry, first entry positive, ordered by L1 norm so the simplest wins."""
    from itertools import product

    vals = [c for c in range(-max_coef, max_coef + 1) if c != 0]
    grid = [v for v in product(vals, repeat=size) if v[0] > 0 and np.gcd.reduce(np.abs(v)) == 1]
    grid.sort(key=lambda v: (sum(map(abs, v)), v))
    return np.array(grid, dtype=np.float64)
