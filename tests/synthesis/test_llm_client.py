"""The OpenAI-compatible client against a local test server (http.server on 127.0.0.1:0, in a thread) that
returns canned chat completions, 429/5xx, slow responses and invalid JSON."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from anomalygen.synthesis.llm import LeakGuard, LLMConfig, LLMError, PathView, make_client, propose_values, verify_paths
from anomalygen.synthesis.llm.config import LLMConfigError


def completion(content: str, prompt_tokens: int = 10, completion_tokens: int = 5) -> dict:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "model": "test-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


class Reply:
    def __init__(
        self,
        status: int = 200,
        body: Any = None,
        headers: dict | None = None,
        hold: Callable[[], Any] | None = None,
        raw: bytes | None = None,
    ) -> None:
        self.status, self.body, self.headers, self.hold, self.raw = status, body, headers or {}, hold, raw


def ok(obj: Any, **kw: Any) -> Reply:
    return Reply(body=completion(obj if isinstance(obj, str) else json.dumps(obj), **kw))


class FakeOpenAI:
    """Records every request; `respond(body, n)` (n: 0-based request number) decides the reply."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[dict] = []
        self.inflight = 0
        self.max_inflight = 0
        self.release = threading.Event()
        self.respond: Callable[[dict, int], Reply] = lambda body, n: ok({"answer": 42})
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # the name BaseHTTPRequestHandler dispatches to
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = json.loads(raw)
                with fake.lock:
                    n = len(fake.requests)
                    fake.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
                    fake.inflight += 1
                    fake.max_inflight = max(fake.max_inflight, fake.inflight)
                try:
                    reply = fake.respond(body, n)
                    if reply.hold:
                        reply.hold()
                    data = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    with fake.lock:
                        fake.inflight -= 1

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server():
    s = FakeOpenAI()
    yield s
    s.close()


def client_for(server: FakeOpenAI, tmp_path: Path, **kw: Any):
    cfg = LLMConfig(
        backend="openai",
        base_url=server.url,
        model="test-model",
        cache_dir=str(tmp_path / "cache"),
        backoff_s=0.01,
        backoff_max_s=0.05,
        **kw,
    )
    c = make_client(cfg)
    c.delays = []
    c.sleep = c.delays.append  # record backoff delays instead of sleeping
    return c


MSG = [{"role": "system", "content": "Answer in JSON."}, {"role": "user", "content": "What is the answer?"}]


def user_text(body: dict) -> str:
    return body["messages"][-1]["content"]


# -- requests and responses -----------------------------------------------------------------------------------------
def test_canned_json_request_shape_and_key_from_env(server, tmp_path, monkeypatch):
    monkeypatch.setenv("ANOMALYGEN_LLM_KEY", "sk-test-secret")
    c = client_for(server, tmp_path)
    assert c.complete_json(MSG) == {"answer": 42}
    (req,) = server.requests
    assert req["path"] == "/v1/chat/completions"
    assert req["auth"] == "Bearer sk-test-secret"
    b = req["body"]
    assert b["model"] == "test-model" and b["messages"] == MSG
    assert b["response_format"] == {"type": "json_object"}
    assert b["temperature"] == 0.0 and b["seed"] == 0
    # the key is read from the environment, never stored: not in the config, its manifest or the cache
    assert "sk-test-secret" not in json.dumps(c.cfg.manifest())
    files = list((tmp_path / "cache").rglob("*.json"))
    assert len(files) == 1 and "sk-test-secret" not in files[0].read_text()
    assert not list((tmp_path / "cache").rglob("*.tmp"))


def test_no_key_no_authorization_header(server, tmp_path, monkeypatch):
    monkeypatch.delenv("ANOMALYGEN_LLM_KEY", raising=False)
    client_for(server, tmp_path).complete_json(MSG)
    assert server.requests[0]["auth"] is None


def test_base_url_with_full_path_is_kept(server, tmp_path):
    cfg = LLMConfig(backend="openai", base_url=server.url + "/chat/completions/", model="m", cache_dir=str(tmp_path))
    assert make_client(cfg).complete_json(MSG) == {"answer": 42}
    assert server.requests[0]["path"] == "/v1/chat/completions"


# -- retries --------------------------------------------------------------------------------------------------------
def test_429_then_success_retries_with_seeded_exponential_backoff(server, tmp_path):
    server.respond = lambda body, n: Reply(429, {"error": "slow down"}) if n < 3 else ok({"fine": True})
    c = client_for(server, tmp_path, max_retries=4)
    assert c.complete_json(MSG) == {"fine": True}
    assert len(server.requests) == 4
    u = c.usage
    assert (u.requests, u.retries, u.failures, u.calls) == (4, 3, 0, 1)
    assert len(c.delays) == 3
    for i, d in enumerate(c.delays):  # backoff_s * 2^i * U[0.5, 1.5), capped at 0.05
        assert min(0.01 * 2**i * 0.5, 0.05) <= d <= min(0.01 * 2**i * 1.5, 0.05)
    # jitter is seeded: the same prompt and seed wait the same; another seed waits differently
    c2 = client_for(server, tmp_path / "again")
    server.respond = lambda body, n: Reply(429, {}) if n < 7 else ok({"fine": True})
    c2.complete_json(MSG)
    assert c2.delays == c.delays
    c3 = client_for(server, tmp_path / "seed7", seed=7)
    server.respond = lambda body, n: Reply(429, {}) if n < 11 else ok({"fine": True})
    c3.complete_json(MSG)
    assert c3.delays != c.delays


def test_retry_after_header_is_honoured_up_to_the_cap(server, tmp_path):
    server.respond = lambda body, n: Reply(429, {}, headers={"Retry-After": "0.04"}) if n == 0 else ok({"a": 1})
    c = client_for(server, tmp_path)
    c.complete_json(MSG)
    assert c.delays == [0.04]


def test_5xx_then_success(server, tmp_path):
    codes = [500, 502, 503]
    server.respond = lambda body, n: Reply(codes[n], {"error": "boom"}) if n < 3 else ok({"x": "y"})
    c = client_for(server, tmp_path)
    assert c.complete_json(MSG) == {"x": "y"}
    assert c.usage.retries == 3 and c.usage.requests == 4


def test_retries_exhausted_raise_llmerror_and_nothing_is_cached(server, tmp_path):
    server.respond = lambda body, n: Reply(503, {"error": "down"})
    c = client_for(server, tmp_path, max_retries=2)
    with pytest.raises(LLMError, match="after 3 attempt"):
        c.complete_json(MSG)
    assert len(server.requests) == 3
    assert (c.usage.failures, c.usage.retries) == (1, 2)
    assert not list((tmp_path / "cache").rglob("*.json"))


def test_client_error_is_not_retried(server, tmp_path):
    server.respond = lambda body, n: Reply(401, {"error": "bad key"})
    c = client_for(server, tmp_path)
    with pytest.raises(LLMError, match="HTTP 401"):
        c.complete_json(MSG)
    assert len(server.requests) == 1 and c.usage.retries == 0 and c.usage.failures == 1


def test_slow_response_times_out_and_is_retried(server, tmp_path):
    # the first reply is held until the test ends: the client's timeout fires, it retries, the second is fast
    server.respond = lambda body, n: (
        Reply(body=completion("{}"), hold=lambda: server.release.wait(30)) if n == 0 else ok({"late": False})
    )
    c = client_for(server, tmp_path, timeout_s=0.3)
    assert c.complete_json(MSG) == {"late": False}
    assert c.usage.retries == 1 and c.usage.requests == 2


def test_connection_refused_is_retried_then_fails(tmp_path):
    s = FakeOpenAI()
    url = s.url
    s.close()  # nothing listens on that port any more
    c = make_client(
        LLMConfig(backend="openai", base_url=url, model="m", cache_dir=str(tmp_path), max_retries=1, backoff_s=0.0)
    )
    c.sleep = lambda d: None
    with pytest.raises(LLMError, match="connection error"):
        c.complete_json(MSG)
    assert c.usage.requests == 2


def test_invalid_json_is_retried_and_counted(server, tmp_path):
    replies = [
        ok("this is not JSON"),
        ok('["a", "list"]'),
        Reply(raw=b"<html>proxy error</html>"),
        ok('```json\n{"fenced": true}\n```'),
    ]
    server.respond = lambda body, n: replies[n]
    c = client_for(server, tmp_path)
    assert c.complete_json(MSG) == {"fenced": True}
    assert c.usage.invalid_outputs == 3 and c.usage.retries == 3


def test_always_invalid_json_fails(server, tmp_path):
    server.respond = lambda body, n: ok("{not json")
    c = client_for(server, tmp_path, max_retries=1)
    with pytest.raises(LLMError, match="invalid output"):
        c.complete_json(MSG)
    assert c.usage.invalid_outputs == 2 and c.usage.failures == 1


# -- cache ----------------------------------------------------------------------------------------------------------
def test_second_run_makes_zero_http_requests(server, tmp_path):
    server.respond = lambda body, n: ok({"echo": user_text(body)})
    batch = [[{"role": "user", "content": f"prompt {i}"}] for i in range(6)]
    first = client_for(server, tmp_path).map_json(batch)
    assert len(server.requests) == 6
    again = client_for(server, tmp_path)  # a new run: new client, same cache directory
    assert again.map_json(batch) == first
    assert len(server.requests) == 6
    assert again.usage.requests == 0 and again.usage.cache_hits == 6
    assert again.usage.prompt_tokens == 0 and again.usage.cost == 0.0
    for f in (tmp_path / "cache").rglob("*.json"):
        doc = json.loads(f.read_text())
        assert doc["key"] == f.stem and doc["model"] == "test-model"


def test_cache_key_covers_model_temperature_and_seed(server, tmp_path):
    client_for(server, tmp_path).complete_json(MSG)
    client_for(server, tmp_path, temperature=0.7).complete_json(MSG)
    client_for(server, tmp_path, seed=3).complete_json(MSG)
    c = make_client(LLMConfig(backend="openai", base_url=server.url, model="other", cache_dir=str(tmp_path / "cache")))
    c.complete_json(MSG)
    assert len(server.requests) == 4
    client_for(server, tmp_path, seed=3).complete_json(MSG)
    assert len(server.requests) == 4


def test_corrupt_cache_file_is_a_miss(server, tmp_path):
    c = client_for(server, tmp_path)
    c.complete_json(MSG)
    (f,) = (tmp_path / "cache").rglob("*.json")
    f.write_text("{truncated")
    c2 = client_for(server, tmp_path)
    assert c2.complete_json(MSG) == {"answer": 42}
    assert len(server.requests) == 2 and c2.usage.cache_hits == 0
    assert json.loads(f.read_text())["response"] == {"answer": 42}


# -- concurrency ----------------------------------------------------------------------------------------------------
def test_map_json_runs_in_parallel_and_preserves_order(server, tmp_path):
    barrier = threading.Barrier(4, timeout=20)  # passes only when 4 requests are in flight at once
    server.respond = lambda body, n: Reply(body=completion(json.dumps({"echo": user_text(body)})), hold=barrier.wait)
    c = client_for(server, tmp_path, concurrency=4)
    batch = [[{"role": "user", "content": f"item {i}"}] for i in range(12)]
    out = c.map_json(batch)
    assert out == [{"echo": f"item {i}"} for i in range(12)]
    assert server.max_inflight == 4 and len(server.requests) == 12


def test_concurrency_one_is_sequential(server, tmp_path):
    server.respond = lambda body, n: ok({"echo": user_text(body)})
    c = client_for(server, tmp_path, concurrency=1)
    out = c.map_json([[{"role": "user", "content": f"item {i}"}] for i in range(5)])
    assert [o["echo"] for o in out] == [f"item {i}" for i in range(5)]
    assert server.max_inflight == 1


def test_map_json_failures_in_place_and_duplicates_sent_once(server, tmp_path):
    server.respond = lambda body, n: (
        Reply(400, {"error": "no"}) if user_text(body) == "bad" else ok({"echo": user_text(body)})
    )
    c = client_for(server, tmp_path)
    batch = [[{"role": "user", "content": t}] for t in ["a", "bad", "b", "a"]]
    out = c.map_json(batch)
    assert out[0] == {"echo": "a"} and out[2] == {"echo": "b"} and out[3] == {"echo": "a"}
    assert isinstance(out[1], LLMError)
    assert out[3] is not out[0]
    assert sorted(user_text(r["body"]) for r in server.requests) == ["a", "b", "bad"]
    assert c.usage.failures == 1


# -- accounting -----------------------------------------------------------------------------------------------------
def test_usage_tokens_and_cost(server, tmp_path):
    server.respond = lambda body, n: (
        Reply(500, {}) if n == 0 else ok({"n": n}, prompt_tokens=1000, completion_tokens=2000)
    )
    c = client_for(server, tmp_path, price_in_per_1k=0.5, price_out_per_1k=1.5)
    c.complete_json([{"role": "user", "content": "one"}])
    c.complete_json([{"role": "user", "content": "two"}])
    c.complete_json([{"role": "user", "content": "one"}])  # cache hit: no tokens, no cost
    d = c.usage.as_dict()
    assert d["calls"] == 3 and d["requests"] == 3 and d["retries"] == 1 and d["cache_hits"] == 1
    assert d["prompt_tokens"] == 2000 and d["completion_tokens"] == 4000
    assert d["cost"] == pytest.approx(2 * (0.5 + 3.0))
    assert set(d) >= {
        "requests",
        "cache_hits",
        "failures",
        "retries",
        "prompt_tokens",
        "completion_tokens",
        "cost",
        "invalid_outputs",
        "rejected_lines",
        "leaked_values",
    }
    json.dumps(d)


# -- configuration --------------------------------------------------------------------------------------------------
def test_make_client_none_and_misconfiguration(monkeypatch, tmp_path):
    for var in ("ANOMALYGEN_LLM_BACKEND", "ANOMALYGEN_LLM_URL", "ANOMALYGEN_LLM_MODEL"):
        monkeypatch.delenv(var, raising=False)
    assert make_client(LLMConfig()) is None
    assert make_client(LLMConfig.from_env()) is None
    with pytest.raises(LLMConfigError, match="ANOMALYGEN_LLM_URL"):
        make_client(LLMConfig(backend="openai", model="m"))
    with pytest.raises(LLMConfigError, match="ANOMALYGEN_LLM_MODEL"):
        make_client(LLMConfig(backend="openai", base_url="http://127.0.0.1:1/v1"))
    with pytest.raises(LLMConfigError, match="http"):
        make_client(LLMConfig(backend="openai", base_url="127.0.0.1:8080", model="m"))
    with pytest.raises(LLMConfigError, match="unknown LLM backend"):
        LLMConfig(backend="gpt")


def test_from_env_then_overrides(monkeypatch):
    monkeypatch.setenv("ANOMALYGEN_LLM_BACKEND", "openai")
    monkeypatch.setenv("ANOMALYGEN_LLM_URL", "http://user:pw@127.0.0.1:8000/v1?token=x")
    monkeypatch.setenv("ANOMALYGEN_LLM_MODEL", "qwen")
    monkeypatch.setenv("ANOMALYGEN_LLM_CONCURRENCY", "8")
    monkeypatch.setenv("ANOMALYGEN_LLM_PRICE_IN", "0.25")
    cfg = LLMConfig.from_env(model=None, seed=5)
    assert (cfg.backend, cfg.model, cfg.concurrency, cfg.price_in_per_1k, cfg.seed) == ("openai", "qwen", 8, 0.25, 5)
    assert LLMConfig.from_env(backend="none").backend == "none"
    m = cfg.manifest()
    assert m["base_url"] == "http://127.0.0.1:8000/v1" and "pw" not in json.dumps(m)
    monkeypatch.setenv("ANOMALYGEN_LLM_CONCURRENCY", "many")
    with pytest.raises(LLMConfigError, match="ANOMALYGEN_LLM_CONCURRENCY"):
        LLMConfig.from_env()
    with pytest.raises(TypeError):
        LLMConfig.from_env(colour="red")


# -- verdicts and proposals over HTTP -------------------------------------------------------------------------------
def test_verify_paths_over_http(server, tmp_path):
    def respond(body: dict, n: int) -> Reply:
        text = user_text(body)
        if "Path p-bad" in text:
            return Reply(400, {"error": "context length exceeded"})
        if "Path p-shape" in text and n < 4:
            return ok({"verdict": "maybe"})  # wrong shape: retried, counted
        if "(x == null) is TRUE" in text and "(x != null) is TRUE" in text:
            return ok({"feasible": False, "reasons": ["x cannot be null and non-null"]})
        return ok({"feasible": "yes", "reasons": "nothing contradicts"})

    server.respond = respond
    c = client_for(server, tmp_path)
    cond = lambda t, p=True: {"kind": "cond", "method": "A.f()", "text": t, "polarity": p, "line": 3}
    log = {"kind": "log", "id": "L1", "level": "INFO", "template": "Got <*>"}
    views = [
        PathView("p-ok", "A.f()", "normal", [cond("x != null"), log]),
        PathView("p-no", "A.f()", "normal", [cond("x == null"), cond("x != null"), log]),
        PathView("p-bad", "A.f()", "exception", [log]),
        PathView("p-shape", "A.f()", "normal", [cond("y > 0", False), log]),
    ]
    v = verify_paths(c, views)
    assert [x.path_id for x in v] == ["p-ok", "p-no", "p-bad", "p-shape"]
    assert (v[0].feasible, v[0].reasons, v[0].source) == (True, ["nothing contradicts"], "llm")
    assert (v[1].feasible, v[1].source) == (False, "llm") and "null" in v[1].reasons[0]
    assert v[2].feasible is None and v[2].source == "error" and "HTTP 400" in v[2].reasons[0]
    assert v[3].feasible is True and v[3].source == "llm"
    assert c.usage.invalid_outputs >= 1


def test_propose_values_over_http_rejects_bad_lines_and_leaks(server, tmp_path):
    statement = {
        "id": "L3216a1d244bb",
        "template": "Replicated blk_<*> to <*>",
        "regex": r"(?s)^Replicated\ blk_(-?\d+)\ to\ (.*?)$",
        "slots": [{"expr": "blockId", "type": "long"}, {"expr": "peer", "type": "String"}],
        "class_name": "com.example.minisvc.ReplicationManager",
        "method": "replicate(long)",
        "level": "INFO",
    }

    def respond(body: dict, n: int) -> Reply:
        example = json.loads(body["messages"][2]["content"])["values"]  # the few-shot answer the prompt shows
        rows = [
            ["4711", "10.0.3.7:50010"],
            ["blk_99", "10.0.3.8:50010"],  # renders "blk_blk_99": regex rejects it
            ["123", example[0][1]],  # an example value: leak
            ["5", "dn\n2"],  # line break
            [7, "10.0.3.9:50010"],  # a number is fine
            ["4711", "10.0.3.7:50010"],
        ]  # duplicate
        return ok({"values": rows})

    server.respond = respond
    c = client_for(server, tmp_path)
    guard = LeakGuard(seed=1234)
    got = propose_values(c, statement, ["block_id", "ip_port"], 5, guard)
    assert got == [["4711", "10.0.3.7:50010"], ["7", "10.0.3.9:50010"]]
    assert c.usage.rejected_lines == 2 and c.usage.leaked_values == 1
    prompt = json.dumps(server.requests[0]["body"]["messages"])
    assert "namenode01" not in prompt and "/user/test" not in prompt
    for row in json.loads(server.requests[0]["body"]["messages"][2]["content"])["values"]:
        assert all(not guard.check(v) for v in row)
