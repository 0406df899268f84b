"""Entry points: where execution enters the analysed code from outside it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from anomalygen.source.analysis import Analysis
from anomalygen.source.index import MethodDecl

_HANDLER = re.compile(r"^(handle|process|on)[A-Z]\w*$|^(doGet|doPost|doPut|doDelete|service)$")
_THREAD_TYPES = {"Runnable", "Thread", "Callable", "TimerTask", "Daemon"}


@dataclass
class Entry:
    key: str
    cls: str
    method: str
    reasons: list[str]

    @property
    def short(self) -> str:
        return f"{self.cls.rsplit('.', 1)[-1]}.{self.method.split('(')[0]}"


def find_entries(a: Analysis) -> list[Entry]:
    """Methods that can log and are reached from outside: main, thread bodies, RPC and handler methods,
    and methods no analysed code calls."""
    p = a.project
    rpc_methods: set[tuple[str, str, int]] = set()
    for c in p.classes.values():
        if c.kind == "interface" and c.simple.endswith("Protocol"):
            for m in c.methods:
                rpc_methods.add((c.name, m.name, m.arity))
    out: list[Entry] = []
    for key in sorted(a.callgraph.logging):
        m = p.methods[key]
        reasons = _reasons(m, a, rpc_methods)
        if reasons:
            out.append(Entry(key, m.cls.name, m.signature, reasons))
    return out


def _reasons(m: MethodDecl, a: Analysis, rpc_methods: set[tuple[str, str, int]]) -> list[str]:
    p = a.project
    reasons: list[str] = []
    if m.name == "main" and m.static and m.arity == 1 and m.params[0][0].startswith("String"):
        reasons.append("main")
    if m.name in ("run", "call") and m.arity == 0:
        supers = p.external_super_names(m.cls) | {s.simple for s in p.supertypes(m.cls)}
        if supers & _THREAD_TYPES:
            reasons.append("thread")
    if m.kind == "method" and rpc_methods:
        for s in p.supertypes(m.cls):
            if (s.name, m.name, m.arity) in rpc_methods:
                reasons.append(f"rpc:{s.simple}")
                break
    if m.kind == "method" and _HANDLER.match(m.name) and "private" not in _mods(m):
        reasons.append("handler")
    if m.kind == "lambda":
        reasons.append("lambda")
    if not a.callgraph.callers.get(m.key) and m.kind != "lambda":
        reasons.append("no-callers")
    return reasons


def _mods(m: MethodDecl) -> str:
    mods = next((c for c in m.node.children if c.type == "modifiers"), None)
    return mods.text.decode() if mods is not None and mods.text else ""


def select_entries(entries: list[Entry], patterns: list[str], a: Analysis) -> list[Entry]:
    """Entries named by `Class.method`, `pkg.Class.method`, `Class#sig` or a full method key.

    A named method that is not an automatic entry is still selectable if it can log.
    """
    if not patterns:
        return entries
    chosen: dict[str, Entry] = {}
    for pat in patterns:
        hits = [k for k in sorted(a.callgraph.logging) if _matches(k, pat)]
        if not hits:
            raise KeyError(f"no logging method matches entry {pat!r}")
        known = {e.key: e for e in entries}
        for k in hits:
            m = a.project.methods[k]
            chosen[k] = known.get(k) or Entry(k, m.cls.name, m.signature, ["selected"])
    return list(chosen.values())


def _matches(key: str, pat: str) -> bool:
    if key == pat:
        return True
    cls, _, sig = key.partition("#")
    name = sig.split("(")[0]
    if "#" in pat:
        pc, _, ps = pat.partition("#")
        return _cls_matches(cls, pc) and (sig == ps or name == ps)
    pc, _, pm = pat.rpartition(".")
    return bool(pc) and name == pm and _cls_matches(cls, pc)


def _cls_matches(cls: str, pat: str) -> bool:
    pat = pat.replace(".", "$") if "$" in pat else pat
    return (
        cls == pat
        or cls.endswith("." + pat)
        or cls.endswith("$" + pat)
        or cls.replace("$", ".").endswith("." + pat)
        or cls.rsplit(".", 1)[-1] == pat
    )
