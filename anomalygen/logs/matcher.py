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
  For the same reason such a regex matches every message of a key at the same places, so when the key alone
  decides the winner, its parameters are sliced out at the places the first message of the key gave.

Statements whose template has no letter or digit outside its slots (`<*>`, `<*>: <*>`) would match anything;
they are left out (`excluded`) and their lines go to the fallback.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from operator import call, itemgetter
from typing import Any

from anomalygen.core.levels import normalise as normalise_level
from anomalygen.core.statements import LogStatement
from anomalygen.core.templates import effective_template, is_opaque, literal_parts

_BDIGITS = bytes.maketrans(b"0123456789", b"0000000000")
_HAS_DIGIT = re.compile(r"[0-9]")


def positions(items: list, value: object) -> Iterator[int]:
    """The indexes of `value` in `items`, in order, each found by `list.index` (a scan in C); `items` may be changed
    at an index once it has been handed out."""
    i = -1
    while True:
        try:
            i = items.index(value, i + 1)
        except ValueError:
            return
        yield i


def digit_key(message: str) -> bytes:
    """The decision-cache key: the message's UTF-8 bytes with every ASCII digit set to 0."""
    return message.encode("utf-8", "surrogatepass").translate(_BDIGITS)


def digit_keys(messages: list[str]) -> list[bytes]:
    """`digit_key` of each message, computed in C."""
    return list(
        map(bytes.translate, map(str.encode, messages, repeat("utf-8"), repeat("surrogatepass")), repeat(_BDIGITS))
    )


def _params_getter(regex: re.Pattern[str], message: str) -> Callable[[str], tuple]:
    """`m -> regex.match(m).groups()` for every message with `message`'s digit key (see the module text), from
    slices where it can: a regex that cannot tell one digit from another matches all of them at the same places."""
    spans = regex.match(message).regs[1:]  # type: ignore[union-attr]  # `message` is one the regex matched
    if any(a < 0 for a, _ in spans):  # a group that took no part has the value None, not a slice
        match = regex.match
        return lambda m: match(m).groups()  # type: ignore[union-attr]  # called for matching messages only
    if not spans:
        return lambda m: ()
    if len(spans) == 1:
        ((a, b),) = spans
        return lambda m: (m[a:b],)
    return itemgetter(*[slice(a, b) for a, b in spans])


def _no_params(message: str) -> tuple:
    return ()


_UNDECIDED = (-2, 0, _no_params)  # stands in for a decision the header must make, until `_resolve` makes it


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


def digit_sensitive(regex: str) -> bool:
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

    def add(self, other: MatchStats) -> None:
        for k in (
            "lines",
            "matched",
            "unmatched",
            "ambiguous",
            "ambiguous_templates",
            "decided_by_location",
            "cache_hits",
        ):
            setattr(self, k, getattr(self, k) + getattr(other, k))
        self.per_statement.update(other.per_statement)

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
    def __init__(
        self,
        statements: Sequence[LogStatement],
        cache_size: int = 200_000,
        use_location: bool = True,
        header: tuple[int, int, int] = (-1, -1, -1),
    ):
        self.statements = list(statements)
        self.entries: list[_Entry] = []
        self.excluded: list[LogStatement] = []  # opaque templates
        self.invalid: list[tuple[LogStatement, str]] = []  # regexes that do not compile
        self.cache_size = cache_size
        self.use_location = use_location  # False: the header never names a line number
        self.header = header  # where `fast_decide`'s header holds the level, component and line number (-1: none)
        # key -> (entries that surely match, digit-sensitive entries to test, ambiguity flag, and when the key
        #         decides the winner: (winner, candidates, message -> the winner's parameters), else None)
        self._cache: dict[bytes, tuple] = {}
        self._cache_get = self._cache.get  # clear() keeps the dict, so the bound method stays valid
        self._choice: dict[tuple, tuple[int, bool, bool]] = {}
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
            self.entries.append(
                _Entry(
                    st=st,
                    index=i,
                    regex=crx,
                    template=tpl,
                    specificity=sum(len(p) for p in parts),
                    slots=len(parts) - 1,
                    cut=cut,
                    digits=digit_sensitive(rx),
                    anchor=max(parts, key=len),
                    rank=(sum(len(p) for p in parts), 1 - len(parts), not cut),
                )
            )
        # each entry's event id and template, as parsed lines carry them
        self.event_ids = [e.st.id for e in self.entries]
        self.event_templates = [e.st.template for e in self.entries]
        # the token index: each entry under its rarest digit-free bounded token
        toks = [set(bounded_tokens(e.template)) for e in self.entries]
        df: Counter = Counter()
        for ts in toks:
            df.update(ts)
        self.index: dict[str, list[int]] = {}
        self.unindexed: list[int] = []
        for k, (_e, ts) in enumerate(zip(self.entries, toks, strict=True)):
            usable = [t for t in ts if not _HAS_DIGIT.search(t)]
            if usable:
                key = min(usable, key=lambda t: (df[t], -len(t), t))
                self.index.setdefault(key, []).append(k)
            else:
                self.unindexed.append(k)
        # digit-sensitive statements outside the index must be re-tested on every message
        self._always_digits = tuple(k for k in self.unindexed if self.entries[k].digits)
        self.reset_stats()

    # -- statistics: plain counters on the hot path, a `MatchStats` on demand ----------------------------------

    def reset_stats(self) -> None:
        self._seen = [0] * (len(self.entries) + 1)  # lines decided per entry; the last slot: lines none matched
        self._tally = [0, 0, 0, 0, 0]  # ambiguous, decided by location, different templates, fast misses, match()
        self._hits = 0  # cache hits of `lookup`
        self._merged = MatchStats()

    def add_stats(self, other: MatchStats) -> None:
        """Count another matcher's lines as this one's (a parallel worker's part of the input)."""
        self._merged.add(other)

    @property
    def stats(self) -> MatchStats:
        """The counts so far (a snapshot)."""
        seen = self._seen
        lines = sum(seen)
        amb, loc, diff, misses, calls = self._tally
        out = MatchStats(
            lines=lines,
            matched=lines - seen[-1],
            unmatched=seen[-1],
            ambiguous=amb,
            ambiguous_templates=diff,
            decided_by_location=loc,
            cache_hits=self._hits + lines - calls - misses,  # every fast_decide call looks up once
            per_statement=Counter({self.entries[k].index: c for k, c in enumerate(seen[:-1]) if c}),
        )
        out.add(self._merged)
        return out

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

    def lookup(self, message: str, key: bytes | None = None) -> tuple:
        """Through the cache: (entries that surely match, digit-sensitive entries still to test, 0 when at most
        one entry matches / 1 when several share one template / 2 when their templates differ, and when no
        digit-sensitive entry is left to test and the header cannot change the choice `(winner, candidates,
        message -> parameters)` for every message of this key, else None)."""
        if key is None:
            key = digit_key(message)
        hit = self._cache_get(key)
        if hit is not None:
            self._hits += 1
            return hit
        return self._fill(message, key)

    def _fill(self, message: str, key: bytes) -> tuple:
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
            elif (
                plain
                and not self.use_location
                and len({(entries[k].st.class_name, entries[k].st.level) for k in plain}) == 1
            ):
                # same class and level: the header cannot tell them apart, the template rule decides
                static = max((entries[k].rank, -k, k) for k in plain)[2]
        if len(self._cache) >= self.cache_size:
            self._cache.clear()
        decided = (static, len(plain), _params_getter(entries[static].regex, message)) if static >= 0 else None
        self._cache[key] = hit = (plain, dig, flag, decided)
        return hit

    def with_digits(self, message: str, plain: tuple[int, ...], dig: tuple[int, ...]) -> tuple[int, ...]:
        entries = self.entries
        extra = tuple(k for k in dig if entries[k].anchor in message and entries[k].regex.match(message))
        return tuple(sorted(plain + extra)) if extra else plain

    def candidates(self, message: str) -> tuple[int, ...]:
        """Entry numbers whose regex matches `message`, in entry order."""
        plain, dig = self.lookup(message)[:2]
        return self.with_digits(message, plain, dig) if dig else plain

    def fast_decide(self, message: str, header: Sequence[str] = ()) -> tuple[int, int, tuple]:
        """(entry number or -1, number of candidate entries, parameter values) for one message, counted in
        `stats`: the parser's hot path. `header` is the line's header fields; only a message that several entries
        match reads its level, component and line number from it (at the positions `self.header` names)."""
        key = message.encode().translate(_BDIGITS)  # digit_key's bytes for any text a log file decodes to
        hit = self._cache_get(key)
        if hit is None:
            self._tally[3] += 1
            hit = self._fill(message, key)
        decided = hit[3]
        if decided is not None:
            k, n, params = decided
            self._seen[k] += 1
            flag = hit[2]
            if flag:
                tally = self._tally
                tally[0] += 1
                tally[2] += flag == 2
            return k, n, params(message)
        li, cj, lj = self.header
        k, n = self._resolve(
            message,
            hit[0],
            hit[1],
            header[li] if li >= 0 else "",
            header[cj] if cj >= 0 else "",
            header[lj] if lj >= 0 else "",
        )
        # n > 0: entry k matched the message
        return k, n, self.entries[k].regex.match(message).groups() if n else ()  # type: ignore[union-attr]

    def fast_entries(
        self, messages: list[str], headers: Sequence[Sequence[str]], keys: list[bytes] | None = None
    ) -> list[int]:
        """`fast_decide`'s entry number (-1: none) of each message, counted alike, without the parameters: for a
        caller that needs only each line's statement (detect). A block at a time, so that the usual message (its
        key cached, the winner decided by the key) costs no Python-level step of its own. `keys`: the messages'
        `digit_keys`, when the caller has them."""
        return self._decide_all(messages, headers, keys, False)[0]

    def fast_decisions(
        self, messages: list[str], headers: Sequence[Sequence[str]], keys: list[bytes] | None = None
    ) -> tuple[list[int], list[int], list[tuple]]:
        """`fast_decide` for a block of messages: (entry numbers, numbers of candidates, parameter values)."""
        return self._decide_all(messages, headers, keys, True)

    def _decide_all(
        self, messages: list[str], headers: Sequence[Sequence[str]], keys: list[bytes] | None, with_params: bool
    ) -> tuple[list[int], list[int], list[tuple]]:
        if keys is None:
            keys = digit_keys(messages)
        hits: list[Any] = list(map(self._cache_get, keys))  # the misses (None) are filled in below
        tally = self._tally
        for i in positions(hits, None):
            hit = self._cache_get(keys[i])  # an earlier message of the block may have filled it
            if hit is None:
                tally[3] += 1
                hit = self._fill(messages[i], keys[i])
            hits[i] = hit
        decided = list(map(itemgetter(3), hits))
        flags = list(map(itemgetter(2), hits))
        undecided = list(positions(decided, None))
        for i in undecided:
            decided[i] = _UNDECIDED
            flags[i] = 0  # `_resolve` counts these lines' candidates itself
        ks = list(map(itemgetter(0), decided))
        seen = self._seen
        for k, c in Counter(ks).items():
            if k != -2:
                seen[k] += c
        tally[0] += len(flags) - flags.count(0)
        tally[2] += flags.count(2)
        ns = list(map(itemgetter(1), decided)) if with_params else []
        params = list(map(call, map(itemgetter(2), decided), messages)) if with_params else []
        li, cj, lj = self.header
        for i in undecided:
            header, hit, message = headers[i], hits[i], messages[i]
            k, n = self._resolve(
                message,
                hit[0],
                hit[1],
                header[li] if li >= 0 else "",
                header[cj] if cj >= 0 else "",
                header[lj] if lj >= 0 else "",
            )
            ks[i] = k
            if with_params:
                ns[i] = n
                # n > 0: entry k matched the message
                params[i] = self.entries[k].regex.match(message).groups() if n else ()  # type: ignore[union-attr]
        return ks, ns, params

    def match(self, message: str, level: str = "", component: str = "", line: str = "") -> tuple[int, tuple, int]:
        """(entry number or -1, parameter values, number of candidates)."""
        self._tally[4] += 1
        plain, dig = self.lookup(message)[:2]
        k, n = self._resolve(message, plain, dig, level, component, line)
        if k < 0:
            return -1, (), 0
        m = self.entries[k].regex.match(message)
        return k, (m.groups() if m is not None else ()), n

    def _resolve(
        self, message: str, plain: tuple[int, ...], dig: tuple[int, ...], level: str, component: str, line: str
    ) -> tuple[int, int]:
        cands = self.with_digits(message, plain, dig) if dig else plain
        n = len(cands)
        k = cands[0] if n == 1 else self.choose(cands, level, component, line) if n else -1
        self._seen[k] += 1
        return k, n

    def choose(self, cands: tuple[int, ...], level: str, component: str, line: str) -> int:
        """The winner among several candidates (counted as an ambiguous line)."""
        k, loc, diff = self.decide(cands, level, component, line)
        tally = self._tally
        tally[0] += 1
        tally[1] += loc
        tally[2] += diff
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
