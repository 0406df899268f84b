"""One path step (a branch outcome, an assignment, a havoc) as SMT-LIB text over named symbols.

Symbols:
  locals        (frame, name, SSA version)
  fields        (frame, name, SSA version, state epoch, loop scope): a call that may change state starts a new
                epoch, so a field read after it is a new value
  constants     ALL_CAPS names: one symbol everywhere; in reference comparisons distinct constants differ (enums)
  calls         (frame, name, receiver, arguments, epoch, scope); `isEmpty()`/`size()`/`length()` share one
                non-negative size per receiver; `equals(x)` compares a separate value symbol; `isDebugEnabled()`
                and friends are one flag per level for the whole run
References and integers are both SMT integers (null = 0, each string literal its own positive constant); booleans
are SMT booleans. Whatever cannot be expressed becomes a fresh, unconstrained symbol ("partial"), so a path is
only ever refuted by the part that was understood. Text, not z3 objects: building terms through z3's Python API
cost more than solving them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from anomalygen.core import levels

_INT_TYPES = {
    "int",
    "long",
    "short",
    "byte",
    "char",
    "Integer",
    "Long",
    "Short",
    "Byte",
    "Character",
    "AtomicInteger",
    "AtomicLong",
}
_BOOL_TYPES = {"boolean", "Boolean"}
CONST = re.compile(r"^(?:[A-Za-z_$][\w$]*\.)*[A-Z][A-Z0-9_]*$")
_SIZE_CALLS = {"size", "length"}
_CMP = {"<", "<=", ">", ">="}
_ARITH = {"+", "-", "*", "/", "%"}
_INT_LITERAL = re.compile(r"^-?\d+$|^\(- \d+\)$")


def declared_sort(typ: str | None) -> str | None:
    if not typ:
        return None
    base = typ.rsplit(".", 1)[-1]
    if base in _BOOL_TYPES:
        return "bool"
    if base in _INT_TYPES:
        return "int"
    return "ref"


def version_key(c: dict, name: str) -> tuple[str, str]:
    """What an assignment to `name` bumps: (frame, local name) or (frame, "this.field")."""
    if name in c.get("locals", ()):
        return (c["frame"], name)
    return (c["frame"], name if name.startswith("this.") else "this." + name)


@dataclass
class Step:
    assertion: str | None  # None: adds no constraint (havoc, or an assignment of an unknown value)
    side: list[str] = field(default_factory=list)
    # in first-use order, not a set: z3 declares them in this order, and a str set's order changes with
    # PYTHONHASHSEED, which changed z3's search and so the unsat cores (and, near the resource limit, verdicts)
    symbols: tuple[str, ...] = ()
    partial: bool = False
    bumps: list[tuple[str, str]] = field(default_factory=list)


class _Ctx:
    __slots__ = ("c", "partial", "side", "symbols", "versions")

    def __init__(self, c: dict, versions: dict):
        self.c = c
        self.versions = versions
        self.symbols: dict[str, None] = {}  # an ordered set
        self.side: list[str] = []
        self.partial = False


class Translator:
    """Shares the symbol table across paths: the same key always gets the same SMT name and sort."""

    def __init__(self) -> None:
        self.names: dict[tuple, str] = {}
        self.sorts: dict[str, str] = {}  # name -> "Bool" | "Int"
        self._fresh = 0
        self._strings: dict[Any, int] = {}
        self._consts: dict[str, int] = {}

    # ---- symbols ------------------------------------------------------------------------------
    def _name(self, x: _Ctx, key: tuple, sort: str) -> str:
        smt_sort = "Bool" if sort == "bool" else "Int"
        name = self.names.get((key, smt_sort))
        if name is None:
            name = self.names[(key, smt_sort)] = f"s{len(self.names)}"
            self.sorts[name] = smt_sort
        x.symbols[name] = None
        return name

    def fresh(self, x: _Ctx, sort: str) -> str:
        self._fresh += 1
        name = f"f{self._fresh}"
        self.sorts[name] = "Bool" if sort == "bool" else "Int"
        x.symbols[name] = None
        x.partial = True
        return name

    def string_id(self, value: Any) -> int:
        return self._strings.setdefault(value, 1_000_000 + len(self._strings))

    def const_id(self, name: str) -> int:
        return self._consts.setdefault(name, 2_000_000 + len(self._consts))

    def var_key(self, x: _Ctx, name: str, version: int | None = None) -> tuple:
        c = x.c
        frame = c["frame"]
        if name in c.get("locals", ()):
            v = x.versions.get((frame, name), 0) if version is None else version
            return ("L", frame, name, v)
        if CONST.match(name) and not name.startswith("this."):
            return ("K", name)
        fname = name[5:] if name.startswith("this.") else name
        v = x.versions.get((frame, "this." + fname), 0) if version is None else version
        return ("F", frame, fname, v, c.get("epoch", 0), c.get("scope", ""))

    # ---- terms --------------------------------------------------------------------------------
    def sort_of(self, x: _Ctx, e: dict) -> str | None:
        k = e.get("k")
        if k == "lit":
            v = e["v"]
            if isinstance(v, bool):
                return "bool"
            return "int" if isinstance(v, int) else "ref"
        if k in ("not", "instanceof"):
            return "bool"
        if k == "neg":
            return "int"
        if k == "bin":
            op = e["op"]
            if op in ("&&", "||", "==", "!=") or op in _CMP:
                return "bool"
            return "int" if op in _ARITH else None
        if k == "var":
            return declared_sort(x.c.get("types", {}).get(e["name"]))
        if k == "call":
            name = e["name"]
            if name in ("isEmpty", "equals", "hasNext", "contains", "containsKey") or name.startswith(("is", "has")):
                return "bool"
            if name in _SIZE_CALLS:
                return "int"
        return None

    def term(self, x: _Ctx, e: dict, want: str) -> str:
        k = e.get("k")
        if k == "lit":
            v = e["v"]
            if want == "bool":
                return ("true" if v else "false") if isinstance(v, bool) else self.fresh(x, "bool")
            if v is None:
                return "0"
            if isinstance(v, bool):
                return self.fresh(x, want)
            if isinstance(v, int):
                return str(v) if v >= 0 else f"(- {-v})"
            return str(self.string_id(v))
        if k == "var":
            name = e["name"]
            key = self.var_key(x, name)
            if key[0] == "K" and want != "bool":
                return str(self.const_id(name)) if want == "ref" else self._name(x, key, "int")
            declared = declared_sort(x.c.get("types", {}).get(name))
            if declared is not None and (declared == "bool") != (want == "bool"):
                return self.fresh(x, want)
            return self._name(x, key, want)
        if k == "not":
            return f"(not {self.term(x, e['arg'], 'bool')})" if want == "bool" else self.fresh(x, want)
        if k == "neg":
            return f"(- {self.term(x, e['arg'], 'int')})" if want != "bool" else self.fresh(x, want)
        if k == "bin":
            return self._bin(x, e, want)
        if k == "instanceof":
            if want != "bool":
                return self.fresh(x, want)
            obj = self.term(x, e["arg"], "ref")
            t = self._name(x, ("I", obj, e.get("type")), "bool")
            x.side.append(f"(=> {t} (not (= {obj} 0)))")
            return t
        if k == "call":
            return self._call(x, e, want)
        return self.fresh(x, want)

    def _bin(self, x: _Ctx, e: dict, want: str) -> str:
        op, lhs, r = e["op"], e["l"], e["r"]
        if op in ("&&", "||"):
            if want != "bool":
                return self.fresh(x, want)
            return f"({'and' if op == '&&' else 'or'} {self.term(x, lhs, 'bool')} {self.term(x, r, 'bool')})"
        if op in ("==", "!="):
            if want != "bool":
                return self.fresh(x, want)
            sl, sr = self.sort_of(x, lhs), self.sort_of(x, r)
            if sl is not None and sr is not None and (sl == "bool") != (sr == "bool"):
                return self.fresh(x, "bool")
            sort = sl if sl is not None else (sr if sr is not None else "ref")
            eq = f"(= {self.term(x, lhs, sort)} {self.term(x, r, sort)})"
            return eq if op == "==" else f"(not {eq})"
        if op in _CMP:
            if want != "bool":
                return self.fresh(x, want)
            return f"({op} {self.term(x, lhs, 'int')} {self.term(x, r, 'int')})"
        if op in _ARITH and want != "bool":
            a, b = self.term(x, lhs, "int"), self.term(x, r, "int")
            if op in ("+", "-"):
                return f"({op} {a} {b})"
            if op == "*" and (_INT_LITERAL.match(a) or _INT_LITERAL.match(b)):
                return f"(* {a} {b})"
            return self.fresh(x, "int")  # non-linear or division: left free
        return self.fresh(x, want)

    def _recv_key(self, x: _Ctx, recv: dict | None) -> tuple:
        c = x.c
        if recv is None:
            return ("this", c["frame"])
        if recv.get("k") == "var":
            return self.var_key(x, recv["name"])
        return ("expr", recv.get("text") or repr(recv), c["frame"], c.get("epoch", 0), c.get("scope", ""))

    def _size(self, x: _Ctx, recv: dict | None) -> str:
        s = self._name(x, ("S", self._recv_key(x, recv), x.c.get("epoch", 0), x.c.get("scope", "")), "int")
        x.side.append(f"(>= {s} 0)")
        return s

    def _call(self, x: _Ctx, e: dict, want: str) -> str:
        name, recv, args = e["name"], e.get("recv"), e.get("args", [])
        c = x.c
        level = levels.guard_level(name)
        if level and not args and want == "bool":
            return self._name(x, ("LEVEL", level), "bool")
        if name == "isEmpty" and not args:
            return f"(= {self._size(x, recv)} 0)" if want == "bool" else self.fresh(x, want)
        if name in _SIZE_CALLS and not args:
            return self._size(x, recv) if want != "bool" else self.fresh(x, want)
        if name == "hasNext" and c.get("kind") == "foreach" and want == "bool":
            # a collection cannot change size while a for-each walks it: one size for all iterations
            outer = _Ctx({**c, "scope": c.get("scope", "").rpartition(".")[0]}, x.versions)
            outer.symbols, outer.side = x.symbols, x.side
            return f"(> {self._size(outer, recv)} {c.get('iteration') or 0})"
        if name == "equals" and len(args) == 1 and recv is not None and want == "bool":
            value = self._name(x, ("V", self._recv_key(x, recv)), "int")
            arg = args[0]
            if arg.get("k") == "lit" and arg["v"] is not None and not isinstance(arg["v"], bool):
                v = arg["v"]
                return f"(= {value} {self.term(x, arg, 'int') if isinstance(v, int) else self.string_id(v)})"
            if arg.get("k") == "var" and CONST.match(arg["name"]):
                return f"(= {value} {self.const_id(arg['name'])})"
            if arg.get("k") == "var":
                return f"(= {value} {self._name(x, ('V', self.var_key(x, arg['name'])), 'int')})"
        arg_keys = tuple(self._recv_key(x, a) if a.get("k") in ("var", "call") else repr(a) for a in args)
        key = ("C", name, self._recv_key(x, recv), arg_keys, c.get("epoch", 0), c.get("scope", ""))
        return self._name(x, key, want)

    # ---- steps --------------------------------------------------------------------------------
    def step(self, c: dict, versions: dict) -> Step:
        """The constraint of one path step under the SSA `versions` before it, and the versions it bumps."""
        x = _Ctx(c, versions)
        kind = c.get("kind")
        e = c.get("expr") or {}
        if kind == "havoc":
            return Step(None, bumps=[version_key(c, n) for n in e.get("names", [])])
        if kind == "assign":
            name = e["name"]
            sort = declared_sort(c.get("types", {}).get(name)) or self.sort_of(x, e["value"]) or "ref"
            value = self.term(x, e["value"], sort)
            vk = version_key(c, name)
            if x.partial:  # an unknown value: the new version is simply unconstrained
                return Step(None, bumps=[vk])
            new = self._name(x, self.var_key(x, name, versions.get(vk, 0) + 1), sort)
            return Step(f"(= {new} {value})", x.side, tuple(x.symbols), False, [vk])
        t = self.term(x, e, "bool")
        if not c.get("polarity", True):
            t = f"(not {t})"
        return Step(t, x.side, tuple(x.symbols), x.partial)

    def level_facts(self, min_level: str) -> list[tuple[str, str]]:
        """(symbol, assertion) fixing each `isXEnabled()` flag for logs recorded at `min_level`."""
        x = _Ctx({"frame": ""}, {})
        out = []
        for lv in levels.LEVELS:
            name = self._name(x, ("LEVEL", lv), "bool")
            out.append((name, name if levels.enabled(lv, min_level) else f"(not {name})"))
        return out
