"""Base of the supervised deep session classifiers (LogRobust, CNN): padded event sequences -> P(anomalous)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from anomalygen.detect.base import BaseDetector, check_sessions
from anomalygen.detect.features import pad_sequences
from anomalygen.detect.state import DetectorState, load_module, module_tensors, vocab_from_keys, vocab_keys
from anomalygen.detect.torch_train import batched, train_model
from anomalygen.detect.vocab import EventVocabulary


class SessionClassifierDetector(BaseDetector):
    """Sessions longer than `max_len` keep their first `max_len` events; an empty session is all padding and
    gets whatever probability the model gives the empty input. Classes are weighted by inverse frequency when
    `class_weight="balanced"`, since anomalies are rare."""

    supervised = True
    tags = frozenset({"deep"})

    def _build(self) -> torch.nn.Module:  # pragma: no cover - abstract
        raise NotImplementedError

    def _prepare_vocab(self, X) -> None:
        pass

    def _save_state(self, st: DetectorState) -> None:
        st.meta["vocab"] = vocab_keys(self.vocab_)
        st.tensors.update(module_tensors(self.model_))

    def _load_state(self, st: DetectorState) -> None:
        self.vocab_ = vocab_from_keys(st.meta["vocab"])
        self._restore_vocab(st)
        self.model_ = load_module(self._build(), st.tensors)

    def _restore_vocab(self, st: DetectorState) -> None:
        """Hook: what `_prepare_vocab` computed, read back instead of recomputed."""

    def _encode(self, X):
        idx, lengths = pad_sequences(self.vocab_, X, self.max_len)
        if idx.shape[1] < self.min_len:
            idx = np.pad(idx, ((0, 0), (0, self.min_len - idx.shape[1])), constant_values=self.vocab_.pad_index)
        return torch.from_numpy(idx), torch.from_numpy(np.maximum(lengths, 1))

    @property
    def min_len(self) -> int:  # the shortest input the network takes (a CNN: its widest kernel)
        return 1

    def fit(self, X, y=None):
        X, y = self._prepare_fit(X, y)
        self.vocab_ = EventVocabulary().fit(X)
        self._prepare_vocab(X)
        torch.manual_seed(self.random_state)  # weight init is part of the seeded run
        self.model_ = self._build()
        idx, lengths = self._encode(X)
        yt = torch.from_numpy(y)
        counts = np.bincount(y, minlength=2)
        weight = torch.tensor(len(y) / (2.0 * counts), dtype=torch.float32) if self.class_weight == "balanced" else None

        def loss_fn(batch):
            b_idx, b_len, b_y = batch
            T = max(int(b_len.max()), self.min_len)
            return F.cross_entropy(self.model_(b_idx[:, :T], b_len), b_y, weight=weight)

        self.train_info_ = train_model(
            self.model_,
            loss_fn,
            (idx, lengths, yt),
            epochs=self.epochs,
            batch_size=self.batch_size,
            lr=self.lr,
            seed=self.random_state,
            patience=self.patience,
            verbose=self.verbose,
            desc=self.name,
        )
        self.threshold_ = 0.5
        return self

    def decision_function(self, X) -> np.ndarray:
        if not hasattr(self, "model_"):
            raise RuntimeError(f"{self.name}: call fit before decision_function/predict")
        X = check_sessions(X)
        if not X:
            return np.zeros(0)
        idx, lengths = self._encode(X)
        self.model_.eval()

        def prob(b_idx, b_len):
            T = max(int(b_len.max()), self.min_len)
            return torch.softmax(self.model_(b_idx[:, :T], b_len), dim=-1)[:, 1]

        return batched(prob, (idx, lengths), 512).numpy().astype(np.float64)
