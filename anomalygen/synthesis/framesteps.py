"""A path's steps, read frame by frame through a trie of frame prefixes.

Sampled paths of one entry share little as whole paths (in Hadoop 2.5.0's costliest entries about 4% of a path's
conditions lie on a prefix an earlier path had) but much frame by frame (about 80%): callee frames repeat. A
step's SSA form depends only on the earlier steps of its own call frame (SSA versions are keyed by frame), so a
trie node per frame prefix holds the step without reading it again (a dict lookup instead of building the
step's SSA key).
"""

from __future__ import annotations

from typing import Any, Callable


class Node:
    """A frame prefix: the step its last condition reads as, and what holds for the prefix as a whole."""

    __slots__ = ("kids", "parent", "step", "asserts", "partial", "effects")

    def __init__(self, parent: "Node | None", step: Any, effect: bool):
        self.kids: dict[tuple, Node] = {}  # path condition -> the longer prefix
        self.parent = parent
        self.step = step
        self.asserts = step is not None and step.assertion is not None
        self.partial = parent is not None and (parent.partial or step.partial)
        self.effects = parent is None or (parent.effects and effect)  # only assignments and havocs so far

    def versions(self) -> dict:
        """The SSA versions after this prefix (its frame's keys only), replayed from the frame's first step."""
        chain = []
        n: Node | None = self
        while n is not None and n.parent is not None:
            chain.append(n.step)
            n = n.parent
        out: dict = {}
        get = out.get
        for st in reversed(chain):
            for vk in st.bumps:
                out[vk] = get(vk, 0) + 1
        return out
