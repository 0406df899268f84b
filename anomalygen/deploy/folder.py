"""The model folder: a trained detector on disk with nothing that executes code when loaded.

Files: `manifest.json` (detector, parameters, threshold, training inputs with digests, inventory digest, the
sha256 of every other file, and its own digest), `detector.json` (the detector's JSON state), `arrays.npz`
(NumPy arrays, read with `allow_pickle=False`), `weights.safetensors` (torch tensors), `estimator.skops`
(scikit-learn estimators, loaded with an explicit list of trusted types), `inventory.jsonl` (the statements the
logs are parsed against), `vocabulary.json` (the statements the detector knows, with file, line, level and
template) and `profile.npz` (per-statement count statistics of normal training sessions, for explanations).

Loading refuses, with one line naming the file: a manifest edited after training (its digest), any file whose
bytes differ from the manifest, a format version it does not know, a detector it does not know, anything but a
regular file of bounded size (a link, a FIFO, a device), a file its library cannot decode. The digest only finds
accidents: whoever can write the folder can recompute it. With ANOMALYGEN_MODEL_KEY set, `train` signs the
manifest (HMAC-SHA256 over it, and so over every file's digest) and loading refuses a model without that key's
signature.
"""

from __future__ import annotations

import errno
import hashlib
import hmac
import io
import json
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from anomalygen import atomic
from anomalygen.atomic import atomic_folder, atomic_path, is_temp
from anomalygen.core.statements import LogStatement
from anomalygen.detect.base import BaseDetector
from anomalygen.detect.registry import DETECTORS
from anomalygen.detect.state import DetectorState
from anomalygen.manifest import provenance

FORMAT = "anomalygen-model"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
REQUIRED = {"detector.json", "arrays.npz", "inventory.jsonl", "vocabulary.json", "profile.npz"}
KEY_ENV = "ANOMALYGEN_MODEL_KEY"  # set: train signs the manifest (HMAC-SHA256), detect refuses what it did not sign
MAX_MANIFEST_BYTES = 64 << 20
MAX_FILE_BYTES = 8 << 30
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
    detector: BaseDetector  # fitted
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
    return {
        "file": s.file,
        "line": s.line,
        "class_name": s.class_name,
        "method": s.method,
        "level": s.level,
        "template": s.template,
    }


def _body(doc: dict) -> bytes:
    # everything but the digest, the signature and the wall-clock time it was written: the same model, the same body
    return json.dumps(
        {k: v for k, v in doc.items() if k not in ("digest", "signature", "created")}, sort_keys=True
    ).encode()


def _manifest_digest(doc: dict) -> str:
    return hashlib.sha256(_body(doc)).hexdigest()


def _signing_key() -> bytes | None:
    key = os.environ.get(KEY_ENV, "")
    return key.encode() if key else None


def _signature(doc: dict, key: bytes) -> str:
    return hmac.new(key, _body(doc), hashlib.sha256).hexdigest()


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of `path` if it is a regular file (not a link, a FIFO, a device, a folder) of at most `limit`
    bytes: a model folder is read by name, and a name must not make `detect` hang or read without end."""
    try:  # O_NONBLOCK: opening a FIFO must not wait for a writer; O_NOFOLLOW: a link is refused, not followed
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        raise
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise ModelError(f"{path}: is a symbolic link; a model folder holds regular files only") from None
        raise ModelError(f"{path}: cannot be read ({e.strerror or e})") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
        os.close(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ModelError(f"{path}: not a regular file; a model folder holds regular files only")
        raise ModelError(f"{path}: {st.st_size} bytes, more than a model file may have ({limit})")
    with os.fdopen(fd, "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise ModelError(f"{path}: more than {limit} bytes, more than a model file may have")
    return data


def is_model_folder(folder: Path) -> bool:
    """Whether `folder` holds an anomalygen model's manifest (complete or not, trusted or not)."""
    try:
        doc = json.loads(read_regular(Path(folder) / MANIFEST, MAX_MANIFEST_BYTES))
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and doc.get("format") == FORMAT


def check_out(out: Path, force: bool = False) -> None:
    """Refuse, before training, an output that is a file, or a folder with other content than a model: a model
    folder is replaced whole, and what else such a folder held would go with it."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ModelError(f"{out}: exists and is not a folder")
    if force or not out.is_dir() or is_model_folder(out):
        return
    if any(not is_temp(p) for p in out.iterdir()):
        raise ModelError(
            f"{out}: not an anomalygen model folder and not empty; refusing to write into it (pass "
            "--force to add the model's files to what it holds)"
        )


def save_model(out: Path, model: ModelFolder, force: bool = False) -> Path:
    """Write the model folder; returns the manifest's path. A new folder is filled beside `out` and replaces it
    in one step (`atomic.atomic_folder`), so an interrupted save leaves the previous model as it was. Only with
    `force`, a folder that holds something else gets the model's files added, each written atomically, the
    manifest last."""
    out = Path(out)
    check_out(out, force)
    if force and out.is_dir() and any(out.iterdir()) and not is_model_folder(out):
        return _write_files(out, model)
    with atomic_folder(out) as tmp:
        _write_files(tmp, model)
    return out / MANIFEST


def _write_files(out: Path, model: ModelFolder) -> Path:
    import torch  # noqa: F401 - safetensors.torch needs it loaded
    from safetensors.torch import save_file

    det = model.detector
    st: DetectorState = det.get_state()
    files: list[str] = []

    def write_json(name: str, obj) -> None:
        atomic.write_text(out / name, json.dumps(obj, indent=1, ensure_ascii=False) + "\n")
        files.append(name)

    def write_by_name(name: str, save) -> None:
        with atomic_path(out / name) as tmp:
            save(tmp)
        files.append(name)

    write_json("detector.json", {"name": det.name, "params": det.get_params(), "state": st.meta})
    # numpy's stubs read **arrays as its allow_pickle flag
    write_by_name("arrays.npz", lambda p: np.savez(p, **st.arrays))  # type: ignore[arg-type]
    if st.tensors:
        write_by_name("weights.safetensors", lambda p: save_file(st.tensors, str(p)))
    if st.estimator is not None:
        import skops.io as sio

        write_by_name("estimator.skops", lambda p: sio.dump(st.estimator, p))
    atomic.write_text(
        out / "inventory.jsonl", "".join(json.dumps(s.to_dict(), ensure_ascii=False) + "\n" for s in model.statements)
    )
    files.append("inventory.jsonl")
    write_json("vocabulary.json", model.vocabulary)
    write_by_name("profile.npz", lambda p: np.savez(p, **model.profile))  # type: ignore[arg-type]  # as above
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
    key = _signing_key()
    if key is not None:
        doc["signature"] = {"alg": "hmac-sha256", "value": _signature(doc, key)}
    doc["digest"] = _manifest_digest(doc)
    path = out / MANIFEST
    atomic.write_text(path, json.dumps(doc, indent=1, ensure_ascii=False, default=str) + "\n")
    return path


def read_manifest(folder: Path) -> dict:
    """The manifest, checked against itself (and its signature, when ANOMALYGEN_MODEL_KEY is set)."""
    folder = Path(folder)
    path = folder / MANIFEST
    if not folder.is_dir():
        raise ModelError(f"{folder}: not a model folder (no such directory)")
    try:
        doc = json.loads(read_regular(path, MAX_MANIFEST_BYTES).decode("utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{path}: missing; {folder} is not a model folder written by `anomalygen train`") from None
    except json.JSONDecodeError as e:
        raise ModelError(f"{path}:{e.lineno}: not valid JSON ({e.msg})") from None
    except (UnicodeDecodeError, RecursionError):
        raise ModelError(f"{path}: not a JSON text") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ModelError(f"{path}: not an anomalygen model manifest")
    if doc.get("format_version") != FORMAT_VERSION:
        raise ModelError(
            f"{path}: model format version {doc.get('format_version')!r}; this anomalygen reads "
            f"version {FORMAT_VERSION} (retrain the model)"
        )
    if doc.get("digest") != _manifest_digest(doc):
        raise ModelError(f"{path}: changed after training (its digest does not match its content); refusing it")
    key = _signing_key()
    if key is not None:
        sig = doc.get("signature")
        if not isinstance(sig, dict) or sig.get("alg") != "hmac-sha256":
            raise ModelError(
                f"{path}: not signed, and {KEY_ENV} is set: refusing an unsigned model (train it with the key set)"
            )
        if not hmac.compare_digest(str(sig.get("value", "")), _signature(doc, key)):
            raise ModelError(
                f"{path}: its signature does not match {KEY_ENV} (changed after training, or signed "
                "with another key); refusing it"
            )
    if doc.get("detector") not in DETECTORS:
        raise ModelError(f"{path}: unknown detector {doc.get('detector')!r}")
    _check_shape(path, doc)
    listed = doc.get("files")
    if not isinstance(listed, dict) or not all(isinstance(v, str) for v in listed.values()):
        raise ModelError(f"{path}: 'files' is not a table of file names and digests")
    for name in listed:
        if not isinstance(name, str) or Path(name).name != name or name in ("", ".", "..", MANIFEST):
            raise ModelError(f"{path}: file entry {name!r} points outside the model folder")
    missing = sorted(REQUIRED - set(listed))
    if missing:
        raise ModelError(f"{path}: lists no {', '.join(missing)}; not a complete model")
    return doc


def _check_shape(path: Path, doc: dict) -> None:
    """The fields `detect` reads, with their types: a digest that matches says nothing about them."""
    d = doc.get("detect")
    ok = (
        isinstance(doc.get("params"), dict)
        and isinstance(doc.get("threshold"), (int, float))
        and isinstance(doc.get("inventory_digest"), str)
        and isinstance(d, dict)
        and isinstance(d.get("format"), str)
        and isinstance(d.get("sessions_by"), str)
        and isinstance(d.get("idle_lines"), int)
        and not isinstance(d.get("idle_lines"), bool)
        and isinstance(doc.get("training", {}), dict)
    )
    if not ok:
        raise ModelError(
            f"{path}: lacks a field detect needs, or has one of the wrong type (params, threshold, "
            "inventory_digest, detect: format, sessions_by, idle_lines)"
        )


def _verified_files(folder: Path, doc: dict) -> dict[str, bytes]:
    """The bytes of every file the manifest lists, each a regular file whose sha256 is the listed one."""
    out = {}
    for name, want in sorted(doc["files"].items()):
        f = folder / name
        try:
            data = read_regular(f, MAX_FILE_BYTES)
        except FileNotFoundError:
            raise ModelError(f"{f}: listed in the manifest but missing") from None
        if hashlib.sha256(data).hexdigest() != want:
            raise ModelError(f"{f}: content differs from the manifest (altered after training); refusing it")
        out[name] = data
    return out


def _load_estimator(path: Path, data: bytes):
    import skops.io as sio

    untrusted = sio.get_untrusted_types(data=data)
    unknown = sorted(set(untrusted) - SKOPS_TRUSTED)
    if unknown:
        raise ModelError(f"{path}: holds types anomalygen does not trust: {', '.join(unknown)}")
    return sio.loads(data, trusted=list(untrusted))


@contextmanager
def _reading(path: Path, what: str) -> Iterator[None]:
    """Any failure to decode a model file (its digest matched: it was made so, or re-signed) is that file's."""
    try:
        yield
    except ModelError:
        raise
    except Exception as e:  # numpy, safetensors, skops and json each raise their own kinds
        raise ModelError(f"{path}: not a valid {what} ({type(e).__name__}: {str(e)[:200]})") from None


def _npz(path: Path, data: bytes) -> dict[str, np.ndarray]:
    with _reading(path, ".npz array archive of numbers and text"), np.load(io.BytesIO(data), allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def load_model(folder: Path) -> ModelFolder:
    folder = Path(folder)
    doc = read_manifest(folder)
    raw = _verified_files(folder, doc)
    with _reading(folder / "detector.json", "detector state (JSON)"):
        det_doc = json.loads(raw["detector.json"].decode("utf-8"))
        if not isinstance(det_doc, dict):
            raise ValueError("not a JSON object")
    if det_doc.get("name") != doc["detector"] or det_doc.get("params") != doc.get("params"):
        raise ModelError(f"{folder / 'detector.json'}: names another detector or parameters than the manifest")
    st = DetectorState(meta=det_doc.get("state", {}), arrays=_npz(folder / "arrays.npz", raw["arrays.npz"]))
    profile = _npz(folder / "profile.npz", raw["profile.npz"])
    if "weights.safetensors" in raw:
        from safetensors.torch import load

        with _reading(folder / "weights.safetensors", "safetensors file"):
            st.tensors = load(raw["weights.safetensors"])
    if "estimator.skops" in raw:
        with _reading(folder / "estimator.skops", "skops file"):
            st.estimator = _load_estimator(folder / "estimator.skops", raw["estimator.skops"])
    cls = DETECTORS[doc["detector"]]
    try:
        det = cls.from_state(det_doc["params"], st)
    except (KeyError, RuntimeError, TypeError, ValueError, AttributeError, IndexError) as e:
        raise ModelError(
            f"{folder}: the saved state does not fit {doc['detector']} ({type(e).__name__}: {e})"
        ) from None
    statements = []
    inv = folder / "inventory.jsonl"
    with _reading(inv, "inventory (UTF-8 JSON lines)"):
        text = raw["inventory.jsonl"].decode("utf-8")
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                statements.append(LogStatement.from_dict(json.loads(line)))
            except (ValueError, TypeError, KeyError, AttributeError) as e:
                raise ModelError(f"{inv}:{n}: not a statement record ({e})") from None
    with _reading(folder / "vocabulary.json", "vocabulary (JSON)"):
        vocab = json.loads(raw["vocabulary.json"].decode("utf-8"))
        if not isinstance(vocab, dict):
            raise ValueError("not a JSON object")
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
