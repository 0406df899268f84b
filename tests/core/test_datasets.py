from __future__ import annotations

import json
from pathlib import Path

import pytest

from anomalygen.core.datasets import (
    DataFormatError,
    load_augment_dir,
    load_dataset,
    load_hdfs_deeplog,
    load_loghub_structured,
    load_sessions_jsonl,
)


def test_hdfs100k_loads_with_templates_as_keys(hdfs100k):
    assert len(hdfs100k) == 7940 and sum(s.label for s in hdfs100k) == 313
    s = hdfs100k[0]
    assert s.events == s.templates and not s.has_event_ids and s.split in {"train", "test"}


def test_deeplog_hdfs_loads_all_files(data_dir):
    ss = load_hdfs_deeplog(data_dir / "hdfs" / "deeplog")
    by_file = {}
    for s in ss:
        by_file.setdefault(s.session_id.split(":")[0], []).append(s.label)
    assert len(by_file["hdfs_train"]) == 4855 and set(by_file["hdfs_train"]) == {0}
    assert len(by_file["hdfs_test_abnormal"]) == 16838 and set(by_file["hdfs_test_abnormal"]) == {1}
    assert sum(by_file["robust_log_train.csv"]) == 6000
    assert ss[0].events[0].startswith("E") and ss[0].templates[0] != ss[0].events[0]


def test_malformed_jsonl_names_file_and_line(tmp_path):
    p = tmp_path / "sessions.jsonl"
    p.write_text('{"session_id": "a", "label": 0, "events": ["x"]}\n{"session_id": "b", "label": 1, "events": [\n')
    with pytest.raises(DataFormatError, match=r"sessions.jsonl:2"):
        load_sessions_jsonl(p)
    p.write_text('{"session_id": "a", "label": "maybe", "events": ["x"]}\n')
    with pytest.raises(DataFormatError, match=r"sessions.jsonl:1: label"):
        load_sessions_jsonl(p)
    p.write_text('{"session_id": "a", "label": 1, "events": ["x"], "templates": ["t", "u"]}\n')
    with pytest.raises(DataFormatError, match="differ in length"):
        load_sessions_jsonl(p)


def test_augment_dir_accepts_synthesis_format(tmp_path):
    rows = [
        {
            "session_id": "s1",
            "label": 1,
            "events": ["Foo.java:12", "Foo.java:30"],
            "templates": ["a <*>", "b"],
            "reason": "catch block",
        },
        {"session_id": "s2", "label": "Normal", "events": ["Foo.java:12"]},
    ]
    (tmp_path / "sessions.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    ss = load_augment_dir(tmp_path)
    assert [s.label for s in ss] == [1, 0] and ss[0].source == "synthetic" and ss[0].reason == "catch block"
    assert ss[1].templates is None and ss[1].has_event_ids


def test_loghub_structured_csv_with_labels(data_dir, tmp_path):
    csv_path = data_dir / "hdfs" / "HDFS_2k.log_structured.csv"
    import csv
    import re

    blocks = set()
    with csv_path.open() as fh:
        for row in csv.DictReader(fh):
            blocks.update(re.findall(r"blk_-?\d+", row["Content"]))
    blocks = sorted(blocks)
    labels = tmp_path / "anomaly_label.csv"
    labels.write_text(
        "BlockId,Label\n" + "".join(f"{b},{'Anomaly' if i % 10 == 0 else 'Normal'}\n" for i, b in enumerate(blocks))
    )
    ss = load_loghub_structured(csv_path, labels)
    assert len(ss) == len(blocks) and sum(s.label for s in ss) == len(blocks[::10])
    assert all(e.startswith("E") for s in ss for e in s.events)
    (tmp_path / "x_structured.csv").write_bytes(csv_path.read_bytes())
    assert len(load_dataset(tmp_path)) == len(ss)
    with pytest.raises(DataFormatError, match="not a sessions"):
        load_dataset(tmp_path / "missing.txt")


def test_auto_template_map_matches_synthetic_lines_to_real_templates(tmp_path):
    from anomalygen.core.datasets import Session, load_sessions_jsonl
    from anomalygen.core.event_keys import auto_template_map, session_keys

    real = [
        Session(
            "b1",
            0,
            ["Receiving block <*> src: /<*> dest: /<*>"],
            templates=["Receiving block <*> src: /<*> dest: /<*>"],
        )
    ]
    p = tmp_path / "syn.jsonl"
    p.write_text(
        json.dumps(
            {
                "session_id": "s",
                "label": 0,
                "events": ["L1", "L2"],
                "templates": ["Receiving block <*> src: <*> dest: <*>", "Block <*> was aligned"],
                "params": [["blk_1", "/10.0.0.1:5", "/10.0.0.2:50010"], ["blk_1"]],
            }
        )
        + "\n"
    )
    syn = load_sessions_jsonl(p, source="synthetic")
    tmap = auto_template_map(real, syn)
    assert tmap == {"L1": "Receiving block <*> src: /<*> dest: /<*>"}  # L2 matches nothing real: a new event
    assert session_keys(syn[0], "templates", tmap) == [
        "Receiving block <*> src: /<*> dest: /<*>",
        "Block <*> was aligned",
    ]


def test_dataset_short_names_resolve_under_the_shared_data_folder(monkeypatch, tmp_path):
    from anomalygen.core.datasets import resolve_dataset

    monkeypatch.setenv("ANOMALYGEN_DATA", str(tmp_path))
    assert resolve_dataset("hdfs_100k") == tmp_path / "hdfs" / "HDFS_100k.sessions.jsonl"
    assert resolve_dataset("my/sessions.jsonl") == Path("my/sessions.jsonl")
