"""LLM clients: a backend-independent core (disk cache, retries with seeded backoff, concurrency, accounting)
and the OpenAI-compatible HTTP backend (chat completions with `response_format={"type": "json_object"}`; works
with vLLM, Ollama, llama.cpp's server and OpenAI). Standard library only.
"""

from __future__ import annotations

import copy
import http.client
import json
import random
import re
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from anomalygen.core.errors import InputError
from anomalygen.synthesis.llm.cache import DiskCache, prompt_key
from anomalygen.synthesis.llm.config import LLMConfig, LLMConfigError
from anomalygen.synthesis.llm.usage import Usage

Validator = Callable[[dict], Any]  # raises ValueError when a response object has the wrong shape


class LLMError(InputError, RuntimeError):  # still a RuntimeError for the callers that catch one
    """A request failed for good: retries exhausted, or an error that retrying cannot fix (401, 404, ...)."""


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None, invalid: bool = False) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.invalid = invalid


@dataclass
class Completion:
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0


_FENCE = re.compile(r"^\s*```(?:json|JSON)?\s*\n?(.*?)\n?```\s*$", re.S)


def parse_json_object(text: str) -> dict:
    """The JSON object a model answered. Tolerates a Markdown code fence and text around one outermost {...};
    anything else (not JSON, a list, a string) raises ValueError."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("empty response")
    m = _FENCE.match(text)
    if m:
        text = m.group(1)
    try:
        obj = json.loads(text)
    except ValueError:
        start, end = text.find("{"), text.rfind("}")
        if start < 0 or end <= start:
            raise ValueError(f"not JSON: {text[:80]!r}") from None
        try:
            obj = json.loads(text[start : end + 1])
        except ValueError as err:
            raise ValueError(f"not JSON: {text[:80]!r}") from err
    if not isinstance(obj, dict):
        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
    return obj


def _check_messages(messages: list[dict]) -> None:
    if not isinstance(messages, list) or not messages:
        raise ValueError("messages must be a non-empty list of {'role', 'content'} dicts")
    for m in messages:
        if not isinstance(m, dict) or not isinstance(m.get("role"), str) or not isinstance(m.get("content"), str):
            raise ValueError(f"bad message {m!r}: expected {{'role': str, 'content': str}}")


class LLMClient:
    """Backend-independent core. Subclasses implement `_send(messages) -> Completion`, raising `_Retryable` for
    transient failures and `LLMError` for permanent ones.

    complete_json: answered from the disk cache when the same (model, messages, temperature, seed) was answered
    before (no request); else sent, retried on 429/5xx/timeouts/connection errors/invalid JSON (and on shapes
    `validate` rejects) with exponential backoff and seeded jitter, cached when valid; LLMError after
    `max_retries` retries. map_json runs a batch on `concurrency` threads, in order, identical prompts once."""

    backend = "abstract"

    def __init__(self, cfg: LLMConfig, cache: DiskCache | None = None) -> None:
        self.cfg = cfg
        self.cache = cache if cache is not None else DiskCache(cfg.resolved_cache_dir)
        self.usage = Usage(price_in_per_1k=cfg.price_in_per_1k, price_out_per_1k=cfg.price_out_per_1k)
        self.sleep: Callable[[float], None] = time.sleep  # replaceable (tests record the backoff delays)

    # -- backend hook -------------------------------------------------------------------------------------------
    def _send(self, messages: list[dict]) -> Completion:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- core ---------------------------------------------------------------------------------------------------
    @property
    def model_name(self) -> str | None:
        return self.cfg.model

    def key(self, messages: list[dict]) -> str:
        return prompt_key(self.model_name, messages, self.cfg.temperature, self.cfg.seed)

    def backoff_delay(self, retry: int, rng: random.Random, retry_after: float | None = None) -> float:
        """Delay before retry number `retry` (1-based): backoff_s * 2^(retry-1) * U[0.5, 1.5), capped at
        backoff_max_s; a server's Retry-After is honoured up to the same cap."""
        delay = self.cfg.backoff_s * (2 ** (retry - 1)) * (0.5 + rng.random())
        if retry_after is not None:
            delay = max(delay, retry_after)
        return min(delay, self.cfg.backoff_max_s)

    def complete_json(self, messages: list[dict], validate: Validator | None = None) -> dict:
        _check_messages(messages)
        key = self.key(messages)
        self.usage.add(calls=1)
        hit = self.cache.get(key)
        if hit is not None and _valid(validate, hit["response"]):
            self.usage.add(cache_hits=1)
            return hit["response"]
        rng = random.Random(f"{self.cfg.seed}:{key}")  # per prompt, so delays do not depend on thread timing
        last = "no attempt"
        retry_after: float | None = None
        attempts = self.cfg.max_retries + 1
        for attempt in range(attempts):
            if attempt:
                self.usage.add(retries=1)
                self.sleep(self.backoff_delay(attempt, rng, retry_after))
            retry_after = None
            self.usage.add(requests=1)
            try:
                c = self._send(messages)
            except _Retryable as err:
                last, retry_after = str(err), err.retry_after
                if err.invalid:
                    self.usage.add(invalid_outputs=1)
                continue
            except LLMError:
                self.usage.add(failures=1)
                raise
            self.usage.add(prompt_tokens=c.prompt_tokens, completion_tokens=c.completion_tokens)
            try:
                obj = parse_json_object(c.text)
                if validate is not None:
                    validate(obj)
            except ValueError as err:
                self.usage.add(invalid_outputs=1)
                last = f"invalid output: {err}"
                continue
            self.cache.put(
                key,
                {
                    "model": self.model_name,
                    "backend": self.backend,
                    "response": obj,
                    "prompt_tokens": c.prompt_tokens,
                    "completion_tokens": c.completion_tokens,
                },
            )
            return obj
        self.usage.add(failures=1)
        raise LLMError(f"{self.backend} LLM request failed after {attempts} attempt(s): {last}")

    def map_json(self, batch: list[list[dict]], validate: Validator | None = None) -> list[dict | LLMError]:
        """complete_json over a batch on up to `concurrency` threads; results in input order, an LLMError in
        place of each failed item. Identical prompts are sent once (the copies get equal, separate dicts)."""
        keys = [self.key(m) for m in batch]
        first: dict[str, int] = {}
        for i, k in enumerate(keys):
            first.setdefault(k, i)
        unique = list(first.values())
        results: dict[str, dict | LLMError] = {}

        def one(i: int) -> tuple[str, dict | LLMError]:
            try:
                return keys[i], self.complete_json(batch[i], validate)
            except LLMError as err:
                return keys[i], err

        if unique:
            with ThreadPoolExecutor(
                max_workers=min(self.cfg.concurrency, len(unique)), thread_name_prefix="anomalygen-llm"
            ) as pool:
                for k, r in pool.map(one, unique):
                    results[k] = r
        out: list[dict | LLMError] = []
        for i, k in enumerate(keys):
            r = results[k]
            out.append(r if first[k] == i or isinstance(r, LLMError) else copy.deepcopy(r))
        return out


def _valid(validate: Validator | None, obj: dict) -> bool:
    if validate is None:
        return True
    try:
        validate(obj)
    except ValueError:
        return False
    return True


# -- OpenAI-compatible HTTP -----------------------------------------------------------------------------------------
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def chat_url(base_url: str) -> str:
    """`.../v1` -> `.../v1/chat/completions`; a URL that already ends in /chat/completions is kept."""
    base = base_url.rstrip("/")
    return base if base.endswith("/chat/completions") else base + "/chat/completions"


def _retry_after(headers: Any) -> float | None:
    raw = headers.get("Retry-After") if headers is not None else None
    try:
        return max(0.0, float(raw)) if raw is not None else None
    except ValueError:
        return None


class OpenAIClient(LLMClient):
    backend = "openai"

    def __init__(self, cfg: LLMConfig, cache: DiskCache | None = None) -> None:
        if not cfg.base_url:
            raise LLMConfigError(
                "LLM backend 'openai' needs a server URL: set ANOMALYGEN_LLM_URL (for example "
                "http://127.0.0.1:8080/v1) or LLMConfig(base_url=...)"
            )
        if not cfg.model:
            raise LLMConfigError(
                "LLM backend 'openai' needs a model name: set ANOMALYGEN_LLM_MODEL (the name the "
                "server serves; any name for a llama.cpp server) or LLMConfig(model=...)"
            )
        parts = urlsplit(cfg.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise LLMConfigError(f"ANOMALYGEN_LLM_URL must be an http(s) URL, got {cfg.base_url!r}")
        super().__init__(cfg, cache)
        self.url = chat_url(cfg.base_url)
        handlers: list[Any] = [urllib.request.ProxyHandler({})] if parts.hostname in _LOOPBACK else []
        self._opener = urllib.request.build_opener(*handlers)

    def _send(self, messages: list[dict]) -> Completion:
        cfg = self.cfg
        body = {
            "model": cfg.model,
            "messages": messages,
            "temperature": cfg.temperature,
            "seed": cfg.seed,
            "max_tokens": cfg.max_tokens,
            "response_format": {"type": "json_object"},
        }
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        key = cfg.api_key()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        req = urllib.request.Request(self.url, data=json.dumps(body).encode("utf-8"), headers=headers, method="POST")
        try:
            with self._opener.open(req, timeout=cfg.timeout_s) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as err:
            detail = _snippet(err)
            if err.code in (408, 409, 425, 429) or err.code >= 500:
                raise _Retryable(f"HTTP {err.code} {detail}", retry_after=_retry_after(err.headers)) from None
            raise LLMError(f"HTTP {err.code} from {self.url}: {detail}") from None
        except urllib.error.URLError as err:
            kind = "timeout" if isinstance(err.reason, (TimeoutError, socket.timeout)) else "connection error"
            raise _Retryable(f"{kind}: {err.reason}") from None
        except TimeoutError:
            raise _Retryable(f"timeout after {cfg.timeout_s}s") from None
        except (ConnectionError, http.client.HTTPException, OSError) as err:
            raise _Retryable(f"connection error: {err!r}") from None
        try:
            doc = json.loads(raw)
            content = doc["choices"][0]["message"]["content"]
            usage = doc.get("usage") or {}
            pt, ct = int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            raise _Retryable(f"malformed chat completion: {raw[:120]!r}", invalid=True) from None
        return Completion(text=content if isinstance(content, str) else "", prompt_tokens=pt, completion_tokens=ct)


def _snippet(err: urllib.error.HTTPError) -> str:
    try:
        return err.read(300).decode("utf-8", "replace").strip()
    except Exception:  # best effort only
        return ""


def make_client(cfg: LLMConfig, cache: DiskCache | None = None) -> LLMClient | None:
    """None for backend "none" (the deterministic pipeline); an OpenAIClient or a LocalClient otherwise.
    Raises LLMConfigError with what to set or install when the backend cannot work."""
    if cfg.backend == "none":
        return None
    if cfg.backend == "openai":
        return OpenAIClient(cfg, cache)
    if cfg.backend == "local":
        from anomalygen.synthesis.llm.local import LocalClient

        return LocalClient(cfg, cache)
    raise LLMConfigError(f"unknown LLM backend {cfg.backend!r}")
