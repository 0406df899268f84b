"""Each setting of `anomalygen run` is declared once (a `RunRequest` field) and is then a flag, a config-file key
and a request field alike, with one default and one check."""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path

import pytest
import typer

from anomalygen.cli import app
from anomalygen.run.config import DEFAULTS, KINDS, SETTINGS, ConfigError, RunRequest, RunSettings, load_config, resolve


def _run_options() -> dict[str, list[str]]:
    command = typer.main.get_command(app).commands["run"]
    return {p.name: p.opts for p in command.params}


def test_every_setting_is_a_flag_a_config_key_and_a_request_field():
    options = _run_options()
    names = [f.name for f in SETTINGS]
    assert names == list(DEFAULTS) == list(KINDS)
    assert set(names) < {f.name for f in fields(RunRequest)}
    for f in SETTINGS:
        flag = "--" + f.name.replace("_", "-")
        assert options[f.name] == [flag, *f.metadata["short"]]
    assert options["format"] == ["--format", "-f"] and options["out"] == ["--out", "-o"]
    assert {"config", "force", "report_on_interrupt", "verbose"} <= set(options)


def test_resolved_settings_are_the_request_settings_in_order_and_serialize_as_before():
    # run.json records the settings in the fields' order, as it did when they were a dict: a reordered or
    # re-typed field would change a finished run's run.json on the next run
    assert [f.name for f in fields(RunSettings)] == [*DEFAULTS, "session_rule"]
    cfg = DEFAULTS | {"source": Path("src"), "logs": ["a.log", Path("b.log")], "labels": "l.csv", "format": "hdfs"}
    s = RunSettings.from_resolved(cfg)
    assert s.logs == [Path("a.log"), Path("b.log")] and s.labels == Path("l.csv") and s.testbed is None
    as_before = {
        k: (str(v) if isinstance(v, Path) else [str(x) for x in v] if isinstance(v, list) else v)
        for k, v in (cfg | {"out": Path(cfg["out"]), "labels": Path("l.csv")}).items()
    }
    assert list(s.to_dict().items()) == list(as_before.items())
    chosen = replace(s, sessions_by="id", session_rule="most lines carry a blk_ id")
    chosen_before = as_before | {"sessions_by": "id", "session_rule": "most lines carry a blk_ id"}
    assert list(chosen.to_dict().items()) == list(chosen_before.items())


def test_an_empty_request_takes_every_default():
    req = RunRequest()
    cfg = resolve({k: getattr(req, k) for k in DEFAULTS}, {})
    assert cfg == DEFAULTS
    assert cfg["n"] == 1000 and cfg["sessions_by"] == "auto" and cfg["logs"] == []


def test_flags_win_over_the_file_and_each_value_is_checked_where_it_came_from(tmp_path):
    conf = tmp_path / "run.toml"
    conf.write_text('max-paths = 500\nn = 20\nsplit = "random"\n', encoding="utf-8")
    cfg = resolve({"n": 7, "logs": []}, load_config(conf), conf)
    assert (cfg["n"], cfg["max_paths"], cfg["split"]) == (7, 500, "random")
    conf.write_text('split = "sideways"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=f"^{conf}: split: expected one of chronological, random"):
        resolve({}, load_config(conf), conf)
    with pytest.raises(ConfigError, match=r"^--seeds: "):
        resolve({"seeds": 0}, {})
    assert resolve({}, {})["calibrate"] == "none" and resolve({"calibrate": "auto"}, {})["calibrate"] == "auto"
    with pytest.raises(ConfigError, match="calibrate: expected one of auto, none"):
        resolve({"calibrate": "sometimes"}, {})


def test_a_config_key_that_is_no_setting_is_refused_naming_the_known_ones(tmp_path):
    conf = tmp_path / "run.yaml"
    conf.write_text("max_path: 5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown setting 'max_path' \\(known: anomalous_share, calibrate, epochs"):
        load_config(conf)
    assert Path(DEFAULTS["out"]) == Path("anomalygen_run")
