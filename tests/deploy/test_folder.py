"""Model folders: every detector comes back scoring identically, nothing in the folder is a pickle, and an
altered folder or manifest is refused with one line naming the file."""

from __future__ import annotations

import io
import json
import pickletools
import zipfile
from pathlib import Path

import numpy as np
import pytest

from anomalygen.core.statements import LogStatement
from anomalygen.deploy.folder import ModelError, ModelFolder, inventory_differences, load_model, save_model
from anomalygen.detect import DETECTORS, make_detector


def _statement(sid: str, line: int, template: str = "t <*>") -> LogStatement:
    return LogStatement(
        id=sid,
        file="a/B.java",
        line=line,
        class_name="B",
        method="m()",
        level="INFO",
        call="info",
        api="slf4j",
        logger="LOG",
        logger_name=None,
        recognised_by="type",
        template=template,
        regex="^t (.*)$",
    )


def _save(tmp_path: Path, name: str, data, params):
    X, y = data
    det = make_detector(name, params).fit(X, y)
    stmts = [_statement(k, i) for i, k in enumerate("ABCDX")]
    out = tmp_path / name
    save_model(
        out,
        ModelFolder(
            det,
            {"detect": {"format": "hdfs", "sessions_by": "id", "idle_lines": 10}},
            stmts,
            {s.id: {"file": s.file, "line": s.line} for s in stmts},
            {"mean": np.ones(3), "keys": np.array(["A", "B", "C"])},
        ),
    )
    return det, out, X


def is_pickle(data: bytes) -> bool:
    """True when the bytes begin with a complete pickle (pickletools decodes opcodes up to STOP)."""
    try:
        for _ in pickletools.genops(io.BytesIO(data)):
            pass
        return True
    except Exception:  # any decoding failure means: not a pickle
        return False


def _members(path: Path):
    data = path.read_bytes()
    yield path.name, data
    if zipfile.is_zipfile(path):  # .npz and .skops are zip archives: look inside too
        with zipfile.ZipFile(path) as z:
            for n in z.namelist():
                yield f"{path.name}/{n}", z.read(n)


def test_pickle_check_recognises_a_pickle():
    import pickle

    assert is_pickle(pickle.dumps({"a": [1, 2]}))
    assert not is_pickle(b'{"a": 1}\n')


@pytest.mark.parametrize("name", list(DETECTORS))
def test_round_trip_scores_identically_and_holds_no_pickle(name, tmp_path, tiny_sessions, tiny_params):
    det, out, X = _save(tmp_path, name, tiny_sessions, tiny_params)
    back = load_model(out).detector
    probe = X[:15] + [[], ["never-seen"]]
    np.testing.assert_array_equal(back.decision_function(probe), det.decision_function(probe))
    assert back.threshold_ == det.threshold_
    for f in out.iterdir():
        for member, data in _members(f):
            assert not is_pickle(data), f"{member} is a pickle"
            if member.endswith(".npy"):
                assert np.load(io.BytesIO(data), allow_pickle=False).dtype != object
    if (out / "weights.safetensors").exists():
        from safetensors import safe_open

        with safe_open(str(out / "weights.safetensors"), framework="pt") as fh:
            assert len(list(fh.keys())) > 0
    assert not any(p.suffix in (".pt", ".pth", ".pkl", ".joblib") for p in out.iterdir())


def test_edited_manifest_is_refused(tmp_path, tiny_sessions, tiny_params):
    _, out, _ = _save(tmp_path, "PCA", tiny_sessions, tiny_params)
    doc = json.loads((out / "manifest.json").read_text())
    doc["threshold"] = doc["threshold"] * 10
    (out / "manifest.json").write_text(json.dumps(doc))
    with pytest.raises(ModelError, match=r"manifest\.json: changed after training") as e:
        load_model(out)
    assert "\n" not in str(e.value)


def test_altered_file_and_missing_file_are_refused(tmp_path, tiny_sessions, tiny_params):
    _, out, _ = _save(tmp_path, "DeepLog", tiny_sessions, tiny_params)
    raw = bytearray((out / "weights.safetensors").read_bytes())
    raw[-1] ^= 0xFF
    (out / "weights.safetensors").write_bytes(bytes(raw))
    with pytest.raises(ModelError, match=r"weights\.safetensors: content differs from the manifest"):
        load_model(out)
    (out / "weights.safetensors").unlink()
    with pytest.raises(ModelError, match="listed in the manifest but missing"):
        load_model(out)


def test_not_a_model_folder(tmp_path):
    with pytest.raises(ModelError, match="no such directory"):
        load_model(tmp_path / "nope")
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(ModelError, match=r"manifest\.json:1: not valid JSON"):
        load_model(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"format": "anomalygen-model", "format_version": 99}))
    with pytest.raises(ModelError, match="format version 99"):
        load_model(tmp_path)


def test_inventory_differences_name_the_statements():
    a = [_statement("L1", 10), _statement("L2", 20), _statement("L3", 30)]
    b = [_statement("L1", 12), _statement("L2", 20, "other <*>"), _statement("L4", 40)]
    diffs = inventory_differences(a, b)
    assert diffs == [
        "L1 moved from a/B.java:10 to a/B.java:12",
        "L2 (a/B.java:20) now logs INFO 'other <*>', was INFO 't <*>'",
        "L3 (a/B.java:30) is gone",
        "L4 (a/B.java:40) is new",
    ]
    assert inventory_differences(a, a) == []
