"""`train` on the example: synthetic sessions join training, bad requests fail with one clear line."""

from __future__ import annotations

import json

import pytest

import anomalygen as ag
from anomalygen.core.example import example_logs, example_tree
from anomalygen.deploy.trainer import TrainError, TrainRequest, train
from anomalygen.source.inventory import build_inventory

LOG = example_logs() / "minisvc.log"


def test_augment_sessions_join_training_and_unseen_ones_become_known(tmp_path):
    inv, _ = build_inventory(example_tree())
    rare = sorted(s.id for s in inv.statements)[:2]
    aug = tmp_path / "aug"
    aug.mkdir()
    (aug / "sessions.jsonl").write_text(
        "".join(
            json.dumps({"session_id": f"syn{i}", "label": 0, "events": rare, "templates": ["t", "t"]}) + "\n"
            for i in range(3)
        )
    )
    res = ag.train(ag.TrainRequest(model="PCA", augment=aug, out=tmp_path / "m", holdout=0.1))
    assert res.sessions["synthetic"] == 3 and res.sessions["held_out"] == len(res.holdout) > 0
    doc = json.loads((tmp_path / "m" / "manifest.json").read_text())
    assert doc["training"]["synthetic"] == {"augment": str(aug), "sessions": 3, "anomalous": 0}
    assert doc["training"]["held_out_sessions"] == [s.key for s in res.holdout]
    vocab = json.loads((tmp_path / "m" / "vocabulary.json").read_text())
    assert set(rare) <= set(vocab)
    verdict = ag.load_detector(tmp_path / "m").score([rare])[0]
    assert verdict.explanation is None or verdict.explanation["unseen"] == []  # known through synthesis


def test_bad_requests(tmp_path):
    with pytest.raises(TrainError, match="unknown detector"):
        train(TrainRequest(model="Nope"))
    bad = tmp_path / "empty.log"
    bad.write_text("not a log line\n")
    with pytest.raises(TrainError, match=r"no session in .*empty\.log"):
        train(TrainRequest(model="PCA", source=example_tree(), logs=[bad], format="zookeeper"))
    with pytest.raises(TrainError, match="supervised: it needs labelled anomalies"):
        train(TrainRequest(model="LR", source=example_tree(), logs=[LOG], format="zookeeper", out=tmp_path / "m"))
    with pytest.raises(TrainError, match=r"missing\.log: no such file"):
        train(TrainRequest(model="PCA", source=example_tree(), logs=[tmp_path / "missing.log"]))
