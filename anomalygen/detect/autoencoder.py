"""AutoEncoder on event-count vectors: trained on normal sessions, anomalous when reconstruction error is high."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from anomalygen.detect.counts import CountDetector
from anomalygen.detect.state import load_module, module_tensors
from anomalygen.detect.torch_train import batched, train_model


class AutoEncoderDetector(CountDetector):
    """Input: log(1 + count) scaled by the training maximum per event (the OOV column scales by 1, so any unseen
    event is a large error). Natural threshold: the `quantile` of training errors."""

    name = "AutoEncoder"
    tags = frozenset({"deep"})

    def __init__(
        self,
        hidden: int = 32,
        bottleneck: int = 8,
        epochs: int = 30,
        batch_size: int = 64,
        lr: float = 3e-3,
        patience: int = 5,
        quantile: float = 0.99,
        random_state: int = 0,
        verbose: bool = False,
    ):
        self.hidden = hidden
        self.bottleneck = bottleneck
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.patience = patience
        self.quantile = quantile
        self.random_state = random_state
        self.verbose = verbose

    def _build(self, d: int) -> nn.Module:
        return nn.Sequential(
            nn.Linear(d, self.hidden),
            nn.ReLU(),
            nn.Linear(self.hidden, self.bottleneck),
            nn.ReLU(),
            nn.Linear(self.bottleneck, self.hidden),
            nn.ReLU(),
            nn.Linear(self.hidden, d),
        )

    def _scaled(self, M: np.ndarray) -> torch.Tensor:
        return torch.from_numpy((np.log1p(M) / self.scale_).astype(np.float32))

    def fit(self, X, y=None):
        X, _ = self._prepare_fit(X, y)
        M = self._fit_features(X)
        mx = np.log1p(M).max(axis=0)
        self.scale_ = np.where(mx > 0, mx, 1.0)
        A = self._scaled(M)
        d = A.shape[1]
        torch.manual_seed(self.random_state)
        self.model_ = self._build(d)
        self.train_info_ = train_model(
            self.model_,
            lambda b: ((self.model_(b[0]) - b[0]) ** 2).mean(),
            (A,),
            epochs=self.epochs,
            batch_size=self.batch_size,
            lr=self.lr,
            seed=self.random_state,
            patience=self.patience,
            verbose=self.verbose,
            desc=self.name,
        )
        self.threshold_ = float(np.quantile(self._errors(A), self.quantile))
        return self

    def _errors(self, A: torch.Tensor) -> np.ndarray:
        return batched(lambda a: ((self.model_(a) - a) ** 2).mean(dim=1), (A,), 1024).numpy().astype(np.float64)

    def decision_function(self, X) -> np.ndarray:
        return self._errors(self._scaled(self._features(X)))

    def _save_state(self, st) -> None:
        super()._save_state(st)
        st.arrays["scale"] = self.scale_
        st.tensors.update(module_tensors(self.model_))

    def _load_state(self, st) -> None:
        super()._load_state(st)
        self.scale_ = st.arrays["scale"]
        self.model_ = load_module(self._build(len(self.scale_)), st.tensors)
