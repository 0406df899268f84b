"""Label files: an id labelled twice, differently, is an error naming both lines (or `--labels-conflict
first|last` picks one); a BOM before the header is no part of it; labels that name no session are counted and
said."""

from __future__ import annotations

import pytest
from faults_helpers import error_line, invoke

from anomalygen.core.example import example_logs, example_tree

LABELS = example_logs() / "anomaly_label.csv"


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    out = tmp_path_factory.mktemp("labels") / "pca"
    assert invoke("train", "--model", "PCA", "--out", out).code == 0
    return out


def _conflicting(tmp_path):
    rows = LABELS.read_text().splitlines()
    sid, label = rows[5].split(",")
    flipped = "Normal" if label == "Anomaly" else "Anomaly"
    bad = tmp_path / "labels.csv"
    bad.write_text("\n".join(rows + [f"{sid},{flipped}"]) + "\n")
    return bad, sid, label, flipped, len(rows) + 1


def test_conflicting_duplicate_labels_name_both_lines(tmp_path, model):
    bad, sid, _, _, last = _conflicting(tmp_path)
    for cmd in (
        ["train", "--model", "PCA", "--labels", bad, "--out", tmp_path / "m"],
        ["detect", model, example_logs() / "minisvc.log", "--labels", bad, "-q"],
        [
            "sessions",
            example_logs() / "minisvc.log",
            "--source",
            example_tree(),
            "--format",
            "zookeeper",
            "--labels",
            bad,
            "--out",
            tmp_path / "s.jsonl",
        ],
    ):
        res = invoke(*cmd)
        line = error_line(res)
        assert res.code == 2 and f"{bad}:{last}" in line and "line 6" in line and sid in line, (cmd[0], res.output)
        assert "--labels-conflict" in line
    assert not (tmp_path / "m").exists() and not (tmp_path / "s.jsonl").exists()


def test_labels_conflict_first_or_last_keeps_that_row(tmp_path):
    from anomalygen.logs.sessions import load_labels

    bad, sid, label, flipped, _ = _conflicting(tmp_path)
    assert load_labels(bad, conflict="first")[sid] == int(label == "Anomaly")
    assert load_labels(bad, conflict="last")[sid] == int(flipped == "Anomaly")
    jl = tmp_path / "l.jsonl"
    jl.write_text('{"session_id": "a", "label": 0}\n{"session_id": "a", "label": 0}\n{"session_id": "a", "label": 1}\n')
    with pytest.raises(ValueError, match=r"l\.jsonl:3: 'a' labelled 1 here and 0 at line 1"):
        load_labels(jl)
    assert load_labels(jl, conflict="last") == {"a": 1}


def test_a_bom_before_the_header_is_read_as_no_part_of_it(tmp_path, model):
    rows = LABELS.read_text().splitlines()
    swapped = ["Label,BlockId"] + [",".join(reversed(r.split(","))) for r in rows[1:]]
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + ("\n".join(swapped) + "\n").encode())
    res = invoke("detect", model, example_logs() / "minisvc.log", "--labels", bom, "-q")
    assert res.code == 0, res.output
    assert "labelled sessions: 2332 (75 anomalous)" in res.output


def test_labels_that_match_no_session_are_said(tmp_path, model):
    other = tmp_path / "other.csv"
    other.write_text("BlockId,Label\n" + "".join(f"blk_{i},Normal\n" for i in range(40)))
    res = invoke("detect", model, example_logs() / "minisvc.log", "--labels", other, "-q")
    assert res.code == 0 and "warning: 40 of the 40 labels" in res.output and "name no session" in res.output
    some = tmp_path / "some.csv"
    some.write_text(LABELS.read_text() + "".join(f"blk_{i},Normal\n" for i in range(7)))
    res = invoke("detect", model, example_logs() / "minisvc.log", "--labels", some, "-q")
    assert res.code == 0 and "warning: 7 of the 2339 labels" in res.output, res.output
    res = invoke("train", "--model", "PCA", "--labels", some, "--out", tmp_path / "m")
    assert res.code == 0 and "warning: 7 of the 2339 labels" in res.output, res.output


def test_run_refuses_conflicting_labels_before_any_stage(tmp_path, src):
    bad, sid, _, _, last = _conflicting(tmp_path)
    out = tmp_path / "run"
    for by in ([], ["--sessions-by", "id"]):
        res = invoke(
            "run",
            "--source",
            src,
            "--logs",
            example_logs() / "minisvc.log",
            "--labels",
            bad,
            "--format",
            "zookeeper",
            *by,
            "--out",
            out,
            "--models",
            "PCA",
            "--n",
            "10",
            "--seeds",
            "1",
        )
        assert res.code == 2 and f"{bad}:{last}" in error_line(res) and sid in error_line(res), res.output
        assert not out.exists()
