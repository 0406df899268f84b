from __future__ import annotations

import json

from typer.testing import CliRunner

from anomalygen.cli import app
from anomalygen.core.formats import LogFormat
from anomalygen.logs.coverage import literal_words, measure, token_coverage, words_in_order


def test_literal_words_skip_words_glued_to_slots():
    assert literal_words("Expiring session 0x<*>, timeout of <*>ms exceeded") == [
        "Expiring",
        "session",
        "timeout",
        "of",
        "exceeded",
    ]
    assert literal_words("<*>") == []
    assert words_in_order(["a", "c"], ["a", "b", "c"]) and not words_in_order(["c", "a"], ["a", "b", "c"])


def test_coverage_on_the_fixture_tree(covtree, fixtures):
    """8 statements (1 opaque); the log hits 3 (one line is foreign); the templates hit 4 by tokens."""
    rep = measure(covtree, [fixtures / "cov.log"], LogFormat.parse("hdfs"), [fixtures / "cov_templates.csv"])
    d = rep.to_dict()
    s = d["summary"]
    assert (s["statements"], s["opaque"]) == (8, 1)
    assert s["exact"] == {"covered": 3, "pct": 37.5, "pct_of_non_opaque": 42.86}
    assert s["token"] == {"covered": 4, "pct": 50.0, "pct_of_non_opaque": 57.14}
    assert (s["both"], s["either"]) == (2, 5)
    lv = d["by_level"]
    assert list(lv) == ["DEBUG", "INFO", "WARN", "ERROR"]
    assert (lv["INFO"]["statements"], lv["INFO"]["exact"], lv["INFO"]["token"]) == (3, 2, 3)
    assert (lv["WARN"]["statements"], lv["WARN"]["exact"], lv["WARN"]["token"]) == (2, 1, 1)
    assert (lv["ERROR"]["exact"], lv["ERROR"]["token"]) == (0, 0)
    pk = d["by_package"]
    assert (pk["com.example.cov"]["statements"], pk["com.example.cov"]["exact"], pk["com.example.cov"]["token"]) == (
        5,
        2,
        2,
    )
    assert (pk["com.example.cov.beta"]["exact"], pk["com.example.cov.beta"]["token"]) == (1, 2)
    assert sorted(r["template"] for r in d["never_seen"]) == ["Alpha failed: <*>", "Beta crashed with code <*>"]
    assert d["unmatched_log_templates"] == [{"template": "Something unrelated happened here", "lines": 1}]
    assert d["most_frequent_seen"][0]["template"] == "Beta processed <*> items"
    assert d["most_frequent_seen"][0]["lines"] == 2


def test_token_method_on_hdfs_templates(data_dir, hdfsmini):
    from anomalygen.logs.coverage import load_template_csv

    rows = load_template_csv(data_dir / "hdfs" / "HDFS_templates.csv")
    hits = token_coverage(hdfsmini, rows)
    by_tpl = {s.template: hits.get(s.id, []) for s in hdfsmini}
    assert by_tpl["Receiving block <*> src: <*> dest: <*>"] == ["E5"]
    assert "E26" in by_tpl["BLOCK* NameSystem.addStoredBlock: blockMap updated: <*> is added to <*> size <*>"]
    assert by_tpl["Namenode up at: <*>"] == []


def test_coverage_cli_outputs(tmp_path, fixtures):
    out = tmp_path / "cov"
    res = CliRunner().invoke(
        app,
        [
            "coverage",
            "--source",
            str(fixtures / "covtree"),
            "--logs",
            str(fixtures / "cov.log"),
            "--templates",
            str(fixtures / "cov_templates.csv"),
            "--out",
            str(out),
            "--title",
            "fixture",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "exact  covered     3  =  37.50%" in res.output
    d = json.loads((out / "coverage.json").read_text())
    assert d["summary"]["token"]["covered"] == 4
    png = (out / "coverage.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    res = CliRunner().invoke(app, ["coverage", "--source", str(fixtures / "covtree")])
    assert res.exit_code != 0
