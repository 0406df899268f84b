"""Training-set arms: what each evaluation cell adds to the same real training sessions.

- `baseline`: nothing.
- `synthetic`: sessions from `--augment` (drawn from the given pool, or, when the generator left a session model,
  composed from this cell's own real normal training sessions, so that the arm never sees real data the baseline
  does not).
- `real-duplicate` (control): as many sessions resampled from the cell's real training sessions, label by label.
- `naive` (control): as many normal sessions made from the cell's real normal training sessions by code-free edits
  (event dropout, duplication, adjacent swaps, insertion of an event seen in training), labelled normal; its
  anomalous slots, if any, are resampled real training anomalies (no code-free edit makes a labelled anomaly).
- `inventory-random` (control): as many real normal training sessions, each with 1-3 statements of the
  inventory that the cell's training never showed inserted at random places, labelled normal: code knowledge
  at the inventory level only (no control flow, paths, z3 or session model); anomalous slots as `naive`.
- `oracle` (the ceiling, never a control; with `--withhold`): as many sessions drawn, label by label, from the
  cell's own training sessions that the withheld behaviours removed.
- ablations (`--augment-ablation NAME=DIR`): other generator outputs, used like `synthetic`.

Every arm of a cell adds the same number of normal and of anomalous sessions, so a difference between arms is
the content of what was added, not its amount.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

# the names live in core for the report; the evaluation's modules read them here, beside what each arm does
from anomalygen.core.arms import BASELINE, BUILT_IN, CONTROLS, DUPLICATE, INVENTORY_RANDOM, NAIVE, ORACLE, SYNTHETIC  # noqa: F401


class Composer(Protocol):
    """A session model that makes normal sessions out of real ones (the synthesis stage's `SessionModel`)."""

    def compose(self, bases: list[list[str]], n: int, seed: int, avoid: set[str] = ...) -> list[list[str]]: ...

    @property
    def novel_share(self) -> float: ...

    def at_novel_share(self, share: float, each: bool | None = None) -> Composer: ...


@dataclass
class SyntheticSource:
    """One generator output in the evaluation's key space: a pool of labelled sessions and, optionally, a
    session model whose compositions replace the pool's normal sessions."""

    name: str
    X: list[list[str]]
    y: np.ndarray
    composer: Composer | None = None
    to_key: Callable[[list[str]], list[str]] | None = None  # statement ids -> the evaluation's keys
    key_of: dict[str, str] = field(default_factory=dict)  # the same, one statement id at a time
    info: dict = field(default_factory=dict)

    @property
    def anomalous_share(self) -> float:
        return float(self.y.mean()) if len(self.y) else 0.0


@dataclass
class Addition:
    """What an arm adds to one cell: sessions, labels, and where each came from (for the report)."""

    X: list[list[str]]
    y: np.ndarray
    origin: list[str]
    info: dict = field(default_factory=dict)  # figures about what was added, copied into the cell's row


def counts(n_train: int, ratio: float, anomalous_share: float) -> tuple[int, int]:
    """(normal, anomalous) sessions every arm adds for a training set of `n_train` at `ratio`: `ratio * n_train`
    normal ones (what every detector gets), and anomalous ones on top in the synthetic data's own proportion
    (for the supervised detectors)."""
    n_normal = round(ratio * n_train)
    share = min(max(anomalous_share, 0.0), 0.9)
    return n_normal, round(n_normal * share / (1.0 - share))


def from_source(
    src: SyntheticSource,
    X_train: list[list[str]],
    y_train: np.ndarray,
    n_normal: int,
    n_anom: int,
    seed: int,
    share: float | None = None,
    each: bool = False,
) -> Addition:
    """`share`: the session model's share of composed sessions given new behaviour (None: the model's own); with
    `each`, the share of them given each new behaviour on its own."""
    rng = np.random.default_rng(seed)
    normal_idx = np.flatnonzero(src.y == 0)
    anom_idx = np.flatnonzero(src.y == 1)
    X: list[list[str]] = []
    labels: list[int] = []
    origin: list[str] = []
    if src.composer is not None and n_normal:
        bases = [x for x, lab in zip(X_train, y_train, strict=True) if lab == 0]
        composer = src.composer if share is None else src.composer.at_novel_share(share, each)
        made = composer.compose(bases, n_normal, seed, anomaly_only(X_train, y_train, src.key_of)) if bases else []
        X += [src.to_key(s) if src.to_key else list(s) for s in made]
        origin += ["composed"] * len(made)
    elif n_normal and len(normal_idx):
        pick = rng.choice(normal_idx, n_normal, replace=n_normal > len(normal_idx))
        X += [src.X[i] for i in pick]
        origin += ["pool"] * len(pick)
    labels += [0] * len(X)
    if n_anom and len(anom_idx):
        pick = rng.choice(anom_idx, n_anom, replace=n_anom > len(anom_idx))
        X += [src.X[i] for i in pick]
        labels += [1] * len(pick)
        origin += ["pool"] * len(pick)
    y = np.array(labels, dtype=np.int64)
    return Addition(X, y, origin)


def anomaly_only(X: list[list[str]], y: np.ndarray, key_of: dict[str, str] | None = None) -> set[str]:
    """Keys the cell's labelled training sessions show in anomalous sessions only, with every statement id
    `key_of` maps to one of them (the composer speaks statement ids): no new statement may be one of them."""
    normal = {e for x, lab in zip(X, y, strict=True) if lab == 0 for e in x}
    bad = {e for x, lab in zip(X, y, strict=True) if lab == 1 for e in x} - normal
    return bad | {sid for sid, k in (key_of or {}).items() if k in bad}


def duplicate(X_train: list[list[str]], y_train: np.ndarray, n_normal: int, n_anom: int, seed: int) -> Addition:
    rng = np.random.default_rng(seed)
    X, y = [], []
    for lab, k in ((0, n_normal), (1, n_anom)):
        members = np.flatnonzero(y_train == lab)
        if k and len(members):
            pick = rng.choice(members, k, replace=True)
            X += [list(X_train[i]) for i in pick]
            y += [lab] * k
    return Addition(X, np.array(y, dtype=np.int64), ["real"] * len(X))


EDITS = ("drop", "duplicate", "swap", "insert")


def naive_edit(session: list[str], vocab: list[str], rng: np.random.Generator, n_edits: int) -> list[str]:
    """`n_edits` random code-free edits; insertions draw from events seen in training only."""
    s = list(session)
    for _ in range(n_edits):
        op = EDITS[int(rng.integers(len(EDITS)))]
        if op == "drop" and len(s) > 1:
            del s[int(rng.integers(len(s)))]
        elif op == "duplicate" and s:
            i = int(rng.integers(len(s)))
            s.insert(i, s[i])
        elif op == "swap" and len(s) > 1:
            i = int(rng.integers(len(s) - 1))
            s[i], s[i + 1] = s[i + 1], s[i]
        elif op == "insert" and vocab:
            s.insert(int(rng.integers(len(s) + 1)), vocab[int(rng.integers(len(vocab)))])
    return s


def naive(
    X_train: list[list[str]], y_train: np.ndarray, n_normal: int, n_anom: int, seed: int, max_edits: int = 3
) -> Addition:
    rng = np.random.default_rng(seed)
    normals = [X_train[i] for i in np.flatnonzero(y_train == 0)]
    vocab = sorted({e for s in normals for e in s})
    X = (
        [
            naive_edit(normals[int(rng.integers(len(normals)))], vocab, rng, int(rng.integers(1, max_edits + 1)))
            for _ in range(n_normal)
        ]
        if normals
        else []
    )
    dup = duplicate(X_train, y_train, 0, n_anom, seed + 1)
    return Addition(X + dup.X, np.array([0] * len(X) + list(dup.y), dtype=np.int64), ["edited"] * len(X) + dup.origin)


def inventory_random(
    X_train: list[list[str]],
    y_train: np.ndarray,
    unseen: list[str],
    n_normal: int,
    n_anom: int,
    seed: int,
    max_inserts: int = 3,
    share: float = 1.0,
) -> Addition:
    """`share`: the share of the sessions given insertions (the rest are copies), the knob an evaluation may
    calibrate like the session model's `novel_share`."""
    rng = np.random.default_rng(seed)
    normals = [X_train[i] for i in np.flatnonzero(y_train == 0)]
    X: list[list[str]] = []
    for _ in range(n_normal if normals and unseen else 0):
        s = list(normals[int(rng.integers(len(normals)))])
        if share < 1.0 and rng.random() >= share:  # drawn only below 1, so the default's stream is unchanged
            X.append(s)
            continue
        for _ in range(int(rng.integers(1, max_inserts + 1))):
            s.insert(int(rng.integers(len(s) + 1)), unseen[int(rng.integers(len(unseen)))])
        X.append(s)
    dup = duplicate(X_train, y_train, 0, n_anom, seed + 1)
    return Addition(X + dup.X, np.array([0] * len(X) + list(dup.y), dtype=np.int64), ["inserted"] * len(X) + dup.origin)


@dataclass
class CellContext:
    """What the built-in arms of one cell draw on besides its training sessions."""

    withheld_X: list[list[str]] = field(default_factory=list)  # the cell's training sessions withheld
    withheld_y: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    inventory: list[str] | None = None  # every inventory statement's key, or None without an inventory


def make_addition(
    arm: str,
    sources: dict[str, SyntheticSource],
    X_train: list[list[str]],
    y_train: np.ndarray,
    n_normal: int,
    n_anom: int,
    seed: int,
    ctx: CellContext | None = None,
    share: float | None = None,
    each: bool = False,
) -> Addition:
    """`share`: for an arm with that knob (`knob`), the share of its added normal sessions given new
    behaviour; None keeps the arm's own. `each`: a session model's share is per new behaviour (the
    `inventory-random` control has one knob only)."""
    ctx = ctx or CellContext()
    if arm == BASELINE:
        return Addition([], np.zeros(0, dtype=np.int64), [])
    if arm == ORACLE:
        add = duplicate(ctx.withheld_X, ctx.withheld_y, n_normal, n_anom, seed)
        return Addition(add.X, add.y, ["withheld"] * len(add.X))
    if arm == INVENTORY_RANDOM:
        if ctx.inventory is None:
            raise ValueError("arm 'inventory-random' needs the system's inventory (--source or --inventory)")
        seen = {e for x in X_train for e in x}
        unseen = sorted(k for k in set(ctx.inventory) if k not in seen)
        return inventory_random(X_train, y_train, unseen, n_normal, n_anom, seed, share=1.0 if share is None else share)
    if arm == DUPLICATE:
        return duplicate(X_train, y_train, n_normal, n_anom, seed)
    if arm == NAIVE:
        return naive(X_train, y_train, n_normal, n_anom, seed)
    if arm not in sources:
        raise ValueError(f"arm {arm!r} has no synthetic sessions (give --augment, or --augment-ablation {arm}=DIR)")
    return from_source(sources[arm], X_train, y_train, n_normal, n_anom, seed, share, each)


def knob(arm: str, sources: dict[str, SyntheticSource]) -> float | None:
    """The arm's own share of added sessions given new behaviour, for the arms that have one (a session model,
    the inventory-random control); None for the others, which add nothing new to calibrate."""
    if arm == INVENTORY_RANDOM:
        return 1.0
    src = sources.get(arm)
    if arm in BUILT_IN or src is None or src.composer is None:
        return None
    return float(getattr(src.composer, "novel_share", 0.0))
