"""The report on a run directory made by the real commands (inventory, parse, coverage, generate, evaluate) on the
embedded example service, with small settings."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from anomalygen.cli import app
from anomalygen.core.example import example_logs, example_tree
from anomalygen.report import build_report


def _ok(args):
    r = CliRunner().invoke(app, [str(a) for a in args])
    assert r.exit_code == 0, (args, r.output, r.exception)


@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("run")
    src, logs = example_tree(), example_logs()
    log = logs / "minisvc.log"
    _ok(["inventory", src, "--out", run / "inventory" / "statements.jsonl"])
    _ok(["parse", log, "--source", src, "--format", "zookeeper", "--out", run / "logs"])
    _ok(["coverage", "--source", src, "--logs", log, "--format", "zookeeper", "--out", run / "coverage"])
    _ok(
        [
            "sessions",
            log,
            "--source",
            src,
            "--format",
            "zookeeper",
            "--by",
            "id",
            "--labels",
            logs / "anomaly_label.csv",
            "--out",
            run / "logs" / "sessions.jsonl",
        ]
    )
    _ok(
        [
            "generate",
            "--out",
            run / "synthetic",
            "--format",
            "zookeeper",
            "--logs",
            log,
            "--n",
            "60",
            "--max-paths",
            "100",
        ]
    )
    _ok(
        [
            "evaluate",
            "--dataset",
            run / "logs" / "sessions.jsonl",
            "--augment",
            run / "synthetic",
            "--ratios",
            "0.5",
            "--models",
            "PCA",
            "--seeds",
            "2",
            "--out",
            run / "evaluate",
            "--quiet",
        ]
    )
    from anomalygen.deploy.preview import preview_alarms

    preview_alarms(run, src, [log], logs / "anomaly_label.csv", "zookeeper", "id", "PCA", 1, 0)
    (run / "run.json").write_text(
        json.dumps(
            {
                "stages": {
                    s: {"status": "done", "seconds": 1.0, "outputs": [s]}
                    for s in ("inventory", "paths", "parse", "generate", "evaluate", "alarms")
                },
                "inputs": {"source": str(src), "logs": [str(log)]},
                "params": {"n": 60},
            }
        )
    )
    return run


def test_report_on_real_outputs(real_run, parse_html, section_of):
    text = build_report(real_run).read_text(encoding="utf-8")
    c = parse_html(text)
    assert c.errors == [] and c.stack == [] and c.counts["html"] == 1
    assert "could not be built" not in text and 'class="note missing"' not in text
    man = json.loads((real_run / "synthetic" / "manifest.json").read_text())
    counts = man["outputs"]["counts"]
    syn = section_of(text, "synthetic")
    assert f"<th>sessions</th><td>{counts['sessions']:,}</td>" in syn
    assert f"<th>anomalous</th><td>{counts['anomalous']:,} (" in syn
    assert syn.count('<div class="example">') >= 4
    assert "label-anomaly" in syn and "label-normal" in syn
    cov = json.loads((real_run / "coverage" / "coverage.json").read_text())
    assert (
        f"<td>exact</td><td>{cov['summary']['statements']}</td><td>{cov['summary']['exact']['covered']}</td>"
        in section_of(text, "coverage")
    )
    # every entry of entries.csv has a row in the paths table
    entries = (real_run / "synthetic" / "entries.csv").read_text().splitlines()[1:]
    p = section_of(text, "paths")
    for line in entries:
        assert f"<td>{line.split(',')[0].replace('<', '&lt;').replace('>', '&gt;')}</td>" in p
    d = section_of(text, "detectors")
    assert re.search(r"<tr><td>PCA</td><td>1</td><td>synthetic</td><td>0.5</td>", d)
    assert re.search(r"<tr><td>1</td><td>PCA</td>", d)  # the verdict row
    # real raw lines of the synthetic log come through unchanged (escaped)
    first = (real_run / "synthetic" / "synthetic.log").read_text().splitlines()
    shown = [ln for ln in first if ln.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in syn]
    assert shown
    for _tag, _attr, value in c.refs:
        assert value.startswith("#") or value.startswith("data:image/png;base64,")
    # the alarm preview: held-out alarms of the saved model, each naming a statement of the example's source
    doc = json.loads((real_run / "alarms" / "alarms.json").read_text())
    a = section_of(text, "alarms")
    assert doc["top"] and a.count('<div class="example">') == len(doc["top"])
    assert f"<td>{doc['alarms']:,}, of which labelled anomalous {doc['alarms_labelled_anomalous']:,}" in a
    assert "com/example/minisvc/" in a
