"""The malformed-input corpus of `train` and `detect`: logs, labels, model folders and settings that are wrong in
the ways real ones are. Each must end in exit 0 (what could be read was) or exit 2 with one `error:` line naming
the file, never exit 1 (an internal error) and never a traceback."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from faults_helpers import error_line, invoke

from anomalygen.core.example import example_logs
from anomalygen.deploy.folder import _manifest_digest

LOG = example_logs() / "minisvc.log"
HEAD = b"".join(LOG.read_bytes().splitlines(keepends=True)[:2000])


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("corpus") / "pca"
    assert invoke("train", "--model", "PCA", "--out", out).code == 0
    return out


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


LOGS = {  # name -> bytes of a log file (or a callable making the path)
    "empty": b"",
    "blank lines": b"\n\n  \n",
    "nul bytes": b"\x00" * 5000,
    "random binary": bytes(range(256)) * 40,
    "not gzip.gz": b"plain text with a .gz name\n",
    "truncated.gz": gzip.compress(HEAD)[:3000],
    "empty gzip.gz": gzip.compress(b""),
    "crlf": HEAD.replace(b"\n", b"\r\n"),
    "lone cr": HEAD.replace(b"\n", b"\r"),
    "latin-1 bytes": HEAD[:20000] + "Caf\xe9 cr\xe8me\n".encode("latin-1") + HEAD[20000:40000],
    "one 3 MiB line": HEAD[:5000] + b"x" * (3 << 20) + b"\n" + HEAD[5000:10000],
    "no final newline": HEAD.rstrip(b"\n"),
    "another format": b"081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 terminating\n" * 20,
    "utf-16": HEAD[:3000].decode().encode("utf-16"),
}


@pytest.mark.parametrize("name", list(LOGS))
def test_malformed_logs(model, tmp_path, name):
    log = _write(tmp_path / name.replace(" ", "_"), LOGS[name])
    res = invoke("detect", model, log, "-q")
    assert res.code in (0, 2), res.output
    if res.code == 2:
        assert str(log) in error_line(res), res.output


def test_a_folder_or_a_missing_file_as_the_log(model, tmp_path):
    for log in (tmp_path, tmp_path / "missing.log"):
        res = invoke("detect", model, log, "-q")
        assert res.code == 2 and str(log) in error_line(res), res.output


LABELS = {
    "empty": b"",
    "header only": b"BlockId,Label\n",
    "no label column": b"BlockId,Kind\nblk_1,x\n",
    "binary": b"BlockId,Label\n" + bytes(range(256)) * 8,
    "bad values": b"BlockId,Label\nblk_1,Maybe\nblk_2,3\n",
    "jsonl garbage.jsonl": b'{"session_id": "a", "label": 0}\nnot json\n[1, 2]\n',
    "jsonl wrong types.jsonl": b'{"session_id": ["a"], "label": {"x": 1}}\n',
    "utf-16.csv": "BlockId,Label\nblk_1,Normal\n".encode("utf-16"),
}


@pytest.mark.parametrize("name", list(LABELS))
def test_malformed_labels(model, tmp_path, name):
    labels = _write(tmp_path / (name.replace(" ", "_") + ("" if "." in name else ".csv")), LABELS[name])
    for cmd in (
        ["detect", model, LOG, "--labels", labels, "-q"],
        ["train", "--model", "PCA", "--labels", labels, "--out", tmp_path / "m"],
    ):
        res = invoke(*cmd)
        assert res.code in (0, 2), (cmd[0], res.output)
        if res.code == 2:
            assert labels.name in error_line(res), (cmd[0], res.output)


def _redigest(folder: Path, doc: dict) -> None:
    doc["digest"] = _manifest_digest(doc)
    (folder / "manifest.json").write_text(json.dumps(doc))


def _manifest_case(change):
    def make(folder: Path) -> None:
        doc = json.loads((folder / "manifest.json").read_text())
        change(doc)
        _redigest(folder, doc)

    return make


def _file_case(name: str, data: bytes):
    def make(folder: Path) -> None:
        (folder / name).write_bytes(data)
        doc = json.loads((folder / "manifest.json").read_text())
        doc["files"][name] = hashlib.sha256(data).hexdigest()
        _redigest(folder, doc)

    return make


MODELS = {
    "manifest removed": lambda f: (f / "manifest.json").unlink(),
    "manifest empty": lambda f: (f / "manifest.json").write_text(""),
    "manifest a list": lambda f: (f / "manifest.json").write_text("[1, 2]"),
    "manifest deeply nested": lambda f: (f / "manifest.json").write_text("[" * 100_000 + "]" * 100_000),
    "manifest not utf-8": lambda f: (f / "manifest.json").write_bytes(b'{"format": "\xff"}'),
    "files not a table": _manifest_case(lambda d: d.update(files=["arrays.npz"])),
    "file outside the folder": _manifest_case(lambda d: d["files"].update({"../x": "0" * 64})),
    "file digest a number": _manifest_case(lambda d: d["files"].update({"arrays.npz": 5})),
    "format version text": _manifest_case(lambda d: d.update(format_version="1")),
    "unknown detector": _manifest_case(lambda d: d.update(detector="Nope")),
    "params edited": _manifest_case(lambda d: d.update(params={"n_components": "abc"})),
    "detect settings missing": _manifest_case(lambda d: d.pop("detect")),
    "detector.json a list": _file_case("detector.json", b"[]"),
    "detector.json not json": _file_case("detector.json", b"{nope"),
    "arrays.npz empty": _file_case("arrays.npz", b""),
    "arrays.npz a pickle": _file_case("arrays.npz", b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00}\x94."),
    "profile.npz text": _file_case("profile.npz", b"hello\n"),
    "inventory.jsonl a bad record": _file_case("inventory.jsonl", b'{"id": 5}\n'),
    "inventory.jsonl binary": _file_case("inventory.jsonl", bytes(range(256))),
    "vocabulary.json a string": _file_case("vocabulary.json", b'"x"'),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_malformed_model_folders(model, tmp_path, name):
    folder = tmp_path / "m"
    shutil.copytree(model, folder)
    MODELS[name](folder)
    res = invoke("detect", folder, LOG, "-q")
    assert res.code == 2, res.output
    assert str(folder) in error_line(res) and "internal error" not in res.output, res.output


def test_a_file_as_the_model(tmp_path):
    f = _write(tmp_path / "model", b"x")
    res = invoke("detect", f, LOG, "-q")
    assert res.code == 2 and str(f) in error_line(res), res.output


@pytest.mark.parametrize(
    "args",
    [
        ["--logs", "."],
        ["--source", "/nonexistent", "--logs", str(LOG)],
        ["--augment", "/nonexistent"],
        ["--sessions-by", "window:time:10"],
        ["--sessions-by", "regex:("],
        ["--format", "<Nope"],
        pytest.param(["--format", "hdfs"], marks=pytest.mark.slow),  # parses the whole example log first
        ["--param", "epochs"],
        ["--augment", str(LOG)],
    ],
)
def test_malformed_train_settings(tmp_path, args):
    res = invoke("train", "--model", "PCA", *args, "--out", tmp_path / "m")
    assert res.code == 2, (args, res.output)
    error_line(res)
