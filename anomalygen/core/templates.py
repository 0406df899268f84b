"""Template text: the `<*>` slot marker and what follows from a template's literal parts.

A statement is anything with `template` and `regex` strings (`core.statements.LogStatement`, its JSON form as an
object); the helpers here read nothing else, so every stage can use them without importing the source stage.
"""

from __future__ import annotations

import re
from typing import Protocol

WILDCARD = "<*>"
_ALNUM = re.compile(r"[A-Za-z0-9]")
_LEADING_SPACE = re.compile(r"^(\(\?s\))?\^((?:\\ )+)")


class Templated(Protocol):
    template: str
    regex: str


def literal_parts(template: str) -> list[str]:
    return template.split(WILDCARD)


def is_opaque(template: str) -> bool:
    """True when the template has no letter or digit outside its slots: it would match almost any message."""
    return not _ALNUM.search("".join(literal_parts(template)))


def first_line_regex(regex: str) -> str | None:
    """The regex cut before its first literal newline (outside any group), anchored at the cut; None if none."""
    depth = 0
    i = 0
    n = len(regex)
    while i < n:
        c = regex[i]
        if c == "\\":
            if depth == 0 and regex[i + 1 : i + 2] == "\n":
                return regex[:i] + "$"
            i += 2
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        i += 1
    return None


def effective_template(st: Templated) -> tuple[str, str, bool]:
    """(template, regex, cut): a template with a literal newline is cut before it (log files hold only its first
    line)."""
    cut = first_line_regex(st.regex)
    if cut is None:
        return st.template, _loose_start(st.regex), False
    tpl = st.template.split("\n", 1)[0]
    return tpl, _loose_start(cut), True


def _loose_start(regex: str) -> str:
    """A message that starts with spaces loses them to the header's separator (`: <Content>`): match without."""
    return _LEADING_SPACE.sub(lambda m: (m.group(1) or "") + "^\\s*", regex, count=1)
