"""`--format json` on logs written by real JSON layouts (fixtures/json: log4j2's JsonLayout, logstash-logback-
encoder, and that encoder writing ECS names; `fixtures/json/generate.sh` remakes them from the service in
`fixtures/json/src`): every line traced to its statement, the logger and line fields used, bad lines counted,
sessions by thread or request, and train / detect / run over JSON logs."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from anomalygen.cli import app
from anomalygen.core.formats import FormatError, LogFormat
from anomalygen.logs.api import ParseRequest, SessionsRequest, make_sessions, parse_logs
from anomalygen.source.api import SourceTree

FIX = Path(__file__).parent / "fixtures" / "json"
SRC = FIX / "src"
LAYOUTS = ("log4j2", "logstash", "ecs")
runner = CliRunner()


@pytest.fixture(scope="module")
def statements():
    return SourceTree.read(SRC).statements


def _rows(out: Path) -> list[dict]:
    with open(out / "structured.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _records(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_line_of_a_real_layout_is_traced_to_its_statement(layout, tmp_path, statements):
    res = parse_logs(ParseRequest([FIX / f"{layout}.jsonl"], tmp_path, "json", source=SRC, jobs=1))
    s = res.summary
    assert s["read"]["lines_read"] == len(_records(FIX / f"{layout}.jsonl")) == 197
    assert s["read"]["rejected"] == 0 and s["matched_share"] == 1.0
    assert s["statements_seen"] == len(statements) == 10
    by_id = {st.id: st for st in statements}
    rows = _rows(tmp_path)
    for r in rows:
        st = by_id[r["EventId"]]
        # the level and logger fields are the statement's; the line field (each layout's location key) its line
        assert (r["Level"], r["Logger"], r["Line"]) == (st.level, st.class_name, str(st.line)), r
    # "Finished <*>" is printed by Fetcher and by Writer alike: only the logger field tells which
    finished = {r["Logger"].rsplit(".", 1)[1]: r["EventId"] for r in rows if r["Content"].startswith("Finished ")}
    assert by_id[finished["Fetcher"]].class_name.endswith("Fetcher") and finished["Fetcher"] != finished["Writer"]
    assert {r["Thread"] for r in rows} == {"main", "worker-1", "worker-2", "worker-3"}
    fmt = LogFormat.parse("json")
    times = [fmt.timestamp(tuple(r[f] for f in fmt.fields)) for r in rows]
    assert None not in times and times == sorted(times)
    quoted = [r["Content"] for r in rows if r["Content"].startswith("Writing ")]
    assert quoted and all('"req-' in c and c.endswith("(50% of quota, ü)") for c in quoted)


def test_one_program_gives_the_same_events_under_every_layout(tmp_path):
    seqs = []
    for layout in LAYOUTS:
        parse_logs(ParseRequest([FIX / f"{layout}.jsonl"], tmp_path / layout, "json", source=SRC, jobs=1))
        seqs.append([(r["Thread"], r["EventId"]) for r in _rows(tmp_path / layout)])
    assert seqs[0] == seqs[1] == seqs[2]


def test_bad_json_lines_are_rejected_and_counted_with_file_and_line(tmp_path):
    good = (FIX / "logstash.jsonl").read_text(encoding="utf-8").splitlines()
    bad = ['{"message": "cut off', "[1, 2]", '{"level": "INFO"}', "plain text line"]
    lines = good[:10] + bad[:2] + [""] + good[10:20] + bad[2:] + good[20:]
    log = tmp_path / "mixed.jsonl"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = parse_logs(ParseRequest([log], tmp_path / "out", "json", source=SRC, jobs=1))
    read = res.summary["read"]
    assert read["rejected_by_kind"] == {"bad_json": 4, "empty_line": 1}
    assert read["parsed"] == len(good) and res.summary["matched_share"] == 1.0
    assert read["examples"]["bad_json"][0].startswith(f"{log}:11: ")  # file:line of the first bad one
    only_bad = tmp_path / "bad.jsonl"
    only_bad.write_text("\n".join(bad) + "\n", encoding="utf-8")
    r = runner.invoke(
        app, ["parse", str(only_bad), "--source", str(SRC), "--format", "json", "--out", str(tmp_path / "o")]
    )
    assert r.exit_code == 2 and "bad.jsonl" in r.output and "Traceback" not in r.output
    assert len([ln for ln in r.output.splitlines() if ln.startswith("error:")]) == 1


def test_field_names_can_be_overridden(tmp_path):
    """The logstash fixture with its message and thread keys renamed, as a custom encoder would name them."""
    renamed = []
    for rec in _records(FIX / "logstash.jsonl"):
        rec["text"], rec["tid"] = rec.pop("message"), rec.pop("thread_name")
        renamed.append(json.dumps(rec))
    log = tmp_path / "renamed.jsonl"
    log.write_text("\n".join(renamed) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"nothing parsed|rejected"):  # the defaults find no message in any line
        parse_logs(ParseRequest([log], tmp_path / "a", "json", source=SRC, jobs=1))
    res = parse_logs(ParseRequest([log], tmp_path / "b", "json:message=text,thread=tid", source=SRC, jobs=1))
    assert res.summary["matched_share"] == 1.0 and res.summary["read"]["rejected"] == 0
    assert {r["Thread"] for r in _rows(tmp_path / "b")} == {"main", "worker-1", "worker-2", "worker-3"}
    with pytest.raises(FormatError, match="'mesage=msg' is not OPTION=KEY"):
        LogFormat.parse("json:mesage=msg")


def test_sessions_keyed_by_the_thread_field_or_by_request(tmp_path):
    res = make_sessions(
        SessionsRequest([FIX / "ecs.jsonl"], tmp_path / "t.jsonl", "json", by="field:Thread", source=SRC)
    )
    sessions = _records(tmp_path / "t.jsonl")
    assert res.counts["sessions"] == 4 and {s["session_id"] for s in sessions} == {
        "main",
        "worker-1",
        "worker-2",
        "worker-3",
    }
    assert sum(len(s["events"]) for s in sessions) == 197
    res = make_sessions(
        SessionsRequest([FIX / "ecs.jsonl"], tmp_path / "r.jsonl", "json", by=r"regex:(req-\d+)", source=SRC)
    )
    assert res.counts["sessions"] == 30


def _labels(tmp_path: Path, layout: str) -> tuple[Path, set[str]]:
    """Session labels from the log itself: a request with an ERROR line failed."""
    recs = _records(FIX / f"{layout}.jsonl")
    level = next(k for k in ("level", "log.level") if k in recs[0])
    failed = {r["message"].split()[1] for r in recs if r[level] == "ERROR"}
    ids = {f"req-{1000 + i}" for i in range(30)}
    path = tmp_path / f"{layout}_labels.csv"
    path.write_text("BlockId,Label\n" + "".join(f"{i},{'Anomaly' if i in failed else 'Normal'}\n" for i in sorted(ids)))
    return path, failed


def test_train_on_one_layout_and_detect_on_another(tmp_path):
    labels, failed = _labels(tmp_path, "log4j2")
    model = tmp_path / "model"
    r = runner.invoke(
        app,
        [
            "train",
            "--source",
            str(SRC),
            "--logs",
            str(FIX / "log4j2.jsonl"),
            "--labels",
            str(labels),
            "--format",
            "json",
            "--sessions-by",
            r"regex:(req-\d+)",
            "--model",
            "DecisionTree",
            "--out",
            str(model),
        ],
    )
    assert r.exit_code == 0, r.output
    out = tmp_path / "alarms.jsonl"
    r = runner.invoke(app, ["detect", str(model), str(FIX / "ecs.jsonl"), "--quiet", "--json", str(out)])
    assert r.exit_code == 0, r.output
    _, failed_ecs = _labels(tmp_path, "ecs")
    assert failed and {a["session"] for a in _records(out)} == failed_ecs == failed


def test_run_end_to_end_on_json_logs_writes_json_synthetic_lines(tmp_path):
    out = tmp_path / "run"
    r = runner.invoke(
        app,
        [
            "run",
            "--source",
            str(SRC),
            "--logs",
            str(FIX / "logstash.jsonl"),
            "--format",
            "json",
            "--sessions-by",
            r"regex:(req-\d+)",
            "--out",
            str(out),
            "--models",
            "PCA",
            "--n",
            "40",
            "--seeds",
            "1",
            "--epochs",
            "1",
        ],
    )
    assert r.exit_code == 0, r.output
    st = json.loads((out / "run.json").read_text())["stages"]
    assert all(v["status"] == "done" for v in st.values()), st
    fmt = LogFormat.parse("json")
    synthetic = (out / "synthetic" / "synthetic.log").read_text(encoding="utf-8").splitlines()
    assert synthetic and all(fmt.split(line) is not None for line in synthetic)
