from __future__ import annotations

import json
import zlib

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from anomalygen.evaluate.harness import EvalConfig, run_evaluation
from anomalygen.evaluate.report import write_report
from anomalygen.logs.sessions_data import Session, load_augment_dir


def _subset(sessions, n_normal=900, n_anom=60, seed=0):
    rng = np.random.default_rng(seed)
    norm = [s for s in sessions if s.label == 0]
    anom = [s for s in sessions if s.label == 1]
    return [norm[i] for i in rng.choice(len(norm), n_normal, replace=False)] + \
           [anom[i] for i in rng.choice(len(anom), n_anom, replace=False)]


def _synthetic_dir(tmp_path, sessions):
    """Synthetic sessions in the synthesis stage's format: statement ids as events, templates alongside."""
    rows = [{"session_id": f"syn{i}", "label": s.label, "events": [f"stmt:{zlib.crc32(t.encode()) % 997}" for t in s.templates],
             "templates": s.templates, "reason": "test"} for i, s in enumerate(sessions)]
    d = tmp_path / "aug"
    d.mkdir()
    (d / "sessions.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return d


def test_harness_pairs_baseline_and_augmented_on_identical_tests(hdfs100k, tmp_path):
    real = _subset(hdfs100k)
    syn = load_augment_dir(_synthetic_dir(tmp_path, _subset(hdfs100k, 200, 40, seed=1)))
    cfg = EvalConfig(models=["LR", "PCA", "DeepLog"], ratios=[0.0, 0.5], seeds=[0, 1], epochs=2,
                     train_fractions=[1.0, 0.1])
    res = run_evaluation(cfg, real, syn)
    ok = [r for r in res.runs if r["status"] == "ok"]
    assert len(ok) == 3 * 2 * 2 * 2
    for seed in (0, 1):
        tests = {r["n_test"] for r in ok if r["seed"] == seed}
        assert len(tests) == 1
    aug = [r for r in ok if r["ratio"] == 0.5]
    assert all(r["n_synthetic_used"] > 0 for r in aug)
    assert all(r["n_synthetic_anomalous_used"] == 0 for r in aug if not r["supervised"])
    assert any(r["n_synthetic_anomalous_used"] > 0 for r in aug if r["supervised"])
    assert len(res.paired) == 3 * 2 * 2 and all(-1 <= p["delta_f1"] <= 1 for p in res.paired)
    assert res.info["key_field"] == "templates"
    base_lr = [r["f1"] for r in ok if r["model"] == "LR" and r["ratio"] == 0 and r["train_fraction"] == 1.0]
    assert min(base_lr) > 0.3

    files = write_report(res, tmp_path / "out", {"test": True})
    html = files["report_html"].read_text()
    assert "data:image/png;base64," in html and "<table>" in html and "src=\"http" not in html
    assert "| LR |" in files["summary_md"].read_text()
    assert len(json.loads(files["runs_json"].read_text())) == len(res.runs)


def test_sparse_supervised_run_with_one_class_is_skipped_not_crashed(hdfs100k):
    real = [s for s in hdfs100k if s.label == 0][:200] + [s for s in hdfs100k if s.label == 1][:1]
    res = run_evaluation(EvalConfig(models=["DecisionTree"], train_fractions=[0.05], val_fraction=0.5), real)
    assert res.runs[0]["status"] == "skipped" and "both classes" in res.runs[0]["error"]


def test_synthetic_without_templates_on_template_keyed_data_is_a_clear_error(hdfs100k):
    syn = [Session("x", 0, ["Foo.java:1"], None, source="synthetic", extra={"has_event_ids": True})]
    with pytest.raises(ValueError, match="template map"):
        run_evaluation(EvalConfig(models=["LR"], ratios=[0, 1]), _subset(hdfs100k, 100, 10), syn)
    res = run_evaluation(EvalConfig(models=["PCA"], ratios=[0, 0.1]), _subset(hdfs100k, 200, 20), syn,
                         template_map={"Foo.java:1": hdfs100k[0].templates[0]})
    assert all(r["status"] == "ok" for r in res.runs)


def test_ratio_without_augmentation_and_unknown_model_are_errors(hdfs100k):
    with pytest.raises(ValueError, match="--augment"):
        run_evaluation(EvalConfig(models=["LR"], ratios=[0, 1]), hdfs100k[:50])
    with pytest.raises(ValueError, match="unknown model"):
        run_evaluation(EvalConfig(models=["Nope"]), hdfs100k[:50])


def test_cli_writes_every_output(data_dir, tmp_path, hdfs100k):
    from anomalygen.evaluate import cli

    ds = tmp_path / "small.jsonl"
    ds.write_text("".join(json.dumps({"block_id": s.session_id, "label": s.label, "templates": s.templates}) + "\n"
                          for s in _subset(hdfs100k, 400, 30)))
    app = typer.Typer()
    app.callback()(lambda: None)
    cli.register(app)
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["evaluate", "--dataset", str(ds), "--models", "LR,InvariantsMining",
                                 "--seeds", "2", "--out", str(out), "--quiet"])
    assert r.exit_code == 0, r.output
    for name in ("runs.csv", "runs.json", "summary.md", "report.html", "manifest.json", "f1_per_model.png",
                 "f1_vs_ratio.png"):
        assert (out / name).exists(), name
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["inputs"]["dataset_sha256"] and manifest["config"]["seeds"] == [0, 1]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"label": 0}\nnot json\n')  # no usable record: bad lines are skipped, an all-bad file refused
    r = CliRunner().invoke(app, ["evaluate", "--dataset", str(bad), "--out", str(out), "--quiet"])
    assert r.exit_code == 2 and "bad.jsonl" in r.output and "2 bad" in r.output
