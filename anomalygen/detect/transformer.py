"""Transformer next-event model (deep-loglizer's unsupervised Transformer, the AnomalyGen paper's headline)."""

from __future__ import annotations

import torch
from torch import nn

from anomalygen.detect.nextevent import NextEventDetector


class _CausalTransformer(nn.Module):
    def __init__(self, n_tokens, n_classes, d_model, nhead, layers, max_len, pad):
        super().__init__()
        self.embed = nn.Embedding(n_tokens, d_model, padding_idx=pad)
        self.pos = nn.Embedding(max_len + 2, d_model)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=2 * d_model, dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.out = nn.Linear(d_model, n_classes)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        T = x.shape[1]
        pos = torch.arange(T, device=x.device)
        causal = torch.triu(torch.full((T, T), float("-inf")), diagonal=1)
        h = self.encoder(self.embed(x) + self.pos(pos), mask=causal)
        return self.out(h)


class TransformerDetector(NextEventDetector):
    name = "Transformer"

    def __init__(
        self,
        top_g: int = 9,
        d_model: int = 64,
        nhead: int = 4,
        layers: int = 2,
        max_len: int = 128,
        epochs: int = 10,
        batch_size: int = 64,
        lr: float = 1e-3,
        patience: int = 3,
        random_state: int = 0,
        verbose: bool = False,
    ):
        self.top_g = top_g
        self.d_model = d_model
        self.nhead = nhead
        self.layers = layers
        self.max_len = max_len
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.patience = patience
        self.random_state = random_state
        self.verbose = verbose

    def _build(self, n_tokens, n_classes):
        return _CausalTransformer(
            n_tokens, n_classes, self.d_model, self.nhead, self.layers, self.max_len, self.vocab_.pad_index
        )
