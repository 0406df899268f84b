"""From evaluation to use: `train` saves one detector as a model folder, `load_detector(...).score(...)` and
`anomalygen detect` score new logs with it, streaming, and explain each alarm with the source statements.

Names are resolved on first use: the CLI registers these commands without importing torch."""

_WHERE = {
    "DetectRequest": "requests",
    "DetectResult": "detector",
    "Detector": "detector",
    "Verdict": "detector",
    "detect": "detector",
    "load_detector": "detector",
    "ModelError": "folder",
    "TrainError": "trainer",
    "TrainRequest": "requests",
    "TrainResult": "trainer",
    "train": "trainer",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(f"anomalygen.deploy.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'anomalygen.deploy' has no attribute {name!r}")
