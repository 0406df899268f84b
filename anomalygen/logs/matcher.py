"""Source-informed matching: which log statement printed a message, and with which parameter values.

Every statement regex (from the inventory) that matches a message is a candidate; the winner is, in order:
the statement at the line number and class the header names (log4j `%C@%L`, as in ZooKeeper's logs), then the
most specific template (most literal characters, then fewest slots, then a whole template over one cut at its
first newline), then the one whose level and class agree with the header, then the first in inventory order.
Several candidates make the line *ambiguous*; that is counted, never hidden.

Speed comes from two things:

* a shortlist: each statement is indexed under one of its literal, whitespace-bounded tokens (the rarest), so a
  message only tries the statements indexed under its own tokens, plus the few that have no such token (those are
  first checked for their longest literal piece with `in`);
* a decision cache keyed by the message with its ASCII digits set to `0`. Two messages with the same key differ
  only in which digits sit at the same places, and a statement regex without digits of its own (literal text and
  `\\d`/`.*?`-like slots) cannot tell them apart, so the set of such statements that match is the same. Statements
  whose regex has digits (`got -1`, `sessionid 0x<*>`) are re-tested on every message that could use them.

Statements whose template has no letter or digit outside its slots (`<*>`, `<*>: <*>`) would match anything;
they are left out (`excluded`) and their lines go to the fallback.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

from anomalygen.core.levels import normalise as normalise_level
from anomalygen.core.templates import effective_template, is_opaque, literal_parts
from anomalygen.source.model import LogStatement

_BDIGITS = bytes.maketrans(b"0123456789", b"0000000000")
_HAS_DIGIT = re.compile(r"[0-9]")


def digit_key(message: str) -> bytes:
    """The decision-cache key: the message's UTF-8 bytes with every ASCII digit set to 0."""
    return message.encode("utf-8", "surrogatepass").translate(_BDIGITS)


def bounded_tokens(template: str) -> list[str]:
    """Literal whitespace-separated tokens with whitespace (or the template's ends) on both sides.

    Such a token is a whole token of `message.split()` of every message the template's regex matches."""
    parts = literal_parts(template)
    out: list[str] = []
    last = len(parts) - 1
    for i, part in enumerate(parts):
        chunks = re.split(r"(\s+)", part)
        # chunks alternate token, ws, token, ...; the first/last token touches a slot unless at template ends
        toks = [(j, c) for j, c in enumerate(chunks) if c and not c.isspace()]
        for j, tok in toks:
            left_ok = j > 0 or i == 0
            right_ok = j < len(chunks) - 1 or i == last
            if left_ok and right_ok:
                out.append(tok)
    return out


def _digit_sensitive(regex: str) -> bool:
    """True when the regex could tell one ASCII digit from another (a digit in its text besides 0-9 classes)."""
    return bool(_HAS_DIGIT.search(regex.replace(r"\d", "").replace("0-9", "")))


def class_agreement(component: str, class_name: str) -> int:
    """2: the header's component names the statement's class; 1: the same outer class; 0: no.

    Only the text after the last `:` counts: a class name has none, and ZooKeeper's `[<Node>:<Component>@<Id>]`
    split leaves thread-name pieces in front (`188978561024:QuorumCnxManager$SendWorker`)."""
    component = component.rsplit(":", 1)[-1].strip()
    if not component:
        return 0
    if class_name == component or class_name.endswith("." + component):
        return 2
    outer_c = component.split("$", 1)[0]
    outer_k = class_name.split("$", 1)[0]
    if outer_k == outer_c or outer_k.endswith("." + outer_c):
        return 1
    return 0


@dataclass
class _Entry:
    st: LogStatement
    index: int
    regex: re.Pattern[str]
    template: str  # effective template
    specificity: int
    slots: int
    cut: bool
    digits: bool
    anchor: str  # longest literal piece, for statements outside the token index

    rank: tuple = ()  # (specificity, -slots, whole template): larger is more specific


@dataclass
class MatchStats:
    lines: int = 0
    matched: int = 0
    unmatched: int = 0
    ambiguous: int = 0  # lines with several candidate statements
    ambiguous_templates: int = 0  # ... whose candidates do not all share one template text
    decided_by_location: int = 0  # ... settled by the header's class and line number
    cache_hits: int = 0
    per_statement: Counter = field(default_factory=Counter)

    def to_dict(self) -> dict:
        return {
            "lines": self.lines,
            "matched": self.matched,
            "unmatched": self.unmatched,
            "ambiguous": self.ambiguous,
            "ambiguous_different_templates": self.ambiguous_templates,
            "decided_by_location": self.decided_by_location,
            "cache_hits": self.cache_hits,
            "statements_seen": len(self.per_statement),
        }


class Matcher:
    def __init__(self, statements: Sequence[LogStatement], cache_size: int = 200_000, use_location: bool = True):
        self.statements = list(statements)
        self.entries: list[_Entry] = []
        self.excluded: list[LogStatement] = []  # opaque templates
        self.invalid: list[tuple[LogStatement, str]] = []  # regexes that do not compile
        self.stats = MatchStats()
        self.cache_size = cache_size
        self.use_location = use_location  # False: the header never names a line number
        # key -> (entries that surely match, digit-sensitive entries to test, static winner or -1, ambiguity flag)
        self._cache: dict[bytes, tuple[tuple[int, ...], tuple[int, ...], int, int]] = {}
        self._choice: dict[tuple, int] = {}
        for i, st in enumerate(self.statements):
            tpl, rx, cut = effective_template(st)
            if is_opaque(tpl):
                self.excluded.append(st)
                continue
            try:
                crx = re.compile(rx)
            except re.error as err:
                self.invalid.append((st, str(err)))
                continue
            parts = literal_parts(tpl)
            self.entries.append(_Entry(
                st=st, index=i, regex=crx, template=tpl,
                specificity=sum(len(p) for p in parts), slots=len(parts) - 1, cut=cut,
                digits=_digit_sensitive(rx), anchor=max(parts, key=len),
                rank=(sum(len(p) for p in parts), 1 - len(parts), not cut),
            ))
        # the token index: each entry under its rarest digit-free bounded token
        toks = [set(bounded_tokens(e.template)) for e in self.entries]
        df: Counter = Counter()
        for ts in toks:
            df.update(ts)
        self.index: dict[str, list[int]] = {}
        self.unindexed: list[int] = []
        for k, (e, ts) in enumerate(zip(self.entries, toks)):
            usable = [t for t in ts if not _HAS_DIGIT.search(t)]
            if usable:
                key = min(usable, key=lambda t: (df[t], -len(t), t))
                self.index.setdefault(key, []).append(k)
            else:
                self.unindexed.append(k)
        # digit-sensitive statements outside the index must be re-tested on every message
        self._always_digits = tuple(k for k in self.unindexed if self.entries[k].digits)

    # -- matching -------------------------------------------------------------------------------------------

    def _shortlist(self, message: str) -> set[int]:
        cands: set[int] = set()
        get = self.index.get
        for t in message.split():
            lst = get(t)
            if lst is not None:
                cands.update(lst)
        entries = self.entries
        for k in self.unindexed:
            if entries[k].anchor in message:
                cands.add(k)
        return cands

    def lookup(self, message: str, key: bytes | None = None) -> tuple[tuple[int, ...], tuple[int, ...], int, int]:
        """Through the cache: (entries that surely match, digit-sensitive entries still to test, the winner when
        no digit-sensitive entry is left to test and the header cannot change the choice else -1, 0 when at most
        one entry matches / 1 when several share one template / 2 when their templates differ)."""
        if key is None:
            key = digit_key(message)
        hit = self._cache.get(key)
        if hit is not None:
            self.stats.cache_hits += 1
            return hit
        entries = self.entries
        cands = self._shortlist(message)
        plain = tuple(sorted(k for k in cands if not entries[k].digits and entries[k].regex.match(message)))
        dig = tuple(sorted({k for k in cands if entries[k].digits} | set(self._always_digits)))
        static, flag = -1, 0
        if len(plain) > 1:
            flag = 2 if len({entries[k].template for k in plain}) > 1 else 1
        if not dig:
            if len(plain) == 1:
                static = plain[0]
            elif plain and not self.use_location and len({(entries[k].st.class_name, entries[k].st.level)
                                                          for k in plain}) == 1:
                # same class and level: the header cannot tell them apart, the template rule decides
                static = max((entries[k].rank, -k, k) for k in plain)[2]
        if len(self._cache) >= self.cache_size:
            self._cache.clear()
        self._cache[key] = hit = (plain, dig, static, flag)
        return hit

    def with_digits(self, message: str, plain: tuple[int, ...], dig: tuple[int, ...]) -> tuple[int, ...]:
        entries = self.entries
        extra = tuple(k for k in dig if entries[k].anchor in message and entries[k].regex.match(message))
        return tuple(sorted(plain + extra)) if extra else plain

    def candidates(self, message: str) -> tuple[int, ...]:
        """Entry numbers whose regex matches `message`, in entry order."""
        plain, dig, _, _ = self.lookup(message)
        return self.with_digits(message, plain, dig) if dig else plain

    def match(self, message: str, level: str = "", component: str = "", line: str = "") -> tuple[int, tuple, int]:
        """(entry number or -1, parameter values, number of candidates)."""
        st = self.stats
        st.lines += 1
        cands = self.candidates(message)
        n = len(cands)
        if n == 0:
            st.unmatched += 1
            return -1, (), 0
        k = cands[0] if n == 1 else self.choose(cands, level, component, line)
        entry = self.entries[k]
        m = entry.regex.match(message)
        st.matched += 1
        st.per_statement[entry.index] += 1
        return k, (m.groups() if m is not None else ()), n

    def choose(self, cands: tuple[int, ...], level: str, component: str, line: str) -> int:
        """The winner among several candidates (counted as an ambiguous line)."""
        k, loc, diff = self.decide(cands, level, component, line)
        st = self.stats
        st.ambiguous += 1
        st.decided_by_location += loc
        st.ambiguous_templates += diff
        return k

    def decide(self, cands: tuple[int, ...], level: str, component: str, line: str) -> tuple[int, bool, bool]:
        """(winner, whether the header's class and line overrode the template rule, whether the candidates'
        templates differ); not counted."""
        memo = (cands, level, component, line)
        got = self._choice.get(memo)
        if got is not None:
            return got
        entries = self.entries
        lineno = int(line) if line.isdigit() else None
        lv = normalise_level(level)
        keyed = []
        for c in cands:
            e = entries[c]
            agree = class_agreement(component, e.st.class_name)
            at_line = lineno is not None and agree == 2 and e.st.line == lineno
            keyed.append(((at_line, e.rank, agree + (e.st.level == lv), -c), c))
        k = max(keyed)[1]
        loc = k != max((key[1:], c) for key, c in keyed)[1]  # the location overrode the template rule
        diff = len({entries[c].template for c in cands}) > 1
        if len(self._choice) >= 100_000:
            self._choice.clear()
        self._choice[memo] = got = (k, loc, diff)
        return got
