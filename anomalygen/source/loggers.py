"""Recognising loggers and logging calls.

A variable is a logger when its declared type is a logging API's logger type (checked against the file's
imports, so a project class that happens to be called `Logger` is not mistaken for one), or when it is
initialised by a logger factory call (`getLogger`, `getLog`, ...). Only when neither can be seen, because
the logger is declared outside the analysed tree, does a conventional name (`LOG`, `logger`, ...) decide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tree_sitter import Node

from anomalygen.core.levels import ALIASES, LEVELS
from anomalygen.source.index import ClassDecl, FileIndex, MethodDecl, erase
from anomalygen.source.java import text
from anomalygen.source.project import Project

LOGGING_PACKAGES = {
    "org.slf4j": "slf4j",
    "org.apache.commons.logging": "commons",
    "org.apache.log4j": "log4j",
    "org.apache.logging.log4j": "log4j2",
    "java.util.logging": "jul",
}
LOGGER_TYPES = {"Logger", "Log", "Category", "ExtendedLogger", "XLogger", "LocationAwareLogger"}
FACTORY_METHODS = {"getLogger", "getLog", "getFormatterLogger", "getRootLogger", "getAnonymousLogger", "getInstance"}

# level methods of SLF4J / log4j 1 and 2 / commons-logging, and java.util.logging's own names
LEVEL_METHODS = {
    "trace": "TRACE",
    "debug": "DEBUG",
    "info": "INFO",
    "warn": "WARN",
    "error": "ERROR",
    "fatal": "FATAL",
    "finest": "TRACE",
    "finer": "DEBUG",
    "fine": "DEBUG",
    "config": "INFO",
    "warning": "WARN",
    "severe": "ERROR",
}
LEVEL_NAMES = {**{lv: lv for lv in LEVELS}, **ALIASES, "ALL": "TRACE", "OFF": "FATAL"}
GENERIC_METHODS = {"log", "logp"}  # level passed as the first argument
CONVENTIONAL_NAME = re.compile(r"^(?:[a-zA-Z]*_)?(?:log|LOG|Log|logger|LOGGER|Logger|logr|LOGR)$")


@dataclass(frozen=True)
class LoggerInfo:
    api: str
    name: str | None  # the category: a literal string or a class name
    how: str  # "type" | "initializer" | "name"


def _api_of_type(type_text: str, fidx: FileIndex | None, project: Project, ctx: ClassDecl) -> str | None:
    bare = erase(type_text) or ""
    if "." in bare:
        pkg, _, simple = bare.rpartition(".")
        if simple not in LOGGER_TYPES:
            return None
        return next((api for p, api in LOGGING_PACKAGES.items() if pkg.startswith(p)), None)
    if bare not in LOGGER_TYPES:
        return None
    if fidx is not None and bare in fidx.imports:
        q = fidx.imports[bare]
        return next((api for p, api in LOGGING_PACKAGES.items() if q.startswith(p + ".")), None)
    if fidx is not None:
        for w in fidx.wildcard:
            for p, api in LOGGING_PACKAGES.items():
                if w == p or w.startswith(p + "."):
                    return api
    if project.resolve_type(bare, ctx) is not None:
        return None  # a project class of that name
    return "unknown"


def _factory_call(init: Node | None) -> Node | None:
    """The getLogger/getLog call an initializer consists of, if any."""
    node = init
    while node is not None and node.type in ("cast_expression", "parenthesized_expression"):
        node = node.child_by_field_name("value") or (node.named_children[-1] if node.named_children else None)
    if node is None or node.type != "method_invocation":
        return None
    if text(node.child_by_field_name("name")) in FACTORY_METHODS:
        obj = node.child_by_field_name("object")
        if text(node.child_by_field_name("name")) == "getInstance" and "Log" not in text(obj):
            return None
        return node
    return None


def _category(call: Node, ctx: ClassDecl, project: Project) -> str | None:
    args = call.child_by_field_name("arguments")
    if args is None or not args.named_children:
        return ctx.name
    a = args.named_children[0]
    if a.type == "string_literal":
        return text(a)[1:-1]
    raw = text(a)
    m = re.match(r"^([\w.$]+)\.class\b", raw)
    if m:
        cls = project.resolve_type(m.group(1), ctx)
        return cls.name if cls is not None else m.group(1)
    if raw.startswith("getClass()"):
        return ctx.name
    return raw


def logger_of_decl(type_text: str | None, init: Node | None, ctx: ClassDecl, project: Project) -> LoggerInfo | None:
    fidx = ctx.src
    api = _api_of_type(type_text or "", fidx, project, ctx)
    by_type = api not in (None, "unknown")  # `var x = LoggerFactory.getLogger(..)` is known by its initializer
    factory = _factory_call(init)
    if api is None and factory is None:
        return None
    if api in (None, "unknown") and factory is not None:
        obj = text(factory.child_by_field_name("object"))
        guess = {"LoggerFactory": "slf4j", "LogFactory": "commons", "LogManager": "log4j2"}.get(obj.rsplit(".", 1)[-1])
        api = guess or api or "unknown"
    name = _category(factory, ctx, project) if factory is not None else None
    return LoggerInfo(api or "unknown", name, "type" if by_type else "initializer")


class LoggerResolver:
    """Decides whether a call's receiver is a logger; caches field verdicts project-wide."""

    def __init__(self, project: Project):
        self.project = project
        self._fields: dict[tuple[str, str], LoggerInfo | None] = {}

    def field_logger(self, owner: ClassDecl, name: str) -> LoggerInfo | None:
        key = (owner.name, name)
        if key not in self._fields:
            f = owner.fields.get(name)
            self._fields[key] = logger_of_decl(f.type, f.init, owner, self.project) if f else None
        return self._fields[key]

    def receiver(self, obj: Node | None, m: MethodDecl) -> LoggerInfo | None:
        if obj is None:
            return None
        t = obj.type
        if t == "identifier":
            name = text(obj)
            found, typ, init = m.local_type(name, obj.start_byte)
            if found:
                return logger_of_decl(typ, init, m.cls, self.project)
            hit = self.project.find_field(m.cls, name)
            if hit is not None:
                return self.field_logger(hit[0], name)
            if name in m.cls.src.static_imports if m.cls.src else False:
                owner = self.project.resolve_type(m.cls.src.static_imports[name], m.cls)  # type: ignore[union-attr]
                if owner is not None:
                    return self.field_logger(owner, name)
            return self._by_name(name)
        if t == "field_access":
            fname = text(obj.child_by_field_name("field"))
            inner = obj.child_by_field_name("object")
            owner = self.project.receiver_class(inner, m)
            if owner is not None:
                hit = self.project.find_field(owner, fname, outer=False)
                if hit is not None:
                    return self.field_logger(hit[0], fname)
            return self._by_name(fname)
        if t == "method_invocation":
            factory = _factory_call(obj)
            if factory is not None:
                return logger_of_decl(None, factory, m.cls, self.project)
            if text(obj.child_by_field_name("name")) in ("getLog", "getLogger", "log", "logger"):
                return LoggerInfo("unknown", None, "name")
        return None

    @staticmethod
    def _by_name(name: str) -> LoggerInfo | None:
        if CONVENTIONAL_NAME.match(name):
            return LoggerInfo("unknown", None, "name")
        return None
