"""build_report on a hand-written run directory: valid self-contained HTML, every section, figures from the
inputs, escaping, and notes in place of missing or broken parts."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from anomalygen.report import build_report
from anomalygen.report.sections import detectors

SECTIONS = ["overview", "coverage", "paths", "synthetic", "detectors", "manifest"]


def test_writes_report_html_in_run_dir_and_returns_its_path(run_dir):
    out = build_report(run_dir)
    assert out == run_dir / "report.html"
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_out_argument_is_honoured(run_dir, tmp_path):
    target = tmp_path / "elsewhere" / "r.html"
    assert build_report(run_dir, target) == target
    assert target.exists() and not (run_dir / "report.html").exists()


def test_valid_balanced_html_with_one_html_element_and_every_section(run_dir, parse_html):
    c = parse_html(build_report(run_dir).read_text(encoding="utf-8"))
    assert c.errors == []
    assert c.stack == []
    assert c.counts["html"] == 1 and c.counts["head"] == 1 and c.counts["body"] == 1
    for sid in SECTIONS:
        assert c.ids.count(sid) == 1, sid
    assert len(c.ids) == len(set(c.ids))


def test_self_contained_no_external_resources(run_dir, parse_html):
    text = build_report(run_dir).read_text(encoding="utf-8")
    c = parse_html(text)
    assert "script" not in c.counts and "link" not in c.counts and "iframe" not in c.counts
    for tag, attr, value in c.refs:
        if tag == "img":
            assert value.startswith("data:image/png;base64,"), value[:40]
        else:
            assert value.startswith("#"), (tag, attr, value)
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", text, re.I)
    assert "@import" not in text and "url(" not in text
    # coverage plot, paths plot, evaluate plot
    assert c.counts["img"] == 3


def test_log_lines_and_templates_are_escaped(run_dir, parse_html, section_of):
    text = build_report(run_dir).read_text(encoding="utf-8")
    assert "<script>" not in text and "<b>bold</b>" not in text
    syn = section_of(text, "synthetic")
    assert "bad &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in syn
    assert "Retry &lt;*&gt; for &lt;peer&gt;" not in section_of(text, "coverage")  # seen: not in the unseen list
    assert "bad &lt;*&gt; &amp; &lt;*&gt; blk_&lt;*&gt;" in section_of(text, "coverage")
    assert "src/&lt;tree&gt;" in section_of(text, "overview")
    assert "CUDA &lt;oom&gt; &amp; co" in section_of(text, "detectors")
    assert "odd &lt;content&gt;" in syn


def test_overview_shows_inputs_params_and_stage_table(run_dir, section_of):
    ov = section_of(build_report(run_dir).read_text(encoding="utf-8"), "overview")
    for stage, secs in (("inventory", "1.2"), ("parse", "2.5"), ("generate", "3.8"), ("evaluate", "10.5")):
        assert re.search(rf"<td>{stage}</td><td><span class=\"ok\">done</span></td><td>{re.escape(secs)}", ov)
    assert '<span class="skip">skipped (inputs unchanged)</span>' in ov
    assert "<b>18.0</b>" in ov  # total seconds 1.25 + 0 + 2.5 + 3.75 + 10.5
    assert "<th>seed</th><td>3</td>" in ov
    assert "seen in real logs</th><td>2 (50.0%)" in ov


def test_coverage_by_level_class_and_file_from_inventory(run_dir, section_of):
    cov = section_of(build_report(run_dir).read_text(encoding="utf-8"), "coverage")
    # level, statements, seen, unseen, seen %, unseen printed by synthetic, seen-or-synthetic %
    assert "<td>ERROR</td><td>1</td><td>0</td><td>1</td><td>0.0%</td><td>1</td><td>100.0%</td>" in cov
    assert "<td>DEBUG</td><td>1</td><td>0</td><td>1</td><td>0.0%</td><td>1</td><td>100.0%</td>" in cov
    assert "<td>INFO</td><td>1</td><td>1</td><td>0</td><td>100.0%</td><td>0</td><td>100.0%</td>" in cov
    assert "<td>a.Peer</td><td>2</td><td>1</td><td>1</td><td>50.0%</td>" in cov
    assert "<td>a/Node.java</td><td>2</td><td>1</td><td>1</td><td>50.0%</td>" in cov
    assert "Statements never seen in the real logs (2)" in cov
    assert "real log lines read 103" in cov
    assert "data:image/png;base64," in cov


def test_coverage_falls_back_to_parse_templates_without_coverage_json(run_dir, section_of):
    shutil.rmtree(run_dir / "coverage")
    cov = section_of(build_report(run_dir).read_text(encoding="utf-8"), "coverage")
    assert "coverage report" in cov and "coverage/coverage.json not found" in cov
    assert "logs/templates.csv" in cov
    # D1 is a parser fallback template, not a statement: still 1 of 2 Peer statements seen
    assert "<td>a.Peer</td><td>2</td><td>1</td><td>1</td><td>50.0%</td>" in cov


def test_paths_section_table_totals_and_plot(run_dir, section_of):
    p = section_of(build_report(run_dir).read_text(encoding="utf-8"), "paths")
    # totals: entries, paths in source (1e40 + 12), examined, infeasible, unknown, kept, sequences, new
    assert "<td>2</td><td>1.000e+40</td><td>1,012</td><td>618</td><td>2</td><td>392</td><td>100</td><td>95</td>" in p
    # sorted by kept: Node first
    assert p.index("a.Node#run()") < p.index("a.Peer#send()")
    assert p.count("data:image/png;base64,") == 1


def test_synthetic_counts_parse_back_and_examples(run_dir, section_of):
    syn = section_of(build_report(run_dir).read_text(encoding="utf-8"), "synthetic")
    assert "<th>anomalous</th><td>6 (30.0%)</td>" in syn
    assert "<th>sessions</th><td>20</td>" in syn
    assert "<td>40</td><td>39</td><td>97.50%</td><td>1</td><td>38</td><td>0</td>" in syn
    examples = re.findall(r'<div class="example"><p><b>(s\d\d)</b> &middot; label <span class="label-(\w+)">', syn)
    # first sessions of the file, different entry points first
    assert examples == [
        ("s00", "normal"),
        ("s01", "normal"),
        ("s03", "normal"),
        ("s02", "anomaly"),
        ("s05", "anomaly"),
        ("s08", "anomaly"),
    ]
    assert "the path leaves its entry by an uncaught exception" in syn
    assert "Started job2" in syn and "[anomalous]" in syn
    # reasons aggregated over anomalous sessions
    assert "<td>ERROR line</td><td>6</td>" in syn


def test_synthetic_counts_from_sessions_when_manifest_missing(run_dir, section_of):
    (run_dir / "synthetic" / "manifest.json").unlink()
    syn = section_of(build_report(run_dir).read_text(encoding="utf-8"), "synthetic")
    assert "<th>anomalous</th><td>6 (30.0%)</td>" in syn
    assert "synthetic/manifest.json not found" in syn


def test_examples_rebuilt_from_templates_without_raw_log(run_dir, section_of):
    (run_dir / "synthetic" / "synthetic.log").unlink()
    syn = section_of(build_report(run_dir).read_text(encoding="utf-8"), "synthetic")
    assert "lines rebuilt from templates and parameters" in syn
    assert "bad x &amp; y blk_2" in syn  # template 'bad <*> & <*> blk_<*>' with s02's parameters


def test_detectors_verdict_first_and_colour_only_when_significant(run_dir, section_of):
    d = section_of(build_report(run_dir).read_text(encoding="utf-8"), "detectors")
    assert d.index("f1 baseline") < d.index("Every arm")
    pca = re.search(r"<tr><td>1</td><td>PCA</td>.*?</tr>", d).group(0)
    assert '<td>0.850</td><td>0.950</td><td>+0.100 (0.0123)</td><td><span class="pos">better</span></td>' in pca
    lr = re.search(r"<tr><td>1</td><td>LR</td>.*?</tr>", d).group(0)
    assert "no significant change" in lr and 'class="pos"' not in lr and 'class="neg"' not in lr
    # every arm's means: the failed LR seed is left out of the mean
    lr_syn = re.search(r"<tr><td>LR</td><td>1</td><td>synthetic</td><td>0.5</td>.*?</tr>", d).group(0)
    assert "<td>1</td><td>0.600</td>" in lr_syn
    assert "Runs that did not finish (1)" in d
    assert "<th>n_real</th><td>555</td>" in d
    assert d.count("data:image/png;base64,") == 1


def test_detectors_without_verdict_csv_says_so(run_dir, section_of):
    (run_dir / "evaluate" / "verdict.csv").unlink()
    d = section_of(build_report(run_dir).read_text(encoding="utf-8"), "detectors")
    assert "no verdict (evaluate/verdict.csv missing)" in d
    assert "<td>PCA</td><td>1</td><td>synthetic</td>" in d


def test_detectors_from_runs_csv_when_runs_json_missing(run_dir, section_of):
    (run_dir / "evaluate" / "runs.json").unlink()
    d = section_of(build_report(run_dir).read_text(encoding="utf-8"), "detectors")
    assert "<td>PCA</td><td>1</td><td>synthetic</td><td>0.5</td><td>2</td><td>0.950</td>" in d


def test_baseline_only_evaluation(run_dir, section_of):
    runs = json.loads((run_dir / "evaluate" / "runs.json").read_text())
    (run_dir / "evaluate" / "runs.json").write_text(json.dumps([r for r in runs if r["arm"] == "baseline"]))
    (run_dir / "evaluate" / "verdict.csv").unlink()
    d = section_of(build_report(run_dir).read_text(encoding="utf-8"), "detectors")
    assert "baseline only" in d
    assert "<td>PCA</td><td>1</td><td>baseline</td><td>0</td><td>2</td><td>0.850</td>" in d


def _drop_stage(run_dir, name):
    man = json.loads((run_dir / "run.json").read_text())
    del man["stages"][name]
    (run_dir / "run.json").write_text(json.dumps(man))


def test_missing_evaluate_dir_says_not_run(run_dir, section_of, parse_html):
    shutil.rmtree(run_dir / "evaluate")
    _drop_stage(run_dir, "evaluate")
    text = build_report(run_dir).read_text(encoding="utf-8")
    d = section_of(text, "detectors")
    assert '<p class="note missing">' in d and "not run" in d
    assert "could not be built" not in text
    assert parse_html(text).errors == []


def test_failed_stage_is_named_in_its_section(run_dir, section_of):
    shutil.rmtree(run_dir / "evaluate")
    man = json.loads((run_dir / "run.json").read_text())
    man["stages"]["evaluate"] = {"status": "failed: ValueError: no <labels>", "seconds": 0.5, "outputs": []}
    (run_dir / "run.json").write_text(json.dumps(man))
    text = build_report(run_dir).read_text(encoding="utf-8")
    assert "the evaluate stage failed (failed: ValueError: no &lt;labels&gt;)" in section_of(text, "detectors")
    assert '<span class="fail">failed: ValueError: no &lt;labels&gt;</span>' in section_of(text, "overview")


def test_empty_run_dir_gives_every_section_with_notes(tmp_path, parse_html, section_of):
    empty = tmp_path / "empty"
    empty.mkdir()
    text = build_report(empty).read_text(encoding="utf-8")
    c = parse_html(text)
    assert c.errors == [] and c.stack == []
    for sid in SECTIONS:
        assert '<p class="note missing">' in section_of(text, sid), sid
    assert "could not be built" not in text
    assert "run.json not found" in section_of(text, "overview")


def test_nonexistent_run_dir_does_not_raise(tmp_path, section_of):
    out = build_report(tmp_path / "nope", tmp_path / "r.html")
    text = out.read_text(encoding="utf-8")
    assert "is not a directory" in text
    assert '<section id="detectors">' in text


def test_corrupt_files_do_not_break_the_report(run_dir, parse_html, section_of):
    (run_dir / "run.json").write_text("{not json")
    (run_dir / "synthetic" / "manifest.json").write_text("[1, 2")
    (run_dir / "evaluate" / "runs.json").write_text("")
    (run_dir / "evaluate" / "runs.csv").unlink()
    with open(run_dir / "synthetic" / "sessions.jsonl", "a") as fh:
        fh.write("{broken\n")
    text = build_report(run_dir).read_text(encoding="utf-8")
    assert parse_html(text).errors == []
    assert "run.json could not be read" in section_of(text, "overview")
    assert "evaluate/runs.json could not be read" in section_of(text, "detectors")
    assert "<th>anomalous</th><td>6 (30.0%)</td>" in section_of(text, "synthetic")


def test_a_failing_section_is_contained(run_dir, monkeypatch, section_of, parse_html):
    def boom(run):
        raise RuntimeError("kaput <x>")

    monkeypatch.setattr(detectors, "render", boom)
    text = build_report(run_dir).read_text(encoding="utf-8")
    d = section_of(text, "detectors")
    assert '<p class="note error">this section could not be built: RuntimeError: kaput &lt;x&gt;</p>' in d
    assert "6 (30.0%)" in section_of(text, "synthetic")
    assert parse_html(text).errors == []


def test_manifest_section_is_collapsible_json(run_dir, section_of):
    m = section_of(build_report(run_dir).read_text(encoding="utf-8"), "manifest")
    assert m.count("<details>") >= 5
    assert "run manifest (run.json)" in m
    assert "&quot;anomalous&quot;: 6" in m


def test_report_is_deterministic(run_dir, tmp_path):
    a = build_report(run_dir, tmp_path / "a.html").read_bytes()
    b = build_report(run_dir, tmp_path / "b.html").read_bytes()
    assert a == b


@pytest.mark.parametrize("name", ["runs.json", "verdict.csv", "paired.csv", "manifest.json", "f1_per_model.png"])
def test_each_evaluate_file_may_be_missing(run_dir, name, parse_html):
    (run_dir / "evaluate" / name).unlink()
    text = build_report(run_dir).read_text(encoding="utf-8")
    assert "could not be built" not in text
    assert parse_html(text).errors == []


def test_long_class_and_file_tables_are_cut(run_dir, section_of):
    from anomalygen.report.sections import coverage

    inv = run_dir / "inventory" / "statements.jsonl"
    extra = [
        {
            "id": f"L9{i:011d}",
            "file": f"z/F{i:03d}.java",
            "line": 1,
            "class_name": f"z.F{i:03d}",
            "method": "m()",
            "level": "WARN",
            "template": f"w{i}",
        }
        for i in range(coverage.MAX_GROUPS + 5)
    ]
    with open(inv, "a", encoding="utf-8") as fh:
        fh.write("".join(json.dumps(s) + "\n" for s in extra))
    cov = section_of(build_report(run_dir).read_text(encoding="utf-8"), "coverage")
    n_groups = coverage.MAX_GROUPS + 5 + 2
    assert f"... and {n_groups - coverage.MAX_GROUPS} more classes" in cov
    assert f"... and {n_groups - coverage.MAX_GROUPS} more files" in cov
    assert f"Statements never seen in the real logs ({2 + coverage.MAX_GROUPS + 5})" in cov


def test_stage_statuses_as_anomalygen_run_writes_them(run_dir, section_of):
    """Statuses, notes and absolute output paths as `anomalygen run` records them; a failed stage's log tail."""
    man = json.loads((run_dir / "run.json").read_text())
    log = run_dir / "stage-logs" / "generate.log"
    log.parent.mkdir()
    log.write_text("".join(f"line {i}\n" for i in range(100)) + "Traceback: <boom>\n")
    man["stages"]["paths"] = {
        "status": "skipped",
        "note": "inputs and parameters unchanged",
        "seconds": 0.5,
        "outputs": [str(run_dir / "paths" / "paths.jsonl")],
    }
    man["stages"]["generate"] = {"status": "failed (exit 2)", "seconds": 0.25, "log": str(log), "outputs": []}
    man["stages"]["evaluate"] = {"status": "not run (an earlier stage failed)"}
    man["stages"]["report"] = {"status": "done", "seconds": 99.0}
    (run_dir / "run.json").write_text(json.dumps(man))
    shutil.rmtree(run_dir / "evaluate")
    text = build_report(run_dir).read_text(encoding="utf-8")
    ov = section_of(text, "overview")
    assert (
        '<span class="skip">skipped</span></td><td>0.5</td><td>inputs and parameters unchanged</td>'
        "<td><code>paths/paths.jsonl</code></td>" in ov
    )
    assert '<span class="fail">failed (exit 2)</span>' in ov
    assert "<td>report</td>" not in ov and "99.0" not in ov
    assert "last 30 lines of stage-logs/generate.log" in ov
    assert "Traceback: &lt;boom&gt;" in ov and "line 71\n" in ov and "line 70\n" not in ov
    assert "evaluation (evaluate/ not found): the evaluate stage was not run (an earlier stage failed)" in section_of(
        text, "detectors"
    )
