"""Model folders that were tampered with or damaged: with ANOMALYGEN_MODEL_KEY a re-digested manifest is refused;
only bounded regular files are read (a FIFO or a link to /dev/zero neither hangs nor fills memory); a file whose
digest matches but whose bytes do not decode is exit 2 naming it."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from faults_helpers import error_line, invoke

from anomalygen.core.example import example_logs
from anomalygen.deploy.folder import KEY_ENV, _manifest_digest, _signature

ROOT = Path(__file__).resolve().parents[2]
LOG = example_logs() / "minisvc.log"


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    """PCA (arrays only), IsolationForest (a skops estimator), DeepLog (safetensors); signed with a key."""
    base = tmp_path_factory.mktemp("models")
    out = {}
    os.environ[KEY_ENV] = "k3y"
    try:
        for name, extra in (("PCA", []), ("IsolationForest", []), ("DeepLog", ["--epochs", "1"])):
            res = invoke("train", "--model", name, *extra, "--out", base / name)
            assert res.code == 0, res.output
            out[name] = base / name
    finally:
        del os.environ[KEY_ENV]
    return out


def _copy(src: Path, tmp_path: Path) -> Path:
    dst = tmp_path / src.name
    shutil.copytree(src, dst)
    return dst


def _resign(folder: Path, change, key: str | None = None) -> None:
    """Edit the manifest as someone who knows the format would: digests recomputed (and signed with `key`)."""
    path = folder / "manifest.json"
    doc = json.loads(path.read_text())
    change(doc)
    doc["files"] = {
        n: hashlib.sha256((folder / n).read_bytes()).hexdigest() if (folder / n).is_file() else d
        for n, d in doc["files"].items()
    }
    doc.pop("signature", None)
    if key is not None:
        doc["signature"] = {"alg": "hmac-sha256", "value": _signature(doc, key.encode())}
    doc["digest"] = _manifest_digest(doc)
    path.write_text(json.dumps(doc))


def test_signed_model_loads_with_its_key_and_a_redigested_one_is_refused(models, tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "k3y")
    res = invoke("detect", models["PCA"], LOG, "-q")
    assert res.code == 0, res.output
    m = _copy(models["PCA"], tmp_path)
    _resign(m, lambda d: d.update(threshold=d["threshold"] * 1e6))  # raised: nothing would alarm
    res = invoke("detect", m, LOG, "-q")
    assert res.code == 2 and "manifest.json: not signed" in error_line(res), res.output
    _resign(m, lambda d: d.update(threshold=d["threshold"] * 1e6), key="guessed")
    res = invoke("detect", m, LOG, "-q")
    assert res.code == 2 and "signature does not match" in error_line(res), res.output
    monkeypatch.setenv(KEY_ENV, "another")
    res = invoke("detect", models["PCA"], LOG, "-q")
    assert res.code == 2 and "signature does not match" in error_line(res), res.output


def test_a_manifest_that_lists_no_files_is_refused(models, tmp_path):
    m = _copy(models["PCA"], tmp_path)
    _resign(m, lambda d: d.update(files={}))
    res = invoke("detect", m, LOG, "-q")
    assert res.code == 2 and "lists no" in error_line(res) and "arrays.npz" in error_line(res), res.output


FIFO_PROBE = """
import sys
sys.path.insert(0, {root!r})
from anomalygen.deploy.folder import ModelError, load_model
try:
    load_model({folder!r})
except ModelError as e:
    print("refused:", e)
"""


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "folder"])
def test_a_manifest_that_is_no_regular_file_is_refused_at_once(models, tmp_path, kind):
    m = _copy(models["PCA"], tmp_path)
    (m / "manifest.json").unlink()
    if kind == "fifo":
        os.mkfifo(m / "manifest.json")
    elif kind == "dev-zero":
        (m / "manifest.json").symlink_to("/dev/zero")
    else:
        (m / "manifest.json").mkdir()
    p = subprocess.run(
        [sys.executable, "-c", FIFO_PROBE.format(root=str(ROOT), folder=str(m))],
        capture_output=True,
        text=True,
        timeout=60,
    )  # a hang guard: a FIFO blocked the old reader
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("refused:") and "manifest.json" in p.stdout, p.stdout


@pytest.mark.parametrize(
    "name, file",
    [
        ("PCA", "arrays.npz"),
        ("PCA", "profile.npz"),
        ("IsolationForest", "estimator.skops"),
        ("DeepLog", "weights.safetensors"),
        ("PCA", "detector.json"),
        ("PCA", "vocabulary.json"),
        ("PCA", "inventory.jsonl"),
    ],
)
def test_a_redigested_corrupt_file_is_exit_2_naming_it(models, tmp_path, name, file):
    m = _copy(models[name], tmp_path)
    data = bytearray((m / file).read_bytes())
    mid = len(data) // 2
    data[mid : mid + 64] = b"\xff" * 64
    (m / file).write_bytes(bytes(data[: len(data) * 3 // 4]))
    _resign(m, lambda d: None)
    res = invoke("detect", m, LOG, "-q")
    assert res.code == 2 and file in error_line(res), res.output
    assert "internal error" not in res.output


def test_a_model_file_that_is_a_link_is_refused(models, tmp_path):
    m = _copy(models["PCA"], tmp_path)
    real = tmp_path / "elsewhere.json"
    shutil.move(m / "vocabulary.json", real)
    (m / "vocabulary.json").symlink_to(real)
    res = invoke("detect", m, LOG, "-q")
    assert res.code == 2 and "vocabulary.json: is a symbolic link" in error_line(res), res.output
