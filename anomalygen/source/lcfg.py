"""Log-oriented control-flow graphs, one per method.

Only what decides which logs a method prints is kept: log statements, calls to project methods that can log,
the branches around them, jumps, and the points where an exception can be thrown. Everything else collapses.
Loops are unrolled 0..k times with their conditions renamed per iteration, so every LCFG is a DAG whose node
ids are a topological order; counting paths is then one backward pass.

Edges carry at most one label: a branch condition with its polarity, or `exc` for the exceptional exit of a
call node (taken only by callee paths that end in an exception).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any, Callable

from tree_sitter import Node

from anomalygen.source import dataflow
from anomalygen.source.expr import Expr, atom_names, conj_or, parse_expr
from anomalygen.source.index import MethodDecl, erase
from anomalygen.source.java import text

ENTRY, EXIT, EXC_EXIT, CUT = 0, 1, 2, 3
EXIT_KINDS = {EXIT: "normal", EXC_EXIT: "exception", CUT: "cut"}

_CATCH_ALL = {"Throwable", "Exception"}
# a small part of the JDK's exception hierarchy, enough to route common `throw new X` to their catches
JDK_EXCEPTION_PARENT = {
    "Exception": "Throwable", "Error": "Throwable", "RuntimeException": "Exception", "IOException": "Exception",
    "InterruptedException": "Exception", "TimeoutException": "Exception", "ExecutionException": "Exception",
    "ClassNotFoundException": "Exception", "CloneNotSupportedException": "Exception",
    "FileNotFoundException": "IOException", "EOFException": "IOException", "InterruptedIOException": "IOException",
    "SocketException": "IOException", "SocketTimeoutException": "InterruptedIOException",
    "UnknownHostException": "IOException", "ConnectException": "SocketException",
    "IllegalArgumentException": "RuntimeException", "IllegalStateException": "RuntimeException",
    "NullPointerException": "RuntimeException", "UnsupportedOperationException": "RuntimeException",
    "IndexOutOfBoundsException": "RuntimeException", "ArrayIndexOutOfBoundsException": "IndexOutOfBoundsException",
    "NumberFormatException": "IllegalArgumentException", "ClassCastException": "RuntimeException",
    "ConcurrentModificationException": "RuntimeException", "ArithmeticException": "RuntimeException",
    "NoSuchElementException": "RuntimeException", "SecurityException": "RuntimeException",
    "AssertionError": "Error", "OutOfMemoryError": "Error", "StackOverflowError": "Error",
}


@dataclass
class Cond:
    id: str
    text: str
    expr: Expr
    line: int
    kind: str  # if | loop | foreach | switch | ternary | and | or | catch | assign | havoc
    iteration: int | None = None
    # for SSA reading: state epoch (mutating calls before it), loop-iteration scope, which atoms are locals,
    # and the declared types of atoms where known
    epoch: int = 0
    scope: str = ""
    locals: list[str] = field(default_factory=list)
    types: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text, "expr": self.expr, "line": self.line, "kind": self.kind,
                "iteration": self.iteration, "epoch": self.epoch, "scope": self.scope, "locals": self.locals,
                "types": self.types}


@dataclass
class GNode:
    id: int
    kind: str  # entry | exit | exc_exit | cut | log | call | branch | merge | catch
    line: int = 0
    stmt: str | None = None  # log statement id
    callees: tuple[str, ...] = ()
    text: str = ""


@dataclass
class Edge:
    src: int
    dst: int
    cond: str | None = None
    polarity: bool | None = None
    exc: bool = False


Label = tuple[str, bool] | str | None  # (cond id, polarity) | "exc" | None
Frontier = list[tuple[int, Label]]


@dataclass
class LCFG:
    method: str
    nodes: list[GNode] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    conds: dict[str, Cond] = field(default_factory=dict)
    loops_bounded: int = 0
    out: list[list[Edge]] = field(default_factory=list)

    def finish(self) -> "LCFG":
        """Drop duplicate edges and nodes that reach no exit; index out-edges."""
        seen = set()
        edges = []
        for e in self.edges:
            key = (e.src, e.dst, e.cond, e.polarity, e.exc)
            if key not in seen:
                seen.add(key)
                edges.append(e)
        n = len(self.nodes)
        alive = [False] * n
        for x in (EXIT, EXC_EXIT, CUT):
            alive[x] = True
        out: list[list[Edge]] = [[] for _ in range(n)]
        for e in edges:
            out[e.src].append(e)
        for v in range(n - 1, -1, -1):  # ids are a topological order (exits have no out-edges)
            if not alive[v] and any(alive[e.dst] for e in out[v]):
                alive[v] = True
        reach = [False] * n
        reach[ENTRY] = True
        for v in range(n):
            if reach[v]:
                for e in out[v]:
                    reach[e.dst] = True
        keep = [alive[v] and reach[v] for v in range(n)]
        self.edges = [e for e in edges if keep[e.src] and keep[e.dst]]
        self.out = [[] for _ in range(n)]
        for e in self.edges:
            self.out[e.src].append(e)
        return self

    def to_dict(self) -> dict[str, Any]:
        used = {e.src for e in self.edges} | {e.dst for e in self.edges} | {ENTRY}
        return {
            "method": self.method,
            "nodes": [
                {"id": g.id, "kind": g.kind, "line": g.line, **({"stmt": g.stmt} if g.stmt else {}),
                 **({"callees": list(g.callees)} if g.callees else {}), **({"text": g.text} if g.text else {})}
                for g in self.nodes if g.id in used
            ],
            "edges": [
                {"src": e.src, "dst": e.dst, **({"cond": e.cond, "polarity": e.polarity} if e.cond else {}),
                 **({"exc": True} if e.exc else {})}
                for e in self.edges
            ],
            "conds": {k: c.to_dict() for k, c in self.conds.items()},
            "loops_bounded": self.loops_bounded,
        }


@dataclass
class _Loop:
    label: str | None
    breaks: Frontier = field(default_factory=list)
    continues: Frontier = field(default_factory=list)


@dataclass
class _Breakable:  # switch or labelled block
    label: str | None
    breaks: Frontier = field(default_factory=list)


@dataclass
class _Catch:
    types: list[str]
    node: Node
    pending: Frontier = field(default_factory=list)


@dataclass
class _Try:
    catches: list[_Catch]
    finally_block: Node | None
    node: Node | None = None
    state: str = "try"  # try | catch | finally


_LOOP_TYPES = {"for_statement", "enhanced_for_statement", "while_statement", "do_statement"}


class LCFGBuilder:
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
        self.stack: list[_Loop | _Breakable | _Try] = []
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

    def _cond(self, node: Node | None, kind: str, expr: Expr | None = None, label: str | None = None,
              pos: int | None = None) -> Cond:
        self._cond_n += 1
        it = self._iteration[-1] if self._iteration else None
        cid = f"c{self._cond_n}"
        inner = _unparen(node)
        expr = expr if expr is not None else parse_expr(node)
        if pos is None:
            pos = node.start_byte if node is not None else 0
        c = Cond(cid, label if label is not None else " ".join(text(inner).split()), expr,
                 node.start_point[0] + 1 if node is not None else 0, kind, it,
                 dataflow.epoch(self._mutating, pos), ".".join(map(str, self._iteration)))
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
        c = self._cond(site.node, "assign", {"k": "assign", "name": site.name, "value": value},
                       label=" ".join(text(site.node).split())[:200], pos=site.end)
        return self._effect_node(c, frontier)

    def _havoc(self, names: list[str], frontier: Frontier, node: Node | None) -> Frontier:
        names = sorted(set(names))
        if not names or not frontier:
            return frontier
        c = self._cond(node, "havoc", {"k": "havoc", "names": names}, label="unknown: " + ", ".join(names),
                       pos=node.end_byte if node is not None else 0)
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
        if t in ("line_comment", "block_comment", "class_declaration", "interface_declaration",
                 "enum_declaration", "record_declaration", ";"):
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
        ctx = _Breakable(label)
        self.stack.append(ctx)
        try:
            frontier = self.stmt(inner, frontier)
        finally:
            self.stack.pop()
        return frontier + ctx.breaks

    def s_if_statement(self, node: Node, frontier: Frontier) -> Frontier:
        then_in, else_in = self.branch(node.child_by_field_name("condition"), frontier, "if", node.start_point[0] + 1)
        then = self.stmt(node.child_by_field_name("consequence"), then_in) if then_in else []
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

    def s_return_statement(self, node: Node, frontier: Frontier) -> Frontier:
        frontier = self.expr(node, frontier)
        self._jump(frontier, EXIT)
        return []

    def s_yield_statement(self, node: Node, frontier: Frontier) -> Frontier:
        frontier = self.expr(node, frontier)
        return self._break(frontier, None)

    def s_throw_statement(self, node: Node, frontier: Frontier) -> Frontier:
        arg = node.named_children[0] if node.named_children else None
        if arg is not None and self.relevant(arg):  # building the exception object is not itself a throw point
            frontier = self.expr(arg, frontier)
        exc_type = None
        if arg is not None and arg.type == "object_creation_expression":
            exc_type = erase(text(arg.child_by_field_name("type")))
        elif arg is not None and arg.type == "identifier":
            found, typ, _ = self.m.local_type(text(arg), arg.start_byte)
            exc_type = typ if found else None
        self._throw(frontier, exc_type, explicit=True)
        return []

    def s_break_statement(self, node: Node, frontier: Frontier) -> Frontier:
        label = text(node.named_children[0]) if node.named_children else None
        return self._break(frontier, label)

    def s_continue_statement(self, node: Node, frontier: Frontier) -> Frontier:
        label = text(node.named_children[0]) if node.named_children else None
        for i in range(len(self.stack) - 1, -1, -1):
            ctx = self.stack[i]
            if isinstance(ctx, _Loop) and (label is None or ctx.label == label):
                ctx.continues.extend(self._through_finally(frontier, i + 1))
                return []
        return []

    def _break(self, frontier: Frontier, label: str | None) -> Frontier:
        for i in range(len(self.stack) - 1, -1, -1):
            ctx = self.stack[i]
            if isinstance(ctx, (_Loop, _Breakable)) and (label is None or ctx.label == label):
                if label is None and isinstance(ctx, _Breakable) and ctx.label is not None:
                    continue  # an unlabelled break leaves the nearest loop or switch, not a labelled block
                ctx.breaks.extend(self._through_finally(frontier, i + 1))
                return []
        return []

    s_for_statement = lambda self, n, f: self.loop(n, f, None)  # noqa: E731
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
                        c = self._cond(value, "foreach", {"k": "call", "name": "hasNext", "recv": parse_expr(value),
                                                          "args": [], "text": f"{text(value)}.hasNext()"},
                                       label=f"{text(value)} has element {i}")
                        b = self._step(frontier, "branch", node.start_point[0] + 1, text=c.text)[0][0]
                        go, stop = [(b, (c.id, True))], [(b, (c.id, False))]
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
                ctx = _Loop(label)
                self.stack.append(ctx)
                try:
                    after = self.stmt(body, enter)
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
        ctx = _Breakable(None)
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

    def s_try_statement(self, node: Node, frontier: Frontier) -> Frontier:
        catches: list[_Catch] = []
        fin: Node | None = None
        body: Node | None = None
        resources: Node | None = None
        for child in node.named_children:
            if child.type == "catch_clause":
                param = next((c for c in child.named_children if c.type == "catch_formal_parameter"), None)
                ctype = next((c for c in param.named_children if c.type == "catch_type"), None) if param else None
                types = [erase(text(x)) or "" for x in ctype.named_children] if ctype is not None else ["Throwable"]
                catches.append(_Catch(types, child))
            elif child.type == "finally_clause":
                fin = next((c for c in child.named_children if c.type == "block"), None)
            elif child.type == "block":
                body = child
            elif child.type == "resource_specification":
                resources = child
        ctx = _Try(catches, fin, node)
        self.stack.append(ctx)
        try:
            if resources is not None:
                frontier = self.expr(resources, frontier)
                if self._may_throw(resources):
                    self._throw(frontier, None)
            normal = self.block(body, frontier) if body is not None else frontier
            ctx.state = "catch"
            for c in catches:
                if not c.pending:
                    continue
                entry = self._step(c.pending, "catch", c.node.start_point[0] + 1, text="|".join(c.types))
                param = next((x for x in c.node.named_children if x.type == "catch_formal_parameter"), None)
                pname = param.child_by_field_name("name") if param is not None else None
                forget = self._names_in(body) + self._names_in(resources)
                if pname is not None and text(pname) in self._tracked:
                    forget.append(text(pname))
                entry = self._havoc(forget, entry, c.node)
                block = next((x for x in c.node.named_children if x.type == "block"), None)
                normal = normal + (self.block(block, entry) if block is not None else entry)
        finally:
            self.stack.pop()
        if fin is not None and normal:
            normal = self.block(fin, self._join(normal))
        return normal

    s_try_with_resources_statement = s_try_statement

    # ---- jumps and exceptions -----------------------------------------------------------------
    def _through_finally(self, frontier: Frontier, depth: int) -> Frontier:
        """Run the finally blocks of the try statements between the top of the stack and `depth`."""
        for i in range(len(self.stack) - 1, depth - 1, -1):
            ctx = self.stack[i]
            if isinstance(ctx, _Try) and ctx.finally_block is not None and ctx.state != "finally" and frontier:
                saved, self.stack = self.stack, self.stack[:i]
                try:
                    frontier = self.block(ctx.finally_block, self._join(frontier))
                finally:
                    self.stack = saved
        return frontier

    def _jump(self, frontier: Frontier, target: int) -> None:
        self._connect(self._through_finally(frontier, 0), target)

    def _may_throw(self, node: Node) -> bool:
        if not self._has(self.call_pos, node):
            return False
        if self.exceptions == "all":
            return True
        return any(isinstance(c, _Try) and c.state == "try" and c.catches for c in self.stack)

    def _throw(self, frontier: Frontier, exc_type: str | None, explicit: bool = False) -> None:
        """Route an exception raised at `frontier` to the catches that can take it, else out of the method."""
        if not frontier:
            return
        if not explicit and self.exceptions != "all" and not any(
            isinstance(c, _Try) and c.state == "try" and c.catches for c in self.stack
        ):
            return
        # the same exception point seen again (consecutive statements that only call out) adds no new path
        # assignments between two throw points do not make a new one: the handlers forget what the try assigned
        norm = frontier
        while len(norm) == 1 and norm[0][0] in self._origin:
            norm = self._origin[norm[0][0]]
        key = (tuple(norm), tuple((id(c), getattr(c, "state", "")) for c in self.stack))
        if key in self._thrown:
            return
        self._thrown.add(key)
        frontier = self._join(frontier)
        for i in range(len(self.stack) - 1, -1, -1):
            ctx = self.stack[i]
            if not isinstance(ctx, _Try):
                continue
            if ctx.state == "try":
                for c in ctx.catches:
                    verdict = self._catches(c.types, exc_type)
                    if verdict is False:
                        continue
                    c.pending.extend(frontier)
                    if verdict is True:
                        return
            if ctx.finally_block is not None and ctx.state != "finally":
                saved, self.stack = self.stack, self.stack[:i]
                try:
                    frontier = self._havoc(self._names_in(ctx.node), frontier, ctx.node)
                    frontier = self.block(ctx.finally_block, frontier)
                finally:
                    self.stack = saved
                if not frontier:
                    return
        self._connect(frontier, EXC_EXIT)

    def _catches(self, types: list[str], exc: str | None) -> bool | None:
        """True: certainly caught; None: maybe; False: never."""
        verdicts = []
        for t in types:
            simple = t.rsplit(".", 1)[-1]
            if exc is None:
                verdicts.append(True if simple in _CATCH_ALL else None)
                continue
            sub = self.is_subtype(exc, t)
            if sub:
                verdicts.append(True)
            elif self.is_subtype(t, exc):
                verdicts.append(None)  # the thrown value may be of the narrower type
            elif sub is None:
                verdicts.append(True if simple in _CATCH_ALL else None)
            else:
                verdicts.append(False)
        if True in verdicts:
            return True
        return None if None in verdicts else False

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
    return _unparen(node).type == "true"


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
