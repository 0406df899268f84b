"""The whole analysed tree: name resolution, class hierarchy and static expression types."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from tree_sitter import Node

from anomalygen.source.diagnostics import Diagnostic
from anomalygen.source.index import ClassDecl, FieldDecl, FileIndex, MethodDecl, erase, index_file
from anomalygen.source.java import find_java_files, load_source, new_parser, text

_PRIMITIVES = {"int", "long", "short", "byte", "char", "boolean", "float", "double", "void"}
_KNOWN_RETURNS = {
    "toString": "String",
    "getName": "String",
    "getMessage": "String",
    "getLocalizedMessage": "String",
    "getPath": "String",
    "getAbsolutePath": "String",
    "substring": "String",
    "trim": "String",
    "toLowerCase": "String",
    "toUpperCase": "String",
    "format": "String",
    "valueOf": "String",
    "stringifyException": "String",
    "getHostName": "String",
    "getHostAddress": "String",
    "size": "int",
    "length": "int",
    "indexOf": "int",
    "hashCode": "int",
    "isEmpty": "boolean",
    "equals": "boolean",
    "contains": "boolean",
    "containsKey": "boolean",
    "currentTimeMillis": "long",
    "nanoTime": "long",
    "getCause": "Throwable",
    # JDK / common-library methods that project code cannot declare away (asked only when no project method
    # of that name and arity is visible)
    "toHexString": "String",
    "toOctalString": "String",
    "toBinaryString": "String",
    "hexDump": "String",
    "getSimpleName": "String",
    "getCanonicalName": "String",
    "getKey": None,
    "remaining": "int",
    "readableBytes": "int",
    "getRemoteSocketAddress": "SocketAddress",
    "getLocalSocketAddress": "SocketAddress",
    "getInetAddress": "InetAddress",
    "getPort": "int",
    "getLocalPort": "int",
    "isValid": "boolean",
    "readyOps": "int",
    "interestOps": "int",
    "availableProcessors": "int",
    "activeCount": "int",
    "freeMemory": "long",
    "totalMemory": "long",
    "maxMemory": "long",
    "lastModified": "long",
}
_THROWABLE_ROOTS = {"Throwable", "Exception", "Error", "RuntimeException"}


@dataclass
class Project:
    root: Path
    files: list[FileIndex] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    classes: dict[str, ClassDecl] = field(default_factory=dict)
    by_simple: dict[str, list[ClassDecl]] = field(default_factory=lambda: defaultdict(list))
    methods: dict[str, MethodDecl] = field(default_factory=dict)
    _type_cache: dict[tuple[str, str, bool], ClassDecl | None] = field(default_factory=dict)
    _subclasses: dict[str, list[ClassDecl]] | None = None

    # ---- construction -------------------------------------------------------------------------
    @classmethod
    def load(cls, root: Path | str) -> Project:
        root = Path(root)
        proj = cls(root=root)
        paths, problems = find_java_files(root)
        proj.diagnostics.extend(problems)
        parser = new_parser()
        for path in paths:
            src = load_source(path, root, parser)
            if isinstance(src, Diagnostic):
                proj.diagnostics.append(src)
                continue
            proj.diagnostics.extend(src.diagnostics)
            try:
                proj.add(index_file(src))
            except Exception as err:  # a defect in our indexer must not lose the other files
                proj.diagnostics.append(Diagnostic(src.rel, 0, "internal", f"indexing failed: {err!r}"))
        return proj

    def add(self, fidx: FileIndex) -> None:
        self.files.append(fidx)
        for c in fidx.classes:
            self.classes.setdefault(c.name, c)
            self.by_simple[c.simple].append(c)
        for m in fidx.methods:
            self.methods.setdefault(m.key, m)

    # ---- types --------------------------------------------------------------------------------
    def resolve_type(self, type_text: str | None, ctx: ClassDecl) -> ClassDecl | None:
        """The project class a type name denotes in the context of `ctx`, or None (primitive/external)."""
        return self._resolve(type_text, ctx, header=False)

    def _resolve(self, type_text: str | None, ctx: ClassDecl, header: bool) -> ClassDecl | None:
        """`resolve_type`; with `header`, for a name in ctx's own extends/implements clause, where ctx's members
        and the members of its supertypes are not in scope (consulting the supertypes would recurse)."""
        if not type_text:
            return None
        t = erase(type_text) or ""
        t = t.rstrip("[]").removeprefix("final")
        if not t or t in _PRIMITIVES:
            return None
        key = (t, ctx.name, header)
        if key in self._type_cache:
            return self._type_cache[key]
        self._type_cache[key] = None  # cut cycles
        found = self._resolve_qualified(t, ctx, header) if "." in t else self._resolve_simple(t, ctx, header)
        self._type_cache[key] = found
        return found

    def _resolve_qualified(self, t: str, ctx: ClassDecl, header: bool) -> ClassDecl | None:
        if t in self.classes:
            return self.classes[t]
        head, _, rest = t.partition(".")
        base = self._resolve(head, ctx, header)
        if base is not None:
            return self.classes.get(base.name + "$" + rest.replace(".", "$"))
        # a qualified name of a nested class: pkg.Outer.Inner
        parts = t.split(".")
        for i in range(len(parts) - 1, 0, -1):
            cand = ".".join(parts[:i]) + "$" + "$".join(parts[i:])
            if cand in self.classes:
                return self.classes[cand]
        return None

    def _resolve_simple(self, t: str, ctx: ClassDecl, header: bool) -> ClassDecl | None:
        c: ClassDecl | None = ctx.outer if header else ctx
        while c is not None:  # member types of the enclosing classes and of their supertypes
            if c.simple == t and c.kind != "anonymous":
                return c
            nested = self.classes.get(f"{c.name}${t}")
            if nested is not None:
                return nested
            for sup in () if header else self._direct_supers(c):
                nested = self.classes.get(f"{sup.name}${t}")
                if nested is not None:
                    return nested
            c = c.outer
        fidx = ctx.src
        if fidx is not None:
            if t in fidx.imports:
                return self.classes.get(fidx.imports[t])
            pkg = f"{fidx.package}.{t}" if fidx.package else t
            if pkg in self.classes:
                return self.classes[pkg]
            for w in fidx.wildcard:
                cand = self.classes.get(f"{w}.{t}") or self.classes.get(f"{w}${t}")
                if cand is not None:
                    return cand
        cands = [k for k in self.by_simple.get(t, []) if k.outer is None]
        if len(cands) == 1:
            return cands[0]
        return None

    def _direct_supers(self, c: ClassDecl) -> list[ClassDecl]:
        out: list[ClassDecl] = []
        for name in ([c.superclass] if c.superclass else []) + c.interfaces:
            s = self._resolve(name, c, header=True)
            if s is not None and s is not c:
                out.append(s)
        return out

    def supertypes(self, c: ClassDecl) -> list[ClassDecl]:
        """All project supertypes, nearest first (no duplicates, cycles cut)."""
        seen = {c.name}
        order: list[ClassDecl] = []
        frontier = [c]
        while frontier:
            nxt = []
            for k in frontier:
                for s in self._direct_supers(k):
                    if s.name not in seen:
                        seen.add(s.name)
                        order.append(s)
                        nxt.append(s)
            frontier = nxt
        return order

    def subclasses(self, c: ClassDecl) -> list[ClassDecl]:
        """All project classes that extend or implement `c`, transitively."""
        if self._subclasses is None:
            sub: dict[str, list[ClassDecl]] = defaultdict(list)
            for k in self.classes.values():
                for s in self._direct_supers(k):
                    sub[s.name].append(k)
            self._subclasses = sub
        out: list[ClassDecl] = []
        seen = {c.name}
        stack = [c]
        while stack:
            k = stack.pop()
            for s in self._subclasses.get(k.name, []):
                if s.name not in seen:
                    seen.add(s.name)
                    out.append(s)
                    stack.append(s)
        return out

    def external_super_names(self, c: ClassDecl) -> set[str]:
        """Simple names of the non-project types that `c` or its project supertypes extend/implement."""
        names: set[str] = set()
        for k in [c, *self.supertypes(c)]:
            for n in ([k.superclass] if k.superclass else []) + k.interfaces:
                if n and self._resolve(n, k, header=True) is None:
                    names.add((erase(n) or "").rsplit(".", 1)[-1])
        return names

    def is_throwable(self, type_text: str | None, ctx: ClassDecl) -> bool:
        if not type_text:
            return False
        simple = (erase(type_text) or "").rsplit(".", 1)[-1]
        if simple in _THROWABLE_ROOTS or simple.endswith(("Exception", "Error", "Throwable")):
            return True
        c = self.resolve_type(type_text, ctx)
        if c is None:
            return False
        return any(n in _THROWABLE_ROOTS or n.endswith(("Exception", "Error")) for n in self.external_super_names(c))

    # ---- members ------------------------------------------------------------------------------
    def find_field(self, c: ClassDecl, name: str, outer: bool = True) -> tuple[ClassDecl, FieldDecl] | None:
        k: ClassDecl | None = c
        while k is not None:
            for owner in [k, *self.supertypes(k)]:
                f = owner.fields.get(name)
                if f is not None:
                    return owner, f
            if not outer:
                return None
            k = k.outer
        return None

    def find_methods(self, c: ClassDecl, name: str, arity: int) -> list[MethodDecl]:
        """Declarations of name/arity visible in `c`: its own or the nearest supertype's."""
        for owner in [c, *self.supertypes(c)]:
            ms = [m for m in owner.methods if m.name == name and _arity_ok(m, arity)]
            if ms:
                return ms
        return []

    # ---- expressions --------------------------------------------------------------------------
    def expr_type(self, node: Node | None, m: MethodDecl, depth: int = 0) -> str | None:
        """Static type of an expression as written in the source (erased), when it can be told."""
        if node is None or depth > 8:
            return None
        t = node.type
        if t == "string_literal" or t == "text_block":
            return "String"
        if t == "character_literal":
            return "char"
        if t in ("decimal_integer_literal", "hex_integer_literal", "octal_integer_literal", "binary_integer_literal"):
            return "long" if text(node).lower().endswith("l") else "int"
        if t in ("decimal_floating_point_literal", "hex_floating_point_literal"):
            return "float" if text(node).lower().endswith("f") else "double"
        if t in ("true", "false"):
            return "boolean"
        if t == "null_literal":
            return None
        if t == "this":
            return m.cls.name
        if t == "parenthesized_expression":
            return self.expr_type(node.named_children[0] if node.named_children else None, m, depth + 1)
        if t == "identifier":
            found, typ, _ = m.local_type(text(node), node.start_byte)
            if found:
                return typ or None
            hit = self.find_field(m.cls, text(node))
            return hit[1].type if hit else None
        if t == "field_access":
            obj = node.child_by_field_name("object")
            fname = text(node.child_by_field_name("field"))
            owner = self.receiver_class(obj, m, depth + 1)
            if owner is not None:
                hit = self.find_field(owner, fname, outer=False)
                return hit[1].type if hit else None
            if fname == "length":
                return "int"
            return None
        if t == "method_invocation":
            name = text(node.child_by_field_name("name"))
            targets = self.call_targets(node, m, depth + 1)
            if targets:
                return targets[0].ret
            return _KNOWN_RETURNS.get(name)
        if t == "object_creation_expression":
            return erase(text(node.child_by_field_name("type")))
        if t == "array_creation_expression":
            return (erase(text(node.child_by_field_name("type"))) or "") + "[]"
        if t == "cast_expression":
            return erase(text(node.child_by_field_name("type")))
        if t == "array_access":
            arr = self.expr_type(node.child_by_field_name("array"), m, depth + 1)
            return arr[:-2] if arr and arr.endswith("[]") else None
        if t == "ternary_expression":
            return self.expr_type(node.child_by_field_name("consequence"), m, depth + 1) or self.expr_type(
                node.child_by_field_name("alternative"), m, depth + 1
            )
        if t == "binary_expression":
            op = text(node.child_by_field_name("operator"))
            if op in ("==", "!=", "<", ">", "<=", ">=", "&&", "||", "instanceof"):
                return "boolean"
            lt = self.expr_type(node.child_by_field_name("left"), m, depth + 1)
            rt = self.expr_type(node.child_by_field_name("right"), m, depth + 1)
            if op == "+" and "String" in (lt, rt):
                return "String"
            return _numeric_promotion(lt, rt)
        if t == "unary_expression":
            op = text(node.child_by_field_name("operator"))
            return "boolean" if op == "!" else self.expr_type(node.child_by_field_name("operand"), m, depth + 1)
        if t in ("update_expression", "assignment_expression"):
            kids = node.named_children
            return self.expr_type(kids[0] if kids else None, m, depth + 1)
        if t == "instanceof_expression":
            return "boolean"
        return None

    def receiver_class(self, obj: Node | None, m: MethodDecl, depth: int = 0) -> ClassDecl | None:
        """The project class of a receiver expression; a bare class name denotes the class itself."""
        if obj is None:
            return m.cls
        if obj.type == "this":
            return m.cls
        if obj.type == "super":
            sup = self._direct_supers(m.cls)
            return next((s for s in sup if s.kind != "interface"), None)
        if obj.type == "identifier":
            name = text(obj)
            found, typ, _ = m.local_type(name, obj.start_byte)
            if found:
                return self.resolve_type(typ, m.cls)
            hit = self.find_field(m.cls, name)
            if hit is not None:
                return self.resolve_type(hit[1].type, hit[0])
            return self.resolve_type(name, m.cls)  # static access: ClassName.member
        if obj.type in ("field_access", "scoped_identifier"):
            # `Outer.Inner` as a type, or `a.b` as a field
            typ = self.expr_type(obj, m, depth + 1)
            if typ is not None:
                return self.resolve_type(typ, m.cls)
            return self.resolve_type(text(obj), m.cls)
        typ = self.expr_type(obj, m, depth + 1)
        return self.resolve_type(typ, m.cls) if typ else None

    def call_targets(self, call: Node, m: MethodDecl, depth: int = 0) -> list[MethodDecl]:
        """Project methods a method_invocation may reach by its static receiver type (no overriders)."""
        name = text(call.child_by_field_name("name"))
        args = call.child_by_field_name("arguments")
        arity = len(args.named_children) if args is not None else 0
        obj = call.child_by_field_name("object")
        if obj is None:
            k: ClassDecl | None = m.cls
            while k is not None:  # implicit this, then enclosing instances
                ms = self.find_methods(k, name, arity)
                if ms:
                    return ms
                k = k.outer
            return []
        owner = self.receiver_class(obj, m, depth)
        if owner is None:
            return []
        return self.find_methods(owner, name, arity)


def _arity_ok(m: MethodDecl, arity: int) -> bool:
    n = len(m.params)
    return n == arity or (m.varargs and arity >= n - 1)


_RANK = {"byte": 0, "short": 1, "char": 1, "int": 2, "long": 3, "float": 4, "double": 5}


def _numeric_promotion(a: str | None, b: str | None) -> str | None:
    if a in _RANK and b in _RANK:
        r = max(_RANK[a], _RANK[b], 2)
        return {2: "int", 3: "long", 4: "float", 5: "double"}[r]
    return None
