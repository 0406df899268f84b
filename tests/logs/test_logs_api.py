"""The logs stage's functions: the same outputs from a tree passed in as from a source path, one-line errors."""

from __future__ import annotations

import pytest

from anomalygen.core.errors import InputError
from anomalygen.core.example import example_logs, example_tree
from anomalygen.logs.api import (
    CoverageRequest,
    ParseRequest,
    SessionsRequest,
    make_sessions,
    measure_coverage,
    parse_logs,
)
from anomalygen.source.api import SourceTree

LOG = example_logs() / "minisvc.log"


def test_parse_from_a_tree_writes_what_parse_from_the_source_writes(tmp_path):
    tree = SourceTree.read()
    a = parse_logs(ParseRequest([LOG], tmp_path / "a", "zookeeper", tree=tree, jobs=1))
    b = parse_logs(ParseRequest([LOG], tmp_path / "b", "zookeeper", source=example_tree(), jobs=1))
    for f in ("structured.csv", "templates.csv"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()
    assert a.summary["matched"] == b.summary["matched"] > 0
    assert any("matched to a source statement" in line for line in a.describe())


def test_sessions_choose_their_rule_and_join_labels(tmp_path):
    res = make_sessions(
        SessionsRequest(
            [LOG],
            tmp_path / "s.jsonl",
            "zookeeper",
            labels=example_logs() / "anomaly_label.csv",
            tree=SourceTree.read(),
        )
    )
    assert res.by == "id" and res.rule_reason and res.counts["anomalous"] > 0
    assert (tmp_path / "s.manifest.json").is_file()


def test_bad_requests_are_one_line_errors(tmp_path):
    with pytest.raises(InputError, match="the one rule is 'error'"):
        make_sessions(SessionsRequest([LOG], tmp_path / "s.jsonl", weak_labels="warn", source=example_tree()))
    with pytest.raises(InputError, match="--templates"):
        measure_coverage(CoverageRequest(out=tmp_path / "c", source=example_tree()))
    empty = tmp_path / "empty.log"
    empty.write_text("")
    with pytest.raises(InputError, match="nothing parsed"):
        parse_logs(ParseRequest([empty], tmp_path / "p", "zookeeper", source=example_tree(), jobs=1))
