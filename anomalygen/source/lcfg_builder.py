"""Building the LCFG of one method from its tree-sitter body (statements, branches, loops, switches, expressions).

The model is in `lcfg.py`; return/break/continue, exceptions and finally blocks in `lcfg_jumps.py`.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from typing import Any

from tree_sitter import Node

from anomalygen.source import dataflow
from anomalygen.source.expr import Expr, atom_names, conj_or, parse_expr
from anomalygen.source.index import MethodDecl
from anomalygen.source.java import text
from anomalygen.source.lcfg import CUT, ENTRY, EXIT, LCFG, Cond, Edge, Frontier, GNode
from anomalygen.source.lcfg_jumps import BreakFrame, JumpRouting, LoopFrame, TryFrame

_LOOP_TYPES = {"for_statement", "enhanced_for_statement", "while_statement", "do_statement"}


class LCFGBuilder(JumpRouting):
    """Builds the LCFG of one method.

    `log_stmt(call)` gives the statement id of a logging call; `callees(call)` the project methods that can log
    and that a call may reach; `is_subtype(a, b)` answers whether exception type a is a b.
    """

    def __init__(
        self,
        method: MethodDecl,
        log_stmt: Callable[[Node], str | None],
        callees: Callable[[Node], tuple[str, ...]],
        is_subtype: Callable[[str, str], bool | None],
        loop_bound: int = 2,
        exceptions: str = "all",
    ):
        self.m = method
        self.log_stmt = log_stmt
        self.callees = callees
        self.is_subtype = is_subtype
        self.k = loop_bound
        self.exceptions = exceptions  # "all": any call may throw; "try": only inside try blocks with handlers
        self.g = LCFG(method.key)
        for kind in ("entry", "exit", "exc_exit", "cut"):
            self._node(kind)
        self.stack: list[LoopFrame | BreakFrame | TryFrame] = []
        self._cond_n = 0
        self._iteration: list[int] = []
        self._thrown: set[tuple] = set()
        # byte positions of everything that makes a statement relevant
        rel: list[int] = []
        calls: list[int] = []
        self.kind_of: dict[int, str] = {}
        for c in method.calls:
            calls.append(c.start_byte)
            if log_stmt(c) is not None or callees(c):
                rel.append(c.start_byte)
        body = method.body
        if body is not None:
            for n in _jumps(body):
                rel.append(n.start_byte)
        self._rel_pos = sorted(rel)
        self.call_pos = sorted(calls)
        self._tracked = dataflow.condition_names(body)
        self._sites = dataflow.assign_sites(body, self._tracked)
        self._site_starts = [s.start for s in self._sites]
        self._mutating = dataflow.mutating_calls(method.calls, lambda c: log_stmt(c) is not None)
        self._origin: dict[int, Frontier] = {}  # assign/havoc node -> the frontier it followed

    # ---- graph helpers ------------------------------------------------------------------------
    def _node(self, kind: str, line: int = 0, **kw: Any) -> int:
        nid = len(self.g.nodes)
        self.g.nodes.append(GNode(nid, kind, line, **kw))
        return nid

    def _connect(self, frontier: Frontier, dst: int) -> None:
        for src, label in frontier:
            if isinstance(label, tuple):
                self.g.edges.append(Edge(src, dst, label[0], label[1]))
            else:
                self.g.edges.append(Edge(src, dst, exc=label == "exc"))

    def _step(self, frontier: Frontier, kind: str, line: int, **kw: Any) -> Frontier:
        if not frontier:
            return []
        nid = self._node(kind, line, **kw)
        self._connect(frontier, nid)
        return [(nid, None)]

    def _join(self, frontier: Frontier) -> Frontier:
        if len(frontier) <= 1 or all(lbl is None and src == frontier[0][0] for src, lbl in frontier):
            return frontier[:1] if frontier else []
        return self._step(frontier, "merge", 0)

    def _cond(
        self, node: Node | None, kind: str, expr: Expr | None = None, label: str | None = None, pos: int | None = None
    ) -> Cond:
        self._cond_n += 1
        it = self._iteration[-1] if self._iteration else None
        cid = f"c{self._cond_n}"
        inner = _unparen(node)
        expr = expr if expr is not None else parse_expr(node)
        if pos is None:
            pos = node.start_byte if node is not None else 0
        c = Cond(
            cid,
            label if label is not None else " ".join(text(inner).split()),
            expr,
            node.start_point[0] + 1 if node is not None else 0,
            kind,
            it,
            dataflow.epoch(self._mutating, pos),
            ".".join(map(str, self._iteration)),
        )
        self._describe_atoms(c, pos)
        self.g.conds[cid] = c
        return c

    def _describe_atoms(self, c: Cond, pos: int) -> None:
        for name in atom_names(c.expr):
            if "." in name:
                if name.startswith("this.") and name[5:] in self.m.cls.fields:
                    typ = self.m.cls.fields[name[5:]].type
                    if typ:
                        c.types[name] = typ
                continue
            found, typ, _ = self.m.local_type(name, pos)
            if found:
                c.locals.append(name)
            elif name in self.m.cls.fields:
                typ = self.m.cls.fields[name].type
            if typ:
                c.types[name] = typ

    # ---- data flow: assignments to variables that conditions read -----------------------------
    def _sites_in(self, node: Node) -> list[dataflow.AssignSite]:
        i = bisect.bisect_left(self._site_starts, node.start_byte)
        out = []
        while i < len(self._sites) and self._sites[i].start < node.end_byte:
            if self._sites[i].end <= node.end_byte:
                out.append(self._sites[i])
            i += 1
        return out

    def _effects(self, node: Node, frontier: Frontier) -> Frontier:
        """The assignments inside a statement the LCFG collapses: exact where they always run, else havoc."""
        if not frontier or not self._sites:
            return frontier
        unknown: list[str] = []
        for site in self._sites_in(node):
            if dataflow.is_conditional(site, node):
                unknown.append(site.name)
                continue
            if unknown:
                frontier = self._havoc(unknown, frontier, node)
                unknown = []
            frontier = self._assign(site, frontier)
        return self._havoc(unknown, frontier, node) if unknown else frontier

    def _assign(self, site: dataflow.AssignSite, frontier: Frontier) -> Frontier:
        var: Expr = {"k": "var", "name": site.name}
        if site.op == "=":
            value = parse_expr(site.value)
        elif site.op in ("++", "--"):
            value = {"k": "bin", "op": site.op[0], "l": var, "r": {"k": "lit", "v": 1}}
        else:
            value = {"k": "bin", "op": site.op[:-1], "l": var, "r": parse_expr(site.value)}
        c = self._cond(
            site.node,
            "assign",
            {"k": "assign", "name": site.name, "value": value},
            label=" ".join(text(site.node).split())[:200],
            pos=site.end,
        )
        return self._effect_node(c, frontier)

    def _havoc(self, names: list[str], frontier: Frontier, node: Node | None) -> Frontier:
        names = sorted(set(names))
        if not names or not frontier:
            return frontier
        c = self._cond(
            node,
            "havoc",
            {"k": "havoc", "names": names},
            label="unknown: " + ", ".join(names),
            pos=node.end_byte if node is not None else 0,
        )
        return self._effect_node(c, frontier)

    def _effect_node(self, c: Cond, frontier: Frontier) -> Frontier:
        nid = self._node(c.kind, c.line, text=c.text)
        self._connect(frontier, nid)
        self._origin[nid] = frontier
        return [(nid, (c.id, True))]

    def _names_in(self, node: Node | None) -> list[str]:
        return [s.name for s in self._sites_in(node)] if node is not None else []

    def _has(self, positions: list[int], node: Node) -> bool:
        i = bisect.bisect_left(positions, node.start_byte)
        return i < len(positions) and positions[i] < node.end_byte

    def relevant(self, node: Node | None) -> bool:
        return node is not None and self._has(self._rel_pos, node)

    # ---- entry point --------------------------------------------------------------------------
    def build(self) -> LCFG:
        frontier: Frontier = [(ENTRY, None)]
        body = self.m.body
        if body is not None:
            if body.type == "block" or body.type == "constructor_body":
                frontier = self.block(body, frontier)
            else:  # expression-bodied lambda
                frontier = self.expr(body, frontier)
        self._connect(frontier, EXIT)
        return self.g.finish()

    # ---- statements ---------------------------------------------------------------------------
    def block(self, node: Node, frontier: Frontier) -> Frontier:
        for child in node.named_children:
            if not frontier:
                break  # unreachable code after a jump
            frontier = self.stmt(child, frontier)
        return frontier

    def stmt(self, node: Node, frontier: Frontier) -> Frontier:
        t = node.type
        if t in (
            "line_comment",
            "block_comment",
            "class_declaration",
            "interface_declaration",
            "enum_declaration",
            "record_declaration",
            ";",
        ):
            return frontier
        if not self.relevant(node):
            if self._may_throw(node):
                self._throw(frontier, None)
            return self._effects(node, frontier)
        handler = getattr(self, "s_" + t, None)
        if handler is not None:
            return handler(node, frontier)
        return self.expr(node, frontier)

    def s_block(self, node: Node, frontier: Frontier) -> Frontier:
        return self.block(node, frontier)

    s_constructor_body = s_block

    def s_expression_statement(self, node: Node, frontier: Frontier) -> Frontier:
        return self.expr(node, frontier)

    def s_local_variable_declaration(self, node: Node, frontier: Frontier) -> Frontier:
        return self.expr(node, frontier)

    def s_synchronized_statement(self, node: Node, frontier: Frontier) -> Frontier:
        for child in node.named_children:
            frontier = self.stmt(child, frontier) if child.type == "block" else self.expr(child, frontier)
        return frontier

    def s_labeled_statement(self, node: Node, frontier: Frontier) -> Frontier:
        label = text(node.named_children[0])
        inner = node.named_children[-1]
        if inner.type in _LOOP_TYPES:
            return self.loop(inner, frontier, label)
        ctx = BreakFrame(label)
        self.stack.append(ctx)
        try:
            frontier = self.stmt(inner, frontier)
        finally:
            self.stack.pop()
        return frontier + ctx.breaks

    def s_if_statement(self, node: Node, frontier: Frontier) -> Frontier:
        then_in, else_in = self.branch(node.child_by_field_name("condition"), frontier, "if", node.start_point[0] + 1)
        # the Java grammar gives every if statement a consequence
        then = self.stmt(node.child_by_field_name("consequence"), then_in) if then_in else []  # type: ignore[arg-type]
        alt = node.child_by_field_name("alternative")
        other = self.stmt(alt, else_in) if alt is not None and else_in else else_in
        return then + other

    def branch(self, node: Node | None, frontier: Frontier, kind: str, line: int) -> tuple[Frontier, Frontier]:
        """Evaluate a condition: the frontiers where it is true and where it is false.

        A condition whose operands call logging code is split at its short-circuit operators so that each
        operand is evaluated only where Java evaluates it; otherwise it stays one condition, whole.
        """
        inner = _unparen(node)
        if inner is None or not frontier:
            return [], []
        if self.relevant(inner):
            if inner.type == "binary_expression":
                op = text(inner.child_by_field_name("operator"))
                if op in ("&&", "||"):
                    lt, lf = self.branch(inner.child_by_field_name("left"), frontier, kind, line)
                    if op == "&&":
                        rt, rf = self.branch(inner.child_by_field_name("right"), lt, kind, line)
                        return rt, lf + rf
                    rt, rf = self.branch(inner.child_by_field_name("right"), lf, kind, line)
                    return lt + rt, rf
            if inner.type == "unary_expression" and text(inner.child_by_field_name("operator")) == "!":
                t, f = self.branch(inner.child_by_field_name("operand"), frontier, kind, line)
                return f, t
        frontier = self.expr(inner, frontier)
        if not frontier:
            return [], []
        c = self._cond(inner, kind)
        b = self._step(frontier, "branch", line, text=c.text)[0][0]
        return [(b, (c.id, True))], [(b, (c.id, False))]

    s_for_statement = lambda self, n, f: self.loop(n, f, None)
    s_while_statement = s_for_statement
    s_do_statement = s_for_statement
    s_enhanced_for_statement = s_for_statement

    def loop(self, node: Node, frontier: Frontier, label: str | None) -> Frontier:
        t = node.type
        body = node.child_by_field_name("body")
        cond_node = node.child_by_field_name("condition")
        if t == "for_statement":
            for init in node.children_by_field_name("init"):
                frontier = self.expr(init, frontier)
        if t == "enhanced_for_statement":
            frontier = self.expr(node.child_by_field_name("value"), frontier)
        infinite = t != "enhanced_for_statement" and (cond_node is None or _is_true(cond_node))
        self.g.loops_bounded += 1
        exits: Frontier = []
        iterations = max(self.k, 1) if t == "do_statement" else self.k
        for i in range(iterations + 1):
            self._iteration.append(i)
            try:
                if t == "do_statement" and i == 0:
                    enter = frontier
                elif infinite:
                    if i == iterations:
                        self._connect(frontier, CUT)  # bound reached on a loop without exit condition
                        break
                    enter = frontier
                else:
                    if not frontier:
                        break
                    if t == "enhanced_for_statement":
                        value = node.child_by_field_name("value")
                        c = self._cond(
                            value,
                            "foreach",
                            {
                                "k": "call",
                                "name": "hasNext",
                                "recv": parse_expr(value),
                                "args": [],
                                "text": f"{text(value)}.hasNext()",
                            },
                            label=f"{text(value)} has element {i}",
                        )
                        b = self._step(frontier, "branch", node.start_point[0] + 1, text=c.text)[0][0]
                        go: Frontier = [(b, (c.id, True))]
                        stop: Frontier = [(b, (c.id, False))]
                        var = dataflow.var_name(node.child_by_field_name("name"))
                        if var in self._tracked:
                            go = self._havoc([var], go, node.child_by_field_name("name"))
                    else:
                        go, stop = self.branch(cond_node, frontier, "loop", node.start_point[0] + 1)
                    exits.extend(stop)
                    if not go:
                        break
                    if i == iterations:  # one more iteration would pass the bound: the path is cut, and counted
                        self._connect(go, CUT)
                        break
                    enter = go
                ctx = LoopFrame(label)
                self.stack.append(ctx)
                try:
                    after = self.stmt(body, enter)  # type: ignore[arg-type]  # every loop statement has a body
                finally:
                    self.stack.pop()
                frontier = after + ctx.continues
                exits.extend(ctx.breaks)
                if t == "for_statement":
                    for upd in node.children_by_field_name("update"):
                        frontier = self.expr(upd, frontier)
                if not frontier:
                    break
            finally:
                self._iteration.pop()
        return exits

    def s_switch_expression(self, node: Node, frontier: Frontier) -> Frontier:
        sel = node.child_by_field_name("condition")
        frontier = self.expr(sel, frontier)
        body = node.child_by_field_name("body")
        if not frontier or body is None:
            return frontier
        sel_expr = parse_expr(sel)
        sel_text = text(sel).strip("() ")
        groups = [g for g in body.named_children if g.type in ("switch_block_statement_group", "switch_rule")]
        b = self._step(frontier, "branch", node.start_point[0] + 1, text=f"switch {sel_text}")[0][0]
        ctx = BreakFrame(None)
        self.stack.append(ctx)
        all_cases: list[Expr] = []
        default_group: Node | None = None
        entries: list[tuple[Node, Frontier]] = []
        for g in groups:
            labels = [c for c in g.named_children if c.type == "switch_label"]
            cases: list[Expr] = []
            is_default = False
            for lab in labels:
                vals = lab.named_children
                if not vals:
                    is_default = True
                for v in vals:
                    cases.append({"k": "bin", "op": "==", "l": sel_expr, "r": parse_expr(v)})
            all_cases.extend(cases)
            if is_default:
                default_group = g
            entries.append((g, []))
            if cases:
                label_text = " || ".join(f"{sel_text} == {text(v)}" for lab in labels for v in lab.named_children)
                c = self._cond(labels[0], "switch", conj_or(cases), label=label_text)
                entries[-1] = (g, [(b, (c.id, True))])
        try:
            c_def = self._cond(sel, "switch", conj_or(all_cases), label=f"{sel_text} matches a case")
            default_edge: Frontier = [(b, (c_def.id, False))]
            fall: Frontier = []
            for g, enter in entries:
                if g is default_group:
                    enter = enter + default_edge
                stmts = [s for s in g.named_children if s.type != "switch_label"]
                cur = enter + (fall if g.type == "switch_block_statement_group" else [])
                for s in stmts:
                    if not cur:
                        break
                    cur = self.stmt(s, cur) if s.type != "expression" else self.expr(s, cur)
                if g.type == "switch_rule":
                    ctx.breaks.extend(cur)
                    fall = []
                else:
                    fall = cur
        finally:
            self.stack.pop()
        out = ctx.breaks + fall
        if default_group is None:
            out += default_edge
        return out

    s_switch_statement = s_switch_expression

    # ---- expressions --------------------------------------------------------------------------
    def expr(self, node: Node | None, frontier: Frontier) -> Frontier:
        """Evaluate an expression for its log-relevant calls, in Java's evaluation order."""
        if node is None or not frontier:
            return frontier
        if not self.relevant(node):
            if self._may_throw(node):
                self._throw(frontier, None)
            return self._effects(node, frontier)
        t = node.type
        if t in ("lambda_expression", "class_body"):
            return frontier  # their own methods
        if t == "switch_expression":
            return self.s_switch_expression(node, frontier)
        if t == "ternary_expression":
            yes, no = self.branch(node.child_by_field_name("condition"), frontier, "ternary", node.start_point[0] + 1)
            return self.expr(node.child_by_field_name("consequence"), yes) + self.expr(
                node.child_by_field_name("alternative"), no
            )
        if t == "binary_expression" and text(node.child_by_field_name("operator")) in ("&&", "||"):
            op = text(node.child_by_field_name("operator"))
            left = node.child_by_field_name("left")
            right = node.child_by_field_name("right")
            frontier = self.expr(left, frontier)
            if not self.relevant(right) or not frontier:
                return frontier
            c = self._cond(left, "and" if op == "&&" else "or")
            b = self._step(frontier, "branch", node.start_point[0] + 1, text=c.text)[0][0]
            eval_right = op == "&&"
            return self.expr(right, [(b, (c.id, eval_right))]) + [(b, (c.id, not eval_right))]
        if t in ("method_invocation", "object_creation_expression", "explicit_constructor_invocation"):
            if self.log_stmt(node) is not None:
                # arguments of a log call are getters and toString()s: treating each as a throw point would
                # add an exception path per log statement that real systems almost never take
                return self._step(frontier, "log", node.start_point[0] + 1, stmt=self.log_stmt(node))
            for child in node.named_children:
                if child.type != "class_body":
                    frontier = self.expr(child, frontier)
            return self._call(node, frontier)
        for child in node.named_children:
            frontier = self.expr(child, frontier)
        if t in ("assignment_expression", "update_expression", "variable_declarator"):
            site = next((x for x in self._sites_in(node) if x.node.id == node.id), None)
            if site is not None and frontier:
                frontier = self._assign(site, frontier)
        return frontier

    def _call(self, node: Node, frontier: Frontier) -> Frontier:
        line = node.start_point[0] + 1
        sid = self.log_stmt(node)
        if sid is not None:
            return self._step(frontier, "log", line, stmt=sid)
        targets = self.callees(node)
        if not targets:
            return frontier
        nid = self._node("call", line, callees=targets, text=_short(node))
        self._connect(frontier, nid)
        self._throw([(nid, "exc")], None)
        return [(nid, None)]


def _short(node: Node) -> str:
    name = node.child_by_field_name("name")
    if name is not None:
        obj = node.child_by_field_name("object")
        return (text(obj) + "." if obj is not None else "") + text(name) + "()"
    return text(node).split("(")[0] + "()"


def _unparen(node: Node | None) -> Node | None:
    while node is not None and node.type in ("parenthesized_expression", "condition") and node.named_children:
        node = node.named_children[0]
    return node


def _is_true(node: Node) -> bool:
    inner = _unparen(node)  # not None: unwrapping a node leaves a node
    return inner is not None and inner.type == "true"


def _jumps(body: Node) -> list[Node]:
    """return/throw/break/continue/yield statements of a body, not descending into nested methods."""
    out: list[Node] = []
    stack = [body]
    while stack:
        n = stack.pop()
        t = n.type
        if t in ("return_statement", "throw_statement", "break_statement", "continue_statement", "yield_statement"):
            out.append(n)
            continue
        if t in ("lambda_expression", "class_body", "class_declaration") or n.child_count == 0:
            continue
        if t.endswith("expression") and t != "switch_expression":
            continue  # jumps live in statements; expressions hold none except switch expressions
        stack.extend(n.named_children)
    return out
