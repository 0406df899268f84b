"""Order constraints between the events of different threads, learned from real sessions, and random
interleavings of segments that keep each segment's own order and every learned constraint.

Two kinds of "always precedes", each kept when the sessions holding both sides agree (all of them, or a share
`min_share` of them: one odd session among hundreds must not free every order):
- between events: every `a` before every `b` (the block is allocated before any replica is stored);
- between occurrences: the i-th `a` before the j-th `b` (the first replica received before the first addStoredBlock).
Learning them from the very sessions that are recombined is the conservative choice: with few sessions, more
orders look fixed and fewer new interleavings come out, never more.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field

Occ = tuple[str, int]


def occurrences(events: list[str]) -> list[Occ]:
    seen: Counter = Counter()
    out = []
    for e in events:
        seen[e] += 1
        out.append((e, seen[e]))
    return out


@dataclass
class Precedence:
    events: dict[str, set[str]] = field(default_factory=dict)  # b -> every a that always comes before all b
    occs: dict[Occ, set[Occ]] = field(default_factory=dict)  # (b, j) -> every (a, i) always before it

    @classmethod
    def learn(cls, sessions: list[list[str]], min_support: int = 1, min_share: float = 1.0) -> Precedence:
        if not 0.5 < min_share <= 1:
            raise ValueError(f"min_share {min_share} is not in (0.5, 1]")
        return cls(
            _always_before([list(s) for s in sessions], min_support, min_share),
            _always_before([occurrences(s) for s in sessions], min_support, min_share),
        )

    def predecessors(self, labels: list[Occ]) -> list[set[int]]:
        """Per position of a session (its events labelled by occurrence), the positions that must come first."""
        at: dict[str, list[int]] = defaultdict(list)
        occ_at: dict[Occ, int] = {}
        for i, (e, k) in enumerate(labels):
            at[e].append(i)
            occ_at[(e, k)] = i
        out = []
        for e, k in labels:
            need: set[int] = set()
            for a in self.events.get(e, ()):
                need.update(at.get(a, ()))
            for o in self.occs.get((e, k), ()):
                j = occ_at.get(o)
                if j is not None:
                    need.add(j)
            out.append(need)
        return out


def _always_before(sessions: list[list], min_support: int, min_share: float) -> dict:
    support: Counter = Counter()
    held: Counter = Counter()
    for s in sessions:
        first: dict = {}
        last: dict = {}
        for i, x in enumerate(s):
            first.setdefault(x, i)
            last[x] = i
        xs = list(first)
        for a in xs:
            la = last[a]
            for b in xs:
                if a != b:
                    support[(a, b)] += 1
                    if la < first[b]:
                        held[(a, b)] += 1
    out: dict = defaultdict(set)
    for (a, b), n in held.items():
        if n >= min_support and n >= min_share * support[(a, b)]:  # above one half: never both ways
            out[b].add(a)
    return dict(out)


def interleave(segments: list[list[int]], preds: list[set[int]], rng: random.Random | None) -> tuple[list[int], int]:
    """An order of all positions: each segment in its own order, each position after its predecessors.

    At every step a segment whose next position is free is drawn uniformly (without `rng`: the free position
    that comes first, so the reference order itself where it is allowed). When none is free (possible only
    after an edit brought in a segment the constraints never saw) the head with the fewest unmet predecessors
    goes next; the second result counts those relaxations."""
    heads = [0] * len(segments)
    done: set[int] = set()
    out: list[int] = []
    relaxed = 0
    total = sum(len(s) for s in segments)
    while len(out) < total:
        live = [i for i, s in enumerate(segments) if heads[i] < len(s)]
        free = [i for i in live if preds[segments[i][heads[i]]] <= done]
        if not free:
            relaxed += 1
            fewest = min(len(preds[segments[i][heads[i]]] - done) for i in live)
            free = [i for i in live if len(preds[segments[i][heads[i]]] - done) == fewest]
        i = free[int(rng.random() * len(free))] if rng is not None else min(free, key=lambda f: segments[f][heads[f]])
        p = segments[i][heads[i]]
        heads[i] += 1
        done.add(p)
        out.append(p)
    return out, relaxed


def swap_nearby(
    order: list[int], segment_of: list[int], preds: list[set[int]], swaps: int, rng: random.Random
) -> list[int]:
    """`swaps` adjacent exchanges, each of two events of different segments that no constraint orders: the
    small reorderings between concurrent threads that make most unseen real sessions."""
    order = list(order)
    for _ in range(swaps):
        ok = [
            i
            for i in range(len(order) - 1)
            if segment_of[order[i]] != segment_of[order[i + 1]] and order[i] not in preds[order[i + 1]]
        ]
        if not ok:
            break
        i = ok[int(rng.random() * len(ok))]
        order[i], order[i + 1] = order[i + 1], order[i]
    return order
