"""Settings and outputs checked before any work: a wrong type or range names its key (and file), an output that
cannot be written is refused before minutes of work, and nothing is left behind."""

from __future__ import annotations

import os

import pytest
from faults_helpers import error_line, invoke


@pytest.mark.parametrize(
    "body, names",
    [
        ('n = "abc"\n', ["n", "an integer"]),
        ('seeds = "three"\n', ["seeds", "an integer"]),
        ("logs = 5\n", ["logs", "a list of paths"]),
        ('train-fractions = "0"\n', ["train-fractions", "outside"]),
        ('split = "sideways"\n', ["split", "chronological"]),
    ],
)
def test_run_config_with_wrong_types(tmp_path, body, names):
    cfg = tmp_path / "run.toml"
    cfg.write_text(body)
    out = tmp_path / "run"
    res = invoke("run", "--config", cfg, "--out", out)
    line = error_line(res)
    assert res.code == 2 and "run.toml" in line and all(n in line for n in names), line
    assert not out.exists()  # no stage ran


def test_run_config_not_text_or_a_folder(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b'n = 5\nmodels = "\xff\xfe"\n')
    res = invoke("run", "--config", bad, "--out", tmp_path / "run")
    assert res.code == 2 and f"{bad}:2: not UTF-8" in error_line(res)
    res = invoke("run", "--config", tmp_path, "--out", tmp_path / "run")
    assert res.code == 2 and "is a folder" in error_line(res)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    "flag, value, says",
    [
        ("--train-fractions", "0", "--train-fractions"),
        ("--train-fractions", "-0.5", "--train-fractions"),
        ("--train-fractions", "2", "--train-fractions"),
        ("--ratios", "-1", "--ratios"),
        ("--test-fraction", "0", "--test-fraction"),
        ("--models", "PCA,Nope", "Nope"),
    ],
)
def test_evaluate_ranges_refused_before_training(tmp_path, flag, value, says):
    data = tmp_path / "d.jsonl"
    data.write_text(
        "".join(f'{{"session_id": "s{i}", "label": {i % 5 == 0:d}, "events": ["a", "b"]}}\n' for i in range(50))
    )
    out = tmp_path / "ev"
    res = invoke("evaluate", "--dataset", data, "--models", "PCA", flag, value, "--out", out, "--quiet")
    assert res.code == 2 and says in res.output, res.output
    assert not out.exists() and "F1" not in res.output  # nothing was trained


def test_out_is_an_existing_file(tmp_path, src, log, labels):
    taken = tmp_path / "taken"
    taken.write_text("x")
    data = tmp_path / "d.jsonl"
    data.write_text('{"session_id": "s", "label": 0, "events": ["a"]}\n')
    for cmd in (
        ["run", "--out", taken],
        ["parse", log, "--source", src, "--format", "zookeeper", "--out", taken],
        ["generate", src, "--out", taken],
        ["coverage", "--source", src, "--logs", log, "--out", taken],
        ["evaluate", "--dataset", data, "--out", taken],
        ["inventory", src, "--out", taken / "inv.jsonl"],
        ["sessions", log, "--source", src, "--format", "zookeeper", "--out", taken / "s.jsonl"],
    ):
        res = invoke(*cmd)
        assert res.code == 2 and "taken" in error_line(res), (cmd[0], res.output)
    assert taken.read_text() == "x"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder")
def test_out_in_a_read_only_folder(tmp_path, src, log):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        for cmd in (
            ["run", "--out", ro / "run"],
            ["parse", log, "--source", src, "--out", ro / "p"],
            ["inventory", src, "--out", ro / "inv.jsonl"],
            ["generate", src, "--out", ro / "g"],
        ):
            res = invoke(*cmd)
            assert res.code == 2 and "not writable" in error_line(res), (cmd[0], res.output)
    finally:
        ro.chmod(0o755)


def test_debug_shows_the_traceback(tmp_path):
    from typer.testing import CliRunner

    from anomalygen.cli import app

    cfg = tmp_path / "run.toml"
    cfg.write_text('n = "abc"\n')
    r = CliRunner().invoke(app, ["--debug", "run", "--config", str(cfg), "--out", str(tmp_path / "o")])
    assert r.exit_code != 0 and r.exception is not None and not isinstance(r.exception, SystemExit)


@pytest.mark.parametrize(
    "args, says",
    [
        (["--holdout", "1.5"], "--holdout"),
        (["--holdout", "-0.1"], "--holdout"),
        (["--val-fraction", "-0.5"], "--val-fraction"),
        (["--val-fraction", "1"], "--val-fraction"),
        (["--model", "DeepLog", "--epochs", "0"], "--epochs"),
        (["--idle-lines", "-5"], "--idle-lines"),
        (["--synthesize", "-3"], "--synthesize"),
        (["--model", "PCA", "--param", "n_components=abc"], "n_components"),
    ],
)
def test_train_settings_out_of_range_exit_2_before_training(tmp_path, args, says):
    out = tmp_path / "m"
    res = invoke("train", *(["--model", "PCA"] if "--model" not in args else []), *args, "--out", out)
    assert res.code == 2 and says in error_line(res), res.output
    assert "lines read" not in res.output or "n_components" in says  # refused before the logs were read
    assert not out.exists()


@pytest.mark.parametrize(
    "args, says",
    [
        (["--max-open", "0"], "--max-open"),
        (["--max-open", "-1"], "--max-open"),
        (["--idle-lines", "-5"], "--idle-lines"),
        (["--idle-lines", "0"], "--idle-lines"),
        (["--jobs", "-2"], "--jobs"),
        (["--follow", "--idle-seconds", "0", "--exit-idle", "1"], "--idle-seconds"),
        (["--follow", "--exit-idle", "-1"], "--exit-idle"),
    ],
)
def test_detect_settings_out_of_range_exit_2(tmp_path, log, args, says):
    model = tmp_path / "m"
    assert invoke("train", "--model", "PCA", "--out", model).code == 0
    res = invoke("detect", model, log, *args, "-q")
    assert res.code == 2 and says in error_line(res), res.output


@pytest.mark.parametrize(
    "name, body, says",
    [
        ("run.toml", "run = 5\n", "run: expected a table"),
        ("run.yaml", "1: 2\nn: 5\n", "setting 1"),
        ("run.toml", "n = 5\n[run]\nseeds = 2\n", "beside the [run] table"),
        ("run.toml", "n = 1000000000000\n", "n: 1000000000000 is outside"),
        ("run.toml", "seeds = 10000\n", "seeds: 10000 is outside"),
        ("run.toml", 'models = "PCA,Nope"\n', "unknown detector Nope"),
    ],
)
def test_run_config_shapes_and_bounds_exit_2_before_any_stage(tmp_path, name, body, says):
    cfg = tmp_path / name
    cfg.write_text(body)
    out = tmp_path / "run"
    res = invoke("run", "--config", cfg, "--out", out)
    assert res.code == 2 and says in error_line(res), res.output
    assert not out.exists()


@pytest.mark.parametrize(
    "args, says", [(["--n", str(10**12)], "--n"), (["--seeds", "10000"], "--seeds"), (["--models", "PCA,Nope"], "Nope")]
)
def test_run_flags_out_of_bounds_exit_2_before_any_stage(tmp_path, args, says):
    out = tmp_path / "run"
    res = invoke("run", *args, "--out", out)
    assert res.code == 2 and says in error_line(res), res.output
    assert not out.exists()


def test_the_python_api_checks_the_same_ranges(tmp_path, log):
    from anomalygen.deploy.trainer import TrainError, TrainRequest, train

    with pytest.raises(TrainError, match="--holdout"):
        train(TrainRequest(model="PCA", holdout=1.5, out=tmp_path / "m"))
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize(
    "args, says",
    [
        (["generate", "--n", str(10**12)], "--n"),
        (["generate", "--novel-share", "1.5"], "--novel-share"),
        (["evaluate", "--dataset", "nowhere.jsonl", "--seeds", "10000"], "--seeds"),
        (["evaluate", "--dataset", "nowhere.jsonl", "--epochs", "1000000"], "--epochs"),
    ],
)
def test_generate_and_evaluate_bounds_before_any_work(tmp_path, args, says):
    out = tmp_path / "out"
    res = invoke(*args, "--out", out)
    line = error_line(res)
    assert res.code == 2 and says in line and "outside" in line, line
    assert not out.exists()
