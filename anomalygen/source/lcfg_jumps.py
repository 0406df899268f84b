"""Jumps while an LCFG is built: return, break, continue, yield, `throw`, and try/catch/finally.

A jump runs the finally blocks it leaves. An exception raised at a point goes to every catch of the enclosing try
statements that may take it (by the project's class hierarchy and a small part of the JDK's), through the finally
blocks it leaves, and otherwise out of the method (`EXC_EXIT`). `JumpRouting` is the part of `LCFGBuilder` that
does this; it uses the builder's graph helpers (`_step`, `_join`, `_connect`, `_havoc`, `block`, `expr`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from tree_sitter import Node

from anomalygen.source.index import erase
from anomalygen.source.java import text
from anomalygen.source.lcfg import EXC_EXIT, EXIT, Frontier

_CATCH_ALL = {"Throwable", "Exception"}
# a small part of the JDK's exception hierarchy, enough to route common `throw new X` to their catches
JDK_EXCEPTION_PARENT = {
    "Exception": "Throwable",
    "Error": "Throwable",
    "RuntimeException": "Exception",
    "IOException": "Exception",
    "InterruptedException": "Exception",
    "TimeoutException": "Exception",
    "ExecutionException": "Exception",
    "ClassNotFoundException": "Exception",
    "CloneNotSupportedException": "Exception",
    "FileNotFoundException": "IOException",
    "EOFException": "IOException",
    "InterruptedIOException": "IOException",
    "SocketException": "IOException",
    "SocketTimeoutException": "InterruptedIOException",
    "UnknownHostException": "IOException",
    "ConnectException": "SocketException",
    "IllegalArgumentException": "RuntimeException",
    "IllegalStateException": "RuntimeException",
    "NullPointerException": "RuntimeException",
    "UnsupportedOperationException": "RuntimeException",
    "IndexOutOfBoundsException": "RuntimeException",
    "ArrayIndexOutOfBoundsException": "IndexOutOfBoundsException",
    "NumberFormatException": "IllegalArgumentException",
    "ClassCastException": "RuntimeException",
    "ConcurrentModificationException": "RuntimeException",
    "ArithmeticException": "RuntimeException",
    "NoSuchElementException": "RuntimeException",
    "SecurityException": "RuntimeException",
    "AssertionError": "Error",
    "OutOfMemoryError": "Error",
    "StackOverflowError": "Error",
}

# a number for each frame, unique for the process's life: `id()` is reused once a frame is freed, and an exception
# point keyed by a freed frame's id made a later frame's point look already routed (paths lost, run to run)
_frame_number = itertools.count().__next__


@dataclass
class LoopFrame:
    label: str | None
    breaks: Frontier = field(default_factory=list)
    continues: Frontier = field(default_factory=list)
    number: int = field(default_factory=_frame_number, compare=False, repr=False)


@dataclass
class BreakFrame:  # switch or labelled block
    label: str | None
    breaks: Frontier = field(default_factory=list)
    number: int = field(default_factory=_frame_number, compare=False, repr=False)


@dataclass
class CatchFrame:
    types: list[str]
    node: Node
    pending: Frontier = field(default_factory=list)


@dataclass
class TryFrame:
    catches: list[CatchFrame]
    finally_block: Node | None
    node: Node | None = None
    state: str = "try"  # try | catch | finally
    number: int = field(default_factory=_frame_number, compare=False, repr=False)


class JumpRouting:
    """The jumps of `LCFGBuilder` (see the module docstring)."""

    stack: list[LoopFrame | BreakFrame | TryFrame]  # the builder's, declared here for the type checker

    def s_return_statement(self, node: Node, frontier: Frontier) -> Frontier:
        frontier = self.expr(node, frontier)
        self._jump(frontier, EXIT)
        return []

    def s_yield_statement(self, node: Node, frontier: Frontier) -> Frontier:
        frontier = self.expr(node, frontier)
        return self._break(frontier, None)

    def s_break_statement(self, node: Node, frontier: Frontier) -> Frontier:
        label = text(node.named_children[0]) if node.named_children else None
        return self._break(frontier, label)

    def s_continue_statement(self, node: Node, frontier: Frontier) -> Frontier:
        label = text(node.named_children[0]) if node.named_children else None
        for i in range(len(self.stack) - 1, -1, -1):
            ctx = self.stack[i]
            if isinstance(ctx, LoopFrame) and (label is None or ctx.label == label):
                ctx.continues.extend(self._through_finally(frontier, i + 1))
                return []
        return []

    def _break(self, frontier: Frontier, label: str | None) -> Frontier:
        for i in range(len(self.stack) - 1, -1, -1):
            ctx = self.stack[i]
            if isinstance(ctx, (LoopFrame, BreakFrame)) and (label is None or ctx.label == label):
                if label is None and isinstance(ctx, BreakFrame) and ctx.label is not None:
                    continue  # an unlabelled break leaves the nearest loop or switch, not a labelled block
                ctx.breaks.extend(self._through_finally(frontier, i + 1))
                return []
        return []

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

    def s_try_statement(self, node: Node, frontier: Frontier) -> Frontier:
        catches: list[CatchFrame] = []
        fin: Node | None = None
        body: Node | None = None
        resources: Node | None = None
        for child in node.named_children:
            if child.type == "catch_clause":
                param = next((c for c in child.named_children if c.type == "catch_formal_parameter"), None)
                ctype = next((c for c in param.named_children if c.type == "catch_type"), None) if param else None
                types = [erase(text(x)) or "" for x in ctype.named_children] if ctype is not None else ["Throwable"]
                catches.append(CatchFrame(types, child))
            elif child.type == "finally_clause":
                fin = next((c for c in child.named_children if c.type == "block"), None)
            elif child.type == "block":
                body = child
            elif child.type == "resource_specification":
                resources = child
        ctx = TryFrame(catches, fin, node)
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
            if isinstance(ctx, TryFrame) and ctx.finally_block is not None and ctx.state != "finally" and frontier:
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
        return any(isinstance(c, TryFrame) and c.state == "try" and c.catches for c in self.stack)

    def _throw(self, frontier: Frontier, exc_type: str | None, explicit: bool = False) -> None:
        """Route an exception raised at `frontier` to the catches that can take it, else out of the method."""
        if not frontier:
            return
        if (
            not explicit
            and self.exceptions != "all"
            and not any(isinstance(c, TryFrame) and c.state == "try" and c.catches for c in self.stack)
        ):
            return
        # the same exception point seen again (consecutive statements that only call out) adds no new path
        # assignments between two throw points do not make a new one: the handlers forget what the try assigned
        norm = frontier
        while len(norm) == 1 and norm[0][0] in self._origin:
            norm = self._origin[norm[0][0]]
        key = (tuple(norm), tuple((c.number, getattr(c, "state", "")) for c in self.stack))
        if key in self._thrown:
            return
        self._thrown.add(key)
        frontier = self._join(frontier)
        for i in range(len(self.stack) - 1, -1, -1):
            ctx = self.stack[i]
            if not isinstance(ctx, TryFrame):
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
