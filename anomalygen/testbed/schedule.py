"""Fault kinds, planned-operation kinds, their specs, and the seeded schedule (planned before the run; pure).

Spec grammar (`--faults`, `--operations`): comma-separated items, each `KIND` or `KIND:COUNT`; `all` stands for
every kind of that table (`all:2` twice each); `none` or an empty spec plans nothing. Example:
`leader_kill:2,pause,quorum_loss`.

Faults are labelled anomalous; planned operations are what an operator does on purpose (restarts, hand-overs,
clients leaving) and are labelled normal. Both share one schedule, so they never overlap.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass

# kind -> (hold seconds min, max; settle seconds after the fault ends before the next may start; what it does)
KINDS: dict[str, tuple[float, float, float, str]] = {
    "leader_kill": (5, 15, 20, "kill -9 the current leader; restart it after the hold"),
    "follower_kill": (5, 15, 20, "kill -9 a follower; restart it after the hold"),
    "pause": (3, 12, 15, "SIGSTOP a server (a GC-like stall), SIGCONT after the hold"),
    "restart": (1, 3, 20, "graceful restart: SIGTERM a server, start it again after the hold"),
    "session_expiry": (
        0,
        4,
        10,
        "SIGSTOP a client process past its session timeout (the server expires the "
        "session), SIGCONT after; the hold is added to the timeout",
    ),
    "disk_full": (
        5,
        12,
        20,
        "file-size limit 0 (RLIMIT_FSIZE) on a server: every data-dir write fails with "
        "EFBIG as on a full disk; limit lifted (or the server restarted if it exited)",
    ),
    "quorum_loss": (8, 20, 25, "kill -9 two servers (no quorum); restart both after the hold"),
}


# planned operations, labelled normal; same tuple shape as KINDS
OPERATIONS: dict[str, tuple[float, float, float, str]] = {
    "graceful_restart": (1, 3, 20, "planned restart of a follower: SIGTERM, start it again after the hold"),
    "leader_handover": (
        1,
        3,
        25,
        "planned restart of the leader: SIGTERM (the others elect a new leader), start it again after the hold",
    ),
    "rolling_restart": (
        1,
        2,
        60,
        "graceful restart of every server in turn, followers first, the leader last, "
        "waiting for the ensemble to be whole between them (hold per server)",
    ),
    "client_close": (0, 2, 10, "a burst of client sessions that create ephemeral nodes and watches, then close"),
    "client_away": (
        0,
        2,
        15,
        "a client holding ephemeral nodes is killed on purpose (SIGKILL, no close): the "
        "server expires its session; the hold is added to the session timeout",
    ),
    "snapshot": (
        0,
        2,
        15,
        "a burst of writes past snapCount: every server rolls its transaction log and takes a snapshot",
    ),
}


class SpecError(ValueError):
    """A `--faults` spec or schedule that cannot be used."""


def parse_spec(spec: str, table: dict | None = None, flag: str = "--faults") -> dict[str, int]:
    """`--faults` (or `--operations`, table OPERATIONS) text -> kind -> count (kinds in table order)."""
    table = KINDS if table is None else table
    counts: dict[str, int] = {}
    text = (spec or "").strip()
    if text.lower() in ("", "none"):
        return {}
    for pos, raw in enumerate(text.split(","), 1):
        item = raw.strip()
        if not item:
            raise SpecError(f"{flag} {spec!r}: item {pos} is empty")
        kind, _, num = item.partition(":")
        kind = kind.strip().lower().replace("-", "_")
        try:
            n = int(num) if num else 1
        except ValueError:
            raise SpecError(f"{flag} {spec!r}: item {pos} ({item!r}): count {num!r} is not an integer") from None
        if n < 0:
            raise SpecError(f"{flag} {spec!r}: item {pos} ({item!r}): negative count")
        if kind == "all":
            for k in table:
                counts[k] = counts.get(k, 0) + n
        elif kind in table:
            counts[kind] = counts.get(kind, 0) + n
        else:
            raise SpecError(f"{flag} {spec!r}: item {pos}: unknown kind {kind!r} (kinds: all, {', '.join(table)})")
    return {k: counts[k] for k in table if counts.get(k)}


@dataclass(frozen=True)
class PlannedFault:
    index: int
    kind: str
    at: float  # seconds after the workload starts
    hold: float  # seconds the fault is held before it is undone
    settle: float  # seconds reserved after it for recovery
    pick: float  # uniform [0, 1): which server among the candidates of its role, drawn with the schedule

    @property
    def planned(self) -> bool:
        """A planned operation (labelled normal), not a fault."""
        return self.kind in OPERATIONS

    def to_dict(self) -> dict:
        return asdict(self)


_ALL = {**KINDS, **OPERATIONS}


def min_duration(counts: dict[str, int], warmup: float, tail: float) -> float:
    """The shortest run that fits the faults at their longest holds."""
    return warmup + tail + sum(n * (_ALL[k][1] + _ALL[k][2]) for k, n in counts.items())


def plan(
    counts: dict[str, int],
    duration: float,
    seed: int,
    warmup: float = 20.0,
    tail: float = 15.0,
    extra_hold: dict[str, float] | None = None,
) -> list[PlannedFault]:
    """Non-overlapping faults in a seeded random order, with seeded holds, spread over the run.

    `counts` may mix fault kinds and operation kinds. Each item takes `hold + settle` seconds; the slack
    (duration minus warmup, tail and those slots) is split into random gaps. Raises SpecError when they do not
    fit."""
    rng = random.Random(seed)
    kinds = [k for k, n in counts.items() for _ in range(n)]
    rng.shuffle(kinds)
    extra_hold = extra_hold or {}
    holds = [round(rng.uniform(_ALL[k][0], _ALL[k][1]) + extra_hold.get(k, 0.0), 2) for k in kinds]
    settles = [_ALL[k][2] for k in kinds]
    picks = [rng.random() for _ in kinds]
    need = sum(holds) + sum(settles)
    slack = duration - warmup - tail - need
    if kinds and slack < 0:
        raise SpecError(
            f"--duration {duration:g}s is too short for {len(kinds)} faults ({', '.join(kinds)}): "
            f"they need {warmup + tail + need:.0f}s with this seed (at most "
            f"{min_duration(counts, warmup, tail) + sum(extra_hold.get(k, 0) * n for k, n in counts.items()):.0f}s "
            "for any seed)"
        )
    cuts = sorted(rng.uniform(0, slack) for _ in kinds)
    out: list[PlannedFault] = []
    t = warmup
    prev_cut = 0.0
    for i, k in enumerate(kinds):
        t += cuts[i] - prev_cut
        prev_cut = cuts[i]
        out.append(PlannedFault(i, k, round(t, 2), holds[i], settles[i], round(picks[i], 6)))
        t += holds[i] + settles[i]
    return out


def choose(candidates: list[int], pick: float) -> int:
    """The candidate a planned fault's `pick` designates (candidates sorted first)."""
    if not candidates:
        raise ValueError("no candidate server")
    cs = sorted(candidates)
    return cs[min(int(pick * len(cs)), len(cs) - 1)]
