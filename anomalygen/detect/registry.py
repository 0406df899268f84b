"""Name -> detector class; the names of the deep and of the text-reading ones, from the classes' tags."""

from __future__ import annotations

from anomalygen.core.errors import InputError
from anomalygen.detect.autoencoder import AutoEncoderDetector
from anomalygen.detect.cnn import CNNDetector
from anomalygen.detect.deeplog import DeepLogDetector
from anomalygen.detect.iforest import IsolationForestDetector
from anomalygen.detect.invariants import InvariantsMiningDetector
from anomalygen.detect.loganomaly import LogAnomalyDetector
from anomalygen.detect.logclustering import LogClusteringDetector
from anomalygen.detect.logrobust import LogRobustDetector
from anomalygen.detect.pca import PCADetector
from anomalygen.detect.supervised import (
    DecisionTreeDetector,
    KNNDetector,
    LinearSVMDetector,
    LogisticRegressionDetector,
)
from anomalygen.detect.transformer import TransformerDetector

DETECTORS = {
    c.name: c
    for c in (
        PCADetector,
        InvariantsMiningDetector,
        LogClusteringDetector,
        IsolationForestDetector,
        LogisticRegressionDetector,
        LinearSVMDetector,
        DecisionTreeDetector,
        KNNDetector,
        DeepLogDetector,
        LogAnomalyDetector,
        LogRobustDetector,
        CNNDetector,
        TransformerDetector,
        AutoEncoderDetector,
    )
}
DEEP = {n for n, c in DETECTORS.items() if "deep" in c.tags}
SEMANTIC = {n for n, c in DETECTORS.items() if "semantic" in c.tags}
# the detectors that learn from normal sessions alone: what runs without labels, or on testbed runs with no anomaly
UNSUPERVISED = [n for n, c in DETECTORS.items() if not c.supervised]


def parse_models(spec: str, where: str | None = None) -> list[str]:
    """The detectors a `--models` value names: `all`, or names separated by commas, in the order given. With
    `where` (the flag or config key it came from), a name that is no detector, or no name at all, is an
    InputError naming `where`."""
    if spec.strip() == "all":
        return list(DETECTORS)
    names = [m.strip() for m in spec.split(",") if m.strip()]
    unknown = [m for m in names if m not in DETECTORS]
    if where is not None and (not names or unknown):
        raise InputError(
            f"{where}: unknown detector {', '.join(unknown) or repr(spec)}; choose from 'all' or {', '.join(DETECTORS)}"
        )
    return names


def make_detector(name: str, offered: dict | None = None, **params):
    """A detector with `params` (each must be one it takes) and those of the `offered` settings it takes (the
    seed, event texts, epochs: what a harness offers every detector alike)."""
    if name not in DETECTORS:
        raise ValueError(f"unknown detector {name!r}; choose from {', '.join(DETECTORS)}")
    cls = DETECTORS[name]
    params = {**{k: v for k, v in (offered or {}).items() if k in cls.param_names()}, **params}
    unknown = sorted(set(params) - set(cls.param_names()))
    if unknown:
        raise ValueError(f"{name} has no parameter {', '.join(unknown)}; it takes {', '.join(cls.param_names())}")
    return cls(**params)
