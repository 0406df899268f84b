"""Session -> fixed-size features (event counts, tf-idf) and padded index tensors for sequence models."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from anomalygen.detect.vocab import EventVocabulary


def count_matrix(vocab: EventVocabulary, sessions: Sequence[Sequence[str]]) -> np.ndarray:
    """Rows are sessions, column 0 counts unseen events, column i counts event i."""
    X = np.zeros((len(sessions), len(vocab)), dtype=np.float64)
    for r, s in enumerate(sessions):
        idx = vocab.encode(s)
        if idx:
            np.add.at(X[r], idx, 1.0)
    return X


class CountFeaturizer:
    """Event-count vectors with optional tf-idf weighting and zero-mean / l2 normalisation (loglizer's options)."""

    def __init__(self, term_weighting: str | None = None, normalization: str | None = None):
        self.term_weighting = term_weighting
        self.normalization = normalization

    def fit(self, vocab: EventVocabulary, sessions: Sequence[Sequence[str]]) -> CountFeaturizer:
        self.vocab_ = vocab
        X = count_matrix(vocab, sessions)
        if self.term_weighting == "tf-idf":
            df = (X > 0).sum(axis=0)
            # +1 keeps columns never seen in training (the OOV column) finite and maximally rare
            self.idf_ = np.log((len(X) + 1) / (df + 1)) + 1.0
            X = X * self.idf_
        elif self.term_weighting not in (None, "none"):
            raise ValueError(f"term_weighting must be None or 'tf-idf', not {self.term_weighting!r}")
        self.mean_ = X.mean(axis=0) if self.normalization == "zero-mean" else None
        return self

    def transform(self, sessions: Sequence[Sequence[str]]) -> np.ndarray:
        X = count_matrix(self.vocab_, sessions)
        if self.term_weighting == "tf-idf":
            X = X * self.idf_
        if self.normalization == "zero-mean":
            X = X - self.mean_
        elif self.normalization == "l2":
            n = np.linalg.norm(X, axis=1, keepdims=True)
            X = X / np.where(n == 0, 1.0, n)
        return X


def pad_sequences(
    vocab: EventVocabulary, sessions: Sequence[Sequence[str]], max_len: int, add_eos: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Index matrix (n, L) right-padded with `vocab.pad_index`, and true lengths.

    Sessions longer than `max_len` keep their first `max_len` events (the end marker, if any, then falls off:
    a truncated session is not claimed to have ended).
    """
    enc = [vocab.encode(s) + ([vocab.eos_index] if add_eos else []) for s in sessions]
    lengths = np.array([min(len(e), max_len) for e in enc], dtype=np.int64)
    L = max(1, int(lengths.max()) if len(enc) else 1)
    out = np.full((len(enc), L), vocab.pad_index, dtype=np.int64)
    for i, e in enumerate(enc):
        out[i, : lengths[i]] = e[: lengths[i]]
    return out, lengths
