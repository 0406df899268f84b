"""The log statement inventory: every logging call of a Java tree as a LogStatement record."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from tree_sitter import Node

from anomalygen.atomic import atomic_open
from anomalygen.core.statements import LogArg, LogStatement, Slot
from anomalygen.jsonl import Skipped, note_or_raise, read_jsonl, require_some
from anomalygen.source.diagnostics import Diagnostic
from anomalygen.source.index import MethodDecl
from anomalygen.source.java import text
from anomalygen.source.loggers import GENERIC_METHODS, LEVEL_METHODS, LEVEL_NAMES, LoggerInfo, LoggerResolver
from anomalygen.source.project import Project
from anomalygen.source.templates import Folder, Part, render, substitute_messageformat, substitute_slf4j

_LOOPS = {"for_statement", "enhanced_for_statement", "while_statement", "do_statement"}
_METHOD_LIKE = {
    "method_declaration",
    "constructor_declaration",
    "compact_constructor_declaration",
    "lambda_expression",
    "static_initializer",
    "class_body",
}


def statement_id(rel: str, cls: str, method: str, ordinal: int) -> str:
    digest = hashlib.sha1(f"{rel}|{cls}|{method}|{ordinal}".encode()).hexdigest()
    return "L" + digest[:12]


@dataclass
class Inventory:
    root: str
    statements: list[LogStatement] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: int = 0
    by_call: dict[int, LogStatement] = field(default_factory=dict)  # call node id -> statement

    def write_jsonl(self, path: Path) -> None:
        with atomic_open(path, "w") as fh:
            for s in self.statements:
                fh.write(json.dumps(s.to_dict(), ensure_ascii=False) + "\n")


def read_inventory(path: Path, skipped: Skipped | None = None) -> list[LogStatement]:
    """Load statements written by `anomalygen inventory`; a bad line is named by its number and raises, or with
    `skipped` is counted there and left out."""
    from anomalygen.core.errors import InputError

    out: list[LogStatement] = []
    for n, doc in read_jsonl(path, InputError, skipped):
        try:
            out.append(LogStatement.from_dict(doc))
        except (ValueError, TypeError, KeyError, AttributeError) as err:
            note_or_raise(skipped, InputError(f"{path}:{n}: not a statement record ({err!r})"))
    require_some(len(out), skipped, path, InputError)
    return out


class InventoryBuilder:
    def __init__(self, project: Project):
        self.project = project
        self.loggers = LoggerResolver(project)
        self.folder = Folder(project)

    def logging_call(self, call: Node, m: MethodDecl) -> tuple[str, str, LoggerInfo] | None:
        """(level, method name, logger) when `call` is a call of a logging method on a logger."""
        if call.type != "method_invocation":
            return None
        name = text(call.child_by_field_name("name"))
        if name not in LEVEL_METHODS and name not in GENERIC_METHODS:
            return None
        logger = self.loggers.receiver(call.child_by_field_name("object"), m)
        if logger is None:
            return None
        if name in GENERIC_METHODS:
            args = call.child_by_field_name("arguments")
            first = args.named_children[0] if args is not None and args.named_children else None
            level = LEVEL_NAMES.get(text(first).rsplit(".", 1)[-1].upper()) if first is not None else None
            if level is None:
                if logger.how == "name":
                    return None
                level = "INFO"  # a level only known at run time
            return level, name, logger
        return LEVEL_METHODS[name], name, logger

    def build(self, m: MethodDecl, call: Node, level: str, name: str, logger: LoggerInfo, ordinal: int) -> LogStatement:
        args_node = call.child_by_field_name("arguments")
        args = list(args_node.named_children) if args_node is not None else []
        records: list[LogArg] = []
        if name in GENERIC_METHODS and args:
            records.append(LogArg(text(args[0]), None, "level"))
            args = args[1:]
            if name == "logp":  # logp(level, sourceClass, sourceMethod, msg, ...)
                records.extend(LogArg(text(a), "String", "param") for a in args[:2])
                args = args[2:]
        if args and logger.api in ("slf4j", "log4j2", "unknown") and self._is_marker(args[0], m):
            records.append(LogArg(text(args[0]), "Marker", "marker"))
            args = args[1:]
        parts: list[Part] = []
        throwable: str | None = None
        if args:
            msg, rest = args[0], args[1:]
            parts = self.folder.fold(msg, m)
            records.append(LogArg(text(msg), self.project.expr_type(msg, m), "message"))
            rest = _expand_object_array(rest)
            used = 0
            if rest and logger.api in ("slf4j", "log4j2", "unknown"):
                parts, used = substitute_slf4j(parts, rest, self.folder, m)
            elif rest and logger.api == "jul" and not self._throwable(rest[-1], m):
                parts = substitute_messageformat(parts, rest, self.folder, m, jul=True)
                used = len(rest)
            for i, a in enumerate(rest):
                typ = self.project.expr_type(a, m)
                if i >= used and i == len(rest) - 1 and self._throwable(a, m):
                    throwable = text(a)
                    records.append(LogArg(text(a), typ, "throwable"))
                else:
                    records.append(LogArg(text(a), typ, "param"))
        template, regex, slots = render(parts)
        guard, in_catch, in_loop = self._context(call)
        cls = m.cls
        return LogStatement(
            id=statement_id(cls.file, cls.name, m.signature, ordinal),
            file=cls.file,
            line=call.start_point[0] + 1,
            class_name=cls.name,
            method=m.signature,
            level=level,
            call=name,
            api=logger.api,
            logger=text(call.child_by_field_name("object")),
            logger_name=logger.name,
            recognised_by=logger.how,
            template=template,
            regex=regex,
            args=records,
            slots=[Slot(s.expr, s.type) for s in slots],
            throwable=throwable,
            guard=guard,
            in_catch=in_catch,
            in_loop=in_loop,
            ordinal=ordinal,
        )

    def _is_marker(self, node: Node, m: MethodDecl) -> bool:
        typ = self.project.expr_type(node, m)
        return bool(typ and typ.rsplit(".", 1)[-1] == "Marker")

    def _throwable(self, node: Node, m: MethodDecl) -> bool:
        if node.type == "object_creation_expression":
            return self.project.is_throwable(text(node.child_by_field_name("type")), m.cls)
        typ = self.project.expr_type(node, m)
        if typ is not None:
            return self.project.is_throwable(typ, m.cls)
        if node.type == "identifier":  # declared outside the tree: judge by the conventional names
            return text(node) in {"e", "ex", "t", "th", "exc", "err", "ioe", "ie", "cause", "throwable", "exception"}
        return False

    @staticmethod
    def _context(call: Node) -> tuple[str | None, str | None, bool]:
        guard: str | None = None
        in_catch: str | None = None
        in_loop = False
        child = call
        node = call.parent
        while node is not None and node.type not in _METHOD_LIKE:
            t = node.type
            if t == "if_statement" and guard is None and child == node.child_by_field_name("consequence"):
                cond = text(node.child_by_field_name("condition")).strip()
                if "Enabled" in cond or "isLoggable" in cond:
                    guard = cond[1:-1].strip() if cond.startswith("(") and cond.endswith(")") else cond
            elif t == "catch_clause" and in_catch is None:
                param = next((c for c in node.named_children if c.type == "catch_formal_parameter"), None)
                types = next((c for c in param.named_children if c.type == "catch_type"), None) if param else None
                in_catch = text(types) if types is not None else "Throwable"
            elif t in _LOOPS and child != node.child_by_field_name("init"):
                in_loop = True
            child = node
            node = node.parent
        return guard, in_catch, in_loop


def _expand_object_array(args: list[Node]) -> list[Node]:
    """`new Object[] {a, b}` as the only parameter spreads into its elements (pre-varargs SLF4J)."""
    if len(args) == 1 and args[0].type == "array_creation_expression":
        init = args[0].child_by_field_name("value")
        if init is not None:
            return list(init.named_children)
    return args


def build_inventory(root: Path | str, project: Project | None = None) -> tuple[Inventory, Project]:
    project = project or Project.load(Path(root))
    inv = Inventory(root=str(root), diagnostics=list(project.diagnostics), files=len(project.files))
    builder = InventoryBuilder(project)
    for fidx in project.files:
        for m in fidx.methods:
            ordinal = 0
            for call in m.calls:
                try:
                    hit = builder.logging_call(call, m)
                    if hit is None:
                        continue
                    stmt = builder.build(m, call, *hit, ordinal=ordinal)
                except Exception as err:  # keep the rest of the tree when one call defeats us
                    inv.diagnostics.append(
                        Diagnostic(
                            fidx.source.rel, call.start_point[0] + 1, "internal", f"logging call skipped: {err!r}"
                        )
                    )
                    continue
                ordinal += 1
                inv.statements.append(stmt)
                inv.by_call[call.id] = stmt
    inv.statements.sort(key=lambda s: (s.file, s.line, s.ordinal))
    return inv, project
