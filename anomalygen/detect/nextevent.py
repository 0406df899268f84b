"""Base of the unsupervised next-event models (DeepLog, LogAnomaly, Transformer).

Each session is read causally from a begin marker: the model predicts every event from the events before it,
and finally an end marker, so a session that stops early is as suspicious as one with a wrong event.
The session score is the worst rank of a true next event among the predictions (0 = the top guess);
DeepLog's top-g rule "anomalous if some event is not in the top g" is `score > g - 0.5`, the natural
threshold; `tune_threshold` picks g on validation data.

Unseen (OOV) events get the worst rank. An empty session is scored on its end marker alone. Sessions longer
than `max_len` are cut to their first `max_len` events and not judged on their end.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from anomalygen.detect.base import BaseDetector, check_sessions
from anomalygen.detect.state import DetectorState, load_module, module_tensors, vocab_from_keys, vocab_keys
from anomalygen.detect.torch_train import batched, train_model
from anomalygen.detect.vocab import OOV, EventVocabulary


class NextEventDetector(BaseDetector):
    supervised = False
    tags = frozenset({"deep"})
    max_len: int  # each model's own parameter

    def _build(self, n_tokens: int, n_classes: int) -> torch.nn.Module:  # pragma: no cover - abstract
        raise NotImplementedError

    def _prepare_vocab(self, X) -> None:
        """Hook for models that need more than indices (LogAnomaly's semantic vectors)."""

    def _save_state(self, st: DetectorState) -> None:
        st.meta["vocab"] = vocab_keys(self.vocab_)
        st.tensors.update(module_tensors(self.model_))

    def _load_state(self, st: DetectorState) -> None:
        self.vocab_ = vocab_from_keys(st.meta["vocab"])
        self._restore_vocab(st)
        self.model_ = load_module(self._build(len(self.vocab_) + 3, len(self.vocab_) + 2), st.tensors)

    def _restore_vocab(self, st: DetectorState) -> None:
        """Hook: what `_prepare_vocab` computed, read back instead of recomputed."""

    def _steps(self, e: list[int]) -> tuple[list[int], list[int]]:
        """Input and target of one encoded session: read from the begin marker, judged on each event and then
        on the end marker, unless cut at `max_len`."""
        cut = e[: self.max_len]
        seq_tgt = [*cut, self.vocab_.eos_index] if len(e) <= self.max_len else cut
        return [self.vocab_.eos_index + 1, *cut][: len(seq_tgt)], seq_tgt

    def _encode(self, X) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        enc = self.vocab_.encode_many(X)
        L = min(self.max_len, max((len(e) for e in enc), default=0)) + 1
        inp = np.full((len(enc), L), self.vocab_.pad_index, dtype=np.int64)
        tgt = np.full((len(enc), L), -100, dtype=np.int64)
        lengths = np.zeros(len(enc), dtype=np.int64)
        for i, e in enumerate(enc):
            seq_in, seq_tgt = self._steps(e)
            k = len(seq_tgt)
            inp[i, :k] = seq_in
            tgt[i, :k] = seq_tgt
            lengths[i] = k
        return torch.from_numpy(inp), torch.from_numpy(tgt), torch.from_numpy(lengths)

    def fit(self, X, y=None):
        X, _ = self._prepare_fit(X, y)
        self.vocab_ = EventVocabulary().fit(X)
        self._prepare_vocab(X)
        torch.manual_seed(self.random_state)  # weight init is part of the seeded run
        n_classes = len(self.vocab_) + 2  # events (0 = OOV, never a training target), end marker, one spare
        self.model_ = self._build(len(self.vocab_) + 3, n_classes)
        inp, tgt, lengths = self._encode(X)

        def loss_fn(batch):
            b_inp, b_tgt, b_len = batch
            T = int(b_len.max())
            logits = self.model_(b_inp[:, :T], b_len)
            return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), b_tgt[:, :T].reshape(-1), ignore_index=-100)

        self.train_info_ = train_model(
            self.model_,
            loss_fn,
            (inp, tgt, lengths),
            epochs=self.epochs,
            batch_size=self.batch_size,
            lr=self.lr,
            seed=self.random_state,
            patience=self.patience,
            verbose=self.verbose,
            desc=self.name,
        )
        self.threshold_ = self.top_g - 0.5
        return self

    def decision_function(self, X) -> np.ndarray:
        if not hasattr(self, "model_"):
            raise RuntimeError(f"{self.name}: call fit before decision_function/predict")
        X = check_sessions(X)
        if not X:
            return np.zeros(0)
        inp, tgt, lengths = self._encode(X)
        self.model_.eval()

        def score(b_inp, b_tgt, b_len):
            T = int(b_len.max())
            logits = self.model_(b_inp[:, :T], b_len)
            return _ranks(logits, b_tgt[:, :T]).max(dim=1).values

        return batched(score, (inp, tgt, lengths), 512).numpy().astype(np.float64)

    @torch.inference_mode()
    def step_ranks(
        self,
        sessions: Sequence[Sequence[str]],
        top: int = 3,
        above: float | None = None,
        first: int | None = None,
        budget: int = 1 << 14,
    ) -> list[tuple[np.ndarray, dict[int, list[str]]]]:
        """Per session, per judged step (each event, then the end unless cut at `max_len`): the rank of the true
        event as `decision_function` counts it, and the `top` keys the model expected there (`<end>` for the end
        marker) -- at every step, or with `above` only at the first `first` steps ranked above it (what an
        alarm's explanation shows). A session's score is its largest rank.

        One forward pass gives both. Sessions are read in groups of equal length, so that no step is padding,
        and at most `budget` steps at a time, so that memory does not grow with the number of sessions."""
        if not hasattr(self, "model_"):
            raise RuntimeError(f"{self.name}: call fit before step_ranks")
        sessions = check_sessions(sessions)
        steps = [self._steps(e) for e in self.vocab_.encode_many(sessions)]
        by_len: dict[int, list[int]] = {}
        for i, (_, t) in enumerate(steps):
            by_len.setdefault(len(t), []).append(i)
        self.model_.eval()
        out: list = [None] * len(sessions)
        for k, idx in sorted(by_len.items()):
            per = max(1, budget // k)
            for start in range(0, len(idx), per):
                part = idx[start : start + per]
                inp = torch.tensor([steps[i][0] for i in part])
                tgt = torch.tensor([steps[i][1] for i in part])
                logits = self.model_(inp, torch.full((len(part),), k))
                rank = _ranks(logits, tgt).numpy().astype(np.float64)
                for row, i in enumerate(part):
                    where = np.arange(k) if above is None else np.flatnonzero(rank[row] > above)[:first]
                    out[i] = (rank[row], self._expected(logits[row], where, top))
        return out

    def _expected(self, logits: torch.Tensor, where: np.ndarray, top: int) -> dict[int, list[str]]:
        """The `top` keys predicted at each step in `where` (`logits`: one session's steps); OOV and padding
        are never a prediction worth showing."""
        if not len(where):
            return {}
        v = self.vocab_
        logits = logits[torch.from_numpy(where)]
        logits[..., OOV] = float("-inf")
        logits[..., v.pad_index] = float("-inf")
        best = logits.topk(min(top, logits.shape[-1] - 2), dim=-1).indices.tolist()
        return {
            int(p): [v.keys_[j] if j < len(v) else "<end>" for j in row] for p, row in zip(where, best, strict=True)
        }


def _ranks(logits: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Rank of each true next event among the predictions (0 = the top guess); an unseen event ranks last and a
    padding step -1, so it never decides a session's score."""
    true = logits.gather(-1, t.clamp(min=0).unsqueeze(-1))
    rank = (logits > true).sum(-1).float()
    rank = torch.where(t == OOV, torch.full_like(rank, float(logits.shape[-1])), rank)
    return torch.where(t == -100, torch.full_like(rank, -1.0), rank)
