"""Token, request and cost accounting of one run (thread-safe), written to the run manifest."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, fields
from typing import Any


@dataclass
class Usage:
    """Counters of one client. `requests` counts backend requests actually sent (each retry is one more);
    `calls` counts complete_json calls; `cache_hits` those answered from the disk cache (no request);
    `failures` calls that raised LLMError after their retries; `invalid_outputs` responses that were not a JSON
    object or not of the expected shape; `rejected_lines` proposed value tuples whose rendered line did not
    match the statement's regex (or had the wrong arity, a line break, a non-string value); `leaked_values`
    proposed tuples dropped because a value contained a prompt-example string (LeakGuard)."""

    price_in_per_1k: float = 0.0
    price_out_per_1k: float = 0.0
    calls: int = 0
    requests: int = 0
    cache_hits: int = 0
    failures: int = 0
    retries: int = 0
    invalid_outputs: int = 0
    rejected_lines: int = 0
    leaked_values: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, n in counts.items():
                setattr(self, name, getattr(self, name) + n)

    @property
    def cost(self) -> float:
        return (self.prompt_tokens / 1000.0) * self.price_in_per_1k + (
            self.completion_tokens / 1000.0
        ) * self.price_out_per_1k

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            d = {
                f.name: getattr(self, f.name)
                for f in fields(self)
                if not f.name.startswith("_") and not f.name.startswith("price_")
            }
        d["cost"] = round(self.cost, 10)
        return d
