"""`generate --llm openai` against a local OpenAI-compatible test server: verdicts drop paths, proposed values
are validated before use, usage lands in the manifest, a re-run is served from the cache."""

from __future__ import annotations

import json
from pathlib import Path

from test_llm_client import FakeOpenAI, ok
from typer.testing import CliRunner

from anomalygen.cli import app

FIX = Path(__file__).parent / "fixtures"


def test_generate_with_an_llm_backend(tmp_path, monkeypatch):
    server = FakeOpenAI()
    try:

        def respond(body, n):
            text = body["messages"][-1]["content"]
            if "feasible" in text:
                return ok({"feasible": False, "reasons": ["the test server rejects every path"]})
            # two rows: one valid, one that breaks the statement's regex (a line break)
            return ok({"values": [["blk_4242"] * text.count("<*>"), ["bad\nvalue"] * text.count("<*>")]})

        server.respond = respond
        monkeypatch.setenv("ANOMALYGEN_LLM_URL", server.url)
        monkeypatch.setenv("ANOMALYGEN_LLM_MODEL", "test-model")
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
        runner = CliRunner()
        args = [
            "generate",
            str(FIX / "hdfsish"),
            "--n",
            "20",
            "--session-key",
            "none",
            "--llm",
            "openai",
            "--llm-max",
            "3",
        ]
        r = runner.invoke(app, [*args, "--out", str(tmp_path / "a")])
        assert r.exit_code == 0, r.output
        man = json.loads((tmp_path / "a" / "manifest.json").read_text())["outputs"]
        # only the two paths z3 read partly (`b.getNumBytes() % 1024` is left free) are asked, and rejected
        assert man["counts"]["llm_rejected"] == 2
        usage = man["llm_usage"]
        assert usage["requests"] >= 4 and usage["rejected_lines"] >= 1
        first = len(server.requests)
        r = runner.invoke(app, [*args, "--out", str(tmp_path / "b")])
        assert r.exit_code == 0, r.output
        assert len(server.requests) == first  # everything came from the on-disk cache
        assert (tmp_path / "a" / "synthetic.log").read_bytes() == (tmp_path / "b" / "synthetic.log").read_bytes()
        assert "bad" not in (tmp_path / "a" / "synthetic.log").read_text()
    finally:
        server.close()


def test_llm_backend_misconfigured_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv("ANOMALYGEN_LLM_URL", raising=False)
    r = CliRunner().invoke(app, ["generate", str(FIX / "hdfsish"), "--out", str(tmp_path / "o"), "--llm", "openai"])
    assert r.exit_code == 2 and "ANOMALYGEN_LLM_URL" in r.output
