"""Evaluation harness: the same test sessions scored by detectors trained with and without synthetic sessions.

from anomalygen.evaluate import EvalConfig, EvaluateRequest, evaluate
evaluate(EvaluateRequest("sessions.jsonl", Path("eval_out"), EvalConfig(models=["PCA"]), augment=Path("syn")))
"""

_API = {
    "evaluate": "anomalygen.evaluate.api",
    "EvaluateRequest": "anomalygen.evaluate.api",
    "EvaluateOutcome": "anomalygen.evaluate.api",
    "EvalConfig": "anomalygen.evaluate.harness",
}

__all__ = sorted(_API)


def __getattr__(name: str):
    # the stage imports the detectors (torch): load it when first used, not on `import anomalygen.evaluate`
    if name in _API:
        import importlib

        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'anomalygen.evaluate' has no attribute {name!r}")
