"""LLM proposals of parameter values for a log statement's `<*>` slots, validated before use.

Every proposed tuple is rendered into the statement's template and must fullmatch the statement's regex (one
line, no line breaks); no value may contain a string the prompt showed as an example. The prompt's few-shot
examples are generated from the run's seed (never fixed strings such as the "namenode01" and "/user/test" that
the original AnomalyGen artifact leaked into its data), and each example value is registered in the LeakGuard
before the prompt is sent.
"""

from __future__ import annotations

import json
import random
import re
import string
from collections.abc import Iterable
from typing import Any

from anomalygen.core.templates import WILDCARD
from anomalygen.synthesis.llm.client import LLMClient, LLMError

MAX_N = 50


class LeakGuard:
    """Strings that must never reach output data: every value shown to a model as an example.

    `check(value)` is True when the value is clean. A registered string of at least `min_len` characters is
    forbidden anywhere inside a value; a shorter one (a small number, say) only as the whole value, since as a
    substring it would forbid nearly everything. `examples(kinds)` makes the few-shot example values for a slot
    kind list from the guard's seed (fresh per run seed, the same for the same seed so prompts stay cacheable)
    and registers them."""

    def __init__(self, forbidden: Iterable[str] = (), seed: int = 0, min_len: int = 5) -> None:
        self.seed = seed
        self.min_len = min_len
        self._long: set[str] = set()
        self._short: set[str] = set()
        for s in forbidden:
            self.add(s)

    def add(self, value: str) -> None:
        v = str(value)
        if not v.strip():
            return
        (self._long if len(v) >= self.min_len else self._short).add(v)

    @property
    def forbidden(self) -> frozenset[str]:
        return frozenset(self._long | self._short)

    def check(self, value: str) -> bool:
        v = str(value)
        if v in self._short or v in self._long:
            return False
        return not any(f in v for f in self._long)

    def examples(self, kinds: list[str], k: int = 2) -> list[list[str]]:
        """k example tuples for slots of these kinds, registered as forbidden."""
        rng = random.Random(f"anomalygen-fewshot:{self.seed}:{json.dumps(list(kinds))}")
        rows = [[example_value(kind, rng) for kind in kinds] for _ in range(k)]
        for row in rows:
            for v in row:
                self.add(v)
        return rows


def _word(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(n))


def _hexs(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def _ip(rng: random.Random) -> str:
    return f"10.{rng.randint(1, 254)}.{rng.randint(1, 254)}.{rng.randint(2, 254)}"


def example_value(kind: str, rng: random.Random) -> str:
    """A random value of a slot kind (matched loosely by name: block, ip/port, host, path, size, ...)."""
    k = (kind or "").lower()
    if "block" in k or k.startswith("blk"):
        return str(rng.choice([-1, 1]) * rng.randint(10**17, 9 * 10**18))
    if ("ip" in k or "addr" in k) and "port" in k:
        return f"{_ip(rng)}:{rng.randint(20000, 65000)}"
    if k in ("ip", "ipv4", "address", "addr", "inet"):
        return _ip(rng)
    if "host" in k or "node" in k:
        return f"{_word(rng, 5)}-{rng.randint(100, 999)}.{_word(rng, 4)}.internal"
    if "port" in k:
        return str(rng.randint(20000, 65000))
    if "path" in k or "file" in k or "dir" in k:
        return "/" + "/".join(_word(rng, rng.randint(4, 8)) for _ in range(rng.randint(2, 4)))
    if "url" in k or "uri" in k:
        return f"http://{_word(rng, 6)}.{_word(rng, 4)}.internal:{rng.randint(20000, 65000)}/{_word(rng, 6)}"
    if "size" in k or "byte" in k or "length" in k or k == "len":
        return str(rng.randint(100000, 99999999))
    if "timestamp" in k or "epoch" in k or k == "date":
        return str(rng.randint(1_300_000_000_000, 1_700_000_000_000))
    if "duration" in k or "time" in k or k == "ms" or "elapsed" in k:
        return str(rng.randint(10000, 999999))
    if "thread" in k:
        return f"{_word(rng, 6).capitalize()}Worker-{rng.randint(100, 9999)}"
    if "exception" in k or "error" in k or "message" in k or "msg" in k:
        return f"{_word(rng, 7)} {_word(rng, 5)} {_word(rng, 8)} {rng.randint(1000, 99999)}"
    if "enum" in k or "state" in k or "status" in k:
        return f"{_word(rng, 6).upper()}_{_word(rng, 5).upper()}"
    if "bool" in k:
        return rng.choice(["true", "false"])
    if "float" in k or "double" in k or "ratio" in k or "percent" in k:
        return f"{rng.randint(10, 999)}.{rng.randint(1000, 9999)}"
    if "count" in k or "int" in k or "number" in k or k == "num" or "long" in k:
        return str(rng.randint(10000, 999999))
    if "id" in k:
        return f"0x{_hexs(rng, 12)}"
    return f"{_word(rng, 6)}{rng.randint(1000, 9999)}"


PROPOSE_SYSTEM = (
    "You generate realistic runtime values for the placeholders <*> of a Java log statement, as the running "
    "program would print them. Values must be plausible for the slot's expression, type and kind, varied from "
    "one another, and must not copy the example values. Each placeholder gets one string; a row has exactly "
    "one string per <*>, in order; no line breaks. Answer with ONLY a JSON object of this shape, no other text:\n"
    '{"values": [["value for 1st <*>", "value for 2nd <*>", ...], ...]}'
)


def _describe(statement: dict, kinds: list[str]) -> dict[str, Any]:
    slots = statement.get("slots") or []
    rows = []
    for i, kind in enumerate(kinds):
        s = slots[i] if i < len(slots) and isinstance(slots[i], dict) else {}
        rows.append({"slot": i + 1, "expression": s.get("expr"), "java_type": s.get("type"), "kind": kind})
    return {
        "class": statement.get("class_name"),
        "method": statement.get("method"),
        "level": statement.get("level"),
        "template": statement.get("template"),
        "slots": rows,
    }


def propose_messages(statement: dict, kinds: list[str], n: int, guard: LeakGuard) -> list[dict]:
    examples = guard.examples(kinds)
    ex_template = "Example event: " + ", ".join(f"{k}=<*>" for k in kinds)
    ex_statement = {
        "class_name": "org.example.Service",
        "method": "handle(Request)",
        "level": "INFO",
        "template": ex_template,
        "slots": [{"expr": f"arg{i}", "type": None} for i in range(len(kinds))],
    }
    ask = "Give {n} different rows for this log statement:\n{desc}"
    return [
        {"role": "system", "content": PROPOSE_SYSTEM},
        {
            "role": "user",
            "content": ask.format(n=len(examples), desc=json.dumps(_describe(ex_statement, kinds), ensure_ascii=False)),
        },
        {"role": "assistant", "content": json.dumps({"values": examples}, ensure_ascii=False)},
        {"role": "user", "content": ask.format(n=n, desc=json.dumps(_describe(statement, kinds), ensure_ascii=False))},
    ]


def _values_shape(obj: dict) -> None:
    if not isinstance(obj, dict) or not isinstance(obj.get("values"), list):
        raise ValueError('expected {"values": [[...], ...]}')


def render_template(template: str, values: list[str]) -> str:
    parts = template.split(WILDCARD)
    if len(parts) - 1 != len(values):
        raise ValueError(f"template has {len(parts) - 1} slots, got {len(values)} values")
    out = [parts[0]]
    for v, p in zip(values, parts[1:], strict=False):
        out.append(v)
        out.append(p)
    return "".join(out)


def _as_str(v: Any) -> str | None:
    if isinstance(v, str):
        return v
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return str(v)
    return None


def validate_values(
    statement: dict, rows: Any, n: int, guard: LeakGuard, client: LLMClient | None = None
) -> list[list[str]]:
    """The valid, distinct rows (up to n). A row is rejected (usage.rejected_lines) when it is not a list of
    strings/numbers with one per slot, has a line break, or its rendered line does not fullmatch the regex; it
    is dropped (usage.leaked_values) when a value fails the LeakGuard."""
    template = statement["template"]
    arity = template.count(WILDCARD)
    rx = re.compile(statement["regex"])
    good: list[list[str]] = []
    seen: set[tuple[str, ...]] = set()
    rejected = leaked = 0
    for row in rows if isinstance(rows, list) else []:
        got = [_as_str(v) for v in row] if isinstance(row, list) else None
        if got is None or len(got) != arity or any(v is None for v in got):
            rejected += 1
            continue
        vals = [v for v in got if v is not None]  # all of them
        if any("\n" in v or "\r" in v for v in vals):
            rejected += 1
            continue
        if not rx.fullmatch(render_template(template, vals)):
            rejected += 1
            continue
        if not all(guard.check(v) for v in vals):
            leaked += 1
            continue
        t = tuple(vals)
        if t in seen or len(good) >= n:
            continue
        seen.add(t)
        good.append(list(t))
    if client is not None:
        client.usage.add(rejected_lines=rejected, leaked_values=leaked)
    return good


def _check(statement: dict, kinds: list[str], n: int) -> int:
    for f in ("template", "regex"):
        if not isinstance(statement.get(f), str):
            raise ValueError(f"statement {statement.get('id')!r} has no {f}")
    arity = statement["template"].count(WILDCARD)
    if len(kinds) != arity:
        raise ValueError(f"statement {statement.get('id')!r}: {arity} slots but {len(kinds)} kinds")
    if n < 0:
        raise ValueError("n must be >= 0")
    return arity


def propose_values(client: LLMClient, statement: dict, kinds: list[str], n: int, guard: LeakGuard) -> list[list[str]]:
    """Up to n validated value tuples (one string per `<*>`, in order) for a LogStatement dict; [] when the
    request fails for good (counted in usage.failures). A statement without slots needs no request: [[]]."""
    return propose_values_batch(client, [(statement, kinds, n)], guard)[0]


def propose_values_batch(
    client: LLMClient, items: list[tuple[dict, list[str], int]], guard: LeakGuard
) -> list[list[list[str]]]:
    """propose_values for many statements at once, requested concurrently; results in input order."""
    out: list[list[list[str]] | None] = [None] * len(items)
    asks: list[int] = []
    batch: list[list[dict]] = []
    for i, (st, kinds, n) in enumerate(items):
        arity = _check(st, kinds, n)
        if n == 0:
            out[i] = []
        elif arity == 0:
            out[i] = [[]]
        else:
            asks.append(i)
            batch.append(propose_messages(st, kinds, min(n, MAX_N), guard))
    for i, r in zip(asks, client.map_json(batch, validate=_values_shape) if batch else [], strict=False):
        st, _, n = items[i]
        out[i] = [] if isinstance(r, LLMError) else validate_values(st, r["values"], n, guard, client)
    return [o if o is not None else [] for o in out]
