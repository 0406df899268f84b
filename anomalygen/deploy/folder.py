"""The model folder: a trained detector on disk with nothing that executes code when loaded.

Files: `manifest.json` (detector, parameters, threshold, training inputs with digests, inventory digest, the
sha256 of every other file, and its own digest), `detector.json` (the detector's JSON state), `arrays.npz`
(NumPy arrays, read with `allow_pickle=False`), `weights.safetensors` (torch tensors), `estimator.skops`
(scikit-learn estimators, loaded with an explicit list of trusted types), `inventory.jsonl` (the statements the
logs are parsed against), `vocabulary.json` (the statements the detector knows, with file, line, level and
template) and `profile.npz` (per-statement count statistics of normal training sessions, for explanations).

Loading refuses, with one line naming the file: a manifest edited after training (its digest), any file whose
bytes differ from the manifest, a format version it does not know, a detector it does not know.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from anomalygen.detect.registry import DETECTORS
from anomalygen.detect.state import DetectorState
from anomalygen.manifest import provenance
from anomalygen.source.model import LogStatement

FORMAT = "anomalygen-model"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
# types inside scikit-learn estimators that skops cannot vouch for by itself; nothing else is accepted
SKOPS_TRUSTED = {
    "sklearn.tree._tree.Tree",
    "sklearn.neighbors._kd_tree.KDTree",
    "sklearn.neighbors._ball_tree.BallTree",
    "sklearn.metrics._dist_metrics.EuclideanDistance64",
}


class ModelError(ValueError):
    """A model folder that cannot be used; the message is one line naming the file."""


@dataclass
class ModelFolder:
    detector: object  # a fitted BaseDetector
    manifest: dict
    statements: list[LogStatement]
    vocabulary: dict[str, dict]  # statement id -> {file, line, class_name, method, level, template}
    profile: dict[str, np.ndarray] = field(default_factory=dict)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def inventory_digest(statements: list[LogStatement]) -> str:
    """What parsing depends on: every statement's id, location, level, template and regex, in id order."""
    h = hashlib.sha256()
    for s in sorted(statements, key=lambda s: s.id):
        h.update(json.dumps([s.id, s.file, s.line, s.level, s.template, s.regex]).encode() + b"\n")
    return h.hexdigest()


def statement_record(s: LogStatement) -> dict:
    return {"file": s.file, "line": s.line, "class_name": s.class_name, "method": s.method, "level": s.level,
            "template": s.template}


def _manifest_digest(doc: dict) -> str:
    # everything but the digest itself and the wall-clock time it was written: the same model, the same digest
    body = {k: v for k, v in doc.items() if k not in ("digest", "created")}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def save_model(out: Path, model: ModelFolder) -> Path:
    """Write the folder (created if needed); returns the manifest's path."""
    import torch  # noqa: F401 - safetensors.torch needs it loaded
    from safetensors.torch import save_file

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    det = model.detector
    st: DetectorState = det.get_state()
    files: list[str] = []

    def write_json(name: str, obj) -> None:
        (out / name).write_text(json.dumps(obj, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        files.append(name)

    write_json("detector.json", {"name": det.name, "params": det.get_params(), "state": st.meta})
    np.savez(out / "arrays.npz", **st.arrays)
    files.append("arrays.npz")
    if st.tensors:
        save_file(st.tensors, str(out / "weights.safetensors"))
        files.append("weights.safetensors")
    if st.estimator is not None:
        import skops.io as sio

        sio.dump(st.estimator, out / "estimator.skops")
        files.append("estimator.skops")
    with open(out / "inventory.jsonl", "w", encoding="utf-8") as fh:
        for s in model.statements:
            fh.write(json.dumps(s.to_dict(), ensure_ascii=False) + "\n")
    files.append("inventory.jsonl")
    write_json("vocabulary.json", model.vocabulary)
    np.savez(out / "profile.npz", **model.profile)
    files.append("profile.npz")
    doc = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        **provenance(),
        **model.manifest,
        "detector": det.name,
        "params": det.get_params(),
        "threshold": float(det.threshold_),
        "inventory_digest": inventory_digest(model.statements),
        "files": {name: sha256_file(out / name) for name in sorted(files)},
    }
    doc["digest"] = _manifest_digest(doc)
    path = out / MANIFEST
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    return path


def read_manifest(folder: Path) -> dict:
    """The manifest, checked against itself and against every file it lists."""
    folder = Path(folder)
    path = folder / MANIFEST
    if not folder.is_dir():
        raise ModelError(f"{folder}: not a model folder (no such directory)")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{path}: missing; {folder} is not a model folder written by `anomalygen train`") from None
    except json.JSONDecodeError as e:
        raise ModelError(f"{path}:{e.lineno}: not valid JSON ({e.msg})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ModelError(f"{path}: not an anomalygen model manifest")
    if doc.get("format_version") != FORMAT_VERSION:
        raise ModelError(f"{path}: model format version {doc.get('format_version')!r}; this anomalygen reads "
                         f"version {FORMAT_VERSION} (retrain the model)")
    if doc.get("digest") != _manifest_digest(doc):
        raise ModelError(f"{path}: changed after training (its digest does not match its content); refusing it")
    if doc.get("detector") not in DETECTORS:
        raise ModelError(f"{path}: unknown detector {doc.get('detector')!r}")
    for name, want in sorted(doc.get("files", {}).items()):
        f = folder / name
        if Path(name).name != name:
            raise ModelError(f"{path}: file entry {name!r} points outside the model folder")
        if not f.is_file():
            raise ModelError(f"{f}: listed in the manifest but missing")
        if sha256_file(f) != want:
            raise ModelError(f"{f}: content differs from the manifest (altered after training); refusing it")
    return doc


def _load_estimator(path: Path):
    import skops.io as sio

    untrusted = sio.get_untrusted_types(file=path)
    unknown = sorted(set(untrusted) - SKOPS_TRUSTED)
    if unknown:
        raise ModelError(f"{path}: holds types anomalygen does not trust: {', '.join(unknown)}")
    return sio.load(path, trusted=list(untrusted))


def load_model(folder: Path) -> ModelFolder:
    from safetensors.torch import load_file

    folder = Path(folder)
    doc = read_manifest(folder)
    listed = doc.get("files", {})
    det_doc = json.loads((folder / "detector.json").read_text(encoding="utf-8"))
    if det_doc.get("name") != doc["detector"] or det_doc.get("params") != doc.get("params"):
        raise ModelError(f"{folder / 'detector.json'}: names another detector or parameters than the manifest")
    try:
        with np.load(folder / "arrays.npz", allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        with np.load(folder / "profile.npz", allow_pickle=False) as z:
            profile = {k: z[k] for k in z.files}
    except ValueError as e:
        raise ModelError(f"{folder}: an .npz file holds objects, which are never loaded ({e})") from None
    st = DetectorState(meta=det_doc.get("state", {}), arrays=arrays)
    if "weights.safetensors" in listed:
        st.tensors = load_file(str(folder / "weights.safetensors"))
    if "estimator.skops" in listed:
        st.estimator = _load_estimator(folder / "estimator.skops")
    cls = DETECTORS[doc["detector"]]
    try:
        det = cls.from_state(det_doc["params"], st)
    except (KeyError, RuntimeError, TypeError, ValueError) as e:
        raise ModelError(f"{folder}: the saved state does not fit {doc['detector']} "
                         f"({type(e).__name__}: {e})") from None
    statements = []
    with open(folder / "inventory.jsonl", encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                try:
                    statements.append(LogStatement.from_dict(json.loads(line)))
                except (ValueError, TypeError) as e:
                    raise ModelError(f"{folder / 'inventory.jsonl'}:{n}: not a statement record ({e})") from None
    vocab = json.loads((folder / "vocabulary.json").read_text(encoding="utf-8"))
    return ModelFolder(det, doc, statements, vocab, profile)


def inventory_differences(model: list[LogStatement], other: list[LogStatement], limit: int = 20) -> list[str]:
    """Human-readable differences between the model's inventory and another one (changed, gone, new)."""
    mine = {s.id: s for s in model}
    theirs = {s.id: s for s in other}
    out = []
    for sid in sorted(mine):
        a, b = mine[sid], theirs.get(sid)
        if b is None:
            out.append(f"{sid} ({a.file}:{a.line}) is gone")
        elif (a.template, a.level, a.regex) != (b.template, b.level, b.regex):
            out.append(f"{sid} ({b.file}:{b.line}) now logs {b.level} {b.template!r}, was {a.level} {a.template!r}")
        elif (a.file, a.line) != (b.file, b.line):
            out.append(f"{sid} moved from {a.file}:{a.line} to {b.file}:{b.line}")
    out += [f"{sid} ({theirs[sid].file}:{theirs[sid].line}) is new" for sid in sorted(set(theirs) - set(mine))]
    return out[:limit] + ([f"... and {len(out) - limit} more"] if len(out) > limit else [])
