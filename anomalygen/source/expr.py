"""Branch conditions as small JSON trees, for the feasibility checks of the synthesis stage.

Shapes (every node is a dict with key "k"):
  {"k": "lit", "v": 3 | "s" | true | null}         literals
  {"k": "var", "name": "x" | "this.x" | "a.b"}      locals, fields, qualified names (atoms)
  {"k": "not", "arg": e}
  {"k": "bin", "op": "&&" | "||" | "==" | "!=" | "<" | ... | "+" | ..., "l": e, "r": e}
  {"k": "neg", "arg": e}                            unary minus
  {"k": "call", "name": "isEmpty", "recv": e | null, "args": [e, ...], "text": "..."}
  {"k": "instanceof", "arg": e, "type": "Foo"}
  {"k": "opaque", "text": "..."}                   anything else (a free symbol for a solver)
"""

from __future__ import annotations

from typing import Any

from tree_sitter import Node

from anomalygen.source.java import text
from anomalygen.source.templates import string_value, unescape_java

Expr = dict[str, Any]


def parse_expr(node: Node | None) -> Expr:
    if node is None:
        return {"k": "lit", "v": True}
    t = node.type
    if t in ("parenthesized_expression", "condition"):
        kids = node.named_children
        return parse_expr(kids[0]) if kids else {"k": "lit", "v": True}
    if t in ("true", "false"):
        return {"k": "lit", "v": t == "true"}
    if t == "null_literal":
        return {"k": "lit", "v": None}
    if t == "decimal_integer_literal" or t == "hex_integer_literal":
        raw = text(node).rstrip("lL").replace("_", "")
        try:
            return {"k": "lit", "v": int(raw, 16 if t == "hex_integer_literal" else 10)}
        except ValueError:
            return {"k": "opaque", "text": text(node)}
    if t == "string_literal":
        return {"k": "lit", "v": string_value(node)}
    if t == "character_literal":
        return {"k": "lit", "v": unescape_java(text(node)[1:-1])}
    if t in ("identifier", "this"):
        return {"k": "var", "name": text(node)}
    if t == "field_access" or t == "scoped_identifier":
        return {"k": "var", "name": "".join(text(node).split())}
    if t == "unary_expression":
        op = text(node.child_by_field_name("operator"))
        arg = parse_expr(node.child_by_field_name("operand"))
        if op == "!":
            return {"k": "not", "arg": arg}
        if op == "-":
            return {"k": "neg", "arg": arg}
        return arg if op == "+" else {"k": "opaque", "text": text(node)}
    if t == "binary_expression":
        return {
            "k": "bin",
            "op": text(node.child_by_field_name("operator")),
            "l": parse_expr(node.child_by_field_name("left")),
            "r": parse_expr(node.child_by_field_name("right")),
        }
    if t == "instanceof_expression":
        kids = node.named_children
        return {"k": "instanceof", "arg": parse_expr(kids[0]), "type": text(kids[1]) if len(kids) > 1 else ""}
    if t == "method_invocation":
        obj = node.child_by_field_name("object")
        args = node.child_by_field_name("arguments")
        return {
            "k": "call",
            "name": text(node.child_by_field_name("name")),
            "recv": parse_expr(obj) if obj is not None else None,
            "args": [parse_expr(a) for a in (args.named_children if args is not None else [])],
            "text": text(node),
        }
    return {"k": "opaque", "text": text(node)}


def conj_or(options: list[Expr]) -> Expr:
    """`a || b || c` (false for no options)."""
    if not options:
        return {"k": "lit", "v": False}
    out = options[0]
    for o in options[1:]:
        out = {"k": "bin", "op": "||", "l": out, "r": o}
    return out


def atom_names(e: Expr | None) -> list[str]:
    """The variable names an expression (or an `assign`/`havoc` step) reads or writes, sorted."""
    out: set[str] = set()

    def walk(x: Expr | None) -> None:
        if not x:
            return
        k = x.get("k")
        if k == "var":
            out.add(x["name"])
        elif k == "bin":
            walk(x["l"])
            walk(x["r"])
        elif k in ("not", "neg", "instanceof"):
            walk(x["arg"])
        elif k == "call":
            walk(x.get("recv"))
            for a in x.get("args", ()):
                walk(a)
        elif k == "assign":
            out.add(x["name"])
            walk(x["value"])
        elif k == "havoc":
            out.update(x["names"])

    walk(e)
    return sorted(out)
