"""Checks of parameters and paths made before any work, each failing with one line that names the setting or file.

They raise `InputError`, which the command line turns into `error: ...` and exit code 2 (see `errors.py`).
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from anomalygen.core.errors import InputError


def number_list(text: str, what: str, low: float, high: float = float("inf"), low_open: bool = False) -> list[float]:
    """Comma-separated numbers, each in [low, high] (or (low, high] with low_open)."""
    try:
        values = [float(x) for x in str(text).split(",") if x.strip()]
    except ValueError:
        raise InputError(f"{what}: expected comma-separated numbers, got {text!r}") from None
    if not values:
        raise InputError(f"{what}: expected at least one number, got {text!r}")
    for v in values:
        if not (low < v if low_open else low <= v) or v > high or v != v:
            bound = f"{'(' if low_open else '['}{low:g}, {high:g}]"
            raise InputError(f"{what}: {v:g} is outside {bound}")
    return values


def in_range(
    value: float, what: str, low: float, high: float = float("inf"), low_open: bool = False, high_open: bool = False
) -> float:
    ok = (low < value if low_open else low <= value) and (value < high if high_open else value <= high)
    if not ok:
        bound = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise InputError(f"{what}: {value:g} is outside {bound}")
    return value


def readable(paths: Iterable[Path], what: str, folder_ok: bool = False) -> None:
    """Each path exists and can be read; a folder only where `folder_ok`."""
    for p in paths:
        p = Path(p)
        if not p.exists():
            raise InputError(f"{p}: no such {what}")
        if p.is_dir() and not folder_ok:
            raise InputError(f"{p}: is a folder, expected a {what}")
        if not os.access(p, os.R_OK) or (p.is_dir() and not os.access(p, os.X_OK)):
            raise InputError(f"{p}: {what} is not readable (permission denied)")
        if p.is_file():
            try:
                with open(p, "rb") as fh:
                    fh.read(1)
            except OSError as err:
                raise InputError(f"{p}: {what} cannot be read ({err.strerror or err})") from None


def writable(path: Path, folder: bool) -> None:
    """Refuse, before any work, an output that cannot be written: `path` is a folder to create or fill
    (folder=True) or a file whose folder must be creatable."""
    path = Path(path)
    if folder and path.exists() and not path.is_dir():
        raise InputError(f"{path}: output folder exists and is a file")
    if not folder and path.is_dir():
        raise InputError(f"{path}: output is a folder, expected a file name")
    probe = path if folder else path.parent
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    if not probe.is_dir():
        raise InputError(f"{probe}: is a file, so {path} cannot be created")
    try:  # a real write: os.access says yes to root on a read-only mount
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as err:
        raise InputError(f"{probe}: folder is not writable ({err.strerror or os.strerror(errno.EACCES)})") from None


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)  # another name of the file: a symlink, a hard link, `..`
    except OSError:
        return False


def _within(inner: Path, outer: Path) -> bool:
    return inner == outer or outer in inner.parents


def apart_from_inputs(outputs: Iterable[Path], inputs: Iterable[Path | None]) -> None:
    """Refuse, before anything is opened for writing, an output that is an input (under any name), lies inside an
    input folder, or is a folder that holds an input: writing it would destroy what the command reads."""
    ins = [Path(p) for p in inputs if p is not None and str(p) != "-"]
    for out in map(Path, outputs):
        o = out.resolve()
        for inp in ins:
            i = inp.resolve()
            if o == i or _same_file(out, inp):
                raise InputError(f"{out}: output is the input {inp}; refusing to overwrite it")
            if _within(i, o):
                raise InputError(f"{out}: output folder holds the input {inp}; refusing to write there")
            if inp.is_dir() and _within(o, i):
                raise InputError(f"{out}: output lies inside the input folder {inp}; refusing to write there")
