"""What the feasibility check needs to know about a method's data flow, found before its LCFG is built.

Only variables that some branch condition reads are tracked; their assignments become `assign` edges of the
LCFG (or `havoc` edges where the assignment sits in code the LCFG collapses), so a path can be read in SSA form.
Calls that may change object state are located too: fields and call results read after such a call are new
values (a "state epoch"). Getters and predicates, judged by name, are taken not to change state.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from tree_sitter import Node

from anomalygen.source.java import text

_COND_OWNERS = {"if_statement", "while_statement", "do_statement", "for_statement", "ternary_expression",
                "switch_expression", "switch_statement"}
_NESTED = {"lambda_expression", "class_body"}
# call names taken to read state without changing it (heuristic; documented in the README)
_PURE_PREFIXES = ("get", "is", "has", "can", "contains", "equals", "size", "length", "to", "hash", "compare",
                  "starts", "ends", "index", "char", "trim", "matches", "valueOf", "format", "name", "ordinal",
                  "exists", "peek", "describe", "max", "min", "abs")
# where an assignment runs only sometimes: the LCFG does not branch there, so the variable becomes unknown
_CONDITIONAL = {"ternary_expression", "lambda_expression", "switch_expression", "if_statement", "while_statement",
                "for_statement", "do_statement", "enhanced_for_statement", "try_statement", "catch_clause",
                "finally_clause", "switch_block_statement_group", "switch_rule", "try_with_resources_statement"}


@dataclass(frozen=True)
class AssignSite:
    start: int
    end: int
    name: str  # "x" or "this.x"
    op: str  # "=", "+=", ..., "++", "--"
    value: Node | None
    node: Node


def var_name(node: Node | None) -> str | None:
    """`x` or `this.x`: the assignable names we track (array elements and other objects' fields are not)."""
    if node is None:
        return None
    if node.type == "identifier":
        return text(node)
    if node.type == "field_access":
        obj = node.child_by_field_name("object")
        if obj is not None and obj.type == "this":
            return "this." + text(node.child_by_field_name("field"))
    return None


def _walk(node: Node):
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(c for c in n.named_children if c.type not in _NESTED)


def condition_names(body: Node | None) -> set[str]:
    """Names read by the method's branch conditions and loop collections ("this.x" also as "x")."""
    names: set[str] = set()
    if body is None:
        return names
    for n in _walk(body):
        cond = None
        if n.type in _COND_OWNERS:
            cond = n.child_by_field_name("condition")
        elif n.type == "enhanced_for_statement":
            cond = n.child_by_field_name("value")
        if cond is None:
            continue
        for m in _walk(cond):
            name = var_name(m)
            if name is not None:
                names.add(name)
                names.add(name[5:] if name.startswith("this.") else "this." + name)
    return names


def assign_sites(body: Node | None, tracked: set[str]) -> list[AssignSite]:
    sites: list[AssignSite] = []
    if body is None or not tracked:
        return sites
    for n in _walk(body):
        t = n.type
        if t == "assignment_expression":
            name = var_name(n.child_by_field_name("left"))
            if name in tracked:
                sites.append(AssignSite(n.start_byte, n.end_byte, name, text(n.child_by_field_name("operator")),
                                        n.child_by_field_name("right"), n))
        elif t == "update_expression":
            arg = n.named_children[0] if n.named_children else None
            name = var_name(arg)
            if name in tracked:
                sites.append(AssignSite(n.start_byte, n.end_byte, name, "++" if "++" in text(n) else "--", None, n))
        elif t == "variable_declarator":
            name = var_name(n.child_by_field_name("name"))
            value = n.child_by_field_name("value")
            if name in tracked and value is not None:
                sites.append(AssignSite(n.start_byte, n.end_byte, name, "=", value, n))
    sites.sort(key=lambda s: s.start)
    return sites


def is_conditional(site: AssignSite, stmt: Node) -> bool:
    """Whether the assignment may or may not run when `stmt` runs (the LCFG does not branch inside `stmt`)."""
    if site.node.id == stmt.id:
        return False
    n = site.node.parent
    while n is not None:
        if n.type in _CONDITIONAL:
            return True
        if n.type == "binary_expression" and text(n.child_by_field_name("operator")) in ("&&", "||"):
            return True
        if n.id == stmt.id:
            return False
        n = n.parent
    return True


def is_pure_name(name: str) -> bool:
    return name.startswith(_PURE_PREFIXES)


def mutating_calls(calls: list[Node], is_log) -> list[int]:
    """Start bytes of the calls that may change state (not logging calls, not getters by name)."""
    out = []
    for c in calls:
        if is_log(c):
            continue
        name = c.child_by_field_name("name")
        if c.type == "method_invocation" and name is not None and is_pure_name(text(name)):
            continue
        out.append(c.start_byte)
    out.sort()
    return out


def epoch(mutating: list[int], pos: int) -> int:
    return bisect.bisect_left(mutating, pos)
