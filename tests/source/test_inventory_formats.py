"""Message-format rules per API, on small classes written to a temporary tree."""

from __future__ import annotations

import re
from pathlib import Path

from anomalygen.source.inventory import build_inventory

CLASS = """package f;
import java.text.MessageFormat;
import java.util.logging.Level;
{imports}
public class F {{
  {decl}
  void m(int n, String s, java.io.IOException e, long big) {{
{body}
  }}
}}
"""


def inventory_of(tmp: Path, imports: str, decl: str, body: str):
    (tmp / "f").mkdir(parents=True, exist_ok=True)
    (tmp / "f" / "F.java").write_text(CLASS.format(imports=imports, decl=decl, body=body), encoding="utf-8")
    inv, _ = build_inventory(tmp)
    assert inv.diagnostics == []
    return inv.statements


JUL = ("import java.util.logging.Logger;", 'static final Logger L = Logger.getLogger("f");')
COMMONS = ("import org.apache.commons.logging.*;", "static final Log L = LogFactory.getLog(F.class);")
SLF4J = ("import org.slf4j.*;", "static final Logger L = LoggerFactory.getLogger(F.class);")


def test_jul_formats_only_messages_with_low_indices(tmp_path):
    body = """
    L.log(Level.INFO, "no params {0}");
    L.log(Level.INFO, "it''s {0}", s);
    L.log(Level.INFO, "quoted '{0}' and {1}", new Object[] {s, n});
    L.log(Level.INFO, "only {4}", new Object[] {s, s, s, s, s});
    L.log(Level.INFO, "big {0,number,integer}", big);
    L.log(Level.WARNING, "failed " + s, e);
"""
    got = [(x.template, x.throwable) for x in inventory_of(tmp_path, *JUL, body)]
    assert got == [
        ("no params {0}", None),  # no parameters: printed as written
        ("it's <*>", None),
        ("quoted {0} and <*>", None),
        ("only {4}", None),  # JUL's Formatter formats only when {0..{3 occur
        ("big <*>", None),
        ("failed <*>", "e"),
    ]
    stmts = inventory_of(tmp_path, *JUL, body)
    assert re.match(stmts[4].regex, "big 1,234,567") and not re.match(stmts[4].regex, "big 1.5")


def test_commons_logging_keeps_braces_and_takes_a_throwable(tmp_path):
    body = """
    L.info("keeps {} as text");
    L.warn("failed " + n, e);
    L.error(e);
"""
    stmts = inventory_of(tmp_path, *COMMONS, body)
    assert [(x.template, x.throwable, x.api) for x in stmts] == [
        ("keeps {} as text", None, "commons"),
        ("failed <*>", "e", "commons"),
        ("<*>", None, "commons"),  # the exception is the message object: its toString is printed
    ]


def test_multi_catch_nested_guards_and_messageformat(tmp_path):
    body = """
    try {
      n++;
    } catch (IllegalStateException | IllegalArgumentException x) {
      if (L.isDebugEnabled() && n > 0) {
        for (int i = 0; i < n; i++) {
          L.debug(MessageFormat.format("{0} failed after {1} tries", s, n));
        }
      }
    }
    L.info(String.format("%5d|%-4s|%x|%b|%%", n, s, n, true));
"""
    a, b = inventory_of(tmp_path, *SLF4J, body)
    assert a.template == "<*> failed after <*> tries"
    assert a.in_catch == "IllegalStateException | IllegalArgumentException"
    assert a.guard == "L.isDebugEnabled() && n > 0" and a.in_loop
    assert re.match(a.regex, "job failed after 1,200 tries")
    assert b.template == "<*>|<*>|<*>|<*>|%"
    assert re.match(b.regex, "   42|ab  |2a|true|%")
    assert not re.match(b.regex, "   42|ab  |zz|true|%")
