"""The folders the commands write by default are ignored by git, so a run in the checkout leaves it clean."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from anomalygen.deploy.trainer import TrainRequest
from anomalygen.run.config import DEFAULTS

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(
    shutil.which("git") is None or not (ROOT / ".git").exists(),
    reason="not a git checkout (e.g. an sdist): nothing to ignore in",
)
@pytest.mark.parametrize("out", [Path(DEFAULTS["out"]), TrainRequest().out], ids=["run", "train"])
def test_default_output_folder_is_ignored(out):
    # a file inside, as git only reports files: check-ignore exits 0 when the path is ignored
    probe = out / "report.html"
    r = subprocess.run(["git", "check-ignore", "-q", "--no-index", str(probe)], cwd=ROOT)
    assert r.returncode == 0, f"{probe} is not ignored by .gitignore"
