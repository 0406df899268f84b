"""Event key -> text for semantic vectors: the template when the data supplies one, else the key itself."""

from __future__ import annotations

import numpy as np

from anomalygen.detect.semantic import embed_texts
from anomalygen.detect.vocab import EventVocabulary


def semantic_matrix(
    vocab: EventVocabulary, event_texts: dict | None, backend: str, dim: int, n_specials: int = 3
) -> tuple[np.ndarray, str]:
    """Rows 1..n: the events' vectors; row 0 (OOV) and the specials after the events: zero vectors, so
    that unseen events carry no made-up meaning."""
    texts = [(event_texts or {}).get(k, k) for k in vocab.keys_[1:]]
    vecs, used = embed_texts(texts, backend=backend, dim=dim)
    d = vecs.shape[1] if len(vecs) else dim
    out = np.zeros((len(vocab) + n_specials, d), dtype=np.float32)
    out[1 : len(vocab)] = vecs
    return out, used


class SemanticState:
    """The state a detector with semantic event vectors saves beyond its base's: the vector matrix (`sem_`) and
    which backend made it. Mixed in before the base detector class."""

    def _save_state(self, st) -> None:
        super()._save_state(st)  # type: ignore[misc]  # a mixin: the detector class after it has it
        st.tensors["sem"] = self.sem_.clone()
        st.meta["semantic_backend"] = self.semantic_backend_

    def _restore_vocab(self, st) -> None:
        self.sem_ = st.tensors["sem"]
        self.semantic_backend_ = st.meta["semantic_backend"]
