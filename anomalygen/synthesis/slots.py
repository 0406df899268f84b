"""The pattern each `<*>` slot must match, read off the statement regex (one capture group per slot).

The inventory types some slots: integers are `(-?\\d+)`, a ternary of constants is `(a|b)`. A generated value
that does not fit its slot is repaired (digits kept, an alternative chosen) before the line is rendered.
"""

from __future__ import annotations

import random
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from anomalygen.core.statements import LogStatement

_ESC = re.compile(r"\\(.)", re.DOTALL)


def slot_groups(regex: str) -> list[str]:
    """The source of every top-level capture group, in order."""
    out: list[str] = []
    depth = 0
    start = -1
    i, n = 0, len(regex)
    in_class = False
    while i < n:
        c = regex[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        elif c == "(":
            if depth == 0 and not regex.startswith("(?", i):
                start = i
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0 and start >= 0:
                out.append(regex[start + 1 : i])
                start = -1
        i += 1
    return out


def alternatives(group: str) -> list[str] | None:
    """`a|b|` -> ["a", "b", ""] when every alternative is plain (escaped) text, else None."""
    parts: list[str] = []
    cur = []
    i = 0
    while i < len(group):
        c = group[i]
        if c == "\\":
            cur.append(group[i : i + 2])
            i += 2
            continue
        if c == "|":
            parts.append("".join(cur))
            cur = []
        elif c in "()[]*+?{}.^$":
            return None
        else:
            cur.append(c)
        i += 1
    parts.append("".join(cur))
    if len(parts) < 2:
        return None
    return [_ESC.sub(r"\1", p) for p in parts]


class SlotShapes:
    def __init__(self, regex: str):
        self.groups = slot_groups(regex)
        self.compiled = [re.compile(g, re.DOTALL) for g in self.groups]
        self.alts = [alternatives(g) for g in self.groups]

    def fits(self, i: int, value: str) -> bool:
        return i >= len(self.compiled) or bool(self.compiled[i].fullmatch(value))

    def repair(self, i: int, value: str, rng: random.Random) -> str:
        if self.fits(i, value):
            return value
        alts = self.alts[i] if i < len(self.alts) else None
        if alts is not None:
            return rng.choice(alts)
        digits = re.search(r"-?\d+", value)
        if digits and self.fits(i, digits.group(0)):
            return digits.group(0)
        for candidate in (str(rng.randint(0, 1000)), "true", "x"):
            if self.fits(i, candidate):
                return candidate
        return value


_SHAPES: dict[str, SlotShapes] = {}


def shapes_of(st: LogStatement) -> SlotShapes:
    """A statement's slot shapes, built once per regex: every session line and key check asks again."""
    sh = _SHAPES.get(st.regex)
    if sh is None:
        sh = _SHAPES[st.regex] = SlotShapes(st.regex)
    return sh
