"""`anomalygen generate` end to end on our own fixtures: files, validity, consistency, determinism."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from typer.testing import CliRunner

from anomalygen.cli import app
from anomalygen.core.datasets import load_label_csv, load_sessions_jsonl
from anomalygen.core.sessions import Session
from anomalygen.source.inventory import build_inventory

FIX = Path(__file__).parent / "fixtures"
runner = CliRunner()


def gen(tmp: Path, *args: str) -> Path:
    out = tmp / "out"
    r = runner.invoke(app, ["generate", str(FIX / "hdfsish"), "--out", str(out), *args])
    assert r.exit_code == 0, r.output
    return out


def test_hdfs_style_sessions_are_valid_consistent_and_parse_back(tmp_path):
    out = gen(tmp_path, "--logs", str(FIX / "hdfsish.log"), "--n", "300", "--seed", "3")
    man = json.loads((out / "manifest.json").read_text())["outputs"]
    back = man["parse_back"]
    assert back["lines"] > 300 and back["same_statement"] == back["lines"] == back["regex_match"]
    stmts = {s.id: s for s in build_inventory(FIX / "hdfsish")[0].statements}
    sessions = [json.loads(x) for x in (out / "sessions.jsonl").read_text().splitlines()]
    assert len(sessions) == 300
    for s in sessions:
        blocks = {b for params in s["params"] for p in params for b in re.findall(r"blk_-?\d+", p)}
        assert blocks == {s["session_id"]}  # one block per session, and it is the session id
        for eid in s["events"]:
            assert "<*>" not in stmts[eid].template or "block" in stmts[eid].template.lower()
    # the raw log is the dataset's own format, and learned values come from the real log
    raw = (out / "synthetic.log").read_text().splitlines()
    assert all(re.match(r"^\d{6} \d{6} \d+ (INFO|WARN|ERROR) dfs\.BlockReceiver: ", ln) for ln in raw)
    assert any("/10.25" in ln for ln in raw)
    # the evaluation harness loads what generate wrote, labels agree with anomaly_label.csv
    loaded = load_sessions_jsonl(out / "sessions.jsonl", source="synthetic")
    labels = load_label_csv(out / "anomaly_label.csv")
    assert {s.session_id: s.label for s in loaded} == labels
    assert man["counts"]["anomalous"] == sum(labels.values())


def test_labels_follow_the_rules_with_reasons(tmp_path):
    out = gen(tmp_path, "--n", "400", "--session-key", "none", "--anomalous-share", "0.5")
    sessions = [json.loads(x) for x in (out / "sessions.jsonl").read_text().splitlines()]
    by_tpl = lambda s: [t for t in s["templates"]]
    giving_up = [s for s in sessions if any(t.startswith("Giving up") for t in by_tpl(s))]
    assert giving_up and all(s["label"] == 1 and "ERROR line" in s["reason"] for s in giving_up)
    # a failed attempt followed by a successful one is a recovered retry: normal
    recovered = [
        s
        for s in sessions
        if any(t.startswith("Retrying") for t in by_tpl(s))
        and any(t.startswith("Received block") for t in by_tpl(s))
        and s["exit"] == "normal"
    ]
    assert recovered and all(s["label"] == 0 for s in recovered)
    assert all(s["reason"] for s in sessions if s["label"] == 1)
    assert not any(s["reason"] for s in sessions if s["label"] == 0)


def test_same_seed_same_bytes_other_seed_other_data(tmp_path):
    a = gen(tmp_path / "a", "--n", "50", "--seed", "1")
    b = gen(tmp_path / "b", "--n", "50", "--seed", "1")
    c = gen(tmp_path / "c", "--n", "50", "--seed", "2")
    assert (a / "synthetic.log").read_bytes() == (b / "synthetic.log").read_bytes()
    assert (a / "synthetic.log").read_bytes() != (c / "synthetic.log").read_bytes()


def test_entry_report_counts_infeasible_paths(tmp_path):
    out = gen(tmp_path, "--n", "10")
    rows = {r["entry"]: r for r in csv.DictReader(io.StringIO((out / "entries.csv").read_text()))}
    delete = next(r for k, r in rows.items() if k.endswith("#delete(Block)"))
    assert int(delete["paths"]) == int(delete["infeasible"]) + int(delete["kept"])
    receive = next(r for k, r in rows.items() if "#receive(" in k)
    # "never tried" needs attempt == 0 and retries > 0 after the loop, but then the loop would have run
    assert int(receive["infeasible"]) > 0
    sessions = [
        json.loads(x)
        for x in (
            gen(tmp_path / "more", "--n", "300", "--session-key", "none", "--anomalous-share", "0.5") / "sessions.jsonl"
        )
        .read_text()
        .splitlines()
    ]
    assert not any("was never tried" in t for s in sessions for t in s["templates"])


def test_bad_inputs_are_named(tmp_path):
    r = runner.invoke(
        app, ["generate", str(FIX / "hdfsish"), "--out", str(tmp_path / "o"), "--logs", str(tmp_path / "missing.log")]
    )
    assert r.exit_code == 2 and "missing.log" in r.output
    bad = tmp_path / "rules.yaml"
    bad.write_text("line:\n  levels: [ERROR\n")
    r = runner.invoke(app, ["generate", str(FIX / "hdfsish"), "--out", str(tmp_path / "o"), "--rules", str(bad)])
    assert r.exit_code == 2 and "rules.yaml:" in r.output
    r = runner.invoke(app, ["generate", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "nowhere" in r.output


def test_paths_are_spliced_into_real_normal_sessions_from_the_first_part_only(tmp_path):
    stmts = build_inventory(FIX / "hdfsish")[0].statements
    by_tpl = {s.template.split(" <*>")[0]: s.id for s in stmts}
    recv, got = by_tpl["Receiving block"], by_tpl["Received block"]
    hosts = tmp_path / "hosts.jsonl"
    rows = [
        {"session_id": "a", "label": 0, "events": [recv, got]},
        {"session_id": "b", "label": 1, "events": [recv]},  # anomalous: never a host
        {"session_id": "c", "label": 0, "events": [recv, recv, got, got, got]},
    ]  # the held-out last part
    hosts.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = gen(
        tmp_path, "--n", "60", "--hosts", str(hosts), "--host-fraction", "0.67", "--logs", str(FIX / "hdfsish.log")
    )
    sessions = [json.loads(x) for x in (out / "sessions.jsonl").read_text().splitlines()]
    for s in sessions:
        assert s["host"] == 0  # only session a: b is anomalous, c lies in the held-out part
        at, ev = s["inserted_at"], s["events"]
        k = len(ev) - 2
        assert ev[:at] + ev[at + k :] == [recv, got]  # the host's events around the synthetic path
        assert all("blk_" in p for ps in s["params"] for p in ps if p.startswith("blk")) and s["session_id"]
    back = json.loads((out / "manifest.json").read_text())["outputs"]["parse_back"]
    assert back["same_statement"] == back["lines"]


def test_block_sizes_agree_across_the_lines_of_a_session(tmp_path):
    out = gen(
        tmp_path,
        "--logs",
        str(FIX / "hdfsish.log"),
        "--n",
        "200",
        "--hosts",
        str(_hosts(tmp_path)),
        "--host-fraction",
        "1",
    )
    for s in (json.loads(x) for x in (out / "sessions.jsonl").read_text().splitlines()):
        sizes = {
            ps[1]
            for t, ps in zip(s["templates"], s["params"], strict=False)
            if t.startswith("Received block <*> of size")
        }
        assert len(sizes) <= 1


def _hosts(tmp: Path) -> Path:
    stmts = build_inventory(FIX / "hdfsish")[0].statements
    by_tpl = {s.template.split(" <*>")[0]: s.id for s in stmts}
    p = tmp / "hosts.jsonl"
    p.write_text(
        json.dumps(
            {
                "session_id": "a",
                "label": 0,
                "events": [by_tpl["Receiving block"], by_tpl["Received block"], by_tpl["Received block"]],
            }
        )
        + "\n"
    )
    return p


def _handed_out(monkeypatch) -> list:
    """What the generator hands the writer, recorded on the way."""
    from anomalygen.synthesis import output

    seen: list = []
    write = output.write_sessions
    monkeypatch.setattr(output, "write_sessions", lambda sessions, *a: write(seen.extend(sessions) or seen, *a))
    return seen


def _rows_are_the_sessions(out: Path, handed: list) -> None:
    """sessions.jsonl is the core Sessions the generator made, row for row, byte for byte."""
    lines = (out / "sessions.jsonl").read_text(encoding="utf-8").splitlines()
    assert handed and all(isinstance(r.session, Session) and r.session.source == "synthetic" for r in handed)
    assert lines == [json.dumps(r.session.to_dict(), ensure_ascii=False) for r in handed]
    assert lines == [json.dumps(Session.from_dict(json.loads(x)).to_dict(), ensure_ascii=False) for x in lines]
    assert all(r.session.events == [ln.stmt.id for ln in r.lines] for r in handed)


def test_composed_sessions_resessionize_to_sessions_jsonl_and_load_as_a_model(tmp_path, monkeypatch):
    from anomalygen.synthesis.compose import load_session_model

    handed = _handed_out(monkeypatch)
    out = gen(tmp_path, "--logs", str(FIX / "hdfsish.log"), "--n", "120", "--seed", "5")
    _rows_are_the_sessions(out, handed)
    sessions = [json.loads(x) for x in (out / "sessions.jsonl").read_text().splitlines()]
    assert len(sessions) == 120 and all(s["entry"] == "composed" and "provenance" in s for s in sessions)
    assert sum(s["label"] == 0 for s in sessions) > 90
    back = tmp_path / "back.jsonl"
    r = runner.invoke(
        app,
        [
            "sessions",
            str(out / "synthetic.log"),
            "--source",
            str(FIX / "hdfsish"),
            "--by",
            "id",
            "--labels",
            str(out / "anomaly_label.csv"),
            "--out",
            str(back),
        ],
    )
    assert r.exit_code == 0, r.output
    again = {s.session_id: s.events for s in load_sessions_jsonl(back, source="synthetic")}
    assert again == {s["session_id"]: s["events"] for s in sessions}
    model = load_session_model(out / "session_model.json")
    doc = json.loads((out / "session_model.json").read_text())
    assert doc["manifest"]["real_sessions"]["logs"] == [str(FIX / "hdfsish.log")]
    bases = [s["events"] for s in sessions if s["label"] == 0][:10]
    assert model.compose(bases, 30, 1) == model.compose(bases, 30, 1)
    handed.clear()
    off = gen(tmp_path / "off", "--logs", str(FIX / "hdfsish.log"), "--n", "20", "--session-model", "off")
    _rows_are_the_sessions(off, handed)
    assert not (off / "session_model.json").exists()
    assert all(json.loads(x)["entry"] != "composed" for x in (off / "sessions.jsonl").read_text().splitlines())


def test_bad_real_sessions_are_named(tmp_path):
    r = runner.invoke(
        app,
        [
            "generate",
            str(FIX / "hdfsish"),
            "--out",
            str(tmp_path / "o"),
            "--real-sessions",
            str(tmp_path / "nope.jsonl"),
        ],
    )
    assert r.exit_code == 2 and "nope.jsonl" in r.output and "Traceback" not in r.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"events": ["x"], "label": "maybe"}\n')
    r = runner.invoke(
        app, ["generate", str(FIX / "hdfsish"), "--out", str(tmp_path / "o"), "--real-sessions", str(bad)]
    )
    assert r.exit_code == 2 and "bad.jsonl:1" in r.output


def test_new_statements_go_into_normal_composed_sessions_only(tmp_path):
    out = gen(
        tmp_path,
        "--logs",
        str(FIX / "hdfsish.log"),
        "--n",
        "300",
        "--seed",
        "2",
        "--novel-share",
        "1",
        "--anomalous-share",
        "0.3",
    )
    sessions = [json.loads(x) for x in (out / "sessions.jsonl").read_text().splitlines()]
    doc = json.loads((out / "session_model.json").read_text())
    assert doc["config"]["novel_share"] == 1 and doc["novel"]

    def new(s):
        return [c for c in s["provenance"]["changes"] if c["change"] in ("add_novel", "insert_novel")]

    normal = [s for s in sessions if s["label"] == 0]
    anomalous = [s for s in sessions if s["label"] == 1]
    assert anomalous and not any(new(s) for s in anomalous)  # the anomaly is the only thing new in them
    based = {e for s in normal for e in s["events"] if e not in {c["statement"] for c in new(s)}}
    valid_new = {n["key"] for n in doc["novel"]} - based
    assert not any(valid_new & set(s["events"]) for s in anomalous)  # not even inside the anomalous segment
    assert sum(bool(new(s)) for s in normal) > len(normal) / 2
    off = gen(tmp_path / "off", "--logs", str(FIX / "hdfsish.log"), "--n", "100", "--novel-share", "0")
    assert not any(new(json.loads(x)) for x in (off / "sessions.jsonl").read_text().splitlines())
