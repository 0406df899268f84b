"""Example Java trees shipped with anomalygen (the embedded default input)."""

from importlib.resources import files
from pathlib import Path


def example_tree(name: str = "minisvc") -> Path:
    """Path of a shipped example source tree."""
    return Path(str(files(__name__).joinpath(name, "src")))
