"""anomalygen: log anomaly detection with code-guided data augmentation.

Every stage is a function over a request dataclass, returning a result dataclass; the command line and
`anomalygen run` are layers over them:

    import anomalygen as ag
    tree = ag.SourceTree.read()                                  # the embedded example; or a Java tree's path
    gen = ag.generate(ag.GenerateRequest(out=Path("synthetic"), tree=tree, n=200))

Names load on first use, so `import anomalygen` stays light (no torch, no z3 until a stage needs them).
"""

__version__ = "0.1.0"

# name -> module that defines it. A name of a subpackage would be shadowed by it once imported, so the evaluate
# stage is `ag.evaluate_detectors` and `ag.detect` stays the detectors' package (the streaming stage is
# `anomalygen.deploy.detect`, reached through `ag.load_detector(...)` or the CLI).
_WHERE = {
    **dict.fromkeys(
        (
            "SourceTree",
            "InventoryRequest",
            "InventoryResult",
            "take_inventory",
            "EntriesRequest",
            "EntriesResult",
            "entry_points",
            "PathsRequest",
            "PathsResult",
            "find_paths",
        ),
        "anomalygen.source.api",
    ),
    **dict.fromkeys(
        (
            "ParseRequest",
            "ParseResult",
            "parse_logs",
            "SessionsRequest",
            "SessionsResult",
            "make_sessions",
            "CoverageRequest",
            "CoverageResult",
            "measure_coverage",
        ),
        "anomalygen.logs.api",
    ),
    "GenerateRequest": "anomalygen.synthesis.request",
    **dict.fromkeys(("GenerateResult", "generate"), "anomalygen.synthesis.api"),
    **dict.fromkeys(("EvaluateRequest", "EvaluateOutcome"), "anomalygen.evaluate.api"),
    "EvalConfig": "anomalygen.evaluate.harness",
    **dict.fromkeys(
        ("train", "TrainRequest", "TrainResult", "load_detector", "DetectRequest", "DetectResult", "Verdict"),
        "anomalygen.deploy",
    ),
    "RunRequest": "anomalygen.run.config",
    **dict.fromkeys(("RunResult", "run_pipeline"), "anomalygen.run.api"),
    **dict.fromkeys(("TestbedRequest", "TestbedResult", "run_testbed"), "anomalygen.testbed.runner"),
}


_ALIAS = {"evaluate_detectors": ("anomalygen.evaluate.api", "evaluate")}
__all__ = sorted([*_WHERE, *_ALIAS])


def __getattr__(name: str):
    if name in _WHERE or name in _ALIAS:
        import importlib

        module, attr = _ALIAS.get(name) or (_WHERE[name], name)
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'anomalygen' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
