"""Project-wide index of classes, fields, methods and local declarations.

One tree-sitter query per file collects every declaration and call site (the C engine walks the tree; Python
only touches the captured nodes). Nesting is recovered from byte ranges, so anonymous classes, local classes
and lambdas become classes and methods of their own, named the way javac names them (`Outer$1`,
`lambda$run$0`).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from tree_sitter import Node, Query

from anomalygen.source.java import JAVA, SourceFile, captures, text

T = TypeVar("T")

_QUERY_SRC = """
(class_declaration) @class
(interface_declaration) @class
(enum_declaration) @class
(record_declaration) @class
(annotation_type_declaration) @class
(object_creation_expression (class_body)) @anon
(method_declaration) @method
(constructor_declaration) @method
(compact_constructor_declaration) @method
(lambda_expression) @method
(static_initializer) @method
(class_body (block) @method)
(enum_body_declarations (block) @method)
(field_declaration) @field
(constant_declaration) @field
(local_variable_declaration) @local
(catch_formal_parameter) @local
(enhanced_for_statement) @local
(resource) @local
(method_invocation) @call
(object_creation_expression) @new
(explicit_constructor_invocation) @new
(package_declaration) @package
(import_declaration) @import
"""

_query: Query | None = None


def _get_query() -> Query:
    global _query
    if _query is None:
        _query = Query(JAVA, _QUERY_SRC)
    return _query


CLASS_KINDS = {
    "class_declaration": "class",
    "interface_declaration": "interface",
    "enum_declaration": "enum",
    "record_declaration": "record",
    "annotation_type_declaration": "annotation",
    "object_creation_expression": "anonymous",
}


_GENERIC_ARGS = re.compile(r"<[^<>]*>")
_SPACE = re.compile(r"\s+")


def erase(type_text: str | None) -> str | None:
    """`java.util.List<Foo>[]` -> `java.util.List[]`; whitespace dropped."""
    if not type_text:
        return type_text
    if "<" not in type_text:
        return _SPACE.sub("", type_text) if (" " in type_text or "\n" in type_text or "\t" in type_text) else type_text
    out = _SPACE.sub("", type_text)
    while "<" in out:
        nxt = _GENERIC_ARGS.sub("", out)
        if nxt == out:  # unbalanced: drop from the first '<' to the last '>'
            return out[: out.index("<")] + out[out.rindex(">") + 1 :] if ">" in out else out[: out.index("<")]
        out = nxt
    return out


@dataclass
class LocalDecl:
    name: str
    type: str | None
    scope_start: int
    scope_end: int
    init: Node | None = None


@dataclass
class MethodDecl:
    key: str  # "pkg.Outer$Inner#name(T1,T2)"
    cls: ClassDecl
    name: str
    signature: str  # "name(T1,T2)"
    params: list[tuple[str, str]]  # (type, name)
    ret: str | None
    kind: str  # method | constructor | lambda | initializer
    static: bool
    node: Node
    body: Node | None
    line: int
    throws: list[str] = field(default_factory=list)
    varargs: bool = False
    abstract: bool = False
    locals: list[LocalDecl] = field(default_factory=list)
    calls: list[Node] = field(default_factory=list)  # method_invocation / object creation nodes inside
    annotations: list[str] = field(default_factory=list)

    @property
    def arity(self) -> int:
        return len(self.params)

    @property
    def file(self) -> str:
        return self.cls.file

    def local_type(self, name: str, pos: int) -> tuple[bool, str | None, Node | None]:
        """(found, type, initializer) of the innermost declaration of `name` visible at byte `pos`."""
        best: LocalDecl | None = None
        for d in self.locals:
            if (
                d.name == name
                and d.scope_start <= pos < d.scope_end
                and (best is None or d.scope_start >= best.scope_start)
            ):
                best = d
        if best is not None:
            return True, best.type, best.init
        for ptype, pname in self.params:
            if pname == name:
                return True, ptype, None
        return False, None, None


@dataclass
class FieldDecl:
    name: str
    type: str | None
    static: bool
    final: bool
    init: Node | None
    line: int


@dataclass
class ClassDecl:
    name: str  # binary-style qualified name: pkg.Outer$Inner
    simple: str
    kind: str
    file: str
    package: str
    node: Node
    outer: ClassDecl | None
    superclass: str | None = None
    interfaces: list[str] = field(default_factory=list)
    fields: dict[str, FieldDecl] = field(default_factory=dict)
    methods: list[MethodDecl] = field(default_factory=list)
    static: bool = False
    src: FileIndex | None = None
    anon_count: int = 0
    lambda_count: int = 0
    init_counts: dict[str, int] = field(default_factory=dict)  # `<clinit>()`, `<clinit>()#2`, ...
    local_counts: dict[str, int] = field(default_factory=dict)  # local class simple name -> javac's index


@dataclass
class FileIndex:
    source: SourceFile
    package: str
    imports: dict[str, str]  # simple -> qualified
    wildcard: list[str]  # imported packages/classes with .*
    static_imports: dict[str, str]  # member -> qualified class
    classes: list[ClassDecl]
    methods: list[MethodDecl]


def _modifiers(node: Node) -> tuple[set[str], list[str]]:
    mods: set[str] = set()
    annotations: list[str] = []
    for child in node.children:
        if child.type == "modifiers":
            for m in child.children:
                if m.type in ("marker_annotation", "annotation"):
                    name = m.child_by_field_name("name")
                    annotations.append(text(name))
                else:
                    mods.add(m.type)
            break
    return mods, annotations


def _params(node: Node) -> tuple[list[tuple[str, str]], bool]:
    params = node.child_by_field_name("parameters")
    out: list[tuple[str, str]] = []
    varargs = False
    if params is None:
        return out, varargs
    if params.type == "identifier":  # lambda `x -> ...`
        return [("", text(params))], False
    for p in params.named_children:
        if p.type == "formal_parameter":
            dims = p.child_by_field_name("dimensions")
            ptype = (erase(text(p.child_by_field_name("type"))) or "") + (text(dims) if dims is not None else "")
            out.append((ptype, text(p.child_by_field_name("name"))))
        elif p.type == "spread_parameter":
            varargs = True
            typ = ""
            name = ""
            for c in p.named_children:
                if c.type == "variable_declarator":
                    name = text(c.child_by_field_name("name"))
                elif c.type != "modifiers":
                    typ = erase(text(c)) or ""
            out.append((typ + "[]", name))
        elif p.type == "identifier":  # inferred lambda parameters (a, b) -> ...
            out.append(("", text(p)))
        elif p.type == "receiver_parameter":
            continue
    return out, varargs


class _Ranges(Generic[T]):
    """Innermost enclosing range lookup for properly nested byte ranges."""

    def __init__(self, items: list[tuple[int, int, T]]):
        items.sort(key=lambda t: (t[0], -t[1]))
        self.starts = [s for s, _, _ in items]
        self.items = items

    def innermost(self, start: int, end: int | None = None, strict: bool = False) -> T | None:
        end = start if end is None else end
        i = bisect.bisect_right(self.starts, start) - 1
        while i >= 0:
            s, e, obj = self.items[i]
            if s <= start and end <= e and not (strict and s == start and e == end):
                return obj
            i -= 1
        return None


def index_file(src: SourceFile) -> FileIndex:
    caps = captures(_get_query(), src.tree.root_node)

    package = ""
    for p in caps.get("package", []):
        for c in p.named_children:
            if c.type in ("scoped_identifier", "identifier"):
                package = text(c)
    imports: dict[str, str] = {}
    wildcard: list[str] = []
    static_imports: dict[str, str] = {}
    for imp in caps.get("import", []):
        raw = text(imp)
        is_static = raw.split()[1:2] == ["static"]
        body = "".join(raw.split()).removeprefix("import").removesuffix(";")
        if is_static:
            body = body.removeprefix("static")
        if body.endswith(".*"):
            wildcard.append(body[:-2])
        elif is_static:
            cls, _, member = body.rpartition(".")
            static_imports[member] = cls
        else:
            imports[body.rsplit(".", 1)[-1]] = body

    fidx = FileIndex(src, package, imports, wildcard, static_imports, [], [])

    # One pass in source order with a stack of open containers: the nearest class and method on the stack
    # name a local/anonymous class or a lambda the way javac does.
    containers = [(n, "class") for n in caps.get("class", [])]
    containers += [(n, "anon") for n in caps.get("anon", [])]
    containers += [(n, "method") for n in caps.get("method", [])]
    containers.sort(key=lambda t: (t[0].start_byte, -t[0].end_byte))
    stack: list[tuple[int, ClassDecl | MethodDecl]] = []
    class_items: list[tuple[int, int, ClassDecl]] = []
    method_items: list[tuple[int, int, MethodDecl]] = []
    for node, what in containers:
        while stack and stack[-1][0] <= node.start_byte:
            stack.pop()
        outer = next((c for _, c in reversed(stack) if isinstance(c, ClassDecl)), None)
        in_method = stack[-1][1] if stack and isinstance(stack[-1][1], MethodDecl) else None
        if what == "method":
            if outer is None:
                continue
            m = _make_method(node, outer, in_method)
            outer.methods.append(m)
            fidx.methods.append(m)
            method_items.append((node.start_byte, node.end_byte, m))
            stack.append((node.end_byte, m))
            continue
        decl = _make_class(node, what, outer, in_method, package, src.rel)
        if decl is None:
            continue
        decl.src = fidx
        fidx.classes.append(decl)
        class_items.append((node.start_byte, node.end_byte, decl))
        stack.append((node.end_byte, decl))

    classes = _Ranges(class_items)
    methods = _Ranges(method_items)
    for fnode in caps.get("field", []):
        holder = classes.innermost(fnode.start_byte, fnode.end_byte)
        if holder is not None:
            _add_fields(holder, fnode)
    for lnode in caps.get("local", []):
        inside = methods.innermost(lnode.start_byte, lnode.end_byte)
        if inside is not None:
            inside.locals.extend(_local_decls(lnode))
    for cnode in caps.get("call", []) + caps.get("new", []):
        inside = methods.innermost(cnode.start_byte, cnode.end_byte)
        if inside is not None:
            inside.calls.append(cnode)
    for m in fidx.methods:
        m.calls.sort(key=lambda n: (n.start_byte, -n.end_byte))  # calls and creations, merged
    return fidx


def _make_class(
    node: Node, what: str, outer: ClassDecl | None, in_method: MethodDecl | None, package: str, rel: str
) -> ClassDecl | None:
    if what == "anon":
        if outer is None:
            return None
        # javac: the enclosing class's flat name + "$" + the next free index within that class
        outer.anon_count += 1
        simple = str(outer.anon_count)
        body = next((c for c in node.children if c.type == "class_body"), node)
        supertype = erase(text(node.child_by_field_name("type")))
        cls = ClassDecl(f"{outer.name}${simple}", simple, "anonymous", rel, package, body, outer, superclass=supertype)
        cls.interfaces = [supertype] if supertype else []
        return cls
    kind = CLASS_KINDS[node.type]
    simple = text(node.child_by_field_name("name"))
    if outer is None:
        name = f"{package}.{simple}" if package else simple
    elif in_method is not None:
        # javac: Outer$1Local, Outer$2Local for a second local class of that name, Outer$1Other
        n = outer.local_counts.get(simple, 0) + 1
        outer.local_counts[simple] = n
        name = f"{outer.name}${n}{simple}"
    else:
        name = f"{outer.name}${simple}"
    mods, _ = _modifiers(node)
    cls = ClassDecl(name, simple, kind, rel, package, node, outer, static="static" in mods or outer is None)
    sc = node.child_by_field_name("superclass")
    if sc is not None and sc.named_children:
        cls.superclass = erase(text(sc.named_children[0]))
    ifs = node.child_by_field_name("interfaces")
    if kind == "interface":
        ifs = next((c for c in node.children if c.type == "extends_interfaces"), None)
    if ifs is not None:
        for tl in ifs.named_children:
            items = tl.named_children if tl.type == "type_list" else [tl]
            cls.interfaces.extend(erase(text(t)) or "" for t in items)
    return cls


def _add_fields(cls: ClassDecl, fnode: Node) -> None:
    mods, _ = _modifiers(fnode)
    ftype = erase(text(fnode.child_by_field_name("type"))) or ""
    is_iface = cls.kind == "interface"
    for decl in fnode.children_by_field_name("declarator"):
        name = text(decl.child_by_field_name("name"))
        dims = decl.child_by_field_name("dimensions")
        cls.fields[name] = FieldDecl(
            name,
            ftype + (text(dims) if dims is not None else ""),
            "static" in mods or is_iface,
            "final" in mods or is_iface,
            decl.child_by_field_name("value"),
            decl.start_point[0] + 1,
        )


def _make_method(node: Node, cls: ClassDecl, encl: MethodDecl | None) -> MethodDecl:
    t = node.type
    line = node.start_point[0] + 1
    if t == "lambda_expression":
        base = encl.name if encl is not None else "static"
        base = {"<init>": "new", "<clinit>": "static"}.get(base, base)
        if base.startswith("lambda$"):
            base = base.split("$")[1]
        name = f"lambda${base}${cls.lambda_count}"
        cls.lambda_count += 1
        params, varargs = _params(node)
        body = node.child_by_field_name("body")
        sig = f"{name}({','.join(p[0] for p in params)})"
        return MethodDecl(f"{cls.name}#{sig}", cls, name, sig, params, None, "lambda", False, node, body, line)
    if t in ("static_initializer", "block"):
        static = t == "static_initializer"
        name = "<clinit>" if static else "<instinit>"
        body = node.named_children[0] if static and node.named_children else node
        # numbered, not located: a statement id must not change when lines above the block move
        k = cls.init_counts.get(name, 0) + 1
        cls.init_counts[name] = k
        sig = f"{name}()" if k == 1 else f"{name}()#{k}"
        return MethodDecl(f"{cls.name}#{sig}", cls, name, sig, [], None, "initializer", static, node, body, line)
    mods, annotations = _modifiers(node)
    params, varargs = _params(node)
    ret: str | None
    if t in ("constructor_declaration", "compact_constructor_declaration"):
        name = "<init>"
        ret = cls.name
        kind = "constructor"
    else:
        name = text(node.child_by_field_name("name"))
        ret = erase(text(node.child_by_field_name("type")))
        dims = node.child_by_field_name("dimensions")
        if dims is not None and ret:
            ret += text(dims)
        kind = "method"
    body = node.child_by_field_name("body")
    throws: list[str] = []
    for c in node.children:
        if c.type == "throws":
            throws = [erase(text(x)) or "" for x in c.named_children]
    sig = f"{name}({','.join(p[0] for p in params)})"
    abstract = body is None
    return MethodDecl(
        f"{cls.name}#{sig}",
        cls,
        name,
        sig,
        params,
        ret,
        kind,
        "static" in mods,
        node,
        body,
        line,
        throws=throws,
        varargs=varargs,
        abstract=abstract,
        annotations=annotations,
    )


def _local_decls(node: Node) -> list[LocalDecl]:
    t = node.type
    out: list[LocalDecl] = []
    if t == "local_variable_declaration":
        typ = erase(text(node.child_by_field_name("type")))
        parent = node.parent
        scope_end = parent.end_byte if parent is not None else node.end_byte
        for decl in node.children_by_field_name("declarator"):
            name = text(decl.child_by_field_name("name"))
            init = decl.child_by_field_name("value")
            dims = decl.child_by_field_name("dimensions")
            dtype = typ + text(dims) if (typ and dims is not None) else typ
            if dtype == "var" and init is not None and init.type == "object_creation_expression":
                dtype = erase(text(init.child_by_field_name("type")))
            out.append(LocalDecl(name, dtype, node.start_byte, scope_end, init))
    elif t == "catch_formal_parameter":
        clause = node.parent
        name = text(node.child_by_field_name("name"))
        types = [c for c in node.named_children if c.type == "catch_type"]
        typ = None
        if types:
            alts = [x for x in types[0].named_children]
            typ = erase(text(alts[0])) if len(alts) == 1 else "Exception"
        end = clause.end_byte if clause is not None else node.end_byte
        out.append(LocalDecl(name, typ, node.start_byte, end))
    elif t == "enhanced_for_statement":
        typ = erase(text(node.child_by_field_name("type")))
        name = text(node.child_by_field_name("name"))
        out.append(LocalDecl(name, typ, node.start_byte, node.end_byte))
    elif t == "resource":
        typ = erase(text(node.child_by_field_name("type")))
        name = text(node.child_by_field_name("name"))
        stmt = node.parent.parent if node.parent is not None else None
        end = stmt.end_byte if stmt is not None else node.end_byte
        if name:
            out.append(LocalDecl(name, typ, node.start_byte, end, node.child_by_field_name("value")))
    return out
