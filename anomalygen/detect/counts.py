"""Shared plumbing of the detectors that work on event-count vectors."""

from __future__ import annotations

import numpy as np

from anomalygen.detect.base import BaseDetector, check_sessions
from anomalygen.detect.features import CountFeaturizer
from anomalygen.detect.state import DetectorState, vocab_from_keys, vocab_keys
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

    def _save_state(self, st: DetectorState) -> None:
        st.meta["vocab"] = vocab_keys(self.vocab_)
        f = self.featurizer_
        if f.term_weighting == "tf-idf":
            st.arrays["idf"] = f.idf_
        if f.mean_ is not None:
            st.arrays["mean"] = f.mean_

    def _load_state(self, st: DetectorState) -> None:
        self.vocab_ = vocab_from_keys(st.meta["vocab"])
        f = CountFeaturizer(self.term_weighting, self.normalization)
        f.vocab_ = self.vocab_
        if "idf" in st.arrays:
            f.idf_ = st.arrays["idf"]
        f.mean_ = st.arrays.get("mean")
        self.featurizer_ = f
