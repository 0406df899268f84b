"""The page `anomalygen evaluate` writes: its summary, plots, skipped runs and manifest in the report's style."""

from __future__ import annotations

from anomalygen.report.evaluation import render_evaluation
from anomalygen.report.markup import CSS

MD = "## Verdict\n\n| model | F1 |\n|---|---|\n| **mean of models** | 0.5 |\n\nA note <here>.\n"


def _png(tmp_path):
    p = tmp_path / "f1_per_model_0.05.png"
    p.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    return p


def test_page_is_self_contained_and_balanced(tmp_path, parse_html):
    text = render_evaluation(MD, [_png(tmp_path)], [], {"command": ["anomalygen", "evaluate"]})
    c = parse_html(text)
    assert c.errors == [] and c.stack == []
    assert text.startswith("<!DOCTYPE html>") and CSS in text
    assert c.ids == ["f1_per_model_0.05", "manifest"]
    assert [v for t, _, v in c.refs if t == "a"] == ["#f1_per_model_0.05", "#manifest"]
    assert [v[:22] for t, _, v in c.refs if t == "img"] == ["data:image/png;base64,"]
    assert "<h2>Verdict</h2>" in text and "<strong>mean of models</strong>" in text
    assert "A note &lt;here&gt;." in text


def test_skipped_runs_are_listed_escaped(tmp_path, section_of):
    skipped = [{"model": "LSTM", "seed": 1, "train_fraction": 0.05, "arm": "synthetic", "error": "one class <0>"}]
    text = render_evaluation(MD, [], skipped, {})
    assert "<li>LSTM seed 1 fraction 0.05 arm synthetic: one class &lt;0&gt;</li>" in section_of(text, "skipped")
    assert "skipped" not in render_evaluation(MD, [], [], {})


def test_manifest_is_shown_as_escaped_json(section_of):
    text = render_evaluation("", [], [], {"inputs": {"dataset": "<d>.jsonl"}, "seconds": 1.5})
    assert "&quot;dataset&quot;: &quot;&lt;d&gt;.jsonl&quot;" in section_of(text, "manifest")
    assert "&quot;seconds&quot;: 1.5" in section_of(text, "manifest")
