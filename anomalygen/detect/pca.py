"""PCA detector (Xu et al. SOSP'09, as in loglizer): distance to the normal subspace, cut by the Q-statistic."""

from __future__ import annotations

import numpy as np

from anomalygen.detect.counts import CountDetector


class PCADetector(CountDetector):
    """Squared prediction error (SPE) of a session's count vector off the principal subspace of training data.

    The threshold is Jackson & Mudholkar's Q-statistic at confidence `c_alpha` (3.2905 = 99.95%). An unseen
    event lands in the OOV column, which had no training variance, so it shows up as residual.
    """

    name = "PCA"

    def __init__(
        self,
        n_components: float | int = 0.95,
        c_alpha: float = 3.2905,
        term_weighting: str | None = "tf-idf",
        normalization: str | None = "zero-mean",
    ):
        self.n_components = n_components
        self.c_alpha = c_alpha
        self.term_weighting = term_weighting
        self.normalization = normalization

    def fit(self, X, y=None):
        X, _ = self._prepare_fit(X, y)
        M = self._fit_features(X)
        n, m = M.shape
        cov = M.T @ M / max(1, n)
        eigval, eigvec = np.linalg.eigh(cov)
        order = np.argsort(eigval)[::-1]
        eigval, eigvec = np.clip(eigval[order], 0, None), eigvec[:, order]
        k = self.n_components
        if isinstance(k, float) and k < 1:
            total = eigval.sum()
            k = int(np.searchsorted(np.cumsum(eigval) / total, k) + 1) if total > 0 else 1
        k = int(min(max(1, k), m))
        self.k_ = k
        P = eigvec[:, :k]
        self.residual_proj_ = np.eye(m) - P @ P.T
        phi = [np.sum(eigval[k:] ** i) for i in (1, 2, 3)]
        if phi[0] <= 1e-12:
            self.threshold_ = 1e-9  # training data lies exactly in the subspace: any residual is anomalous
        else:
            h0 = 1.0 - 2 * phi[0] * phi[2] / (3.0 * phi[1] ** 2)
            h0 = h0 if h0 > 1e-6 else 1e-6
            self.threshold_ = float(
                phi[0]
                * np.power(
                    self.c_alpha * np.sqrt(2 * phi[1] * h0**2) / phi[0] + 1.0 + phi[1] * h0 * (h0 - 1) / phi[0] ** 2,
                    1.0 / h0,
                )
            )
        return self

    def decision_function(self, X) -> np.ndarray:
        R = self._features(X) @ self.residual_proj_
        return np.sum(R * R, axis=1)

    def _save_state(self, st) -> None:
        super()._save_state(st)
        st.meta["k"] = self.k_
        st.arrays["residual_proj"] = self.residual_proj_

    def _load_state(self, st) -> None:
        super()._load_state(st)
        self.k_ = int(st.meta["k"])
        self.residual_proj_ = st.arrays["residual_proj"]
