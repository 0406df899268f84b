"""The paired verdict: a consistent gain is significant, noise is not, and direction follows the metric."""

import numpy as np

from anomalygen.evaluate.compare import comparisons, headline, paired_p, paired_table, verdict


def test_paired_p_tells_a_consistent_gain_from_noise():
    base = np.array([0.50, 0.55, 0.52, 0.58, 0.51])
    p_t, p_w = paired_p(base + np.array([0.05, 0.06, 0.04, 0.05, 0.07]), base)
    assert p_t < 0.01 and abs(p_w - 0.0625) < 1e-9  # 5 seeds: Wilcoxon cannot go below 1/16 two-sided
    p_noise, _ = paired_p(base + np.array([0.05, -0.04, 0.02, -0.06, 0.01]), base)
    assert p_noise > 0.5
    assert paired_p(base, base) == (1.0, 1.0)
    assert paired_p(base + 0.1, base)[0] == 0.0  # identical non-zero deltas: unbounded t


def test_verdict_follows_the_direction_of_the_metric():
    assert verdict(+0.02, 0.01, "f1") == "better" and verdict(-0.02, 0.01, "f1") == "worse"
    assert verdict(-0.01, 0.01, "fpr") == "better" and verdict(+0.01, 0.2, "fpr") == "no significant change"


def test_paired_table_and_headline_pick_the_best_control():
    runs = []
    for seed in range(5):
        for arm, f1 in (("baseline", 0.5), ("synthetic", 0.6), ("real-duplicate", 0.55), ("naive", 0.52)):
            for model in ("A", "B"):
                runs.append(
                    {
                        "model": model,
                        "seed": seed,
                        "train_fraction": 0.01,
                        "arm": arm,
                        "ratio": 0.0 if arm == "baseline" else 1.0,
                        "status": "ok",
                        "f1": f1 + 0.01 * seed * (model == "B"),
                        "fpr": 0.1,
                        "recall": 1.0,
                    }
                )
    arms = ["baseline", "synthetic", "real-duplicate", "naive"]
    assert ("synthetic", "naive") in comparisons(arms) and ("naive", "baseline") in comparisons(arms)
    table = paired_table(runs, [], arms, ["f1", "fpr"])
    row = next(
        p for p in table if (p["model"], p["arm"], p["versus"], p["metric"]) == ("A", "synthetic", "baseline", "f1")
    )
    assert abs(row["delta_mean"] - 0.1) < 1e-9 and row["seeds_better"] == 5 and row["verdict"] == "better"
    fpr = next(
        p for p in table if (p["model"], p["arm"], p["versus"], p["metric"]) == ("A", "synthetic", "baseline", "fpr")
    )
    assert fpr["verdict"] == "no significant change"
    heads = headline(table, "f1", arms)
    a = next(h for h in heads if h["model"] == "A")
    assert a["best_control"] == "real-duplicate" and abs(a["vs_best_control"] - 0.05) < 1e-9
    assert any(h["model"] == "mean of models" for h in heads)
