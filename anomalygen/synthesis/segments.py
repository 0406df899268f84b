"""Threads of a session: which entry point (thread kind) prints each event, and the cut of a real session into
segments, one per execution of an entry.

A real session interleaves several threads that print the same key (an HDFS block: the client's allocation on
the NameNode, three DataXceiver and three PacketResponder threads, addStoredBlock RPCs, deletions). Events of one
execution keep their order; events of different executions may interleave. The code says which entry prints a
statement and what one execution can print (the multiset of its feasible visible paths); a session is cut by
giving each event to the newest open execution of its entry that can still print it (the nearest thread that
can have printed it), else a new one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

LOOP_CAP = 1 << 16  # a statement inside a loop: one execution may print it any number of times


@dataclass
class Segment:
    role: str
    positions: list[int]  # indices into the session, increasing


@dataclass
class ThreadModel:
    """`role[key]`: the entry (thread kind) that prints the event; `shapes[role]`: what one execution of it can
    print, as multisets (event -> most occurrences). A role without shapes prints one event per execution."""

    role: dict[str, str] = field(default_factory=dict)
    shapes: dict[str, list[dict[str, int]]] = field(default_factory=dict)
    alias: dict[str, str] = field(default_factory=dict)  # identical twin -> the statement id it is known by

    def key(self, e: str) -> str:
        return self.alias.get(e, e)

    def role_of(self, key: str) -> str:
        key = self.alias.get(key, key)
        return self.role.get(key, f"event:{key}")

    def segment(self, events: list[str]) -> list[Segment]:
        out: list[Segment] = []
        open_: dict[str, list[tuple[Segment, Counter]]] = {}
        for i, e in enumerate(events):
            e = self.alias.get(e, e)
            r = self.role_of(e)
            shapes = self.shapes.get(r)
            if shapes:
                for seg, have in reversed(open_.get(r, [])):
                    if any(
                        have[e] + 1 <= cap.get(e, 0) and all(have[k] <= cap.get(k, 0) for k in have) for cap in shapes
                    ):
                        seg.positions.append(i)
                        have[e] += 1
                        break
                else:
                    seg = Segment(r, [i])
                    out.append(seg)
                    open_.setdefault(r, []).append((seg, Counter({e: 1})))
                continue
            out.append(Segment(r, [i]))
        return out

    def to_dict(self) -> dict:
        return {
            "role": dict(sorted(self.role.items())),
            "shapes": {r: [dict(sorted(c.items())) for c in cs] for r, cs in sorted(self.shapes.items())},
            "alias": dict(sorted(self.alias.items())),
        }

    @classmethod
    def from_dict(cls, d: dict) -> ThreadModel:
        return cls(
            {str(k): str(v) for k, v in d.get("role", {}).items()},
            {str(r): [{str(k): int(v) for k, v in c.items()} for c in cs] for r, cs in d.get("shapes", {}).items()},
            {str(k): str(v) for k, v in d.get("alias", {}).items()},
        )


def attribute(sequences: dict[str, list[tuple[str, ...]]], in_loop: set[str]) -> ThreadModel:
    """A thread model from the code: `sequences[entry]` are the visible event sequences of an entry's feasible,
    normal paths. An event printed by several entries goes to the most specific one (fewest distinct events,
    then name), the innermost thread body that prints it; shapes are the distinct sets of its paths' events,
    each once, except a loop printing an entry's only event, which may repeat."""
    vocab = {e: {k for seq in seqs for k in seq} for e, seqs in sequences.items()}
    role: dict[str, str] = {}
    for entry in sorted(vocab, key=lambda e: (len(vocab[e]), e)):
        for k in sorted(vocab[entry]):
            role.setdefault(k, entry)
    shapes: dict[str, list[dict[str, int]]] = {}
    for entry, seqs in sorted(sequences.items()):
        distinct: dict[tuple, dict[str, int]] = {}
        for seq in seqs:
            own = Counter(k for k in seq if role[k] == entry)
            # a loop that prints the key's only event (deleting a block from each of its datanodes) may repeat;
            # beside other events, a loop's line is about another key on its other iterations: once per session
            c = {k: (LOOP_CAP if k in in_loop and len(own) == 1 else 1) for k in own}
            if c:
                distinct.setdefault(tuple(sorted(c.items())), c)
        if any(sum(min(v, 2) for v in c.values()) > 1 for c in distinct.values()):
            shapes[entry] = _maximal(list(distinct.values()))
    return ThreadModel(role, shapes)


def _maximal(caps: list[dict[str, int]]) -> list[dict[str, int]]:
    """Only the multisets no other one contains: a segment fits one of them iff it fits any."""

    def within(a, b):
        return a is not b and all(b.get(k, 0) >= v for k, v in a.items())

    caps = list({tuple(sorted(c.items())): c for c in caps}.values())
    out = [c for c in caps if not any(within(c, d) for d in caps)]
    return sorted(out, key=lambda c: sorted(c.items()))


def remap(model: ThreadModel, key_of: dict[str, str]) -> ThreadModel:
    """The same model over other event keys (statement ids -> the keys a dataset uses; identical twins share a
    key and their capacities add up); events without a key drop out."""
    role: dict[str, str] = {}
    for sid, r in sorted(model.role.items()):
        k = key_of.get(sid)
        if k is not None:
            role.setdefault(k, r)
    shapes: dict[str, list[dict[str, int]]] = {}
    for r, caps in model.shapes.items():
        mapped = []
        for cap in caps:
            c: Counter = Counter()
            for sid, n in cap.items():
                k = key_of.get(sid)
                if k is not None and role.get(k) == r:
                    c[k] = min(LOOP_CAP, c[k] + n)
            if c:
                mapped.append(dict(c))
        if mapped:
            shapes[r] = _maximal(mapped)
    return ThreadModel(role, shapes)
