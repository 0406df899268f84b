"""The inventory / entries / paths commands end to end, on the embedded example and on bad input."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from anomalygen.cli import app
from anomalygen.source.inventory import read_inventory
from anomalygen.source.pathio import read_paths

runner = CliRunner()


def test_inventory_on_the_embedded_example(tmp_path):
    out = tmp_path / "inv.jsonl"
    r = runner.invoke(app, ["inventory", "--out", str(out)])
    assert r.exit_code == 0, r.output
    stmts = read_inventory(out)
    assert len(stmts) == 80 and "80 log statements" in r.output
    manifest = json.loads((tmp_path / "inv.manifest.json").read_text())
    assert manifest["stage"] == "inventory" and manifest["outputs"]["statements"] == 80
    assert len(manifest["inputs"]["tree_sha256"]) == 64


def test_paths_writes_records_conditions_and_manifest(tmp_path):
    out = tmp_path / "p.jsonl"
    r = runner.invoke(
        app,
        ["paths", "--out", str(out), "--max-paths", "50", "--seed", "3", "--lcfg-out", str(tmp_path / "lcfg.jsonl")],
    )
    assert r.exit_code == 0, r.output
    inv_ids = {s.id for s in read_inventory_from_cli(tmp_path)}
    recs = list(read_paths(out))
    assert recs and all(set(p["events"]) <= inv_ids for p in recs)
    assert all(p["exit"] in ("normal", "exception", "cut") for p in recs)
    cond = next(c for p in recs for c in p["conditions"])
    assert {"frame", "polarity", "method", "text", "expr", "line", "kind"} <= set(cond)
    manifest = json.loads((tmp_path / "p.manifest.json").read_text())
    assert manifest["params"]["max_paths"] == 50 and manifest["outputs"]["written"] == len(recs)
    assert manifest["outputs"]["caps"].get("max_paths", 0) >= 1  # Server.run has more than 50 paths
    # the same seed gives the same file
    out2 = tmp_path / "p2.jsonl"
    runner.invoke(app, ["paths", "--out", str(out2), "--max-paths", "50", "--seed", "3"])
    assert out.read_text() == out2.read_text()
    assert len((tmp_path / "lcfg.jsonl").read_text().splitlines()) >= 5


def test_paths_covers_what_the_uniform_sample_missed_unless_told_not_to(tmp_path):
    files = {}
    for name, extra in {"cover": [], "uniform": ["--no-cover"]}.items():
        out = tmp_path / f"{name}.jsonl"
        r = runner.invoke(app, ["paths", "--out", str(out), "--max-paths", "30", *extra])
        assert r.exit_code == 0, r.output
        files[name] = list(read_paths(out))
    printed = {name: {e for p in recs for e in p["events"]} for name, recs in files.items()}
    assert printed["uniform"] < printed["cover"]  # statements only the covering paths reach
    manifest = json.loads((tmp_path / "cover.manifest.json").read_text())
    covering = sum(row["covering"] for row in manifest["outputs"]["per_entry"])
    assert covering > 0 and len(files["cover"]) == len(files["uniform"]) + covering
    assert json.loads((tmp_path / "uniform.manifest.json").read_text())["params"]["cover"] is False


def test_paths_manifest_records_min_level(tmp_path):
    outs = {}
    for level in (None, "INFO"):
        out = tmp_path / f"{level}.jsonl"
        r = runner.invoke(
            app,
            [
                "paths",
                "--out",
                str(out),
                "--entry",
                "Server.run",
                "--max-paths",
                "20",
                *(["--min-level", level] if level else []),
            ],
        )
        assert r.exit_code == 0, r.output
        outs[level] = json.loads(out.with_name(out.stem + ".manifest.json").read_text())["params"]["min_level"]
    assert outs == {None: None, "INFO": "INFO"}


def read_inventory_from_cli(tmp_path):
    out = tmp_path / "ids.jsonl"
    runner.invoke(app, ["inventory", "--out", str(out)])
    return read_inventory(out)


def test_entries_lists_the_example_entry_points():
    r = runner.invoke(app, ["entries"])
    assert r.exit_code == 0, r.output
    assert "Server.main" in r.output and "Server.run" in r.output


def test_entry_selection_and_unknown_entry(tmp_path):
    r = runner.invoke(app, ["paths", "-e", "Server.submit", "--out", str(tmp_path / "s.jsonl")])
    assert r.exit_code == 0, r.output
    assert {p["entry"] for p in read_paths(tmp_path / "s.jsonl")} == {"com.example.minisvc.Server#submit(Request)"}
    bad = runner.invoke(app, ["paths", "-e", "No.such", "--out", str(tmp_path / "x.jsonl")])
    assert bad.exit_code == 2 and "No.such" in bad.output


def test_missing_and_empty_inputs_fail_with_the_path_named(tmp_path):
    r = runner.invoke(app, ["inventory", str(tmp_path / "nope")])
    assert r.exit_code == 2 and "nope" in r.output and "no such" in r.output
    (tmp_path / "empty").mkdir()
    r = runner.invoke(app, ["paths", str(tmp_path / "empty"), "--out", str(tmp_path / "e.jsonl")])
    assert r.exit_code == 2 and "no .java files" in r.output


def test_syntax_error_is_reported_and_the_rest_analysed(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "Good.java").write_text(
        "class Good { static final org.slf4j.Logger LOG = "
        'org.slf4j.LoggerFactory.getLogger(Good.class); void m() { LOG.info("fine"); } }'
    )
    (src / "Bad.java").write_text("class Bad {\n  void m( {\n}\n")
    out = tmp_path / "inv.jsonl"
    r = runner.invoke(app, ["inventory", str(src), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "Bad.java:2" in r.output.replace("\n", "")
    assert [s.template for s in read_inventory(out)] == ["fine"]


def test_paths_with_several_processes_writes_the_same_files(tmp_path):
    files = {}
    for jobs in ("1", "3"):
        out = tmp_path / f"p{jobs}.jsonl"
        r = runner.invoke(app, ["paths", "--out", str(out), "--max-paths", "30", "--seed", "4", "--jobs", jobs])
        assert r.exit_code == 0, r.output
        files[jobs] = (out.read_bytes(), (tmp_path / f"p{jobs}.conditions.jsonl").read_bytes())
    assert files["1"][0].count(b"\n") > 30 and files["3"] == files["1"]
