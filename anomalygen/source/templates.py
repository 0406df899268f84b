"""Turning a logging call's message expression into a template and a regex.

A message is folded into literal text and slots (`<*>`): string literals and compile-time constants stay
literal, every runtime value becomes a slot. The regex is built from the same parts, so a template and its
regex can never disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tree_sitter import Node

from anomalygen.core.templates import WILDCARD
from anomalygen.source.index import MethodDecl
from anomalygen.source.java import text
from anomalygen.source.project import Project

_INT_TYPES = {"int", "long", "short", "byte"}
_SLF4J_ANCHOR = re.compile(r"(\\*)\{\}")
# %[index$][flags][width][.precision]conversion, with the two-letter date/time conversions %tX
_FORMAT_SPEC = re.compile(r"%(?:(\d+)\$)?([-#+ 0,(<]*)(\d*)(?:\.(\d+))?([tT][a-zA-Z]|[a-zA-Z%])")
_MSGFORMAT_ARG = re.compile(r"\{\s*(\d+)\s*(?:,([^}]*))?\}")
# what java.text.MessageFormat prints for an integral number in the default (English) locale: 12,345
_GROUPED_INT = r"-?\d{1,3}(?:,\d{3})*"
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "s": " ", "0": "\0", "'": "'", '"': '"', "\\": "\\"}


@dataclass
class SlotPart:
    expr: str
    type: str | None
    pattern: str = ".*?"


Part = str | SlotPart


def unescape_java(body: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt == "u":
                j = i + 1
                while j < len(body) and body[j] == "u":
                    j += 1
                try:
                    out.append(chr(int(body[j : j + 4], 16)))
                    i = j + 4
                    continue
                except ValueError:
                    pass
            if nxt in "01234567":
                j = i + 1
                while j < len(body) and j < i + 4 and body[j] in "01234567":
                    j += 1
                out.append(chr(int(body[i + 1 : j], 8)))
                i = j
                continue
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def string_value(node: Node) -> str:
    raw = text(node)
    if node.type == "text_block" or raw.startswith('"""'):
        body = raw[3:-3]
        lines = body.split("\n")[1:]
        indent = min((len(x) - len(x.lstrip()) for x in lines if x.strip()), default=0)
        return unescape_java("\n".join(x[indent:].rstrip() for x in lines))
    return unescape_java(raw[1:-1])


class Folder:
    """Folds expressions of one method; constants are looked up project-wide and cached."""

    def __init__(self, project: Project):
        self.project = project
        self._const: dict[tuple[str, str], object] = {}

    # ---- compile-time constants --------------------------------------------------------------
    def constant(self, node: Node | None, m: MethodDecl, depth: int = 0) -> object | None:
        """Value of a compile-time constant expression (str, int, bool), else None."""
        if node is None or depth > 6:
            return None
        t = node.type
        if t == "string_literal":
            return string_value(node)
        if t == "decimal_integer_literal":
            try:
                return int(text(node).rstrip("lL").replace("_", ""))
            except ValueError:
                return None
        if t == "hex_integer_literal":
            try:
                return int(text(node).rstrip("lL").replace("_", ""), 16)
            except ValueError:
                return None
        if t in ("true", "false"):
            return t == "true"
        if t == "character_literal":
            v = unescape_java(text(node)[1:-1])
            return _Char(v) if len(v) == 1 else None
        if t == "parenthesized_expression" and node.named_children:
            return self.constant(node.named_children[0], m, depth + 1)
        if t == "binary_expression" and text(node.child_by_field_name("operator")) == "+":
            a = self.constant(node.child_by_field_name("left"), m, depth + 1)
            b = self.constant(node.child_by_field_name("right"), m, depth + 1)
            if a is None or b is None:
                return None
            if isinstance(a, str) or isinstance(b, str):
                return java_str(a) + java_str(b)
            if isinstance(a, int) and isinstance(b, int) and not isinstance(a, bool) and not isinstance(b, bool):
                return a + b
            return None
        if t == "identifier":
            found, _, _ = m.local_type(text(node), node.start_byte)
            if found:
                return None
            hit = self.project.find_field(m.cls, text(node))
            return self._field_constant(hit, depth) if hit else None
        if t == "field_access":
            owner = self.project.receiver_class(node.child_by_field_name("object"), m)
            if owner is None:
                return None
            hit = self.project.find_field(owner, text(node.child_by_field_name("field")), outer=False)
            return self._field_constant(hit, depth) if hit else None
        return None

    def _field_constant(self, hit, depth: int) -> object | None:
        owner, f = hit
        key = (owner.name, f.name)
        if key in self._const:
            return self._const[key]
        self._const[key] = None  # cut cycles
        value = None
        if f.static and f.final and f.init is not None:
            value = self.constant(f.init, _StubMethod(owner), depth + 1)  # type: ignore[arg-type]
        self._const[key] = value
        return value

    # ---- folding ------------------------------------------------------------------------------
    def is_string(self, node: Node, m: MethodDecl) -> bool:
        t = node.type
        if t in ("string_literal", "text_block"):
            return True
        if t == "parenthesized_expression":
            return bool(node.named_children) and self.is_string(node.named_children[0], m)
        if t == "binary_expression" and text(node.child_by_field_name("operator")) == "+":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            return self.is_string(left, m) or self.is_string(right, m)  # type: ignore[arg-type]  # both operands are there
        return self.project.expr_type(node, m) == "String"

    def fold(self, node: Node, m: MethodDecl) -> list[Part]:
        """Parts of the string that `String.valueOf(node)` would produce."""
        t = node.type
        if t in ("string_literal", "text_block"):
            return [string_value(node)]
        if t == "parenthesized_expression" and node.named_children and self.is_string(node, m):
            return self.fold(node.named_children[0], m)
        if t == "binary_expression" and text(node.child_by_field_name("operator")) == "+" and self.is_string(node, m):
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            return self.fold(left, m) + self.fold(right, m)  # type: ignore[arg-type]  # both operands are there
        value = self.constant(node, m)
        if value is not None:
            return [java_str(value)]
        if t == "ternary_expression":
            options = [self.constant(node.child_by_field_name(k), m) for k in ("consequence", "alternative")]
            if all(o is not None for o in options):
                alts = sorted({java_str(o) for o in options}, key=lambda s: (-len(s), s))
                return [SlotPart(text(node), "String", "|".join(re.escape(a) for a in alts))]
        if t == "method_invocation":
            formatted = self.format_call(node, m)
            if formatted is not None:
                return formatted
        typ = self.project.expr_type(node, m)
        return [SlotPart(text(node), typ, slot_pattern(typ))]

    def format_call(self, call: Node, m: MethodDecl) -> list[Part] | None:
        """String.format / MessageFormat.format with a foldable pattern."""
        name = text(call.child_by_field_name("name"))
        obj = text(call.child_by_field_name("object"))
        args = call.child_by_field_name("arguments")
        params = list(args.named_children) if args is not None else []
        if name == "format" and obj in ("String", "java.lang.String") and params:
            if self.project.expr_type(params[0], m) == "Locale" or text(params[0]).startswith("Locale."):
                params = params[1:]
            if not params:
                return None
            return substitute_printf(self.fold(params[0], m), params[1:], self, m)
        if name == "format" and obj.endswith("MessageFormat") and params:
            return substitute_messageformat(self.fold(params[0], m), params[1:], self, m)
        return None

    def slot(self, node: Node, m: MethodDecl) -> SlotPart:
        typ = self.project.expr_type(node, m)
        return SlotPart(text(node), typ, slot_pattern(typ))

    def arg_parts(self, node: Node, m: MethodDecl) -> list[Part]:
        """An argument as `String.valueOf` prints it: a constant stays literal, anything else is a slot."""
        value = self.constant(node, m)
        if value is not None:
            return [java_str(value)]
        return [self.slot(node, m)]


class _Char(str):
    """A char constant: concatenates as its character."""


class _StubMethod:
    """Context for folding a field initializer of a class that has no methods."""

    def __init__(self, cls):
        self.cls = cls

    def local_type(self, name, pos):
        return False, None, None


def java_str(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def slot_pattern(typ: str | None) -> str:
    if typ in _INT_TYPES:
        return r"-?\d+"
    if typ == "boolean":
        return "true|false"
    return ".*?"


def _split_literal(parts: list[Part], pattern: re.Pattern[str], replace) -> list[Part]:
    out: list[Part] = []
    for p in parts:
        if not isinstance(p, str):
            out.append(p)
            continue
        pos = 0
        for mt in pattern.finditer(p):
            out.append(p[pos : mt.start()])
            out.extend(replace(mt))
            pos = mt.end()
        out.append(p[pos:])
    return [p for p in out if p != ""]


def substitute_slf4j(parts: list[Part], args: list[Node], folder: Folder, m: MethodDecl) -> tuple[list[Part], int]:
    """Replace `{}` anchors by the argument slots; returns the parts and how many arguments were used."""
    used = 0

    def repl(mt: re.Match[str]) -> list[Part]:
        nonlocal used
        slashes = mt.group(1)
        if len(slashes) % 2 == 1:  # \{} is a literal "{}"
            return [slashes[:-1] + "{}"]
        if used >= len(args):
            return [mt.group(0)]  # SLF4J leaves surplus anchors as they are
        node = args[used]
        used += 1
        return [slashes[: len(slashes) // 2], *folder.arg_parts(node, m)]

    return _split_literal(parts, _SLF4J_ANCHOR, repl), used


def substitute_printf(parts: list[Part], args: list[Node], folder: Folder, m: MethodDecl) -> list[Part]:
    """`String.format` conversions -> slots (explicit `2$` and relative `<` indices honoured); a plain `%s`/`%d`
    of a constant argument stays literal."""
    ordinary = 0
    last: int | None = None

    def repl(mt: re.Match[str]) -> list[Part]:
        nonlocal ordinary, last
        index, flags, width, precision, conv = mt.groups()
        if conv == "%":
            return ["%"]
        if conv == "n":
            return ["\n"]
        if "<" in flags:
            i = last
        elif index:
            i = int(index) - 1
        else:
            i = ordinary
            ordinary += 1
        last = i
        node = args[i] if i is not None and 0 <= i < len(args) else None
        if node is None:
            return [SlotPart("?", None)]  # String.format would throw MissingFormatArgumentException
        plain = not flags and not width and precision is None
        if plain and conv in ("s", "S", "d"):
            value = folder.constant(node, m)
            if value is not None and (conv != "d" or (isinstance(value, int) and not isinstance(value, bool))):
                out = java_str(value)
                return [out.upper() if conv == "S" else out]
        s = folder.slot(node, m)
        pad = r"[ ]*" if width else ""
        if conv == "d":
            s.pattern = pad + (r"[-+ (]?[\d,]+\)?" if flags else r"-?\d+")
        elif conv in ("x", "X", "o"):
            s.pattern = pad + (r"-?[0-9a-fA-F]+" if conv != "o" else r"-?[0-7]+")
        elif conv in ("b", "B"):
            s.pattern = pad + ("true|false" if conv == "b" else "TRUE|FALSE")
        elif conv in ("s", "S") and not width:
            pass  # keep the type's own pattern (an int printed by %s is still digits)
        else:
            s.pattern = ".*?"
        return [s]

    return _split_literal(parts, _FORMAT_SPEC, repl)


def substitute_messageformat(
    parts: list[Part], args: list[Node], folder: Folder, m: MethodDecl, jul: bool = False
) -> list[Part]:
    """`java.text.MessageFormat` rules: `{n}` / `{n,type,style}` take argument n; `''` is a quote; text between
    single quotes is literal. Integral numbers print with grouping (12,345). With `jul`, java.util.logging's
    Formatter rule applies first: the message is formatted only when it contains `{0`, `{1`, `{2` or `{3`."""
    if jul:
        literal = "".join(p for p in parts if isinstance(p, str))
        if not any(f"{{{d}" in literal for d in "0123"):
            return parts
    out: list[Part] = []
    quoted = False
    for p in parts:
        if not isinstance(p, str):
            out.append(p)
            continue
        buf: list[str] = []
        i = 0
        while i < len(p):
            ch = p[i]
            if ch == "'":
                if p.startswith("''", i):
                    buf.append("'")
                    i += 2
                    continue
                quoted = not quoted
                i += 1
                continue
            if ch == "{" and not quoted:
                mt = _MSGFORMAT_ARG.match(p, i)
                if mt is not None:
                    idx = int(mt.group(1))
                    style = (mt.group(2) or "").strip()
                    out.append("".join(buf))
                    buf = []
                    if idx < len(args):
                        out.append(_messageformat_slot(args[idx], style, folder, m))
                    else:
                        out.append(mt.group(0))  # no such argument: MessageFormat prints {n} itself
                    i = mt.end()
                    continue
            buf.append(ch)
            i += 1
        out.append("".join(buf))
    return [p for p in out if p != ""]


def _messageformat_slot(node: Node, style: str, folder: Folder, m: MethodDecl) -> Part:
    value = folder.constant(node, m)
    if not style and isinstance(value, str):
        return value
    s = folder.slot(node, m)
    if style.startswith("number") and style.replace(" ", "") in ("number", "number,integer"):
        s.pattern = _GROUPED_INT if (s.type in _INT_TYPES or "integer" in style) else ".*?"
    elif style:
        s.pattern = ".*?"
    elif s.type in _INT_TYPES:
        s.pattern = _GROUPED_INT
    return s


def render(parts: list[Part]) -> tuple[str, str, list[SlotPart]]:
    """(template, anchored regex, slots) from folded parts."""
    tpl: list[str] = []
    rx: list[str] = ["(?s)^"]
    slots: list[SlotPart] = []
    for p in parts:
        if isinstance(p, str):
            tpl.append(p)
            rx.append(re.escape(p))
        else:
            tpl.append(WILDCARD)
            rx.append(f"({p.pattern})")
            slots.append(p)
    rx.append("$")
    return "".join(tpl), "".join(rx), slots
