"""`anomalygen run` end to end on the embedded example (small settings), resumability and config files."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from anomalygen.cli import app

runner = CliRunner()
SMALL = ["--models", "PCA,LR", "--n", "200", "--seeds", "1", "--epochs", "1"]


def stages(out: Path) -> dict:
    return json.loads((out / "run.json").read_text())["stages"]


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.html = 0

    def handle_starttag(self, tag, attrs):
        self.html += tag == "html"
        self.ids.update(v for k, v in attrs if k == "id" and v)


@pytest.mark.slow  # the whole pipeline, end to end
def test_default_run_end_to_end_then_resumes(tmp_path):
    out = tmp_path / "run"
    r = runner.invoke(app, ["run", "--out", str(out), *SMALL])
    assert r.exit_code == 0, r.output
    st = stages(out)
    assert list(st) == ["inventory", "parse", "sessions", "coverage", "generate", "evaluate", "alarms", "report"]
    assert all(v["status"] == "done" for v in st.values()), st
    runs = (out / "evaluate" / "runs.csv").read_text().splitlines()
    assert len(runs) == 1 + 2 * 5  # header + 2 models x (baseline, synthetic, real-duplicate, naive, inventory-random)
    assert "fpr_unseen" in runs[0] and "inventory-random" in (out / "evaluate" / "summary.md").read_text()
    page = (out / "report.html").read_text()
    tags = _Tags()
    tags.feed(page)
    assert tags.html == 1
    assert {"overview", "coverage", "paths", "synthetic", "detectors"} <= tags.ids
    assert "http://" not in page and "https://" not in page.split("<pre")[0]
    # whole sessions composed from the run's own sessions, each naming one block: its own
    synthetic = [json.loads(x) for x in (out / "synthetic" / "sessions.jsonl").read_text().splitlines()]
    assert (out / "synthetic" / "session_model.json").exists()
    assert all(s["entry"] == "composed" for s in synthetic)
    for s in synthetic:
        assert {b for ps in s["params"] for p in ps for b in re.findall(r"blk_-?\d+", p)} <= {s["session_id"]}
    # nothing changed: every stage is skipped
    r = runner.invoke(app, ["run", "--out", str(out), *SMALL])
    assert r.exit_code == 0, r.output
    assert {k: v["status"] for k, v in stages(out).items()} == {k: "skipped" for k in st}
    # more synthetic sessions: generate and what reads it run again, the real-log stages do not
    r = runner.invoke(app, ["run", "--out", str(out), *SMALL[:2], "--n", "300", *SMALL[4:]])
    assert r.exit_code == 0, r.output
    status = {k: v["status"] for k, v in stages(out).items()}
    assert status == {
        "inventory": "skipped",
        "parse": "skipped",
        "sessions": "skipped",
        "coverage": "skipped",
        "generate": "done",
        "evaluate": "done",
        "alarms": "done",
        "report": "done",
    }
    man = json.loads((out / "synthetic" / "manifest.json").read_text())
    assert man["outputs"]["counts"]["sessions"] == 300


@pytest.mark.slow  # the whole pipeline, end to end
def test_config_file_and_flags(tmp_path):
    cfg = tmp_path / "run.toml"
    cfg.write_text('[run]\nmodels = "PCA"\nn = 150\nseeds = 1\nepochs = 1\nratios = "0,0.5"\n')
    out = tmp_path / "run"
    r = runner.invoke(app, ["run", "--config", str(cfg), "--out", str(out), "--n", "120"])
    assert r.exit_code == 0, r.output
    params = json.loads((out / "run.json").read_text())["params"]
    assert params["models"] == "PCA" and params["n"] == 120 and params["ratios"] == "0,0.5"  # the flag won
    bad = tmp_path / "bad.yaml"
    bad.write_text("modles: PCA\n")
    r = runner.invoke(app, ["run", "--config", str(bad), "--out", str(out)])
    assert r.exit_code == 2 and "bad.yaml" in r.output and "modles" in r.output


def test_missing_inputs_are_named(tmp_path):
    r = runner.invoke(app, ["run", "--source", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "nowhere" in r.output
    (tmp_path / "src").mkdir()  # (not the folder of --out: a run folder inside its source tree is refused)
    r = runner.invoke(app, ["run", "--source", str(tmp_path / "src"), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "--logs" in r.output
    r = runner.invoke(app, ["run", "--source", str(tmp_path), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "inside the input folder" in r.output


@pytest.mark.slow  # the whole pipeline, end to end
def test_run_without_labels_chooses_sessions_and_reports_alarm_rates(tmp_path):
    from anomalygen.core.example import example_logs, example_tree

    out = tmp_path / "nolabels"
    log = str(example_logs() / "minisvc.log")
    r = runner.invoke(
        app,
        [
            "run",
            "--source",
            str(example_tree()),
            "--logs",
            log,
            "--format",
            "zookeeper",
            "--out",
            str(out),
            "--models",
            "PCA",
            "--n",
            "100",
            "--seeds",
            "1",
            "--epochs",
            "1",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "sessions by id: 85% of" in r.output and "HDFS block id" in r.output
    st = stages(out)
    assert all(v["status"] == "done" for v in st.values()), st
    params = json.loads((out / "run.json").read_text())["params"]
    assert params["sessions_by"] == "id" and "HDFS block id" in params["session_rule"]
    doc = json.loads((out / "evaluate" / "alarm_rates.json").read_text())
    assert {row["arm"] for row in doc["rows"]} == {"real only", "+ synthetic"}
    assert all(row["n_test"] > 0 and 0 <= row["alarm_rate"] <= 1 for row in doc["rows"])
    summary = (out / "evaluate" / "summary.md").read_text()
    assert "presumed normal" in summary and "| PCA |" in summary
    page = (out / "report.html").read_text()
    assert "Alarm rates on held-out sessions presumed normal" in page


@pytest.mark.slow  # the whole pipeline, end to end
def test_run_with_weak_labels_marks_them(tmp_path):
    from anomalygen.core.example import example_logs, example_tree

    out = tmp_path / "weak"
    r = runner.invoke(
        app,
        [
            "run",
            "--source",
            str(example_tree()),
            "--logs",
            str(example_logs() / "minisvc.log"),
            "--format",
            "zookeeper",
            "--sessions-by",
            "id",
            "--weak-labels",
            "error",
            "--out",
            str(out),
            "--models",
            "PCA",
            "--n",
            "100",
            "--seeds",
            "1",
            "--epochs",
            "1",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "sessions by" not in r.output  # given, not chosen
    rows = [json.loads(ln) for ln in (out / "logs" / "sessions.jsonl").read_text().splitlines()]
    assert {row["label_source"] for row in rows} == {"weak:error"} and {row["label"] for row in rows} == {0, 1}
    assert (out / "evaluate" / "runs.csv").is_file()
    assert "WEAK LABELS" in (out / "report.html").read_text()
    r = runner.invoke(
        app,
        [
            "run",
            "--source",
            str(example_tree()),
            "--logs",
            str(example_logs() / "minisvc.log"),
            "--weak-labels",
            "warn",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 2 and "--weak-labels" in r.output and "'warn'" in r.output
