"""Settings of `anomalygen run`: defaults, then a config file (TOML or YAML, keys as the long flags), then flags."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import yaml

DEFAULTS: dict[str, Any] = {
    "source": None,  # None: the embedded example service
    "logs": [],  # [] with the example: its recorded logs
    "labels": None,
    "format": None,  # None: zookeeper for the example, else hdfs
    "sessions_by": "id",
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


class ConfigError(ValueError):
    pass


def load_config(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    if not path.exists():
        raise ConfigError(f"{path}: no such config file")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".toml":
            doc = tomllib.loads(text)
        else:
            doc = yaml.safe_load(text) or {}
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML ({e})") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise ConfigError(f"{path}:{mark.line + 1 if mark else '?'}: not valid YAML "
                          f"({getattr(e, 'problem', e)})") from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: expected a table/mapping of settings")
    doc = doc.get("run", doc)  # settings may sit under a [run] table
    out = {}
    for k, v in doc.items():
        key = k.replace("-", "_")
        if key not in DEFAULTS:
            raise ConfigError(f"{path}: unknown setting {k!r} (known: {', '.join(sorted(DEFAULTS))})")
        out[key] = v
    if isinstance(out.get("logs"), str):
        out["logs"] = [out["logs"]]
    return out


def resolve(flags: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """Flags given on the command line win over the config file, which wins over the defaults."""
    out = dict(DEFAULTS)
    out.update(config)
    for k, v in flags.items():
        if v is not None and v != []:
            out[k] = v
    return out
