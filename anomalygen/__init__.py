"""anomalygen: log anomaly detection with code-guided data augmentation."""

__version__ = "0.1.0"

# `ag.detect` is the detectors' package; the streaming stage is `anomalygen.deploy.detect`
_API = {"train", "load_detector", "TrainRequest", "TrainResult", "DetectRequest", "DetectResult", "Verdict"}


def __getattr__(name: str):
    # the deploy stage imports torch: load it when first used, not on every `import anomalygen`
    if name in _API:
        from anomalygen import deploy

        return getattr(deploy, name)
    raise AttributeError(f"module 'anomalygen' has no attribute {name!r}")
