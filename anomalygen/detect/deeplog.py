"""DeepLog (Du et al. CCS'17): an LSTM predicts the next event key; anomalous if a key is outside the top g."""

from __future__ import annotations

import torch
from torch import nn

from anomalygen.detect.nextevent import NextEventDetector


class _LSTMNext(nn.Module):
    def __init__(self, n_tokens: int, n_classes: int, embed_dim: int, hidden: int, layers: int, pad: int):
        super().__init__()
        self.embed = nn.Embedding(n_tokens, embed_dim, padding_idx=pad)
        self.lstm = nn.LSTM(embed_dim, hidden, layers, batch_first=True)
        self.out = nn.Linear(hidden, n_classes)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        # causal by construction, so padding at the right end cannot leak into earlier steps
        h, _ = self.lstm(self.embed(x))
        return self.out(h)


class DeepLogDetector(NextEventDetector):
    """Unlike the paper's fixed window of h=10 keys, the LSTM conditions on the whole prefix: one pass per
    session instead of one per window, and no blind spot for events more than h steps apart."""

    name = "DeepLog"

    def __init__(
        self,
        top_g: int = 9,
        embed_dim: int = 32,
        hidden: int = 64,
        layers: int = 2,
        max_len: int = 128,
        epochs: int = 10,
        batch_size: int = 64,
        lr: float = 3e-3,
        patience: int = 3,
        random_state: int = 0,
        verbose: bool = False,
    ):
        self.top_g = top_g
        self.embed_dim = embed_dim
        self.hidden = hidden
        self.layers = layers
        self.max_len = max_len
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.patience = patience
        self.random_state = random_state
        self.verbose = verbose

    def _build(self, n_tokens, n_classes):
        return _LSTMNext(n_tokens, n_classes, self.embed_dim, self.hidden, self.layers, self.vocab_.pad_index)
