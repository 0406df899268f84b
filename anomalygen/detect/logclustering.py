"""LogClustering (Lin et al. ICSE'16, as in loglizer): cluster normal sessions, flag ones far from every cluster."""

from __future__ import annotations

import numpy as np

from anomalygen.detect.counts import CountDetector


class LogClusteringDetector(CountDetector):
    """Idf-weighted, l2-normalised count vectors; agglomerative clustering (average linkage, cosine distance)
    of the distinct normal vectors cut at `max_dist`; the score is the cosine distance to the nearest centroid.

    Clustering runs on distinct vectors (at most `max_unique`, sampled with `random_state`), which keeps it
    cheap on logs where most sessions repeat a few shapes.
    """

    name = "LogClustering"

    def __init__(
        self, max_dist: float = 0.3, anomaly_threshold: float = 0.3, max_unique: int = 3000, random_state: int = 0
    ):
        self.max_dist = max_dist
        self.anomaly_threshold = anomaly_threshold
        self.max_unique = max_unique
        self.random_state = random_state
        self.term_weighting = "tf-idf"
        self.normalization = "l2"

    def fit(self, X, y=None):
        from scipy.cluster.hierarchy import fcluster, linkage

        X, _ = self._prepare_fit(X, y)
        M = np.unique(self._fit_features(X), axis=0)
        # an empty normal session (a server that printed nothing in a window) has a zero vector: no direction
        # for the cosine (scipy's linkage refuses it), so it is remembered apart, as normal
        zero = ~M.any(axis=1)
        self.zero_normal_ = bool(zero.any())
        M = M[~zero] if not zero.all() else M
        if len(M) > self.max_unique:
            rng = np.random.default_rng(self.random_state)
            M = M[rng.choice(len(M), self.max_unique, replace=False)]
        if len(M) == 1:
            centroids = M
        else:
            Z = linkage(M, method="average", metric="cosine")
            labels = fcluster(Z, t=self.max_dist, criterion="distance")
            centroids = np.stack([M[labels == c].mean(axis=0) for c in np.unique(labels)])
        norms = np.linalg.norm(centroids, axis=1, keepdims=True)
        self.centroids_ = centroids / np.where(norms == 0, 1.0, norms)
        self.threshold_ = self.anomaly_threshold
        return self

    def decision_function(self, X) -> np.ndarray:
        M = self._features(X)
        # an empty session has a zero vector: cosine distance 1 to everything, i.e. maximally unlike normal,
        # unless training held one
        score = 1.0 - (M @ self.centroids_.T).max(axis=1)
        if self.zero_normal_:
            score[~M.any(axis=1)] = 0.0
        return score

    def _save_state(self, st) -> None:
        super()._save_state(st)
        st.arrays["centroids"] = self.centroids_
        st.arrays["zero_normal"] = np.asarray([self.zero_normal_], dtype=np.int64)

    def _load_state(self, st) -> None:
        super()._load_state(st)
        self.centroids_ = st.arrays["centroids"]
        zero = st.arrays.get("zero_normal")
        self.zero_normal_ = bool(zero[0]) if zero is not None and len(zero) else False
