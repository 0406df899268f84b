"""How much new behaviour an arm adds, chosen on validation from behaviour the training does show.

The code says which statements a young system's logs have not shown yet, not how often the system will print
them. An arm with that knob (the session model's `novel_share`, the `inventory-random` control's share of
sessions given insertions) is calibrated per cell and detector, on validation only: `--calibrate NAME=EVENTS`
names behaviours the training does hold. Each candidate share is tried on the cell's training sessions less every
session holding a calibration behaviour (so that, for the trial, it is behaviour the training never showed, as a
withheld one is for the test), with the threshold chosen on the validation sessions without it (as the test's
threshold is chosen without the withheld behaviour), and judged by F1 (at the prior, with one) on the whole
validation set, which holds it. The detector is then trained as usual, on the full training sessions plus the
arm's sessions at the chosen share. Ties go to the smaller share (less invented content). The test set is read
nowhere here; the controls with the knob get the same calibration as the generator.

A session model's calibrated share is per new behaviour (`EvalConfig.calibrate_each`, the default): each behaviour
it could add appears on its own in that share of the added sessions, so how often one does no longer falls with the
number of behaviours the code offers (the generator's own setting, 1-3 of them in its share of the sessions, spreads
one share over all of them). On full HDFS the best validation F1 per cell was higher this way on average, mostly
through LogAnomaly, with a few detectors a little lower (validation only; BENCHMARKS has both runs).

`--calibrate auto` needs no name: per cell it takes, among the behaviours the session model could add (a statement
it offers as new, a request with the thread line carrying it out as one), the one the cell's training holds in the
most normal sessions, up to half of them (a trial without a behaviour most sessions hold would train on a set unlike
the cell's), that the session model reproduces: composed from the cell's training normal sessions without it, the
composed sessions and those bases together show every event of most of the training sessions holding it. A
behaviour whose real sessions also hold lines the model never prints as normal would calibrate the share on what
the generator cannot make, not on how often to add what it can; a cell with no such behaviour keeps the arm's share.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from anomalygen.checks import number_list
from anomalygen.evaluate import arms as A
from anomalygen.evaluate.withhold import find_withheld

DEFAULT_SHARES = (0.0, 0.5, 1.0)
AUTO = "auto"
REPRODUCE_N = 200  # sessions composed to judge whether the session model reproduces a behaviour


def parse_shares(text: str) -> list[float]:
    """'0,0.5,1' -> sorted distinct shares in [0, 1]; anything else is a ValueError naming the value."""
    return sorted(set(number_list(text, "--calibrate-shares", 0.0, 1.0)))


@dataclass
class Calibration:
    """One cell's trials: the candidate shares, the sessions each trial trains and is judged on, and the arm's
    additions at each share (for the trials, and for the final training)."""

    names: list[str]  # the calibration behaviours
    shares: list[float]  # ascending
    tr: np.ndarray  # training less every session holding a calibration behaviour
    va_fit: np.ndarray  # validation less them: each trial's threshold
    va: np.ndarray  # the whole validation set: where trials are compared
    trial: list[A.Addition]  # per share: made from `tr`
    final: list[A.Addition]  # per share: made from the cell's full training sessions
    each: bool = False  # the share is per new behaviour (a session model's, `EvalConfig.calibrate_each`)


def plan(
    names: list[str],
    shares: list[float],
    held: np.ndarray,
    tr: np.ndarray,
    va: np.ndarray,
    y: np.ndarray,
    make: Callable[[float, np.ndarray], A.Addition],
    each: bool = False,
) -> tuple[Calibration | None, str]:
    """A cell's calibration, or None and why not. `held`: per real session, holds a calibration behaviour;
    `make(share, training indices)`: the arm's addition; `each`: whether `make`'s share is per new behaviour."""
    tr_c, va_fit = tr[~held[tr]], va[~held[va]]
    if not np.any(held[va] & (y[va] == 0)):
        return None, "no validation normal session holds a calibration behaviour"
    if not np.any(y[tr_c] == 0):
        return None, "every training normal session holds a calibration behaviour"
    ordered = sorted(shares)
    trial, final = [make(s, tr_c) for s in ordered], [make(s, tr) for s in ordered]
    return Calibration(list(names), ordered, tr_c, va_fit, va, trial, final, each), ""


@dataclass
class Named:
    """Calibration behaviours named by their events: the same in every cell."""

    names: list[str]
    held: np.ndarray  # per real session: holds one of them

    def pick(self, tr: np.ndarray, y: np.ndarray) -> tuple[list[str], np.ndarray] | str:
        """The behaviours and, per real session, whether it holds one; or why this cell has none."""
        return self.names, self.held


class Auto:
    """Per cell, the behaviour a session model could add that the cell's training holds in the most normal sessions
    (at most half of them) and that the model reproduces (module docstring); ties go to the first in key order."""

    def __init__(self, units: list[frozenset[str]], X: list[list[str]], source: A.SyntheticSource | None = None):
        self.units = sorted(units, key=sorted)
        self.X = X
        self.source = source  # whose session model must reproduce the behaviour (None: no such check)
        self._masks: dict[frozenset[str], np.ndarray] = {}
        self._picked: dict[bytes, tuple[list[str], np.ndarray] | str] = {}

    def mask(self, unit: frozenset[str]) -> np.ndarray:
        if unit not in self._masks:
            self._masks[unit] = np.array([not unit.isdisjoint(x) for x in self.X], dtype=bool)
        return self._masks[unit]

    def pick(self, tr: np.ndarray, y: np.ndarray) -> tuple[list[str], np.ndarray] | str:
        key = np.asarray(tr).tobytes()
        if key not in self._picked:  # every calibrated arm of a cell asks
            self._picked[key] = self._pick(tr, y)
        return self._picked[key]

    def _pick(self, tr: np.ndarray, y: np.ndarray) -> tuple[list[str], np.ndarray] | str:
        normal = tr[y[tr] == 0]
        held = [(int(self.mask(u)[normal].sum()), i, u) for i, u in enumerate(self.units)]
        ranked = [(n, u) for n, i, u in sorted(held, key=lambda t: (-t[0], t[1])) if 0 < n <= len(normal) / 2]
        if not ranked:
            return "no behaviour the session model could add is held by at most half the training"
        for _, unit in ranked:
            if self.reproduced(unit, tr, y) > 0.5:
                return [f"auto({','.join(sorted(unit))})"], self.mask(unit)
        return (
            "no behaviour the session model could add, held by at most half the training, is reproduced by it in "
            "most of the training sessions holding it"
        )

    def reproduced(self, unit: frozenset[str], tr: np.ndarray, y: np.ndarray, n: int = REPRODUCE_N) -> float:
        """The share of the cell's training normal sessions holding `unit` whose every event the session model's
        compositions from the others (with new behaviour in each), or those others themselves, show."""
        src = self.source
        if src is None or src.composer is None:
            return 1.0
        normal = tr[y[tr] == 0]
        holders = normal[self.mask(unit)[normal]]
        bases = [self.X[i] for i in normal[~self.mask(unit)[normal]]]
        X_tr = [self.X[i] for i in tr]
        made = src.composer.at_novel_share(1.0).compose(bases, n, 0, A.anomaly_only(X_tr, y[tr], src.key_of))
        shown = {e for s in bases for e in s}
        shown |= {e for s in made for e in (src.to_key(s) if src.to_key else s)}
        return float(np.mean([all(e in shown for e in self.X[i]) for i in holders])) if len(holders) else 0.0


def chooser(
    named: dict[str, list[str]],
    auto: bool,
    shares: list[float],
    sources: dict[str, A.SyntheticSource],
    raw: list[list[str]],
    X: list[list[str]],
    y: np.ndarray,
) -> tuple[Named | Auto | None, dict]:
    """What the calibrated arms choose their share on, and its entry in the evaluation's info. `raw`: each real
    session's events as the dataset writes them, `X`: in the evaluation's keys."""
    info: dict = {"shares": list(shares)}
    if named:
        cw = find_withheld(named, raw, X, y)
        return Named(list(named), cw.any(len(y))), {"behaviours": cw.info(y), **info}
    if not auto:
        return None, {}
    # a session model's offer (`SessionModel.novel`; the Composer protocol does not promise one), per source
    offers: dict[str, dict] = {
        name: novel for name, s in sources.items() if (novel := getattr(s.composer, "novel", None))
    }
    if not offers:
        return None, {"behaviours": AUTO, "skipped": "no session model offers new behaviour", **info}
    name = A.SYNTHETIC if A.SYNTHETIC in offers else next(iter(offers))
    return Auto(units(offers[name], sources[name].key_of), X, sources[name]), {"behaviours": AUTO, **info}


def units(novel: dict, key_of: dict[str, str] | None = None) -> list[frozenset[str]]:
    """The behaviours a session model offers (`SessionModel.novel`: key -> statement with its `follow`), in the
    evaluation's keys: each statement on its own, a request together with the thread line that carries it out."""
    to_key = key_of or {}
    led = {n.follow for n in novel.values() if n.follow in novel}
    out = set()
    for k, n in novel.items():
        if k in led:
            continue
        keys = {k} | ({n.follow} if n.follow in novel else set())
        out.add(frozenset(to_key.get(x, x) for x in keys))
    return sorted(out, key=sorted)


def choose(scores: list[float]) -> int:
    """The best trial; among equals, the first (the smallest share)."""
    best = max(scores)
    return next(i for i, s in enumerate(scores) if s >= best - 1e-12)


def row_fields(cal: Calibration, scores: list[float], k: int) -> dict:
    """What a calibrated cell adds to its row: the share chosen and every trial's validation score."""
    return {
        "calibrated_on": "+".join(cal.names),
        "share_chosen": cal.shares[k],
        "share_per_behaviour": cal.each,
        "calibration_scores": " ".join(f"{s:g}:{v:.4f}" for s, v in zip(cal.shares, scores, strict=True)),
        "n_train_calibration": len(cal.tr),
    }


def calibration_md(runs: list[dict], info: dict) -> str:
    """The calibration section of summary.md: per training share and arm, how often each share was chosen."""
    if not info:
        return ""
    cal = [r for r in runs if r.get("status") == "ok" and "share_chosen" in r]
    skipped = sorted({r["calibration_skipped"] for r in runs if r.get("calibration_skipped")})
    shares = [float(s) for s in info.get("shares", [])]
    behaviours = info.get("behaviours", {})
    on = (
        "per cell, the behaviour the session model could add that the cell's training holds in the most normal "
        "sessions, up to half, and that the model reproduces in most of them (`calibrated_on` in runs.csv)"
        if behaviours == AUTO
        else "; ".join(f"{n} = {', '.join(b['keys'])} ({b['normal']} normal sessions)" for n, b in behaviours.items())
    )
    lines = [
        "## Calibration: how often new behaviour is added, chosen on validation",
        "",
        "Calibrated on: "
        + on
        + ". Each candidate share is tried with these behaviours taken out of the cell's training; the one with "
        "the best validation F1 wins (the test set is not read).",
        "",
    ]
    if cal:
        lines += [
            "| train fraction | arm | cells | " + " | ".join(f"chose {s:g}" for s in shares) + " |",
            "|---|---|---|" + "---|" * len(shares),
        ]
    for frac in sorted({r["train_fraction"] for r in cal}):
        for arm in dict.fromkeys(r["arm"] for r in cal if r["train_fraction"] == frac):
            chosen = [float(r["share_chosen"]) for r in cal if r["train_fraction"] == frac and r["arm"] == arm]
            counts = " | ".join(str(sum(1 for c in chosen if abs(c - s) < 1e-9)) for s in shares)
            lines.append(f"| {frac:g} | {arm} | {len(chosen)} | {counts} |")
    skipped += [info["skipped"]] if info.get("skipped") else []
    if skipped:
        lines += ([""] if cal else []) + ["Not calibrated (the arm's own share kept): " + "; ".join(skipped) + "."]
    return "\n".join(lines) + "\n"
