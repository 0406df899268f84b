"""The Drain3 fallback stays linear on messages that never cluster; an LLM backend that fails every call is loud
and recorded."""

from __future__ import annotations

import json
import random
import socket
from pathlib import Path

from faults_helpers import invoke

from anomalygen.logs.parse import OVERFLOW, DrainFallback


def _unclusterable(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(6)) for _ in range(3000)]
    return [" ".join(rng.choice(words) for _ in range(8)) for _ in range(n)]


def _comparisons(d: DrainFallback, msgs: list[str]) -> int:
    drain = d.miner.drain
    inner = drain.get_seq_distance
    calls = [0]

    def counted(*a):
        calls[0] += 1
        return inner(*a)

    drain.get_seq_distance = counted
    for m in msgs:
        d.add(m)
    return calls[0]


def test_fallback_work_per_line_is_bounded():
    msgs = _unclusterable(1200)
    bounded = DrainFallback(max_clusters=300, leaf_budget=20)
    work = _comparisons(bounded, msgs)
    # at most `leaf_budget` comparisons to add a line, plus as many for the cap's match check
    assert work <= 2 * 20 * len(msgs)
    b = bounded.bounds()
    assert b["clusters"] == 300 and b["lines_over_cluster_cap"] == 900 and b["lines_over_leaf_budget"] > 0
    assert bounded.templates()[OVERFLOW] == "<*>"
    unbounded = DrainFallback(max_clusters=10**9, leaf_budget=10**9)
    assert _comparisons(unbounded, msgs) > 10 * work  # what the bounds save: quadratic growth


def test_fallback_bounds_are_reported_by_parse(tmp_path, src):
    log = tmp_path / "u.log"
    log.write_text("".join(f"2026-11-24 10:00:00,127 - INFO  [main:Other@1] - {m}\n" for m in _unclusterable(300)))
    res = invoke("parse", log, "--source", src, "--format", "zookeeper", "--out", tmp_path / "p")
    assert res.code == 0, res.output
    assert "Drain3 fallback bounded" in res.output
    bounds = json.loads((tmp_path / "p" / "summary.json").read_text())["fallback_bounds"]
    assert bounds["lines_over_leaf_budget"] > 0


def test_llm_backend_down_is_a_loud_warning_in_the_manifest(tmp_path, monkeypatch):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("ANOMALYGEN_LLM_URL", f"http://127.0.0.1:{port}/v1")
    monkeypatch.setenv("ANOMALYGEN_LLM_MODEL", "m")
    monkeypatch.setenv("ANOMALYGEN_LLM_MAX_RETRIES", "0")
    monkeypatch.setenv("ANOMALYGEN_LLM_TIMEOUT", "2")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("ANOMALYGEN_LLM_CACHE", str(tmp_path / "cache"))
    fix = Path(__file__).parents[1] / "synthesis" / "fixtures" / "hdfsish"
    res = invoke(
        "generate",
        fix,
        "--n",
        "10",
        "--session-key",
        "none",
        "--llm",
        "openai",
        "--llm-max",
        "3",
        "--out",
        tmp_path / "g",
    )
    assert "every call failed" in res.output, res.output
    usage = json.loads((tmp_path / "g" / "manifest.json").read_text())["outputs"]["llm_usage"]
    assert usage["calls"] > 0 and usage["failures"] == usage["calls"] and "every call failed" in usage["status"]
