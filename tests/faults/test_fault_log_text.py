"""Log text cannot drive the terminal: control characters in log lines (clear screen, window title) are shown
escaped (`\\x1b`) in detect's explanations, parse's rejected-line examples and the JSON outputs."""

from __future__ import annotations

import json

import pytest
from faults_helpers import invoke

from anomalygen.core.example import example_logs

ESC = "\x1b[2J\x1b]0;owned\x07\x9b31m"


@pytest.fixture(scope="module")
def deeplog(tmp_path_factory):
    out = tmp_path_factory.mktemp("text") / "deeplog"
    res = invoke(
        "train", "--model", "DeepLog", "--param", "hidden=16", "--param", "embed_dim=8", "--epochs", "2", "--out", out
    )
    assert res.code == 0, res.output
    return out


def test_detect_explanations_show_control_characters_escaped(deeplog, tmp_path):
    lines = (example_logs() / "minisvc.log").read_text().splitlines(keepends=True)[:6000]
    log = tmp_path / "esc.log"
    log.write_text("".join(ln.replace(" to peer", f" to{ESC} peer") for ln in lines))
    out = tmp_path / "alarms.jsonl"
    res = invoke("detect", deeplog, log, "--json", out)
    assert res.code == 0, res.output
    assert "ALARM" in res.output and "\\x1b[2J\\x1b]0;owned\\x07\\x9b31m" in res.output, res.output
    assert not any(c in res.output for c in "\x1b\x07\x9b")
    text = out.read_text()
    assert "\\\\x1b[2J" in text and "\\u001b" not in text and "\x9b" not in text
    contexts = [
        c["text"]
        for a in map(json.loads, text.splitlines())
        for u in a["explanation"]["unexpected"]
        for c in u["context"]
    ]
    assert any("\\x1b]0;owned\\x07" in c for c in contexts)


def test_parse_rejected_line_examples_are_escaped(tmp_path, src):
    log = tmp_path / "bad.log"
    good = (example_logs() / "minisvc.log").read_text().splitlines(keepends=True)[:50]
    log.write_text("".join(good) + f"garbage{ESC} line\n")
    res = invoke("parse", log, "--source", src, "--format", "zookeeper", "--out", tmp_path / "p")
    assert res.code == 0, res.output
    assert "garbage\\x1b[2J" in res.output and "\x1b" not in res.output and "\x07" not in res.output
    summary = json.loads((tmp_path / "p" / "summary.json").read_text())
    assert any("garbage\\x1b" in e for ex in summary["read"]["examples"].values() for e in ex)
