"""The detector API every model shares, and the input checks that keep bad input from crashing deep inside."""

from __future__ import annotations

import copy
import inspect
from collections.abc import Sequence

import numpy as np

from anomalygen.detect.state import DetectorState


def check_sessions(X, what: str = "X") -> list[list[str]]:
    if isinstance(X, (str, bytes)) or not isinstance(X, Sequence):
        raise TypeError(f"{what} must be a list of sessions (each a list of event-key strings)")
    out = []
    for i, s in enumerate(X):
        if isinstance(s, (str, bytes)) or not isinstance(s, Sequence):
            raise TypeError(f"{what}[{i}] must be a list of event keys, got {type(s).__name__}")
        out.append([str(e) for e in s])
    return out


def check_labels(y, n: int) -> np.ndarray:
    y = np.asarray(y, dtype=np.int64).reshape(-1)
    if len(y) != n:
        raise ValueError(f"y has {len(y)} labels for {n} sessions")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 0 (normal) or 1 (anomalous)")
    return y


class BaseDetector:
    """scikit-learn style: params in `__init__`, learned state in attributes ending in `_`.

    `decision_function` returns an anomaly score (higher = more anomalous); `predict` compares it with
    `threshold_`, which `fit` sets to the model's natural cut and `tune_threshold` may move using a labelled
    validation split (never the test set).

    Unsupervised detectors (`supervised = False`) learn normal behaviour only: given `y`, they keep the
    sessions labelled 0. Supervised ones need both classes.
    """

    supervised = False
    name = "base"
    # "deep": a neural network trained for `epochs`; "semantic": reads template text (`semantic`, `event_texts`)
    tags: frozenset[str] = frozenset()
    threshold_: float  # set by fit; absent before it

    @classmethod
    def param_names(cls) -> tuple[str, ...]:
        return tuple(k for k in inspect.signature(cls.__init__).parameters if k != "self")

    def get_params(self, deep: bool = False) -> dict:
        """The constructor's parameters as set. No parameter is itself an estimator, so `deep` (scikit-learn's
        signature) adds nothing."""
        return {k: getattr(self, k) for k in self.param_names()}

    def clone(self) -> BaseDetector:
        """An unfitted detector with the same parameters (copies, as scikit-learn's `clone` makes)."""
        return type(self)(**copy.deepcopy(self.get_params()))

    def __repr__(self) -> str:
        defaults = {k: p.default for k, p in inspect.signature(type(self).__init__).parameters.items()}
        changed = [f"{k}={v!r}" for k, v in self.get_params().items() if not _same(v, defaults.get(k))]
        return f"{type(self).__name__}({', '.join(changed)})"

    def set_params(self, **params) -> BaseDetector:
        for k, v in params.items():
            if k not in self.get_params():
                raise ValueError(f"{type(self).__name__} has no parameter {k!r}")
            setattr(self, k, v)
        return self

    def _prepare_fit(self, X, y):
        X = check_sessions(X)
        if not X:
            raise ValueError(f"{self.name}: empty training set")
        if self.supervised:
            if y is None:
                raise ValueError(f"{self.name} is supervised: fit(X, y) needs labels")
            y = check_labels(y, len(X))
            if len(np.unique(y)) < 2:
                raise ValueError(f"{self.name} is supervised and needs both classes; training labels are all {y[0]}")
            return X, y
        if y is not None:
            y = check_labels(y, len(X))
            X = [s for s, lab in zip(X, y, strict=True) if lab == 0]
            if not X:
                raise ValueError(f"{self.name}: no normal session to learn from (all training labels are 1)")
        return X, None

    def fit(self, X, y=None):  # pragma: no cover - abstract
        raise NotImplementedError

    def decision_function(self, X) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def get_state(self) -> DetectorState:
        """What a fitted detector must keep to score again: with `get_params()`, enough for `from_state`."""
        if not hasattr(self, "threshold_"):
            raise RuntimeError(f"{self.name}: call fit before saving")
        st = DetectorState(meta={"threshold": float(self.threshold_)})
        self._save_state(st)
        return st

    @classmethod
    def from_state(cls, params: dict, st: DetectorState) -> BaseDetector:
        """The fitted detector back from `get_params()` and `get_state()`, as saved (JSON) or as they are."""
        det = cls(**_untupled(cls, params))
        det.threshold_ = float(st.meta["threshold"])
        det._load_state(st)
        return det

    def _save_state(self, st: DetectorState) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _load_state(self, st: DetectorState) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def predict(self, X) -> np.ndarray:
        if not hasattr(self, "threshold_"):
            raise RuntimeError(f"{self.name}: call fit before predict")
        return (self.decision_function(X) > self.threshold_).astype(np.int64)

    def tune_threshold(self, X_val, y_val) -> BaseDetector:
        """Pick the score cut with the best F1 on a labelled validation split; keep the natural one if it
        has no anomaly (nothing to tune against)."""
        y = check_labels(y_val, len(X_val))
        if y.sum() == 0 or len(y) == 0:
            return self
        self.threshold_ = best_f1_threshold(self.decision_function(X_val), y, self.threshold_)
        return self


def _untupled(cls: type[BaseDetector], params: dict) -> dict:
    """JSON has no tuples: a tuple parameter (CNN's `kernel_sizes`) saved to a model folder comes back a list.
    It is a tuple again where the parameter's default is one, so that the loaded detector's parameters equal the
    saved detector's (and its repr and clones with them)."""
    defaults = {k: p.default for k, p in inspect.signature(cls.__init__).parameters.items()}
    return {k: tuple(v) if isinstance(v, list) and isinstance(defaults.get(k), tuple) else v for k, v in params.items()}


def _same(a, b) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # arrays and the like: compared by identity
        return a is b


def best_f1_threshold(scores: np.ndarray, y: np.ndarray, default: float) -> float:
    """Cut between consecutive distinct scores that maximises F1 (ties prefer the natural default)."""
    scores = np.asarray(scores, dtype=np.float64)
    uniq = np.unique(scores)
    cands = np.concatenate(([default], (uniq[:-1] + uniq[1:]) / 2, [uniq[0] - 1.0]))
    best, best_f1 = default, -1.0
    pos = y == 1
    for t in cands:
        pred = scores > t
        tp = np.sum(pred & pos)
        f1 = 2 * tp / (pred.sum() + pos.sum()) if (pred.sum() + pos.sum()) else 0.0
        if f1 > best_f1 + 1e-12:
            best, best_f1 = float(t), f1
    return best
