"""Event vocabulary shared by all detectors: event key -> index, with index 0 reserved for unseen events."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

OOV = 0


class EventVocabulary:
    """Maps event keys (statement ids or templates) to 1..n; anything not seen in `fit` maps to `OOV` (0).

    Sequence models append their own specials after the events (see `pad_index`, `eos_index`), so count
    vectors never carry a padding column.
    """

    def __init__(self, min_count: int = 1):
        self.min_count = min_count

    def fit(self, sessions: Iterable[Sequence[str]]) -> EventVocabulary:
        counts = Counter(e for s in sessions for e in s)
        # sorted so that the same training data always gives the same indices, whatever the session order
        keys = sorted(k for k, c in counts.items() if c >= self.min_count)
        self.index_ = {k: i + 1 for i, k in enumerate(keys)}
        self.keys_ = ["<OOV>", *keys]
        return self

    def __len__(self) -> int:
        return len(self.keys_)

    @property
    def pad_index(self) -> int:
        return len(self.keys_)

    @property
    def eos_index(self) -> int:
        return len(self.keys_) + 1

    def encode(self, session: Sequence[str]) -> list[int]:
        get = self.index_.get
        return [get(e, OOV) for e in session]

    def encode_many(self, sessions: Iterable[Sequence[str]]) -> list[list[int]]:
        return [self.encode(s) for s in sessions]
