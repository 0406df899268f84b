"""The withheld-behaviour protocol: valid behaviour a young system's logs have not shown yet.

`--withhold NAME=EVENTS` names a behaviour by its events (the dataset's own event keys, such as `E21`, or the
evaluation's keys, such as statement ids). Every real session holding any of them leaves the training and
validation sessions of every arm, normal and anomalous alike; the test set stays as it is. The `oracle` arm gets
them back (the ceiling); every other arm has to do without. Besides the usual metrics each cell reports the
false-positive rate on the test's normal sessions that hold a withheld event (`fpr_novel`: valid behaviour
the training never showed) and on the others (`fpr_seen`), and, for an arm that adds sessions, how many of its
added normal sessions hold each behaviour and how many of the real normal sequences of that behaviour (which
no arm but `oracle` saw) it reproduces exactly.

Without naming anything, a young system's own timeline withholds behaviour too: with `EvalConfig.unseen` each
cell also reports the false-positive rate on the test's normal sessions holding an event that none of the
cell's real training sessions holds (`fpr_unseen`, over `n_test_unseen_normal` sessions; `anomalygen run`
turns it on).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def parse_withhold(specs: list[str], flag: str = "--withhold") -> dict[str, list[str]]:
    """`NAME=E1,E2` pairs -> {name: events}; a malformed or repeated name is a ValueError naming it."""
    out: dict[str, list[str]] = {}
    for spec in specs:
        name, eq, events = spec.partition("=")
        name = name.strip()
        keys = [e.strip() for e in events.split(",") if e.strip()]
        if not eq or not name or not keys:
            raise ValueError(f"{flag} {spec!r}: expected NAME=EVENT[,EVENT...] (e.g. deletion=E21,E23)")
        if name in out:
            raise ValueError(f"{flag} {spec!r}: behaviour {name!r} named twice")
        out[name] = keys
    return out


@dataclass
class Withheld:
    """Which real sessions hold each withheld behaviour, and its events in the evaluation's key space."""

    holds: dict[str, np.ndarray] = field(default_factory=dict)  # name -> bool per real session
    keys: dict[str, set[str]] = field(default_factory=dict)  # name -> evaluation keys of its events
    sequences: dict[str, set[tuple]] = field(default_factory=dict)  # name -> its real normal sequences

    @property
    def active(self) -> bool:
        return bool(self.holds)

    def any(self, n: int) -> np.ndarray:
        out = np.zeros(n, dtype=bool)
        for h in self.holds.values():
            out |= h
        return out

    def info(self, y: np.ndarray) -> dict:
        return {
            name: {
                "keys": sorted(self.keys[name]),
                "sessions": int(h.sum()),
                "normal": int(np.sum(h & (y == 0))),
                "anomalous": int(np.sum(h & (y == 1))),
                "distinct_normal_sequences": len(self.sequences[name]),
            }
            for name, h in self.holds.items()
        }

    def addition_stats(self, X: list[list[str]], y: np.ndarray) -> dict:
        """Per behaviour: the share of added normal sessions holding it, and the number of distinct real normal
        sequences holding it that the added normal sessions reproduce exactly."""
        normal = [tuple(x) for x, lab in zip(X, y, strict=True) if lab == 0]
        out: dict = {}
        for name, keys in self.keys.items():
            holding = [x for x in normal if keys.intersection(x)]
            out[f"added_with_{name}"] = len(holding) / len(normal) if normal else 0.0
            out[f"exact_{name}"] = len(self.sequences[name].intersection(holding))
        return out


def find_withheld(spec: dict[str, list[str]], raw: list[list[str]], keyed: list[list[str]], y: np.ndarray) -> Withheld:
    """`raw[i]`: session i's events as the dataset writes them; `keyed[i]`: the same in the evaluation's keys."""
    w = Withheld()
    for name, events in spec.items():
        want = set(events)
        hold = np.zeros(len(raw), dtype=bool)
        keys: set[str] = set()
        for i, (r, k) in enumerate(zip(raw, keyed, strict=True)):
            hit = (
                {kk for rr, kk in zip(r, k, strict=True) if rr in want or kk in want}
                if len(r) == len(k)
                else {kk for kk in k if kk in want}
            )
            if hit:
                hold[i] = True
                keys |= hit
        if not hold.any():
            raise ValueError(f"--withhold {name}={','.join(events)}: no session of the dataset holds any of them")
        w.holds[name], w.keys[name] = hold, keys
        w.sequences[name] = {tuple(keyed[i]) for i in np.flatnonzero(hold & (y == 0))}
    return w


def _alarm_rate(pred: np.ndarray, among: np.ndarray) -> float:
    return float(pred[among].mean()) if among.any() else 0.0


def novel_metrics(
    y_test: np.ndarray,
    pred: np.ndarray,
    novel: np.ndarray,
    X_test: list[list[str]] | None = None,
    X_fit: list[list[str]] | None = None,
    y_fit: np.ndarray | None = None,
) -> dict:
    """False alarms among the test's normal sessions holding a withheld event, and among the others. With the
    detector's training sessions (`X_fit`, `y_fit`: real plus added), the novel ones are also split by whether
    some normal training session shows each of their events (`covered`): what an arm can be asked to teach,
    and the rest, which hold an event nothing the detector learned from calls normal."""
    normal = y_test == 0
    out = {
        "n_test_novel_normal": int((normal & novel).sum()),
        "fpr_novel": _alarm_rate(pred, normal & novel),
        "fpr_seen": _alarm_rate(pred, normal & ~novel),
    }
    if X_test is not None and X_fit is not None and y_fit is not None:
        shown = {e for x, lab in zip(X_fit, y_fit, strict=True) if lab == 0 for e in x}
        covered = normal & novel & np.array([all(e in shown for e in x) for x in X_test], dtype=bool)
        out |= {
            "n_test_novel_covered": int(covered.sum()),
            "fpr_novel_covered": _alarm_rate(pred, covered),
            "fpr_novel_uncovered": _alarm_rate(pred, normal & novel & ~covered),
        }
    return out


def unseen_metrics(y_test: np.ndarray, pred: np.ndarray, X_test: list[list[str]], X_train: list[list[str]]) -> dict:
    """False alarms among the test's normal sessions holding an event no real training session holds: valid
    behaviour this cell's training never showed, whether or not anyone named it."""
    seen = {e for x in X_train for e in x}
    nov = (y_test == 0) & np.array([any(e not in seen for e in x) for x in X_test], dtype=bool)
    return {"n_test_unseen_normal": int(nov.sum()), "fpr_unseen": _alarm_rate(pred, nov)}


def covered_split(rows: list[dict]) -> tuple[float, float | None, float | None] | None:
    """Over cells' rows (`novel_metrics` with the training sessions): the mean share of the novel-normal sessions
    covered, and the mean novel-normal FPR on the covered and on the other ones (each over the cells that have
    some; None where none has); None without such rows."""
    rows = [r for r in rows if "n_test_novel_covered" in r and r.get("n_test_novel_normal")]
    if not rows:
        return None
    share = float(np.mean([r["n_test_novel_covered"] / r["n_test_novel_normal"] for r in rows]))
    cov = [float(r["fpr_novel_covered"]) for r in rows if r["n_test_novel_covered"]]
    unc = [float(r["fpr_novel_uncovered"]) for r in rows if r["n_test_novel_covered"] < r["n_test_novel_normal"]]
    return share, float(np.mean(cov)) if cov else None, float(np.mean(unc)) if unc else None


def _covered(cells: list[dict], arm: str) -> str:
    """`share | FPR` of the arm's novel-normal sessions covered by what its detectors trained on."""
    split = covered_split([r for r in cells if r["arm"] == arm])
    if split is None:
        return "n/a | n/a"
    return f"{split[0]:.3f} | {'n/a' if split[1] is None else f'{split[1]:.3f}'}"


def withheld_md(runs: list[dict], paired: list[dict], info: dict) -> str:
    """The withheld-behaviour section of summary.md: per training share, the mean over detectors of each arm's
    false alarms on unseen valid behaviour, beside the rest, and the share of the baseline-to-oracle gap each
    arm closes; then what the arms added of each behaviour."""
    if not info:
        return ""
    ok = [r for r in runs if r.get("status") == "ok" and "fpr_novel" in r]
    names = sorted(info)
    lines = [
        "## Withheld behaviour: false alarms on valid behaviour the training never showed",
        "",
        "Withheld from every arm's training and validation (the `oracle` arm gets them back): "
        + "; ".join(
            f"{n} = {', '.join(info[n]['keys'])} ({info[n]['normal']} normal, {info[n]['anomalous']} "
            f"anomalous sessions)"
            for n in names
        )
        + ". Novel-normal FPR: false alarms among the test's "
        "normal sessions holding a withheld event; seen-normal FPR: among the others. Covered: the share of the "
        "novel-normal sessions whose every event some normal session the detector trained on (real or added) "
        "shows, and the novel-normal FPR on them.",
        "",
        "| train fraction | arm | novel-normal FPR | seen-normal FPR | recall | gap to oracle closed | covered | "
        "FPR on covered | " + " | ".join(f"added holding {n} | {n} sequences reproduced" for n in names) + " |",
        "|---|---|---|---|---|---|---|---|" + "---|---|" * len(names),
    ]
    for frac in sorted({r["train_fraction"] for r in ok}):
        cells = [r for r in ok if r["train_fraction"] == frac]
        arms = list(dict.fromkeys(r["arm"] for r in cells))

        def mean(arm: str, metric: str, cells: list = cells) -> float:
            return float(np.mean([float(r.get(metric, 0.0)) for r in cells if r["arm"] == arm]))

        base, oracle = (
            mean("baseline", "fpr_novel") if "baseline" in arms else None,
            mean("oracle", "fpr_novel") if "oracle" in arms else None,
        )
        for arm in arms:
            nov = mean(arm, "fpr_novel")
            gap = (
                "n/a"
                if base is None or oracle is None or base - oracle < 0.01 or arm == "baseline"
                else f"{(base - nov) / (base - oracle):.0%}"
            )
            added = " | ".join(f"{mean(arm, f'added_with_{n}'):.3f} | {mean(arm, f'exact_{n}'):.1f}" for n in names)
            lines.append(
                f"| {frac:g} | {arm} | {nov:.3f} | {mean(arm, 'fpr_seen'):.4f} | {mean(arm, 'recall'):.3f} | "
                f"{gap} | {_covered(cells, arm)} | {added} |"
            )
    rows = [
        p for p in paired if p["model"] == "mean of models" and p["arm"] == "synthetic" and p["metric"] == "fpr_novel"
    ]
    if rows:
        lines += [
            "",
            "Synthetic against each arm on the novel-normal FPR, mean of the detectors (paired t-test over seeds):",
            "",
            "| train fraction | versus | synthetic / versus | Δ (p) | verdict |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {p['train_fraction']:g} | {p['versus']} | {p['mean_arm']:.3f} / {p['mean_versus']:.3f} | "
            f"{p['delta_mean']:+.3f} ({p['p_ttest']:.3g}) | {p['verdict']} |"
            for p in rows
        ]
    return "\n".join(lines) + "\n"
