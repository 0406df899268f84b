"""A command's options are made from its request's settings (`anomalygen/options.py`): each setting is declared once,
as a field, and its flag, short flags, help, default and type reach the command line unchanged."""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from anomalygen.cli import app
from anomalygen.deploy.outlets import OutletSettings
from anomalygen.deploy.requests import DetectRequest, TrainRequest
from anomalygen.options import command, request_values, setting, settings
from anomalygen.run.config import RunRequest
from anomalygen.synthesis.request import GenerateRequest

runner = CliRunner()


@dataclass
class _Toy:
    target: Path = field(metadata=setting("where it goes", argument=True))
    inputs: list[Path] = field(default_factory=list, metadata=setting("inputs", "-i", flag="--input"))
    count: int = field(default=3, metadata=setting("how many", "-n", min=1))
    checked: bool = field(default=True, metadata=setting("skip the check", flag="--no-check", negate=True))
    name: str | None = field(default=None, metadata=setting("a name", required=True))
    internal: int = 7  # no metadata: not a setting


def _toy_app(seen: list) -> typer.Typer:
    toy = typer.Typer()

    def run(**given) -> None:
        seen.append((_Toy(**request_values(_Toy, given)), given["loud"]))

    controls = {"loud": (bool, typer.Option(False, "--loud", help="louder"), "target")}
    toy.command()(command(run, _Toy, controls=controls))
    toy.command("other")(lambda: None)  # two commands: typer then names the one to run
    return toy


def test_a_request_s_fields_become_its_options_and_come_back_as_the_request():
    seen: list = []
    toy = _toy_app(seen)
    res = runner.invoke(toy, ["run", "out", "--name", "x", "-i", "a", "--input", "b", "--no-check", "--loud"])
    assert res.exit_code == 0, res.output
    assert seen == [(_Toy(Path("out"), [Path("a"), Path("b")], 3, False, "x"), True)]
    seen.clear()
    assert runner.invoke(toy, ["run", "out", "--name", "x"]).exit_code == 0
    assert seen == [(_Toy(Path("out"), name="x"), False)]  # the CLI's defaults are the request's


def test_typer_s_checks_and_required_settings_hold():
    seen: list = []
    toy = _toy_app(seen)
    assert runner.invoke(toy, ["run", "out"]).exit_code == 2  # --name is required on the command line
    assert runner.invoke(toy, ["run", "out", "--name", "x", "-n", "0"]).exit_code == 2  # min=1
    assert not seen


def test_controls_sit_where_they_are_placed_and_settings_keep_their_order():
    command_ = typer.main.get_command(_toy_app([])).commands["run"]
    assert [p.name for p in command_.params] == ["target", "loud", "inputs", "count", "checked", "name"]
    assert [f.name for f in settings(_Toy)] == ["target", "inputs", "count", "checked", "name"]


COMMANDS = {
    "run": (RunRequest,),
    "generate": (GenerateRequest,),
    "train": (TrainRequest,),
    "detect": (DetectRequest, OutletSettings),
}


@pytest.mark.parametrize("name", COMMANDS)
def test_every_setting_of_a_command_is_its_option_with_the_field_s_default_and_help(name):
    declared = typer.main.get_command(app).commands[name].params
    params = {p.name: p for p in declared}
    assert len(params) == len(declared)  # no command-line option shadows a setting
    fields_ = [f for request in COMMANDS[name] for f in settings(request)]
    assert fields_ and {f.name for f in fields_} <= set(params)
    for f in fields_:
        meta, param = f.metadata, params[f.name]
        if meta["argument"]:
            assert param.param_type_name == "argument" and not param.opts[0].startswith("-")
        else:
            flag = meta["flag"] or "--" + f.name.replace("_", "-")
            assert [*param.opts, *param.secondary_opts] == [*flag.split("/"), *meta["short"]], f.name
        assert param.help == meta["help"], f.name
        default = f.default_factory() if f.default_factory is not MISSING else f.default
        if default is MISSING or meta["required"]:
            assert param.required, f.name
        else:
            assert param.default == ((not default) if meta["negate"] else default), f.name
    shown = runner.invoke(app, [name, "--help"], env={"COLUMNS": "400"}).output
    for f in fields_:
        if not f.metadata["argument"]:
            assert (f.metadata["flag"] or "--" + f.name.replace("_", "-")).split("/")[0] in shown, f.name
