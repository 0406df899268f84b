"""anomalygen: log anomaly detection with code-guided data augmentation."""

__version__ = "0.1.0"
