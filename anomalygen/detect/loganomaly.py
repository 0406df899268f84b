"""LogAnomaly (Meng et al. IJCAI'19): next-event LSTM on template semantics plus event-count (quantitative) features."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from anomalygen.detect.event_text import SemanticState, semantic_matrix
from anomalygen.detect.nextevent import NextEventDetector


class _SemCountLSTM(nn.Module):
    def __init__(self, sem: torch.Tensor, n_classes: int, hidden: int, layers: int, n_events: int):
        super().__init__()
        self.sem = nn.Embedding.from_pretrained(sem, freeze=True)
        self.n_events = n_events
        self.sem_lstm = nn.LSTM(sem.shape[1], hidden, layers, batch_first=True)
        self.cnt_lstm = nn.LSTM(n_events, hidden, layers, batch_first=True)
        self.out = nn.Linear(2 * hidden, n_classes)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        # counts of each event in the prefix so far: the quantitative pattern, causal like the sequence itself
        onehot = F.one_hot(x.clamp(max=self.n_events - 1), self.n_events).float()
        onehot = onehot * (x < self.n_events).unsqueeze(-1)
        counts = torch.log1p(onehot.cumsum(dim=1))
        h1, _ = self.sem_lstm(self.sem(x))
        h2, _ = self.cnt_lstm(counts)
        return self.out(torch.cat([h1, h2], dim=-1))


class LogAnomalyDetector(SemanticState, NextEventDetector):
    """`event_texts` maps event keys to template text for the semantic vectors (keys are used as text where
    absent); `semantic` picks the backend ("auto": packaged MiniLM if installed, else hashed word vectors)."""

    name = "LogAnomaly"
    tags = frozenset({"deep", "semantic"})

    def __init__(
        self,
        top_g: int = 9,
        hidden: int = 64,
        layers: int = 2,
        max_len: int = 128,
        epochs: int = 10,
        batch_size: int = 64,
        lr: float = 3e-3,
        patience: int = 3,
        semantic: str = "auto",
        semantic_dim: int = 64,
        event_texts: dict | None = None,
        random_state: int = 0,
        verbose: bool = False,
    ):
        self.top_g = top_g
        self.hidden = hidden
        self.layers = layers
        self.max_len = max_len
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.patience = patience
        self.semantic = semantic
        self.semantic_dim = semantic_dim
        self.event_texts = event_texts
        self.random_state = random_state
        self.verbose = verbose

    def _prepare_vocab(self, X) -> None:
        sem, self.semantic_backend_ = semantic_matrix(self.vocab_, self.event_texts, self.semantic, self.semantic_dim)
        bos = self.vocab_.eos_index + 1
        sem[bos, :] = 0.0
        sem[bos, 0] = 1.0  # the begin marker needs some input signal; the pad row stays zero
        self.sem_ = torch.from_numpy(sem)

    def _build(self, n_tokens, n_classes):
        return _SemCountLSTM(self.sem_, n_classes, self.hidden, self.layers, len(self.vocab_))
