"""The generate stage's function: a tree passed in gives the files a source path gives; settings are checked
before any work."""

from __future__ import annotations

import json

import pytest

from anomalygen.core.errors import InputError
from anomalygen.core.example import example_logs, example_tree
from anomalygen.source.api import SourceTree
from anomalygen.source.inventory import build_inventory
from anomalygen.synthesis.api import GenerateRequest, generate

LOG = example_logs() / "minisvc.log"


@pytest.mark.slow  # generates twice over the example's every path
def test_generate_from_a_tree_equals_generate_from_the_source(tmp_path):
    common = dict(logs=[LOG], format="zookeeper", n=60, seed=3, sessions_by="id", max_paths=40, jobs=1)
    a = generate(GenerateRequest(tmp_path / "a", tree=SourceTree.read(), **common))
    b = generate(GenerateRequest(tmp_path / "b", source=example_tree(), **common))
    for f in ("sessions.jsonl", "synthetic.log", "entries.csv"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    assert a.counts == b.counts and a.counts["sessions"] == 60
    assert a.totals["kept"] > 0 and a.learned and "learned from" in a.describe()[0]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"session_model": "maybe"}, "expected on or off"),
        ({"host_fraction": 1.5}, r"not in \(0, 1\]"),
        ({"format": "nosuch"}, "unknown log format"),
        ({"sessions_by": "by:thread"}, "--sessions-by 'by:thread': expected id"),
    ],
)
def test_bad_settings_fail_before_any_work(tmp_path, change, message):
    with pytest.raises(ValueError, match=message):  # InputError and FormatError are both ValueErrors
        generate(GenerateRequest(tmp_path / "g", **change))
    assert not (tmp_path / "g").exists() or not any((tmp_path / "g").iterdir())
    assert issubclass(InputError, ValueError)


@pytest.mark.slow  # generates twice over the example's every path
def test_covering_paths_reach_statements_the_uniform_sample_misses(tmp_path):
    common = dict(logs=[LOG], format="zookeeper", n=40, seed=3, sessions_by="id", max_paths=40, jobs=1)
    plain = generate(GenerateRequest(tmp_path / "u", source=example_tree(), cover=False, **common))
    covered = generate(GenerateRequest(tmp_path / "c", source=example_tree(), **common))
    assert covered.totals["kept"] > plain.totals["kept"]
    # the request loop's rare cases (a delete among billions of write paths) reach the session model only so
    inventory, _ = build_inventory(example_tree())
    deleted = {s.id for s in inventory.statements if s.template.startswith("Deleted blk_")}
    assert len(deleted) == 1

    def novel(d: str) -> set[str]:
        return {n["key"] for n in json.loads((tmp_path / d / "session_model.json").read_text())["novel"]}

    assert deleted <= novel("c") and not deleted & novel("u")
