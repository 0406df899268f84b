"""Statements the code prints for a session key on normal lines, whatever real sessions have shown: the raw
material for behaviour a young system's logs have not shown yet.

A long-running thread's path mixes many keys (a scanner's loop verifies one block per iteration, and one
failed verification makes the whole path anomalous), so whole paths cannot say which lines are normal for one
key. Each statement is judged on its own instead: it is kept when some feasible path of some entry prints it
with the session key, the line rules call the line itself normal (level, catch block, failure and negation
words), and some feasible path of an entry whose name names no failure prints it before any failing line at all and,
with a session key and outside a loop, with nothing the rules object to among that path's lines for the key and
no flag named for recovery found set on it (a line only ever printed after a failure, such as a bad block being
reported after a failed verification, only beside one in the same execution, or only in a run that exists because
an earlier one failed, is recovery, not valid behaviour on its own). What the code also tells about it, and the
session model uses:

- `role`: the thread kind that prints it (the most specific entry, as for the thread model's segments);
- `trigger`: `request` when an entry reached from outside the process by a call (RPC, handler, main, an
  uncalled method) prints it, `thread` when only background thread bodies do. A request's effects on a key are
  carried out later by the threads that poll for work, so request statements go first;
- `in_loop`: inside a loop, where one execution may print it once per holder of the key;
- `follow`: for a request statement, the background thread's statement that carries it out, when their
  messages name the same operation: the rarest word stem (among the statements) both templates share.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass

REQUEST, THREAD = "request", "thread"


@dataclass(frozen=True)
class NovelStatement:
    key: str
    role: str
    trigger: str  # request | thread
    in_loop: bool
    why_normal: str  # the line rules' verdict, in words
    follow: str | None = None  # a thread statement that carries this request out

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> NovelStatement:
        f = d.get("follow")
        return cls(
            str(d["key"]),
            str(d["role"]),
            str(d["trigger"]),
            bool(d["in_loop"]),
            str(d["why_normal"]),
            None if f is None else str(f),
        )


def trigger_of(reasons: list[str]) -> str:
    """`thread` for a thread body, else `request` (rpc, handler, main, a method nothing analysed calls)."""
    return THREAD if "thread" in reasons else REQUEST


def novel_statements(
    candidates,
    by_id: dict,
    objection,
    failing,
    entry_reasons: dict[str, list[str]],
    twin: dict[str, str],
    entry_objection=lambda entry: None,
    path_objection=lambda record: None,
    keyed: bool = True,
) -> dict[str, NovelStatement]:
    """Every statement some kept path prints with the session key on a line nothing objects to, of an entry
    whose name names no failure, reached before any failing line, and (outside a loop) on a path whose lines for
    the key nothing objects to either.

    `candidates`: the generator's kept visible sequences with their paths (any label: a whole path's label
    speaks for all the keys it touched, not for one); `objection(statement)`: why the line is not a plain normal
    one, or None; `failing(statement)`: the line rules find it suspicious or anomalous; `entry_reasons[entry]`:
    why the entry is one; `twin`: statement id -> the id its identical twins share."""
    entries: dict[str, set[str]] = defaultdict(set)
    vocab: dict[str, set[str]] = defaultdict(set)
    clean: set[str] = set()  # printed for the key by a wholly clean execution, before any failing line
    named = {}
    for c in candidates:
        visible = set(c.events)
        for sid in c.events:
            k = twin.get(sid, sid)
            entries[k].add(c.entry)
            vocab[c.entry].add(k)
        if c.entry not in named:
            named[c.entry] = entry_objection(c.entry)
        if named[c.entry] is not None:
            continue
        # with a session key and outside a loop, a path's lines for the key are one execution on that key: a
        # line the code prints only beside a line the rules object to (a block reopened only on the path that
        # also reports a mirror exception) belongs to that failure. Inside a loop, another iteration's failure
        # is another key's; without a key, a path is a whole thread's run, whose later failure is another event.
        plain = not keyed or (
            not any(objection(by_id[sid]) is not None for sid in c.events) and path_objection(c.record) is None
        )
        for sid in c.record.events:
            if failing(by_id[sid]):
                break
            if sid in visible and (plain or by_id[sid].in_loop):
                clean.add(twin.get(sid, sid))
    out: dict[str, NovelStatement] = {}
    for k in sorted(entries):
        st = by_id[k]
        if k not in clean or objection(st) is not None:
            continue
        ents = sorted(entries[k], key=lambda e: (len(vocab[e]), e))
        triggers = {trigger_of(entry_reasons.get(e, [])) for e in ents}
        trigger = REQUEST if REQUEST in triggers else THREAD
        why = (
            f"{st.level} line outside any catch block, no failure or negation word, no Throwable, reached before "
            f"any failing line{'' if st.in_loop or not keyed else ' on a path of plain lines'}; printed for the "
            f"key by "
            f"{len(ents)} entr{'y' if len(ents) == 1 else 'ies'} ({trigger})"
        )
        out[k] = NovelStatement(k, ents[0], trigger, bool(st.in_loop), why)
    follow = _follows(out, {k: by_id[k].template for k in out})
    return {k: NovelStatement(n.key, n.role, n.trigger, n.in_loop, n.why_normal, follow.get(k)) for k, n in out.items()}


_WORD = re.compile(r"[A-Za-z]{3,}")
# English function words name no operation: two messages sharing only "for" or "from" share no work
_FUNCTION_WORDS = frozenset(
    [
        "about",
        "after",
        "and",
        "are",
        "but",
        "for",
        "from",
        "has",
        "have",
        "into",
        "its",
        "not",
        "off",
        "onto",
        "out",
        "over",
        "than",
        "that",
        "the",
        "then",
        "this",
        "was",
        "were",
        "what",
        "when",
        "which",
        "while",
        "with",
    ]
)


def _stems(template: str) -> set[str]:
    """Crude stems of the content words (the first five letters, lower case): `delete` and `Deleting` meet."""
    words = _WORD.findall(template.replace("<*>", " "))
    return {w.lower()[:5] for w in words if w.lower() not in _FUNCTION_WORDS}


def _follows(novel: dict[str, NovelStatement], templates: dict[str, str]) -> dict[str, str]:
    """Request statement -> the thread statement sharing its rarest stem (a stem in at most a quarter of the
    statements: the key's own noun, in nearly all of them, links nothing). Ties go to the smaller key."""
    stems = {k: _stems(t) for k, t in templates.items()}
    df = Counter(s for ss in stems.values() for s in ss)
    limit = max(2, len(stems) // 4)
    out: dict[str, str] = {}
    threads = sorted(k for k, n in novel.items() if n.trigger == THREAD)
    for k, n in sorted(novel.items()):
        if n.trigger != REQUEST:
            continue
        best, score = None, 0.0
        for t in threads:
            s = sum(math.log(len(stems) / df[w]) for w in stems[k] & stems[t] if df[w] <= limit)
            if s > score + 1e-12:
                best, score = t, s
        if best is not None:
            out[k] = best
    return out


def remap_novel(novel: dict[str, NovelStatement], key_of: dict[str, str]) -> dict[str, NovelStatement]:
    """The same statements under a dataset's keys; a key shared by twins keeps its first statement."""
    out: dict[str, NovelStatement] = {}
    for sid, n in sorted(novel.items()):
        k = key_of.get(sid)
        if k is not None and k not in out:
            f = key_of.get(n.follow) if n.follow else None
            out[k] = NovelStatement(k, n.role, n.trigger, n.in_loop, n.why_normal, f)
    return out
