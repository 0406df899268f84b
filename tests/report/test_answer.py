"""The answer first: the verdict read from evaluation outputs written by the evaluation's own writer (runs,
paired tests, verdicts), at the top of report.html and in what `run` prints."""

from __future__ import annotations

import random

import pytest

from anomalygen.detect.registry import DETECTORS
from anomalygen.evaluate.compare import paired_table
from anomalygen.evaluate.harness import EvalResult
from anomalygen.evaluate.report import write_report
from anomalygen.report import build_report
from anomalygen.report.answer import answer_text, read_answer

SEEDS = range(5)


def _evaluation(root, models, effect, noise=0.02, extra_arms=(), novel=False, seed=0):
    """An evaluation folder: each arm's F1 per model and seed = a base + the arm's `effect` + noise."""
    rng = random.Random(seed)
    runs = []
    arms = ["baseline", "synthetic", "real-duplicate", "naive", *extra_arms]
    for model in models:
        for s in SEEDS:
            base = 0.5 + rng.uniform(-0.1, 0.1)
            for arm in arms:
                f1 = base + effect.get(arm, 0.0) + rng.uniform(-noise, noise)
                row = {
                    "model": model,
                    "seed": s,
                    "train_fraction": 0.05,
                    "arm": arm,
                    "ratio": 0.0 if arm == "baseline" else 1.0,
                    "status": "ok",
                    "f1": f1,
                    "recall": f1 + 0.1,
                    "precision": f1,
                    "fpr": 0.1 - effect.get(arm, 0.0) / 10,
                    "false_alarms": 5,
                    "fit_s": 0.1,
                    "predict_s": 0.01,
                }
                if novel:
                    row["fpr_novel"] = 0.3 - effect.get(arm, 0.0)
                runs.append(row)
    metrics = ["f1", "fpr"] + (["fpr_novel"] if novel else [])
    result = EvalResult(runs, paired_table(runs, [], arms, metrics), {"arms": arms, "config": {}})
    write_report(result, root / "evaluate", {})
    return root


def test_better_than_baseline_and_best_control_with_its_name_and_p(tmp_path):
    run = _evaluation(tmp_path, ["PCA", "DeepLog"], {"synthetic": 0.2, "naive": 0.05, "real-duplicate": 0.01})
    (s,), why = read_answer(run)
    assert why is None
    text = s.sentence()
    assert text.startswith("Synthetic data: better than the baseline")
    assert "better than the best control, naive" in text  # naive has the higher mean of the two controls
    assert "mean of 2 detectors over 5 seeds" in text
    assert s.overall.vs_baseline.p < 0.05 and f"p {s.overall.vs_baseline.p:.2g}" in text
    assert s.by_detector() == "By detector: better than both on DeepLog, PCA."
    assert s.arms == ["baseline", "synthetic", "real-duplicate", "naive"]
    assert s.arm_means["synthetic"]["f1"] == pytest.approx(s.arm_means["baseline"]["f1"] + 0.2, abs=0.02)


def test_noise_alone_is_no_significant_change_and_worse_is_said(tmp_path):
    (s,), _ = read_answer(_evaluation(tmp_path / "a", ["PCA", "LR"], {}, noise=0.05, seed=3))
    assert "no significant change against the baseline" in s.sentence()
    assert s.by_detector() == "By detector: no significant change on any of the 2."
    (s,), _ = read_answer(_evaluation(tmp_path / "b", ["PCA", "LR"], {"synthetic": -0.3}))
    assert s.sentence().startswith("Synthetic data: worse than the baseline")
    assert "worse than the baseline on LR, PCA" in s.by_detector()


def test_arms_and_metric_columns_come_from_the_data(tmp_path):
    """An arm and a metric the answer was not written for (a withheld-behaviour protocol's) still show."""
    run = _evaluation(tmp_path, ["PCA"], {"synthetic": 0.1, "oracle": 0.3}, extra_arms=("oracle",), novel=True)
    (s,), _ = read_answer(run)
    assert "oracle" in s.arms and s.columns == ["f1", "recall", "fpr", "fpr_novel"]
    assert "false alarms on unseen valid behaviour (FPR novel-normal) 0.300 → 0.200" in s.sentence()
    (s,), _ = read_answer(_evaluation(tmp_path / "plain", ["PCA"], {"synthetic": 0.1}))
    assert "fpr_novel" not in s.columns and "unseen valid" not in s.sentence()


def test_report_opens_with_the_answer_and_its_figure(tmp_path):
    run = _evaluation(tmp_path, ["PCA", "DeepLog"], {"synthetic": 0.2})
    page = build_report(run).read_text(encoding="utf-8")
    body = page[page.index("<body>") :]
    first = body.index("<section")
    assert body[first:].startswith('<section id="answer">')
    answer = body[first : body.index("</section>", first)]
    assert "Synthetic data: better than the baseline" in answer
    assert answer.count("<svg") == 1 and ">DeepLog</text>" in answer and ">mean of models</text>" in answer
    # one dot per (row, arm) with the seeds' spread in its tooltip: 3 rows x 4 arms
    assert answer.count("<circle") - 4 == 12  # minus the legend's dots
    assert body.index('id="answer"') < body.index('id="detectors"') < body.index('id="coverage"')


def test_no_labelled_comparison_says_why(tmp_path):
    (tmp_path / "evaluate").mkdir()
    (tmp_path / "evaluate" / "alarm_rates.json").write_text("[]")
    settings, why = read_answer(tmp_path)
    assert settings == [] and "alarm rates" in why


def test_terminal_block_fits_100_columns_and_40_lines_with_all_14_detectors(tmp_path):
    run = _evaluation(tmp_path, list(DETECTORS), {"synthetic": 0.05, "naive": 0.04}, extra_arms=("oracle",), novel=True)
    text = answer_text(run)
    lines = text.splitlines()
    assert len(lines) <= 40 and max(map(len, lines)) <= 100, text
    assert lines[0].startswith("Does synthetic data help?")
    assert all(any(ln.startswith(m + " ") for ln in lines) for m in DETECTORS)
    assert not any("Paired comparisons" in ln for ln in lines)
