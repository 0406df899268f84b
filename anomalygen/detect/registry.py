"""Name -> detector class, and which of them read template text."""

from __future__ import annotations

from anomalygen.detect.autoencoder import AutoEncoderDetector
from anomalygen.detect.cnn import CNNDetector
from anomalygen.detect.deeplog import DeepLogDetector
from anomalygen.detect.iforest import IsolationForestDetector
from anomalygen.detect.invariants import InvariantsMiningDetector
from anomalygen.detect.logclustering import LogClusteringDetector
from anomalygen.detect.loganomaly import LogAnomalyDetector
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
        PCADetector, InvariantsMiningDetector, LogClusteringDetector, IsolationForestDetector,
        LogisticRegressionDetector, LinearSVMDetector, DecisionTreeDetector, KNNDetector,
        DeepLogDetector, LogAnomalyDetector, LogRobustDetector, CNNDetector, TransformerDetector,
        AutoEncoderDetector,
    )
}
DEEP = {"DeepLog", "LogAnomaly", "LogRobust", "CNN", "Transformer", "AutoEncoder"}
SEMANTIC = {"LogAnomaly", "LogRobust"}


def make_detector(name: str, **params):
    if name not in DETECTORS:
        raise ValueError(f"unknown detector {name!r}; choose from {', '.join(DETECTORS)}")
    cls = DETECTORS[name]
    import inspect

    accepted = inspect.signature(cls.__init__).parameters
    return cls(**{k: v for k, v in params.items() if k in accepted})
