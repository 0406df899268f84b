"""Supervised scikit-learn classifiers on event-count vectors (loglizer's LR, SVM, decision tree; LightAD's KNN)."""

from __future__ import annotations

import numpy as np

from anomalygen.detect.counts import CountDetector
from anomalygen.detect.state import EstimatorState


class _SklearnClassifier(EstimatorState, CountDetector):
    supervised = True
    threshold_default = 0.0

    def _estimator(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def fit(self, X, y=None):
        X, y = self._prepare_fit(X, y)
        M = self._fit_features(X)
        self.model_ = self._estimator().fit(M, y)
        self.threshold_ = self.threshold_default
        return self

    def decision_function(self, X) -> np.ndarray:
        M = self._features(X)
        if hasattr(self.model_, "decision_function"):
            return np.asarray(self.model_.decision_function(M), dtype=np.float64)
        return self.model_.predict_proba(M)[:, 1]


class LogisticRegressionDetector(_SklearnClassifier):
    name = "LR"

    def __init__(
        self, C: float = 100.0, term_weighting: str | None = "tf-idf", class_weight=None, random_state: int = 0
    ):
        self.C = C
        self.term_weighting = term_weighting
        self.class_weight = class_weight
        self.random_state = random_state

    def _estimator(self):
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(
            C=self.C, class_weight=self.class_weight, max_iter=2000, random_state=self.random_state
        )


class LinearSVMDetector(_SklearnClassifier):
    name = "SVM"

    def __init__(self, C: float = 1.0, term_weighting: str | None = "tf-idf", class_weight=None, random_state: int = 0):
        self.C = C
        self.term_weighting = term_weighting
        self.class_weight = class_weight
        self.random_state = random_state

    def _estimator(self):
        from sklearn.svm import LinearSVC

        return LinearSVC(C=self.C, class_weight=self.class_weight, max_iter=20000, random_state=self.random_state)


class DecisionTreeDetector(_SklearnClassifier):
    name = "DecisionTree"
    threshold_default = 0.5

    def __init__(
        self,
        max_depth: int | None = None,
        term_weighting: str | None = "tf-idf",
        class_weight=None,
        random_state: int = 0,
    ):
        self.max_depth = max_depth
        self.term_weighting = term_weighting
        self.class_weight = class_weight
        self.random_state = random_state

    def _estimator(self):
        from sklearn.tree import DecisionTreeClassifier

        return DecisionTreeClassifier(
            max_depth=self.max_depth, class_weight=self.class_weight, random_state=self.random_state
        )


class KNNDetector(_SklearnClassifier):
    name = "KNN"
    threshold_default = 0.5

    def __init__(self, n_neighbors: int = 1, term_weighting: str | None = "tf-idf"):
        self.n_neighbors = n_neighbors
        self.term_weighting = term_weighting

    def fit(self, X, y=None):
        if y is not None and 0 < len(X) < self.n_neighbors:
            raise ValueError(f"KNN: n_neighbors={self.n_neighbors} exceeds the {len(X)} training sessions")
        return super().fit(X, y)

    def _estimator(self):
        from sklearn.neighbors import KNeighborsClassifier

        return KNeighborsClassifier(n_neighbors=self.n_neighbors)
