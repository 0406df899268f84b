"""CNN session classifier (Lu et al. 2018, deep-loglizer's CNN): convolutions over event embeddings, supervised."""

from __future__ import annotations

import torch
from torch import nn

from anomalygen.detect.sessionclf import SessionClassifierDetector


class _TextCNN(nn.Module):
    def __init__(self, n_tokens, embed_dim, n_filters, kernel_sizes, pad):
        super().__init__()
        self.embed = nn.Embedding(n_tokens, embed_dim, padding_idx=pad)
        self.convs = nn.ModuleList(nn.Conv1d(embed_dim, n_filters, k) for k in kernel_sizes)
        self.drop = nn.Dropout(0.2)
        self.out = nn.Linear(n_filters * len(kernel_sizes), 2)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        e = self.embed(x).transpose(1, 2)
        pooled = [torch.relu(c(e)).max(dim=2).values for c in self.convs]
        return self.out(self.drop(torch.cat(pooled, dim=1)))


class CNNDetector(SessionClassifierDetector):
    name = "CNN"

    def __init__(
        self,
        embed_dim: int = 32,
        n_filters: int = 64,
        kernel_sizes: tuple = (2, 3, 4),
        max_len: int = 128,
        epochs: int = 10,
        batch_size: int = 64,
        lr: float = 3e-3,
        patience: int = 3,
        class_weight: str | None = None,
        random_state: int = 0,
        verbose: bool = False,
    ):
        self.embed_dim = embed_dim
        self.n_filters = n_filters
        self.kernel_sizes = kernel_sizes
        self.max_len = max_len
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.patience = patience
        self.class_weight = class_weight
        self.random_state = random_state
        self.verbose = verbose

    @property
    def min_len(self) -> int:  # a convolution needs at least its kernel's width of input
        return max(self.kernel_sizes)

    def _build(self):
        return _TextCNN(len(self.vocab_) + 1, self.embed_dim, self.n_filters, self.kernel_sizes, self.vocab_.pad_index)
