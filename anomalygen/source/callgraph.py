"""Call graph: every call site resolved by name, arity and receiver static type, with class-hierarchy dispatch."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from tree_sitter import Node

from anomalygen.source.index import MethodDecl
from anomalygen.source.inventory import Inventory
from anomalygen.source.java import text
from anomalygen.source.project import Project

# names so common that a unique match by name and arity alone would be a guess, not a resolution
_TOO_COMMON = {
    "get",
    "set",
    "put",
    "add",
    "remove",
    "run",
    "close",
    "start",
    "stop",
    "size",
    "equals",
    "hashCode",
    "toString",
    "write",
    "read",
    "flush",
    "clear",
    "contains",
    "init",
    "next",
    "hasNext",
    "apply",
    "accept",
    "call",
    "compareTo",
    "length",
    "isEmpty",
    "iterator",
    "getName",
    "valueOf",
}


@dataclass
class CallGraph:
    project: Project
    inventory: Inventory
    targets: dict[int, tuple[str, ...]] = field(default_factory=dict)  # call node id -> callee keys
    how: Counter = field(default_factory=Counter)
    callers: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    callees_of: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    logging: set[str] = field(default_factory=set)  # methods that can (transitively) log
    unresolved_examples: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, project: Project, inventory: Inventory) -> CallGraph:
        cg = cls(project, inventory)
        unique = _unique_by_name_arity(project)
        for m in project.methods.values():
            for call in m.calls:
                if call.id in inventory.by_call:
                    continue
                targets, how = cg._resolve(call, m, unique)
                cg.how[how] += 1
                if how == "unresolved" and len(cg.unresolved_examples) < 20:
                    cg.unresolved_examples.append(f"{m.file}:{call.start_point[0] + 1}: {text(call)[:60]}")
                if targets:
                    keys = tuple(sorted({t.key for t in targets}))
                    cg.targets[call.id] = keys
                    for k in keys:
                        cg.callers[k].add(m.key)
                        cg.callees_of[m.key].add(k)
        cg._propagate_logging()
        return cg

    def _propagate_logging(self) -> None:
        owners = {}
        for s in self.inventory.statements:
            owners[(s.class_name, s.method)] = True
        work = [m.key for m in self.project.methods.values() if (m.cls.name, m.signature) in owners]
        self.logging = set(work)
        while work:
            k = work.pop()
            for caller in self.callers.get(k, ()):
                if caller not in self.logging:
                    self.logging.add(caller)
                    work.append(caller)

    def logging_callees(self, call: Node) -> tuple[str, ...]:
        return tuple(k for k in self.targets.get(call.id, ()) if k in self.logging)

    # ---- resolution ---------------------------------------------------------------------------
    def _resolve(
        self, call: Node, m: MethodDecl, unique: dict[tuple[str, int], MethodDecl]
    ) -> tuple[list[MethodDecl], str]:
        p = self.project
        t = call.type
        args = call.child_by_field_name("arguments")
        arity = len(args.named_children) if args is not None else 0
        if t == "object_creation_expression":
            owner = p.resolve_type(text(call.child_by_field_name("type")), m.cls)
            if owner is None:
                return [], "external"
            return [x for x in owner.methods if x.kind == "constructor" and x.arity == arity], "static"
        if t == "explicit_constructor_invocation":
            ctor = call.child_by_field_name("constructor")
            owner = m.cls if text(ctor) == "this" else p.receiver_class(ctor, m)
            if owner is None:
                return [], "external"
            return [x for x in owner.methods if x.kind == "constructor" and x.arity == arity], "static"
        declared = p.call_targets(call, m)
        if declared:
            out = list(declared)
            virtual = False
            for d in declared:
                if d.static or d.kind != "method":
                    continue
                for sub in p.subclasses(d.cls):
                    for x in sub.methods:
                        if x.name == d.name and x.arity == d.arity and x.kind == "method":
                            out.append(x)
                            virtual = True
            return out, "virtual" if virtual else "static"
        obj = call.child_by_field_name("object")
        name = text(call.child_by_field_name("name"))
        if obj is None:
            return [], "external"  # inherited from a supertype outside the tree
        if p.expr_type(obj, m) is not None or _looks_like_type(obj, m, p):
            return [], "external"
        cand = unique.get((name, arity))
        if cand is not None and name not in _TOO_COMMON:
            return [cand], "heuristic"
        return [], "unresolved"


def _looks_like_type(obj: Node, m: MethodDecl, p: Project) -> bool:
    """`Math.max`, `System.out.println`: a qualified name starting with a class name outside the tree."""
    head = obj
    while head.type == "field_access":
        head = head.child_by_field_name("object")  # type: ignore[assignment]  # a field access has an object
    if head.type != "identifier":
        return False
    name = text(head)
    found, _, _ = m.local_type(name, head.start_byte)
    return not found and p.find_field(m.cls, name) is None and name[:1].isupper()


def _unique_by_name_arity(project: Project) -> dict[tuple[str, int], MethodDecl]:
    groups: dict[tuple[str, int], list[MethodDecl]] = defaultdict(list)
    for m in project.methods.values():
        if m.kind == "method":
            groups[(m.name, m.arity)].append(m)
    return {k: v[0] for k, v in groups.items() if len(v) == 1}
