"""What the feasibility check needs to know about a method's data flow, found before its LCFG is built.

Only variables that some branch condition reads are tracked; their assignments become `assign` edges of the
LCFG (or `havoc` edges where the assignment sits in code the LCFG collapses), so a path can be read in SSA form.
Calls that may change object state are located too: fields and call results read after such a call are new
values (a "state epoch"). Getters and predicates, judged by name, are taken not to change state.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass

from tree_sitter import Node, Query

from anomalygen.source.java import JAVA, captures, text

# call names taken to read state without changing it (heuristic; documented in the README)
_PURE_PREFIXES = (
    "get",
    "is",
    "has",
    "can",
    "contains",
    "equals",
    "size",
    "length",
    "to",
    "hash",
    "compare",
    "starts",
    "ends",
    "index",
    "char",
    "trim",
    "matches",
    "valueOf",
    "format",
    "name",
    "ordinal",
    "exists",
    "peek",
    "describe",
    "max",
    "min",
    "abs",
)
# where an assignment runs only sometimes: the LCFG does not branch there, so the variable becomes unknown
_CONDITIONAL = {
    "ternary_expression",
    "lambda_expression",
    "switch_expression",
    "if_statement",
    "while_statement",
    "for_statement",
    "do_statement",
    "enhanced_for_statement",
    "try_statement",
    "catch_clause",
    "finally_clause",
    "switch_block_statement_group",
    "switch_rule",
    "try_with_resources_statement",
}


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


_CONDS = Query(
    JAVA,
    """
(if_statement condition: (_) @c)
(while_statement condition: (_) @c)
(do_statement condition: (_) @c)
(for_statement condition: (_) @c)
(ternary_expression condition: (_) @c)
(switch_expression condition: (_) @c)
(enhanced_for_statement value: (_) @c)
(identifier) @id
(field_access object: (this) field: (identifier)) @this
""",
)
_ASSIGNS = Query(
    JAVA,
    """
(assignment_expression left: [(identifier) (field_access)]) @a
(update_expression) @u
(variable_declarator name: (identifier) value: (_)) @d
""",
)


def condition_names(body: Node | None) -> set[str]:
    """Names read by the method's branch conditions and loop collections ("this.x" also as "x")."""
    names: set[str] = set()
    if body is None:
        return names
    caps = captures(_CONDS, body)
    conds = sorted((c.start_byte, c.end_byte) for c in caps.get("c", ()))
    if not conds:
        return names
    starts = [a for a, _ in conds]
    ends = list(itertools.accumulate((b for _, b in conds), max))  # furthest end among conditions so far

    def inside(n: Node) -> bool:
        i = bisect.bisect_right(starts, n.start_byte) - 1
        return i >= 0 and ends[i] >= n.end_byte

    for n in caps.get("id", ()):
        if inside(n):
            names.add(text(n))
    for n in caps.get("this", ()):
        if inside(n):
            names.add("this." + text(n.child_by_field_name("field")))
    return names | {x[5:] if x.startswith("this.") else "this." + x for x in names}


def assign_sites(body: Node | None, tracked: set[str]) -> list[AssignSite]:
    sites: list[AssignSite] = []
    if body is None or not tracked:
        return sites
    caps = captures(_ASSIGNS, body)
    for n in caps.get("a", ()):
        name = var_name(n.child_by_field_name("left"))
        if name in tracked:
            sites.append(
                AssignSite(
                    n.start_byte,
                    n.end_byte,
                    name,
                    text(n.child_by_field_name("operator")),
                    n.child_by_field_name("right"),
                    n,
                )
            )
    for n in caps.get("u", ()):
        arg = n.named_children[0] if n.named_children else None
        name = var_name(arg)
        if name in tracked:
            sites.append(AssignSite(n.start_byte, n.end_byte, name, "++" if "++" in text(n) else "--", None, n))
    for n in caps.get("d", ()):
        name = var_name(n.child_by_field_name("name"))
        if name in tracked:
            sites.append(AssignSite(n.start_byte, n.end_byte, name, "=", n.child_by_field_name("value"), n))
    sites.sort(key=lambda x: (x.start, -x.end))
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
