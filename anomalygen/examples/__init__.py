"""Example Java trees shipped with anomalygen (the embedded default input)."""

from importlib.resources import files
from pathlib import Path


def example_tree(name: str = "minisvc") -> Path:
    """Path of a shipped example source tree."""
    return Path(str(files(__name__).joinpath(name, "src")))


def example_logs(name: str = "minisvc") -> Path:
    """Folder of a shipped example's recorded logs: `minisvc.log` (header format `zookeeper`, sessions by block id),
    `anomaly_label.csv` (BlockId,Label), `faults.csv` (the driver's ground truth) and `manifest.json`."""
    return Path(str(files(__name__).joinpath(name, "logs")))
