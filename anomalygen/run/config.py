"""Settings of `anomalygen run`: defaults, then a config file (TOML or YAML, keys as the long flags), then flags."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import yaml

from anomalygen.core.errors import InputError

DEFAULTS: dict[str, Any] = {
    "source": None,  # None: the embedded example service
    "logs": [],  # [] with the example: its recorded logs
    "labels": None,
    "format": None,  # None: zookeeper for the example, else hdfs
    "sessions_by": "auto",  # auto: chosen from the logs (anomalygen.logs.session_rule)
    "weak_labels": None,  # error: a session with an ERROR line is anomalous
    "labels_conflict": "error",  # an id labelled twice, differently: error | first | last
    "testbed": None,  # a testbed run folder to train on (then --source is the ZooKeeper 3.8 source)
    "test_testbed": [],  # testbed run folders to test on (none: the second half of the training run)
    "val_testbed": None,  # a testbed run to choose the session form on (never a test run)
    "oracle_testbed": None,  # a testbed run with real planned operations: the oracle arm's extra training
    "out": "anomalygen_run",
    "n": 1000,
    "seed": 0,
    "max_paths": 200,
    "anomalous_share": 0.1,
    "models": "all",
    "ratios": "1",
    "train_fractions": "0.05",
    "split": "chronological",
    "seeds": 5,
    "epochs": 3,
    "llm": "none",
}


# the type of each setting (the range of a number: `anomalygen/settings.py`; of a list of numbers: here)
KINDS: dict[str, tuple] = {
    "source": ("path",),
    "logs": ("paths",),
    "labels": ("path",),
    "format": ("str",),
    "sessions_by": ("str",),
    "out": ("path",),
    "n": ("int",),
    "seed": ("int",),
    "max_paths": ("int",),
    "anomalous_share": ("float",),
    "models": ("str",),
    "ratios": ("numbers", 0.0),
    "train_fractions": ("numbers", 0.0, 1.0, "open"),
    "split": ("choice", "chronological", "random"),
    "seeds": ("int",),
    "epochs": ("int",),
    "llm": ("choice", "none", "openai", "local"),
    "weak_labels": ("choice", "error"),
    "labels_conflict": ("choice", "error", "first", "last"),
    "testbed": ("path",),
    "test_testbed": ("paths",),
    "val_testbed": ("path",),
    "oracle_testbed": ("path",),
}


class ConfigError(InputError):
    pass


def load_config(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    if not path.exists():
        raise ConfigError(f"{path}: no such config file")
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder, expected a TOML or YAML config file")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as e:
        line = path.read_bytes()[: e.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 text") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot be read ({e.strerror or e})") from None
    try:
        if path.suffix.lower() == ".toml":
            doc = tomllib.loads(text)
        else:
            doc = yaml.safe_load(text) or {}
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML ({e})") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise ConfigError(
            f"{path}:{mark.line + 1 if mark else '?'}: not valid YAML ({getattr(e, 'problem', e)})"
        ) from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: expected a table/mapping of settings")
    if "run" in doc:  # settings may sit under a [run] table, then nothing may sit beside it (it would be ignored)
        beside = sorted(map(str, set(doc) - {"run"}))
        if beside:
            raise ConfigError(f"{path}: {', '.join(beside)} beside the [run] table: put every setting inside it")
        doc = doc["run"]
        if not isinstance(doc, dict):
            raise ConfigError(f"{path}: run: expected a table of settings, got {doc!r}")
    out = {}
    for k, v in doc.items():
        if not isinstance(k, str):
            raise ConfigError(f"{path}: setting {k!r}: a setting's name is text (a long flag such as max-paths)")
        key = k.replace("-", "_")
        if key not in DEFAULTS:
            raise ConfigError(f"{path}: unknown setting {k!r} (known: {', '.join(sorted(DEFAULTS))})")
        out[key] = v
    for key in ("logs", "test_testbed"):
        if isinstance(out.get(key), str):
            out[key] = [out[key]]
    return out


def resolve(flags: dict[str, Any], config: dict[str, Any], config_path: Path | None = None) -> dict[str, Any]:
    """Flags given on the command line win over the config file, which wins over the defaults; every value is
    checked against `KINDS` (a wrong one names its flag, or its key and the file)."""
    out = dict(DEFAULTS)
    origin = {k: f"{config_path}: {k.replace('_', '-')}" for k in config}
    out.update(config)
    for k, v in flags.items():
        if v is not None and v != []:
            out[k] = v
            origin[k] = f"--{k.replace('_', '-')}"
    for k, v in out.items():
        if k in origin:
            out[k] = _check(k, v, KINDS[k], origin[k])
    return out


def _check(key: str, v: Any, kind: tuple, where: str) -> Any:
    from anomalygen.checks import number_list
    from anomalygen.settings import RANGES, check

    name = kind[0]
    if name in ("int", "float") and key in RANGES:  # the one table of ranges (`anomalygen/settings.py`)
        try:
            v = check(key, v, where)
        except ValueError as e:
            raise ConfigError(str(e)) from None
        return float(v) if name == "float" else v
    if v is None and name == "path":
        return v
    if name in ("path", "str") and isinstance(v, (str, Path)) and str(v):
        return v
    if name == "paths" and isinstance(v, list) and all(isinstance(x, (str, Path)) and str(x) for x in v):
        return v
    if name == "numbers" and isinstance(v, (str, int, float)) and not isinstance(v, bool):
        number_list(str(v), where, kind[1], (kind[2:3] or [float("inf")])[0], low_open="open" in kind)
        return str(v)
    if name == "choice" and v in kind[1:]:
        return v
    expected = {
        "path": "a path",
        "str": "a non-empty string",
        "paths": "a list of paths",
        "int": "an integer",
        "float": "a number",
        "numbers": "comma-separated numbers",
    }.get(name) or "one of " + ", ".join(kind[1:])
    raise ConfigError(f"{where}: expected {expected}, got {v!r}")
