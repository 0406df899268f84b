"""The `train` and `detect` commands: thin layers with one-line errors and honest exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

import anomalygen.deploy.cli as deploy_cli
import anomalygen.deploy.trainer as trainer
from anomalygen.cli import app
from anomalygen.core.example import example_logs
from anomalygen.deploy.outlets import OutletSettings
from anomalygen.deploy.requests import DetectRequest, TrainRequest

runner = CliRunner()


def test_detect_prints_alarms_and_a_summary(example_model, tmp_path):
    log = tmp_path / "part.log"
    log.write_text("".join((example_logs() / "minisvc.log").read_text().splitlines(keepends=True)[:4000]))
    res = runner.invoke(app, ["detect", str(example_model[0]), str(log), "--json", str(tmp_path / "a.jsonl")])
    assert res.exit_code == 0, res.output
    alarms = [json.loads(x) for x in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert alarms and res.output.count("ALARM ") == len(alarms)
    assert f"DeepLog: {len(alarms)} alarms in" in res.output
    assert "unexpected com/example/minisvc/" in res.output


def test_detect_refuses_a_tampered_model_in_one_line(example_model, tmp_path):
    model = tmp_path / "m"
    shutil.copytree(example_model[0], model)
    (model / "vocabulary.json").write_text("{}")
    res = runner.invoke(app, ["detect", str(model), str(example_logs() / "minisvc.log")])
    assert res.exit_code == 2
    assert res.output.strip().count("\n") == 0 and "vocabulary.json: content differs from the manifest" in res.output
    assert "Traceback" not in res.output


def test_bad_arguments_exit_2_with_one_line(example_model, tmp_path):
    cases = [
        (["train", "--model", "Nope"], "unknown detector 'Nope'"),
        (["train", "--param", "bogus=1"], "--param 'bogus=1'"),
        (["train", "--model", "PCA", "--epochs", "3"], "not trained in epochs"),
        (["train", "--source", str(tmp_path)], "--logs is needed"),
        (["detect", str(example_model[0]), str(tmp_path / "missing.log")], "missing.log: no such file"),
        (["detect", str(tmp_path), str(example_logs() / "minisvc.log")], "manifest.json: missing"),
    ]
    for args, msg in cases:
        res = runner.invoke(app, args)
        assert res.exit_code == 2, (args, res.output)
        assert msg in res.output and "Traceback" not in res.output, (args, res.output)


def test_train_writes_a_manifest_that_records_its_inputs(example_model):
    out, result = example_model
    doc = json.loads((out / "manifest.json").read_text())
    assert doc["detector"] == "DeepLog" and doc["threshold"] == result.threshold
    tr = doc["training"]
    assert tr["logs"][0]["path"].endswith("minisvc.log") and len(tr["logs"][0]["sha256"]) == 64
    assert tr["labels"]["path"].endswith("anomaly_label.csv")
    assert tr["sessions"]["real"] == 2332 and tr["sessions"]["train"] + tr["sessions"]["validation"] == 2332
    assert doc["detect"] == {"format": "zookeeper", "sessions_by": "id", "idle_lines": 100000}
    assert set(doc["files"]) == {
        "arrays.npz",
        "detector.json",
        "inventory.jsonl",
        "profile.npz",
        "vocabulary.json",
        "weights.safetensors",
    }
    vocab = json.loads((out / "vocabulary.json").read_text())
    assert vocab and all({"file", "line", "level", "template", "method"} <= set(r) for r in vocab.values())


def test_train_s_command_line_defaults_are_the_request_s(monkeypatch):
    seen: list = []
    monkeypatch.setattr(trainer, "train", lambda req: seen.append(req) or _stop())
    runner.invoke(app, ["train"])
    assert seen == [TrainRequest()]
    runner.invoke(app, ["train", "-m", "PCA", "--param", "n_components=3", "--holdout", "0.1", "--force"])
    assert seen[1] == TrainRequest(model="PCA", params={"n_components": 3}, holdout=0.1, force=True)


def test_detect_s_command_line_defaults_are_the_request_s_and_the_outlets(monkeypatch):
    seen: list = []

    class Loaded:
        name = "stand-in"

    def load(req):
        seen.append(req)
        return Loaded()

    monkeypatch.setattr(deploy_cli, "_load", load)
    monkeypatch.setattr(deploy_cli, "outlets", lambda settings, *_: seen.append(settings) or _stop())
    runner.invoke(app, ["detect", "m", "a.log", "-"])
    assert seen == [DetectRequest(Path("m"), ["a.log", "-"]), OutletSettings()]
    runner.invoke(app, ["detect", "m", "a.log", "--json", "x.jsonl", "-F", "--alert-url", "http://h/", "-q"])
    assert seen[2:] == [
        DetectRequest(Path("m"), ["a.log"], json_out=Path("x.jsonl"), follow=True),
        OutletSettings(alert_url="http://h/"),
    ]


def _stop():
    raise RuntimeError("the stage is not run here")
