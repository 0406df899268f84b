"""Run manifests: what went in (with content digests), which parameters, what came out."""

from __future__ import annotations

import hashlib
import json
import platform
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from anomalygen import __version__, atomic


def tree_digest(files: list[Path], root: Path) -> str:
    """sha256 over the relative paths and bytes of the given files, in sorted order."""
    h = hashlib.sha256()
    for f in sorted(files):
        rel = f.relative_to(root).as_posix() if f != root else f.name
        h.update(rel.encode() + b"\0")
        try:
            h.update(f.read_bytes())
        except OSError:
            h.update(b"<unreadable>")
        h.update(b"\0")
    return h.hexdigest()


def source_inputs(src: Path, project: Any) -> dict[str, Any]:
    """The manifest's description of an analysed source tree: where, how many files, a digest of them."""
    files = sorted(f.source.path for f in project.files)
    return {"src": str(src), "files": len(files), "tree_sha256": tree_digest(files, src if src.is_dir() else src.parent)}


def write_manifest(path: Path, stage: str, inputs: dict[str, Any], params: dict[str, Any],
                   outputs: dict[str, Any]) -> None:
    doc = {
        "stage": stage,
        "anomalygen": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": sys.argv,
        "inputs": inputs,
        "params": params,
        "outputs": outputs,
    }
    atomic.write_text(path, json.dumps(doc, indent=1, default=str) + "\n")
