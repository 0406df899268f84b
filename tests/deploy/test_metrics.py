"""`detect --metrics-port`: the Prometheus metrics agree with what the stream itself reports, and a real
Prometheus server scraping `detect --follow` on loopback reads the alarm counter back through its query API."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from anomalygen.cli import app
from anomalygen.deploy.detector import DetectRequest, load_detector
from anomalygen.deploy.metrics import Monitor

runner = CliRunner()


def _samples(text: str) -> dict[tuple, float]:
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _sum(samples: dict, name: str, **labels) -> float:
    return sum(v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= set(ls))


def test_metrics_match_the_stream_s_own_counts(example_model, part_log):
    monitor = Monitor()
    port = monitor.serve(0)
    try:
        det = load_detector(example_model[0])
        res = det.stream(DetectRequest(model=example_model[0], logs=[part_log], monitor=monitor), monitor.alarm)
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    finally:
        monitor.close()
    m = _samples(text)
    assert _sum(m, "anomalygen_detect_lines_read_total") == res.read["lines_read"] == 4000
    assert _sum(m, "anomalygen_detect_lines_rejected_total") == res.read["rejected"] > 0
    assert (
        _sum(m, "anomalygen_detect_lines_rejected_total", kind="continuation")
        == res.read["rejected_by_kind"]["continuation"]
    )
    assert _sum(m, "anomalygen_detect_sessions_opened_total") == res.sessions["opened"]
    assert _sum(m, "anomalygen_detect_sessions_closed_total", how="end") == res.sessions["closed_end"]
    assert _sum(m, "anomalygen_detect_sessions_open") == 0
    assert _sum(m, "anomalygen_detect_sessions_scored_total", detector="DeepLog") == res.scored
    assert _sum(m, "anomalygen_detect_alarms_total", detector="DeepLog") == res.alarms > 0
    statements = {dict(ls)["statement"] for (n, ls), v in m.items() if n == "anomalygen_detect_alarms_total"}
    assert all(s.startswith("com/example/minisvc/") and ".java:" in s for s in statements)
    assert _sum(m, "anomalygen_detect_scoring_seconds_count", detector="DeepLog") >= 1
    info = [dict(ls) for (n, ls), _ in m.items() if n == "anomalygen_detect_model_info"]
    manifest = json.loads((example_model[0] / "manifest.json").read_text())
    assert info == [
        {
            "detector": "DeepLog",
            "threshold": f"{det.threshold:.6g}",
            "path": str(example_model[0]),
            "manifest_digest": manifest["digest"],
            "inventory_digest": manifest["inventory_digest"],
        }
    ]


def test_busy_metrics_port_is_one_line(example_model, part_log):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        res = runner.invoke(app, ["detect", str(example_model[0]), str(part_log), "--metrics-port", str(port)])
    assert res.exit_code == 2 and f"--metrics-port {port}: cannot listen" in res.output
    assert "Traceback" not in res.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _query(prom_port: int, q: str) -> list:
    url = f"http://127.0.0.1:{prom_port}/api/v1/query?" + urllib.parse.urlencode({"query": q})
    try:
        doc = json.loads(urllib.request.urlopen(url, timeout=5).read())
    except OSError:
        return []  # not up yet
    return doc["data"]["result"] if doc.get("status") == "success" else []


def _until(what: str, cond, timeout: float = 90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = cond()
        if got:
            return got
        time.sleep(0.25)
    pytest.fail(f"timed out waiting for {what}")


@pytest.mark.slow  # a real Prometheus server scraping a followed stream
def test_a_real_prometheus_scrapes_detect_follow_and_reads_the_alarm_counter(example_model, part_log, tmp_path, tool):
    prometheus = tool("prometheus")
    live, alarms = tmp_path / "live.log", tmp_path / "alarms.jsonl"
    live.write_bytes(part_log.read_bytes())
    det = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "anomalygen.cli",
            "detect",
            str(example_model[0]),
            str(live),
            "--follow",
            "--idle-seconds",
            "1",
            "--exit-idle",
            "120",
            "--quiet",
            "--json",
            str(alarms),
            "--metrics-port",
            "0",
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        # Ctrl-C must reach it even when this test runs in a background job (SIGINT ignored)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    prom = None
    try:
        line = det.stderr.readline()  # the first thing detect says: where its metrics are
        assert line.startswith("metrics: http://127.0.0.1:"), line
        target = line.split("//")[1].split("/")[0]
        prom_port = _free_port()
        (tmp_path / "prometheus.yml").write_text(
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
            f"scrape_configs:\n  - job_name: detect\n    static_configs:\n      - targets: ['{target}']\n"
        )
        prom = subprocess.Popen(
            [
                prometheus,
                f"--config.file={tmp_path / 'prometheus.yml'}",
                f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{prom_port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        # every session idles out a second after the file is read; the --json file appears when the stream
        # ends, so the alarm count is read through Prometheus first and held against the file after the stop
        def scraped() -> float:
            got = _query(prom_port, 'sum(anomalygen_detect_alarms_total{job="detect"})')
            return float(got[0]["value"][1]) if got else 0.0

        _until("Prometheus to scrape the alarms", scraped)
        time.sleep(3)  # they come in one batch; let it finish and be scraped again
        n = scraped()
        assert n > 0 and _until("a steady alarm count", lambda: scraped() == n)
        per_statement = _query(prom_port, 'anomalygen_detect_alarms_total{detector="DeepLog"}')
        assert per_statement and all(".java:" in r["metric"]["statement"] for r in per_statement)
        lines = _query(prom_port, "anomalygen_detect_lines_read_total")
        assert [float(r["value"][1]) for r in lines] == [4000.0]
        assert _query(prom_port, 'anomalygen_detect_model_info{detector="DeepLog"}')
    finally:
        for p in (prom, det):
            if p is not None and p.poll() is None:
                p.send_signal(signal.SIGINT if p is det else signal.SIGTERM)
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
    assert det.returncode in (0, 130)
    assert len(alarms.read_text().splitlines()) == n  # what Prometheus read is what detect wrote
