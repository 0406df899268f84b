"""Run manifests: what went in (with content digests), which parameters, what came out; the digests themselves."""

from __future__ import annotations

import hashlib
import json
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from anomalygen import __version__, atomic


def _feed(h: Any, path: Path, missing: bytes) -> None:
    """Hash a file's bytes in 1 MiB blocks (bounded memory at any size); `missing` stands for an unreadable one."""
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    except OSError:
        h.update(missing)


def file_digest(path: Path | None) -> str | None:
    """sha256 of one file's bytes (what `sha256sum` prints); None when there is no such file."""
    if path is None or not path.is_file():
        return None
    h = hashlib.sha256()
    _feed(h, path, b"")
    return h.hexdigest()


def tree_digest(files: list[Path], root: Path) -> str:
    """sha256 over the relative paths and bytes of the given files, in sorted order."""
    h = hashlib.sha256()
    for f in sorted(files):
        rel = f.relative_to(root).as_posix() if f != root else f.name
        h.update(rel.encode() + b"\0")
        _feed(h, f, b"<unreadable>")
        h.update(b"\0")
    return h.hexdigest()


def paths_digest(paths: list[Path]) -> str:
    """sha256 over the paths as given and the bytes of files and of every file under folders: a stage's inputs
    in `anomalygen run`'s fingerprints (a moved input counts as changed)."""
    h = hashlib.sha256()
    for p in paths:
        files = sorted(x for x in p.rglob("*") if x.is_file()) if p.is_dir() else [p]
        for f in files:
            h.update(str(f).encode() + b"\0")
            _feed(h, f, b"<missing>")
    return h.hexdigest()


def source_inputs(src: Path, project: Any) -> dict[str, Any]:
    """The manifest's description of an analysed source tree: where, how many files, a digest of them."""
    files = sorted(f.source.path for f in project.files)
    return {
        "src": str(src),
        "files": len(files),
        "tree_sha256": tree_digest(files, src if src.is_dir() else src.parent),
    }


def provenance() -> dict[str, str]:
    """Which anomalygen, Python and platform wrote a file, and when: the head of every manifest."""
    return {
        "anomalygen": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def write_manifest(
    path: Path, stage: str, inputs: dict[str, Any], params: dict[str, Any], outputs: dict[str, Any]
) -> None:
    doc = {"stage": stage, **provenance(), "command": sys.argv, "inputs": inputs, "params": params, "outputs": outputs}
    atomic.write_text(path, json.dumps(doc, indent=1, default=str) + "\n")
