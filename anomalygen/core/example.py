"""Where the embedded example service lies (`anomalygen/examples/minisvc`: its Java source and the logs recorded
from it): the default input of `run`, `train` and the source commands. Found as package data, so the stages
that default to it import no code of the examples package."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

_PACKAGE = "anomalygen.examples"


def example_tree(name: str = "minisvc") -> Path:
    """Path of a shipped example source tree."""
    return Path(str(files(_PACKAGE).joinpath(name, "src")))


def example_logs(name: str = "minisvc") -> Path:
    """Folder of a shipped example's recorded logs: `minisvc.log` (header format `zookeeper`, sessions by block id),
    `anomaly_label.csv` (BlockId,Label), `faults.csv` (the driver's ground truth) and `manifest.json`."""
    return Path(str(files(_PACKAGE).joinpath(name, "logs")))
