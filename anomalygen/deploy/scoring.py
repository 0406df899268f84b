"""Scores of closed sessions, computed once per distinct event sequence.

A session's score (and, for next-event models, what its explanation needs from the model) depends on its
event sequence alone, and logs repeat the same sequences a lot (1,782 HDFS_20000 sessions hold 128 distinct
ones), so a bounded least-recently-used cache keyed by the sequence gives the same results as scoring every
session, by construction. The cache holds at most `max_events` events over all its keys, so its memory stays
bounded whatever the sessions' lengths.

Next-event models are read once per sequence: the ranks that make the score, and the keys expected at the
first unexpected steps, come from the same forward pass (`NextEventDetector.step_ranks`); a session below the
threshold keeps only its score.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from anomalygen.detect.nextevent import NextEventDetector

MAX_UNEXPECTED = 3  # unexpected steps an explanation shows
TOP_EXPECTED = 3  # keys the model expected at each of them


@dataclass(frozen=True, slots=True)
class Step:
    position: int
    rank: int
    expected: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Scored:
    score: float
    unexpected: tuple[Step, ...] = ()  # next-event models, above the threshold: its first unexpected steps


class SessionScorer:
    def __init__(self, detector, max_events: int = 1 << 18):
        self.det = detector
        self.max_events = max_events
        self.cache: OrderedDict[tuple[str, ...], Scored] = OrderedDict()
        self.cached_events = 0
        self.hits = self.misses = 0
        self._threshold = float(detector.threshold_)

    def score(self, sessions: Sequence[Sequence[str]]) -> list[Scored]:
        if float(self.det.threshold_) != self._threshold:  # what an entry keeps depends on the threshold
            self.cache.clear()
            self.cached_events, self._threshold = 0, float(self.det.threshold_)
        keys = [tuple(s) for s in sessions]
        fresh: dict[tuple[str, ...], Scored] = {}
        for k in keys:
            if k in self.cache:
                self.cache.move_to_end(k)
            else:
                fresh[k] = None  # type: ignore[assignment]
        self.misses += len(fresh)
        self.hits += len(keys) - len(fresh)
        if fresh:
            fresh = dict(zip(fresh, self._compute(list(fresh)), strict=True))
            for k, v in fresh.items():
                self._keep(k, v)
        return [fresh[k] if k in fresh else self.cache[k] for k in keys]

    def _keep(self, key: tuple[str, ...], value: Scored) -> None:
        if len(key) > self.max_events:
            return
        self.cache[key] = value
        self.cached_events += len(key)
        while self.cached_events > self.max_events:
            old, _ = self.cache.popitem(last=False)
            self.cached_events -= len(old)

    def _compute(self, sessions: list[tuple[str, ...]]) -> list[Scored]:
        det = self.det
        if isinstance(det, NextEventDetector):
            steps = det.step_ranks(sessions, TOP_EXPECTED, above=det.threshold_, first=MAX_UNEXPECTED)
            return [
                Scored(float(ranks.max()), tuple(Step(p, int(ranks[p]), tuple(e)) for p, e in expected.items()))
                for ranks, expected in steps
            ]
        # shortest first: sequence models pad each batch to its longest session
        order = sorted(range(len(sessions)), key=lambda i: len(sessions[i]))
        scores = det.decision_function([list(sessions[i]) for i in order])
        out: list = [None] * len(sessions)
        for i, sc in zip(order, scores, strict=True):
            out[i] = Scored(float(sc))
        return out
