"""Property tests: a template's regex accepts every text the parts can render; Java string literals of any
content come back as the template text, through the parser, the unescaper and the regex."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anomalygen.source.inventory import build_inventory
from anomalygen.source.templates import WILDCARD, SlotPart, render, slot_pattern, unescape_java

_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
_SLOT_TYPES = st.sampled_from(["int", "long", "String", "boolean", None, "double"])


def _value(draw, typ: str | None) -> str:
    if typ in ("int", "long"):
        return str(draw(st.integers(-(2**63), 2**63 - 1)))
    if typ == "boolean":
        return draw(st.sampled_from(["true", "false"]))
    return draw(_TEXT)


@st.composite
def rendered(draw):
    """Parts (literals and typed slots) and one text they print."""
    parts: list = []
    out: list[str] = []
    for _ in range(draw(st.integers(0, 6))):
        if draw(st.booleans()):
            lit = draw(_TEXT.filter(lambda s: s != ""))
            parts.append(lit)
            out.append(lit)
        else:
            typ = draw(_SLOT_TYPES)
            parts.append(SlotPart("x", typ, slot_pattern(typ)))
            out.append(_value(draw, typ))
    return parts, "".join(out)


@given(rendered())
@settings(max_examples=300)
def test_regex_accepts_every_rendering(case):
    parts, printed = case
    template, regex, slots = render(parts)
    assert re.match(regex, printed) is not None
    assert len(slots) == template.count(WILDCARD) - sum(p.count(WILDCARD) for p in parts if isinstance(p, str))
    literal = "".join(p if isinstance(p, str) else WILDCARD for p in parts)
    assert template == literal


@given(st.lists(_TEXT.filter(lambda s: s != ""), min_size=1, max_size=4), st.integers(0, 3), _TEXT)
@settings(max_examples=200)
def test_regex_rejects_a_changed_literal(lits, where, extra):
    """Inserting a character into a slot-free template's text makes the regex reject it."""
    _template, regex, _ = render(lits)
    text = "".join(lits)
    pos = where % (len(text) + 1)
    changed = text[:pos] + "\x00" + text[pos:]
    assert re.match(regex, text)
    assert not re.match(regex, changed)


def java_literal(s: str, style: int) -> str:
    """A Java string literal whose value is `s` (several escaping styles)."""
    out = []
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch in "\n\t\r\b\f":
            out.append({"\n": "\\n", "\t": "\\t", "\r": "\\r", "\b": "\\b", "\f": "\\f"}[ch])
        elif o < 32 or o == 127:
            out.append(f"\\{o:03o}")
        elif o > 127 and style == 1 and o <= 0xFFFF:
            out.append(f"\\u{o:04x}")
        elif o < 256 and style == 2 and not ch.isalnum():
            out.append(f"\\{o:03o}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


@given(st.text(st.characters(blacklist_categories=("Cs",), max_codepoint=0xFFFF), max_size=20), st.integers(0, 2))
def test_unescape_round_trip(s, style):
    assert unescape_java(java_literal(s, style)[1:-1]) == s


_CLASS = """package q;
import org.apache.log4j.Logger;
public class P {{
  static final Logger LOG = Logger.getLogger(P.class);
  void m(int n, String s) {{
    LOG.info({a} + n + {b} + s);
  }}
}}
"""


@given(
    st.text(st.characters(blacklist_categories=("Cs",), max_codepoint=0xFFFF), max_size=15),
    st.text(st.characters(blacklist_categories=("Cs",), max_codepoint=0xFFFF), min_size=1, max_size=15),
    st.integers(0, 2),
    st.integers(-(10**12), 10**12),
    st.text(max_size=10),
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_java_literals_round_trip_through_the_inventory(a, b, style, n, s):
    """log4j: no placeholder syntax, so the template is exactly the literals, whatever they hold."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "q").mkdir()
        code = _CLASS.format(a=java_literal(a, style), b=java_literal(b, style))
        (root / "q" / "P.java").write_text(code, encoding="utf-8")
        inv, _ = build_inventory(root)
    assert inv.diagnostics == []
    [stmt] = inv.statements
    assert stmt.template == f"{a}{WILDCARD}{b}{WILDCARD}"
    assert [x.type for x in stmt.slots] == ["int", "String"]
    assert re.match(stmt.regex, f"{a}{n}{b}{s}")
    assert not re.match(stmt.regex, f"{a}x{n}{b}{s}")  # an int slot takes digits only
