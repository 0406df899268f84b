"""Settings of `anomalygen run`, each declared once (`RunRequest`): defaults, then a config file (TOML or YAML, keys
as the long flags), then flags."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from anomalygen.core import formats
from anomalygen.core.errors import InputError
from anomalygen.options import setting


def _meta(default: Any, kind: tuple, help: str, *short: str) -> dict[str, Any]:
    """What makes a `RunRequest` field a setting of `anomalygen run`. On a request the field is None (or []): the
    config file's value, else `default`. `kind` is what `resolve` checks a flag's or a config key's value against
    (the range of a number: `anomalygen/settings.py`; of a list of numbers: here); `help` and the `short` flags are
    the command line's (`run/cli.py` makes its options from these fields: `anomalygen/options.py`)."""
    return setting(help, *short) | {"default": default, "kind": kind}


@dataclass
class RunRequest:
    """Every setting of `anomalygen run`, each declared once here: its type, its default, its kind and its help,
    shared by the command line, the config file and the Python API. None (or []) takes the config file's value,
    else the default. No source and no logs: the embedded example."""

    source: Path | None = field(
        default=None, metadata=_meta(None, ("path",), "Java source tree (default: the example)", "-s")
    )
    logs: list[Path] = field(
        default_factory=list, metadata=_meta([], ("paths",), "raw log file, repeatable (default: the example's)", "-l")
    )
    labels: Path | None = field(
        default=None,
        metadata=_meta(
            None,
            ("path",),
            "session labels: anomaly_label.csv (BlockId,Label) or a labelled sessions JSONL; without them nothing can "
            "be scored",
        ),
    )
    format: str | None = field(
        default=None,
        metadata=_meta(None, ("str",), formats.help_text() + " (default: zookeeper for the example, else hdfs)", "-f"),
    )
    sessions_by: str | None = field(
        default=None,
        metadata=_meta(  # auto: chosen from the logs (anomalygen.logs.session_rule)
            "auto",
            ("str",),
            "how lines form sessions: auto (default: an identifier most lines carry, else time windows per server, "
            "chosen from the logs) | id (blk_ ids) | regex:PATTERN | field:NAME | window:count:N | window:time:SECONDS",
        ),
    )
    weak_labels: str | None = field(
        default=None,
        metadata=_meta(
            None,
            ("choice", "error"),
            "without labels: 'error' marks a session with an ERROR line anomalous (weak labels, marked as such); "
            "without either, detectors are compared by their alarm rates",
        ),
    )
    labels_conflict: str | None = field(
        default=None,
        metadata=_meta(
            "error",
            ("choice", "error", "first", "last"),
            "a session id labelled twice, differently: error (default, naming both lines) | first | last",
        ),
    )
    testbed: Path | None = field(
        default=None,
        metadata=_meta(
            None,
            ("path",),
            "a testbed run folder (`anomalygen testbed zookeeper --out`) to train on, instead of --logs; --source is "
            "then the ZooKeeper 3.8 source",
        ),
    )
    test_testbed: list[Path] = field(  # none: the second half of the training run
        default_factory=list,
        metadata=_meta(
            [],
            ("paths",),
            "a testbed run to test on, repeatable (default: the second half of --testbed); none may share a seed "
            "with the training, validation or oracle run",
        ),
    )
    val_testbed: Path | None = field(  # never a test run
        default=None,
        metadata=_meta(
            None,
            ("path",),
            "a testbed run (faults and planned operations) on which the session form, over all servers or per "
            "server, is chosen; never a test run",
        ),
    )
    oracle_testbed: Path | None = field(  # the oracle arm's extra training
        default=None,
        metadata=_meta(
            None,
            ("path",),
            "a testbed run with real planned operations (other seeds): the oracle arm trains on its windows too",
        ),
    )
    out: Path | None = field(
        default=None, metadata=_meta("anomalygen_run", ("path",), "run folder (default: anomalygen_run)", "-o")
    )
    n: int | None = field(default=None, metadata=_meta(1000, ("int",), "synthetic sessions to generate (default 1000)"))
    seed: int | None = field(default=None, metadata=_meta(0, ("int",), "seed of every random choice (default 0)"))
    max_paths: int | None = field(default=None, metadata=_meta(200, ("int",), "paths per entry point (default 200)"))
    anomalous_share: float | None = field(
        default=None, metadata=_meta(0.1, ("float",), "anomalous share of the synthetic sessions (default 0.1)")
    )
    models: str | None = field(
        default=None, metadata=_meta("all", ("str",), "detectors, comma-separated, or 'all' (default: all 14)")
    )
    ratios: str | None = field(
        default=None,
        metadata=_meta(
            "1", ("numbers", 0.0), "sessions each augmentation arm adds per real training session (default 1)"
        ),
    )
    train_fractions: str | None = field(
        default=None,
        metadata=_meta(
            "0.05",
            ("numbers", 0.0, 1.0, "open"),
            "share of the real training pool used, the sparse regime of a young system (default 0.05)",
        ),
    )
    split: str | None = field(
        default=None,
        metadata=_meta(
            "chronological",
            ("choice", "chronological", "random"),
            "chronological (default: the first 80% of sessions train, the rest test; synthetic paths are spliced into "
            "training sessions only) | random (80/20 per seed; then synthetic sessions are whole paths, since any real "
            "session may be a test one)",
        ),
    )
    seeds: int | None = field(default=None, metadata=_meta(5, ("int",), "seeds per setting (default 5)"))
    epochs: int | None = field(default=None, metadata=_meta(3, ("int",), "epochs of the deep detectors (default 3)"))
    calibrate: str | None = field(
        default=None,
        metadata=_meta(
            "none",
            ("choice", "auto", "none"),
            "how often the arms that add new behaviour (synthetic, inventory-random) add it: none (default: the "
            "generator's own share) | auto (chosen per cell and detector on validation, from a behaviour the "
            "training holds that the session model could add: evaluate --calibrate auto; BENCHMARKS says where "
            "that helps and where it does not). A --testbed run draws the generator's sessions as they are and has "
            "nothing to calibrate",
        ),
    )
    llm: str | None = field(
        default=None,
        metadata=_meta(
            "none", ("choice", "none", "openai", "local"), "none | openai | local (default none: fully offline)"
        ),
    )
    # the run's controls: flags and request fields, but no config-file keys (no kind)
    config: Path | None = field(  # the request's own values win over the file's
        default=None, metadata=setting("TOML/YAML file with these settings", "-c")
    )
    force: bool = field(default=False, metadata=setting("redo every stage"))
    report_on_interrupt: bool = field(
        default=False,
        metadata=setting(
            "on Ctrl-C, still write report.html from what is done "
            "(by default an interrupted run ends with exit code 130 and no report)",
            flag="--report-on-interrupt/--no-report-on-interrupt",  # as typer names a switch it is given no flag for
        ),
    )


SETTINGS = tuple(f for f in fields(RunRequest) if "kind" in f.metadata)
DEFAULTS: dict[str, Any] = {f.name: f.metadata["default"] for f in SETTINGS}
KINDS: dict[str, tuple] = {f.name: f.metadata["kind"] for f in SETTINGS}


@dataclass(frozen=True)
class RunSettings:
    """A run's settings resolved: flags over the config file over the defaults, each checked (`resolve`), the
    example's filled in, paths as `Path`. The stages are planned from it; `to_dict` is what run.json records. The
    fields are `SETTINGS` in their order (run.json's keys keep it), then what planning adds."""

    source: Path
    logs: list[Path]
    labels: Path | None
    format: str
    sessions_by: str
    weak_labels: str | None
    labels_conflict: str
    testbed: Path | None
    test_testbed: list[Path]
    val_testbed: Path | None
    oracle_testbed: Path | None
    out: Path
    n: int
    seed: int
    max_paths: int
    anomalous_share: float
    models: str
    ratios: str
    train_fractions: str
    split: str
    seeds: int
    epochs: int
    calibrate: str
    llm: str
    # why the logs chose `sessions_by` (auto); absent from run.json otherwise, as before the settings were typed
    session_rule: str | None = None

    @classmethod
    def from_resolved(cls, cfg: dict[str, Any]) -> RunSettings:
        """`resolve`'s checked values (a path as given: text or `Path`) with every path a `Path`."""
        paths = {k: Path(cfg[k]) for k in ("source", "out")}
        optional = {k: Path(cfg[k]) if cfg[k] else None for k in ("labels", "testbed", "val_testbed", "oracle_testbed")}
        lists = {k: [Path(p) for p in cfg[k] or []] for k in ("logs", "test_testbed")}
        return cls(**(cfg | paths | optional | lists))

    def to_dict(self) -> dict[str, Any]:
        """The settings as run.json records them: paths as text, in the fields' order."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        if self.session_rule is None:
            del values["session_rule"]
        return {
            k: (str(v) if isinstance(v, Path) else [str(x) for x in v] if isinstance(v, list) else v)
            for k, v in values.items()
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
