"""The allowed range of every numeric setting, in one table that the command line, the config files of `run` and
the Python API's requests all check against, before any work: a value outside fails with one line naming the
setting (its flag, or its key and file) and exit 2.

The upper bounds are not what the code could survive but what a run could finish: `--n 10**12` synthetic sessions
or `--seeds 10000` would run for weeks before anyone noticed the typo.
"""

from __future__ import annotations

import math
from typing import Any

from anomalygen.core.errors import InputError

INF = math.inf
# name -> (type, low, high, which ends are open: "" | "low" | "high" | "both")
RANGES: dict[str, tuple[str, float, float, str]] = {
    # run and generate
    "n": ("int", 1, 10_000_000, ""),
    "seed": ("int", 0, 2**32 - 1, ""),
    "max_paths": ("int", 1, 1_000_000, ""),
    "anomalous_share": ("float", 0.0, 1.0, ""),
    "novel_share": ("float", 0.0, 1.0, ""),
    "seeds": ("int", 1, 1000, ""),
    "epochs": ("int", 1, 100_000, ""),
    # train
    "val_fraction": ("float", 0.0, 1.0, "both"),
    "holdout": ("float", 0.0, 1.0, "high"),
    "synthesize": ("int", 0, 10_000_000, ""),
    "idle_lines": ("int", 1, 2**62, ""),
    # detect
    "max_open": ("int", 1, 2**62, ""),
    "idle_seconds": ("float", 0.0, INF, "low"),
    "exit_idle": ("float", 0.0, INF, ""),
    "jobs": ("int", 0, 4096, ""),
}


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def check(name: str, value: Any, where: str | None = None) -> Any:
    """`value` if it has the setting's type and lies in its range; else InputError naming `where` (its flag)."""
    kind, low, high, open_ = RANGES[name]
    where = where or flag(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind == "int" and not isinstance(value, int)):
        raise InputError(f"{where}: expected {'an integer' if kind == 'int' else 'a number'}, got {value!r}")
    ok = (low < value if open_ in ("low", "both") else low <= value) and (
        value < high if open_ in ("high", "both") else value <= high
    )
    if not ok or value != value:
        lo = "(" if open_ in ("low", "both") else "["
        hi = ")" if open_ in ("high", "both") else "]"
        raise InputError(f"{where}: {value!r} is outside {lo}{_num(low)}, {_num(high)}{hi}")
    return value


def _num(x: float) -> str:
    return f"{x:,}" if isinstance(x, int) else f"{x:g}"


def check_fields(req: Any, names: tuple[str, ...]) -> None:
    """Each named field of a request that is set (not None) is checked."""
    for name in names:
        value = getattr(req, name)
        if value is not None:
            check(name, value)
