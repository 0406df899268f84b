"""Filling one session's lines: entities bound once per session, values drawn per slot, every line validated.

Entity kinds (block ids, addresses, hosts, session ids) are chosen when the session starts and reused by every
line, so an HDFS session talks about one block and one small set of datanodes; other slots draw from what real
logs showed for that statement, else from this cluster's pool for the kind, else from a generator.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from anomalygen.core.session_spec import HDFS_BLOCK_RE
from anomalygen.core.statements import LogStatement
from anomalygen.core.templates import first_line_regex
from anomalygen.synthesis.kinds import ENTITY_KINDS, slot_contexts
from anomalygen.synthesis.slots import SlotShapes, shapes_of
from anomalygen.synthesis.values import ValueModel, draw, generate

_IP = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_KEY_TEXT = {"block": HDFS_BLOCK_RE}  # a session key as it shows inside other values (paths, lists)


@dataclass
class Filled:
    content: str
    params: list[str]
    valid: bool


@dataclass
class SessionContext:
    model: ValueModel
    rng: random.Random
    key_kind: str | None = None  # the session key's kind (e.g. "block"); one value per session
    replicas: int = 3
    entities: dict[str, str] = field(default_factory=dict)
    nodes: list[str] = field(default_factory=list)
    rejected: int = 0

    def __post_init__(self) -> None:
        pool = self.model.pools.get("ip_port")
        k = self.replicas
        if pool and len(pool) >= k:
            cache = self.model.__dict__.setdefault("_lists", {})
            values = cache.get("ip_port") or cache.setdefault("ip_port", list(pool))
            rnd, n = self.rng.random, len(values)
            self.nodes = [values[int(rnd() * n)] for _ in range(k)]  # a repeat now and then is harmless
        else:
            self.nodes = [generate("ip_port", self.rng) for _ in range(k)]

    def entity(self, kind: str) -> str:
        if kind == "ip_port":
            return self.nodes[int(self.rng.random() * len(self.nodes))]
        if kind == "ip":
            m = _IP.search(self.nodes[int(self.rng.random() * len(self.nodes))])
            return m.group(0) if m else generate("ip", self.rng)
        v = self.entities.get(kind)
        if v is None:
            pool = self.model.pools.get(kind)
            # a session key must be new (another session may already use a real one); other entities may repeat
            v = draw(pool, self.rng) if pool and kind != self.key_kind else generate(kind, self.rng)
            self.entities[kind] = v
        return v

    @property
    def key(self) -> str | None:
        return self.entities.get(self.key_kind) if self.key_kind else None

    def _value(self, st: LogStatement, slot: _Slot) -> str:
        kind = slot.kind
        rng = self.rng
        if slot.entity:
            v = self.entity(kind)
            if kind in ("ip", "ip_port"):
                v = v.lstrip("/")
                if slot.slash:
                    v = "/" + v  # InetSocketAddress.toString() and what real lines of this statement showed
        elif slot.session_size:
            # "of size <*>", "size <*>": the block's size, the same on every line of the session
            size = self.entities.get("size")
            if size is None:
                seen = slot.seen or self.model.pools.get("size")
                size = self.entities["size"] = draw(seen, rng) if seen else generate("size", rng)
            v = size
        elif slot.seen and rng.random() < 0.95:
            v = draw(slot.seen, rng)
        else:
            pool = slot.pool
            v = draw(pool, rng) if pool and rng.random() < 0.8 else generate(kind, rng, st.in_catch)
        if slot.prefix and v.startswith(slot.prefix):  # the template already prints `blk_<*>`, `0x<*>`
            v = v[len(slot.prefix) :]
        return v

    def fill(self, st: LogStatement) -> Filled:
        """The message of `st` with its slots filled; checked against the statement's regex."""
        plan = _plan(self.model, st)
        shapes, rng = plan.shapes, self.rng
        params = [shapes.repair(i, self._value(st, slot), rng) for i, slot in enumerate(plan.slots)]
        key_rx = _KEY_TEXT.get(self.key_kind or "")
        if key_rx is not None and self.key:
            # one session, one world: a drawn path or list naming another block names this session's
            params = [
                key_rx.sub(self.key, p) if not slot.entity else p for p, slot in zip(params, plan.slots, strict=False)
            ]
        rx = plan.regex
        content = _one_line(_render(st.template, params))
        if rx.fullmatch(content):
            return Filled(content, params, True)
        self.rejected += 1
        params = [generate("number", rng) for _ in plan.slots]  # digits fit nearly every slot pattern
        content = _one_line(_render(st.template, params))
        return Filled(content, params, bool(rx.fullmatch(content)))


def _slashed(model: ValueModel, st: LogStatement, i: int) -> bool:
    cache = model.__dict__.setdefault("_slashed", {})
    key = (st.id, i)
    hit = cache.get(key)
    if hit is None:
        hit = cache[key] = _slashed_uncached(model, st, i)
    return hit


def _slashed_uncached(model: ValueModel, st: LogStatement, i: int) -> bool:
    seen = model.observed(st, i)
    if seen:
        return sum(v.startswith("/") for v in seen) * 2 > len(seen)
    slot = st.slots[i] if i < len(st.slots) else None
    code = f"{slot.expr} {slot.type}" if slot else ""
    return "SocketAddress" in code or "getInetAddress" in code


@dataclass
class _Slot:
    kind: str
    entity: bool
    slash: bool
    session_size: bool
    prefix: str
    seen: dict | None
    pool: dict | None


@dataclass
class _Plan:
    slots: list[_Slot]
    shapes: SlotShapes
    regex: re.Pattern


def _plan(model: ValueModel, st: LogStatement) -> _Plan:
    """What filling `st` needs, worked out once per statement and value model."""
    cache = model.__dict__.setdefault("_plans", {})
    plan = cache.get(st.id)
    if plan is not None:
        return plan
    slots = []
    for i, before in enumerate(slot_contexts(st.template)):
        kind = model.kind(st, i)
        prefix = next((p for p in ("0x", "blk_") if before.endswith(p)), "")
        slots.append(
            _Slot(
                kind,
                kind in ENTITY_KINDS,
                kind in ("ip", "ip_port") and not before.endswith("/") and _slashed(model, st, i),
                kind in ("size", "number") and before.rstrip().lower().endswith("size"),
                prefix,
                model.observed(st, i),
                model.pools.get(kind),
            )
        )
    plan = cache[st.id] = _Plan(slots, shapes_of(st), _regex(st))
    return plan


_REGEX: dict[str, re.Pattern] = {}


def _regex(st: LogStatement) -> re.Pattern:
    """The statement regex, cut at its first newline: a log line shows a multi-line message's first line and
    continuation lines after it, which the logs stage reads as part of the same record."""
    rx = _REGEX.get(st.regex)
    if rx is None:
        text = st.regex
        if "\\n" in text or "\n" in text:
            text = first_line_regex(text) or text
        rx = _REGEX[st.regex] = re.compile(text, re.DOTALL)
    return rx


def _one_line(content: str) -> str:
    return content.split("\n", 1)[0]


def _render(template: str, params: list[str]) -> str:
    parts = template.split("<*>")
    out = [parts[0]]
    for p, lit in zip(params, parts[1:], strict=False):
        out.append(p)
        out.append(lit)
    return "".join(out)
