"""Shared plumbing of the detectors that work on event-count vectors."""

from __future__ import annotations

import numpy as np

from anomalygen.detect.base import BaseDetector, check_sessions
from anomalygen.detect.features import CountFeaturizer
from anomalygen.detect.vocab import EventVocabulary


class CountDetector(BaseDetector):
    term_weighting: str | None = None
    normalization: str | None = None

    def _fit_features(self, X) -> np.ndarray:
        self.vocab_ = EventVocabulary().fit(X)
        self.featurizer_ = CountFeaturizer(self.term_weighting, self.normalization).fit(self.vocab_, X)
        return self.featurizer_.transform(X)

    def _features(self, X) -> np.ndarray:
        if not hasattr(self, "featurizer_"):
            raise RuntimeError(f"{self.name}: call fit before decision_function/predict")
        return self.featurizer_.transform(check_sessions(X))
