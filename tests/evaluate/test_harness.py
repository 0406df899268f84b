from __future__ import annotations

import json
import zlib

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from anomalygen.core.datasets import Session, load_augment_dir
from anomalygen.core.event_keys import plan_keys
from anomalygen.evaluate import arms as A
from anomalygen.evaluate.harness import EvalConfig, run_evaluation, sources_from_sessions
from anomalygen.evaluate.report import write_report


def _subset(sessions, n_normal=900, n_anom=60, seed=0):
    rng = np.random.default_rng(seed)
    norm = [s for s in sessions if s.label == 0]
    anom = [s for s in sessions if s.label == 1]
    return [norm[i] for i in rng.choice(len(norm), n_normal, replace=False)] + [
        anom[i] for i in rng.choice(len(anom), n_anom, replace=False)
    ]


def _synthetic_dir(tmp_path, sessions):
    """Synthetic sessions in the synthesis stage's format: statement ids as events, templates alongside."""
    rows = [
        {
            "session_id": f"syn{i}",
            "label": s.label,
            "events": [f"stmt:{zlib.crc32(t.encode()) % 997}" for t in s.templates],
            "templates": s.templates,
            "reason": "test",
        }
        for i, s in enumerate(sessions)
    ]
    d = tmp_path / "aug"
    d.mkdir()
    (d / "sessions.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return d


def _strip_times(rows):
    return [{k: v for k, v in r.items() if k not in ("fit_s", "predict_s")} for r in rows]


def test_every_arm_trains_on_identical_splits_and_adds_the_same_amount(hdfs100k, tmp_path):
    real = _subset(hdfs100k)
    syn = load_augment_dir(_synthetic_dir(tmp_path, _subset(hdfs100k, 200, 40, seed=1)))
    cfg = EvalConfig(
        models=["LR", "PCA"],
        ratios=[0.5],
        seeds=[0, 1],
        train_fractions=[1.0, 0.1],
        val_min_normal=100,
        val_min_anomalous=10,
    )
    res = run_evaluation(cfg, real, syn)
    ok = [r for r in res.runs if r["status"] == "ok"]
    assert res.info["arms"] == ["baseline", "synthetic", "real-duplicate", "naive"]
    assert len(ok) == 2 * 2 * 2 * 4
    for seed in (0, 1):
        assert len({r["n_test"] for r in ok if r["seed"] == seed}) == 1
    for model, seed, frac in {(r["model"], r["seed"], r["train_fraction"]) for r in ok}:
        cell = [r for r in ok if (r["model"], r["seed"], r["train_fraction"]) == (model, seed, frac)]
        assert len({r["n_train_real"] for r in cell}) == 1 and len({r["n_val"] for r in cell}) == 1
        added = {r["arm"]: (r["n_added"], r["n_added_anomalous"]) for r in cell}
        assert added["baseline"] == (0, 0)
        assert added["synthetic"] == added["real-duplicate"] == added["naive"] and added["synthetic"][0] > 0
        if model == "PCA":  # unsupervised: normal sessions only, in every arm
            assert added["synthetic"][1] == 0
    val = res.info["validation"]
    assert val["0/0.1"]["normal"] == 100 and val["0/0.1"]["anomalous"] >= 10  # the floor, from the unused pool
    assert val["0/1"]["normal"] < 100  # a full share leaves nothing unused to top up from
    kinds = {(p["arm"], p["versus"]) for p in res.paired}
    assert {
        ("synthetic", "baseline"),
        ("synthetic", "real-duplicate"),
        ("synthetic", "naive"),
        ("naive", "baseline"),
    } <= kinds
    assert any(p["model"] == "mean of models" for p in res.paired)
    assert all(p["verdict"] in ("better", "worse", "no significant change") for p in res.paired)
    assert {m["arm"] for m in res.mcnemar} == {"synthetic", "real-duplicate", "naive"}

    files = write_report(res, tmp_path / "out", {"test": True})
    md = files["summary_md"].read_text()
    assert md.startswith("## Verdict: does synthetic data help?")
    assert "| LR |" in md and "real-duplicate" in md
    html = files["report_html"].read_text()
    assert "data:image/png;base64," in html and "<table>" in html and 'src="http' not in html
    assert len(json.loads(files["runs_json"].read_text())) == len(res.runs)
    assert files["paired_csv"].exists() and files["mcnemar_csv"].exists()


@pytest.mark.slow  # the evaluation twice, once over a process pool
def test_parallel_cells_give_the_same_rows(hdfs100k, tmp_path):
    real = _subset(hdfs100k, 300, 30)
    syn = load_augment_dir(_synthetic_dir(tmp_path, _subset(hdfs100k, 100, 10, seed=1)))
    cfg = EvalConfig(
        models=["PCA", "DecisionTree"], seeds=[0, 1], train_fractions=[0.2], val_min_normal=20, val_min_anomalous=5
    )
    one = run_evaluation(cfg, real, syn)
    cfg.jobs = 2
    two = run_evaluation(cfg, real, syn)
    assert _strip_times(one.runs) == _strip_times(two.runs) and one.paired == two.paired


def test_duplicate_arm_resamples_training_sessions_label_by_label():
    X = [["a", "b"], ["a", "c"], ["x"], ["y"]]
    y = np.array([0, 0, 1, 1])
    add = A.duplicate(X, y, 5, 2, seed=0)
    assert list(add.y) == [0] * 5 + [1] * 2
    assert all(s in X[:2] for s in add.X[:5]) and all(s in X[2:] for s in add.X[5:])


def test_naive_edits_use_only_events_seen_in_training_normals():
    X = [["a", "b", "c", "d"], ["a", "c", "e"], ["ANOMALY"]]
    y = np.array([0, 0, 1])
    add = A.naive(X, y, 200, 0, seed=1)
    assert len(add.X) == 200 and not add.y.any()
    assert {e for s in add.X for e in s} <= {"a", "b", "c", "d", "e"}
    assert sum(s not in X for s in add.X) > 150  # edits, not copies
    assert A.naive(X, y, 200, 0, seed=1).X == add.X  # seeded


class _ReversingComposer:
    """Makes a normal session by reversing a base one, and records what it was given."""

    def __init__(self):
        self.bases: list[list[list[str]]] = []

    def compose(self, bases, n, seed, avoid=()):
        self.bases.append([list(b) for b in bases])
        rng = np.random.default_rng(seed)
        return [list(reversed(bases[int(rng.integers(len(bases)))])) for _ in range(n)]


def test_a_session_model_composes_only_from_the_cells_real_normal_training_sessions(hdfs100k, tmp_path):
    real = _subset(hdfs100k, 300, 30)
    syn = load_augment_dir(_synthetic_dir(tmp_path, _subset(hdfs100k, 100, 10, seed=1)))
    plan = plan_keys(real, syn)
    comp = _ReversingComposer()
    src = sources_from_sessions(syn, plan, composer=comp)
    cfg = EvalConfig(models=["PCA"], seeds=[0], train_fractions=[0.1], val_min_normal=50, val_min_anomalous=5)
    res = run_evaluation(cfg, real, {"synthetic": src}, plan)
    from anomalygen.evaluate import splits as S

    pool, test = S.random_split(len(real), 0.2, 0)
    test_seqs = {tuple(plan.real(real[i])) for i in test}
    normals_in_pool = {tuple(plan.real(real[i])) for i in pool if real[i].label == 0}
    (bases,) = comp.bases
    n_train_normal = (
        next(r for r in res.runs if r["arm"] == "baseline")["n_train_real"]
        - next(r for r in res.runs if r["arm"] == "baseline")["n_train_real_anomalous"]
    )
    assert len(bases) == n_train_normal
    assert all(tuple(b) in normals_in_pool for b in bases)
    assert not any(tuple(b) in test_seqs - normals_in_pool for b in bases)


def test_sparse_supervised_run_with_one_class_is_skipped_not_crashed(hdfs100k):
    real = [s for s in hdfs100k if s.label == 0][:200] + [s for s in hdfs100k if s.label == 1][:1]
    res = run_evaluation(EvalConfig(models=["DecisionTree"], seeds=[0], train_fractions=[0.05], val_fraction=0.5), real)
    assert res.runs[0]["status"] == "skipped" and "both classes" in res.runs[0]["error"]


def test_synthetic_without_templates_on_template_keyed_data_is_a_clear_error(hdfs100k):
    syn = [Session("x", 0, ["Foo.java:1"], None, source="synthetic", has_event_ids=True)]
    with pytest.raises(ValueError, match="template map"):
        run_evaluation(EvalConfig(models=["LR"], seeds=[0]), _subset(hdfs100k, 100, 10), syn)
    res = run_evaluation(
        EvalConfig(models=["PCA"], seeds=[0], ratios=[0.1]),
        _subset(hdfs100k, 200, 20),
        syn,
        template_map={"Foo.java:1": hdfs100k[0].templates[0]},
    )
    assert all(r["status"] == "ok" for r in res.runs)


def test_arm_without_its_data_and_unknown_model_are_errors(hdfs100k):
    with pytest.raises(ValueError, match="--augment"):
        run_evaluation(EvalConfig(models=["LR"], arms=["synthetic"]), hdfs100k[:50])
    with pytest.raises(ValueError, match="unknown model"):
        run_evaluation(EvalConfig(models=["Nope"]), hdfs100k[:50])


def test_cli_writes_every_output(data_dir, tmp_path, hdfs100k):
    from anomalygen.evaluate import cli

    ds = tmp_path / "small.jsonl"
    ds.write_text(
        "".join(
            json.dumps({"block_id": s.session_id, "label": s.label, "templates": s.templates}) + "\n"
            for s in _subset(hdfs100k, 400, 30)
        )
    )
    aug = _synthetic_dir(tmp_path, _subset(hdfs100k, 100, 10, seed=1))
    app = typer.Typer()
    app.callback()(lambda: None)
    cli.register(app)
    out = tmp_path / "out"
    r = CliRunner().invoke(
        app,
        [
            "evaluate",
            "--dataset",
            str(ds),
            "--models",
            "LR,InvariantsMining",
            "--seeds",
            "2",
            "--augment",
            str(aug),
            "--augment-ablation",
            f"again={aug}",
            "--template-map",
            "auto",
            "--prior",
            "0.03",
            "--val-min-normal",
            "30",
            "--out",
            str(out),
            "--quiet",
        ],
    )
    assert r.exit_code == 0, r.output
    for name in (
        "runs.csv",
        "runs.json",
        "summary.md",
        "report.html",
        "manifest.json",
        "paired.csv",
        "mcnemar.csv",
        "f1_per_model_1.png",
    ):
        assert (out / name).exists(), name
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["inputs"]["dataset_sha256"] and manifest["config"]["seeds"] == [0, 1]
    assert manifest["data"]["arms"] == ["baseline", "synthetic", "real-duplicate", "naive", "again"]
    assert manifest["data"]["key_mode"] == "templates" and manifest["data"]["keys"]["shared_keys"] > 0
    assert "f1_prior" in (out / "runs.csv").read_text().splitlines()[0]
    for bad_args, why in (
        (["--train-fractions", "0"], "outside (0, 1]"),
        (["--train-fractions", "2"], "outside"),
        (["--ratios", "-1"], "outside"),
        (["--augment-ablation", "x"], "NAME=DIR"),
        (["--prior", "1.5"], "not in (0, 1)"),
    ):
        r = CliRunner().invoke(app, ["evaluate", "--dataset", str(ds), "--out", str(out), "--quiet", *bad_args])
        assert r.exit_code == 2 and why in r.output, (bad_args, r.output)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"label": 0}\nnot json\n')  # no usable record: bad lines are skipped, an all-bad file refused
    r = CliRunner().invoke(app, ["evaluate", "--dataset", str(bad), "--out", str(out), "--quiet"])
    assert r.exit_code == 2 and "bad.jsonl:1" in r.output and "2 bad" in r.output


def test_cell_cache_serves_finished_cells_and_misses_on_changed_additions(hdfs100k, tmp_path):
    real = _subset(hdfs100k, 300, 30)
    syn = load_augment_dir(_synthetic_dir(tmp_path, _subset(hdfs100k, 100, 10, seed=1)))
    cfg = EvalConfig(
        models=["PCA"],
        seeds=[0],
        train_fractions=[0.2],
        val_min_normal=20,
        val_min_anomalous=5,
        cache_dir=str(tmp_path / "cache"),
    )
    first = run_evaluation(cfg, real, syn)
    files = sorted((tmp_path / "cache").glob("*.json"))
    assert len(files) == 4  # one per arm
    again = run_evaluation(cfg, real, syn)
    assert again.runs == first.runs  # timings too: served from the cache
    (tmp_path / "o").mkdir()
    run_evaluation(cfg, real, load_augment_dir(_synthetic_dir(tmp_path / "o", _subset(hdfs100k, 100, 10, seed=2))))
    assert len(list((tmp_path / "cache").glob("*.json"))) == 5  # only the synthetic arm changed


@pytest.mark.slow  # a process pool whose parent is killed
def test_a_worker_leaves_when_the_evaluating_process_is_gone():
    import multiprocessing
    import subprocess
    import sys

    from anomalygen.evaluate.harness import _exit_with

    evaluating = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1.5)"])
    worker = multiprocessing.get_context("spawn").Process(target=_exit_with, args=(evaluating.pid,))
    worker.start()
    try:
        evaluating.wait()
        worker.join(timeout=10)
        assert worker.exitcode == 1  # it noticed and left on its own
    finally:
        if worker.is_alive():
            worker.kill()
