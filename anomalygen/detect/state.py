"""A fitted detector's learned state in safe, plain parts: JSON values, NumPy arrays, torch tensors and at most
one scikit-learn estimator. Writing them to disk (safetensors, `.npz` without pickle, skops) is the deploy
stage's job; this module only says what each detector must keep."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from anomalygen.detect.vocab import EventVocabulary


@dataclass
class DetectorState:
    meta: dict = field(default_factory=dict)  # JSON-safe values
    arrays: dict[str, np.ndarray] = field(default_factory=dict)  # numeric arrays only
    tensors: dict = field(default_factory=dict)  # name -> torch.Tensor
    estimator: object | None = None  # a fitted scikit-learn estimator


def vocab_keys(vocab: EventVocabulary) -> list[str]:
    return list(vocab.keys_[1:])


def vocab_from_keys(keys: list[str]) -> EventVocabulary:
    v = EventVocabulary()
    v.keys_ = ["<OOV>", *keys]
    v.index_ = {k: i + 1 for i, k in enumerate(keys)}
    return v


def module_tensors(module, prefix: str = "model.") -> dict:
    # clones: safetensors refuses tensors that share storage
    return {prefix + k: v.detach().clone().contiguous() for k, v in module.state_dict().items()}


def load_module(module, tensors: dict, prefix: str = "model."):
    sd = {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
    module.load_state_dict(sd, strict=True)
    module.eval()
    return module


class EstimatorState:
    """The state of a detector built around one scikit-learn estimator (`model_`), saved beyond its base's.
    Mixed in before the base detector class."""

    def _save_state(self, st) -> None:
        super()._save_state(st)  # type: ignore[misc]  # a mixin: the detector class after it has it
        st.estimator = self.model_

    def _load_state(self, st) -> None:
        super()._load_state(st)  # type: ignore[misc]  # a mixin: the detector class after it has it
        self.model_ = st.estimator
