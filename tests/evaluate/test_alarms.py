"""Alarm rates without labels: a chronological hold-out, real only against + synthetic."""

from __future__ import annotations

import json
import random

from anomalygen.evaluate.alarms import AlarmConfig, alarm_rates, read_events, summary_markdown


def _events(rng, extra=()):
    return ["a", "b", "c"] * rng.randint(2, 4) + list(extra)


def test_alarm_rates_without_labels(tmp_path):
    rng = random.Random(1)
    real = [_events(rng) for _ in range(40)] + [_events(rng, ["r"]) for _ in range(10)]
    synthetic = [_events(rng, ["r"]) for _ in range(20)]
    rows = alarm_rates(real, synthetic, AlarmConfig(models=["PCA"], seeds=[0]))
    rates = {r["arm"]: r["alarm_rate"] for r in rows}
    assert rates == {"real only": 1.0, "+ synthetic": 0.0}  # the held-out part is the 10 sessions with 'r'
    assert "| PCA | 1.000 (10.0 of 10) | 0.000 (0.0 of 10) |" in summary_markdown(rows)
    p = tmp_path / "s.jsonl"
    p.write_text(
        "\n".join(json.dumps({"events": e, "label": lab}) for e, lab in (([" a"], None), (["b"], 0), (["c"], 1))) + "\n"
    )
    assert read_events(p) == [[" a"], ["b"], ["c"]] and read_events(p, normal_only=True) == [["b"]]
