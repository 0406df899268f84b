"""Log anomaly detectors with one scikit-learn-style API over sessions (lists of event keys)."""

from anomalygen.detect.registry import DETECTORS, make_detector

__all__ = ["DETECTORS", "make_detector"]
