"""The units of the testbed evaluation's verdict and the statistics over them.

Units: each fault and each planned operation of each test run, alarmed or not, paired across arms by (run,
index, seed, detector): McNemar's exact test over the discordant pairs, synthetic against each control, and a
paired t-test over runs x seeds of the share of planned restarts alarmed (`paired_tests`). Which session form the
verdict uses is chosen on a validation run alone (`choose_form`), never on a test run; `acceptance` gives the
issue's acceptance figures for that form.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from statistics import mean, median

import numpy as np

from anomalygen.evaluate import arms, metrics
from anomalygen.evaluate.testbed_windows import ALL_SERVER, FORMS, PER_SERVER

# the arms, in the order rows and tables list them
STARTUP = "startup"
ARMS = (arms.BASELINE, arms.SYNTHETIC, arms.DUPLICATE, arms.NAIVE, arms.INVENTORY_RANDOM, STARTUP, arms.ORACLE)
CONTROLS = (arms.DUPLICATE, arms.NAIVE, arms.INVENTORY_RANDOM, STARTUP)  # what the synthetic arm must beat
RESTARTS = ("graceful_restart", "leader_handover", "rolling_restart")  # the planned restarts the issue is about
SEQUENCE_MODELS = ("DeepLog", "LogAnomaly", "Transformer")
MEAN = "mean of all"  # the row that averages every detector


# -- the session form, chosen on validation ---------------------------------------------------------------------


def validation_score(rows: list[dict]) -> float | None:
    """The validation criterion of one form: the mean over detectors, arms and seeds of (share of the validation
    run's faults detected - share of its planned operations with a false alarm). It rewards what the issue asks
    for (faults caught, operations left quiet) and nothing else; None without validation rows."""
    vals = [
        (r["faults_detected"] / r["faults_total"] if r["faults_total"] else 0.0)
        - (r["operations_alarmed"] / r["operations_total"] if r["operations_total"] else 0.0)
        for r in rows
        if r["role"] == "val"
    ]
    return round(mean(vals), 4) if vals else None


def choose_form(rows: list[dict]) -> tuple[str, dict[str, float | None]]:
    """The form with the higher validation score (`validation_score`, over rows of role `val` only: the test
    runs never take part); a tie, or no validation run, keeps all-server, today's form."""
    scores = {f: validation_score([r for r in rows if r["form"] == f]) for f in FORMS}
    scores = {f: s for f, s in scores.items() if any(r["form"] == f for r in rows)}
    best = ALL_SERVER
    per, whole = scores.get(PER_SERVER), scores.get(ALL_SERVER)
    if per is not None and (whole is None or per > whole):
        best = PER_SERVER
    if best not in scores and scores:
        best = next(iter(scores))
    return best, scores


# -- units and paired tests -------------------------------------------------------------------------------------


def units(rows: list[dict]) -> list[dict]:
    """One row per (form, test run, detector, arm, seed, fault or operation): alarmed or not (a fault: detected,
    i.e. some alarmed slot overlaps it with its margin; an operation: some slot over it that overlaps no fault
    alarmed)."""
    out = []
    for r in rows:
        if r["role"] != "test":
            continue
        base = {k: r[k] for k in ("form", "run", "model", "arm", "seed")}
        for f in r["per_fault"]:
            out.append(
                {**base, "unit": "fault", "kind": f["kind"], "index": f["index"], "alarmed": int(f["detected"])}
                | {"ttd_s": f["ttd_s"]}
            )
        for o in r["per_operation"]:
            out.append(
                {**base, "unit": "operation", "kind": o["kind"], "index": o["index"], "alarmed": int(o["alarms"] > 0)}
                | {"ttd_s": None}
            )
    return out


def write_units(us: list[dict], path: Path) -> None:
    cols = ["form", "run", "model", "arm", "seed", "unit", "kind", "index", "alarmed", "ttd_s"]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, cols)
        w.writeheader()
        for u in us:
            w.writerow({k: ("" if u[k] is None else u[k]) for k in cols})


def restart_units(us: list[dict], form: str) -> dict[tuple, int]:
    """(model, arm, run, seed, index) -> alarmed, for the planned restarts of one form."""
    return {
        (u["model"], u["arm"], u["run"], u["seed"], u["index"]): u["alarmed"]
        for u in us
        if u["form"] == form and u["unit"] == "operation" and u["kind"] in RESTARTS
    }


def mcnemar(a: Sequence[int], b: Sequence[int]) -> dict:
    """McNemar's exact test on paired 0/1 outcomes (`metrics.mcnemar`, with 1 as the outcome it counts):
    `a_only` pairs where a is 1 and b is 0, `b_only` the other way; the two-sided binomial p of the discordant
    pairs (1.0 when there is none)."""
    if len(a) != len(b):
        raise ValueError(f"mcnemar: {len(a)} outcomes against {len(b)}")
    r = metrics.mcnemar(np.ones(len(a), dtype=bool), a, b)
    return {"pairs": len(a), "a_only": r["a_only_correct"], "b_only": r["b_only_correct"], "p": r["p_value"]}


def paired_t(a: Sequence[float], b: Sequence[float]) -> dict:
    """Paired t-test (scipy's ttest_rel) of a against b; t and p are None when it is undefined (fewer than two
    pairs, or every difference the same)."""
    from scipy.stats import ttest_rel

    d = [x - y for x, y in zip(a, b, strict=True)]
    if len(d) < 2 or max(d) == min(d):
        return {"pairs": len(d), "mean_diff": round(mean(d), 4) if d else None, "t": None, "p": None}
    res = ttest_rel(a, b)
    return {"pairs": len(d), "mean_diff": round(mean(d), 4), "t": float(res.statistic), "p": float(res.pvalue)}


def restart_shares(us: list[dict], form: str) -> dict[tuple[str, str], dict[tuple, float]]:
    """(model, arm) -> {(run, seed): share of that run's planned restarts alarmed}, plus (MEAN, arm) averaging
    the detectors per (run, seed)."""
    got: dict[tuple, list[int]] = {}
    for (model, arm, run, seed, _i), alarmed in restart_units(us, form).items():
        got.setdefault((model, arm, run, seed), []).append(alarmed)
    out: dict[tuple[str, str], dict[tuple, float]] = {}
    for (model, arm, run, seed), vals in got.items():
        out.setdefault((model, arm), {})[(run, seed)] = mean(vals)
    for arm in {a for _m, a in list(out)}:
        per = [v for (m, a), v in out.items() if a == arm and m != MEAN]
        keys = set.intersection(*(set(p) for p in per)) if per else set()
        out[(MEAN, arm)] = {k: mean(p[k] for p in per) for k in keys}
    return out


def paired_tests(us: list[dict], form: str, against: Sequence[str] = (*CONTROLS, arms.BASELINE)) -> list[dict]:
    """Synthetic against each other arm, over the planned restarts of the test runs, per detector and for all
    detectors together (MEAN): McNemar over the units (run x restart x seed, and x detector for MEAN) and a
    paired t-test over runs x seeds of the share of restarts alarmed (for MEAN: the detectors' mean share)."""
    ru = restart_units(us, form)
    shares = restart_shares(us, form)
    models = sorted({k[0] for k in ru})
    out = []
    for other in against:
        for model in [*models, MEAN]:
            keys = sorted(
                (m, run, seed, i)
                for (m, arm, run, seed, i) in ru
                if arm == arms.SYNTHETIC and (model == MEAN or m == model) and (m, other, run, seed, i) in ru
            )
            if not keys:
                continue
            syn = [ru[(m, arms.SYNTHETIC, run, seed, i)] for m, run, seed, i in keys]
            oth = [ru[(m, other, run, seed, i)] for m, run, seed, i in keys]
            s_sh, o_sh = shares.get((model, arms.SYNTHETIC), {}), shares.get((model, other), {})
            both = sorted(set(s_sh) & set(o_sh))
            out.append(
                {
                    "form": form,
                    "model": model,
                    "against": other,
                    "synthetic_share": round(mean(syn), 4),
                    "other_share": round(mean(oth), 4),
                    "mcnemar": mcnemar(syn, oth),
                    "ttest": paired_t([s_sh[k] for k in both], [o_sh[k] for k in both]),
                }
            )
    return out


# -- the acceptance figures ------------------------------------------------------------------------------------


def acceptance(rows: list[dict], us: list[dict], tests: list[dict], form: str, window: float, alpha: float = 0.05):
    """The issue's acceptance figures for one form, per sequence model and for the mean of all detectors: the
    share of planned restarts alarmed (baseline, synthetic, oracle), whether synthetic at least halves the
    baseline's, whether it is below every control with McNemar p < alpha, whether faults detected fell for any
    fault kind, and how far the median time to detect moved (at most one window allowed)."""
    ru = restart_units(us, form)
    models = sorted({k[0] for k in ru})
    out = []
    for model in [m for m in SEQUENCE_MODELS if m in models] + [MEAN]:

        def share(arm: str, model: str = model) -> float | None:
            vals = [v for (m, a, *_k), v in ru.items() if a == arm and (model == MEAN or m == model)]
            return mean(vals) if vals else None

        def faults(arm: str, model: str = model) -> list[dict]:
            return [
                f
                for r in rows
                if r["form"] == form and r["role"] == "test" and r["arm"] == arm and model in (MEAN, r["model"])
                for f in r["per_fault"]
            ]

        base, syn = share(arms.BASELINE), share(arms.SYNTHETIC)
        vs = [t for t in tests if t["model"] == model and t["against"] in CONTROLS]
        below = bool(vs) and all(t["synthetic_share"] < t["other_share"] and t["mcnemar"]["p"] < alpha for t in vs)
        fb, fs = faults(arms.BASELINE), faults(arms.SYNTHETIC)
        fell = sorted(
            k
            for k in {f["kind"] for f in fb}
            if sum(f["detected"] for f in fs if f["kind"] == k) < sum(f["detected"] for f in fb if f["kind"] == k)
        )
        tb_ = [f["ttd_s"] for f in fb if f["detected"]]
        ts_ = [f["ttd_s"] for f in fs if f["detected"]]
        grew = round(median(ts_) - median(tb_), 1) if tb_ and ts_ else None
        out.append(
            {
                "model": model,
                "baseline": base,
                "synthetic": syn,
                "oracle": share(arms.ORACLE),
                "halved": base is not None and syn is not None and syn <= base / 2,
                "below_every_control": below,
                "max_p_vs_controls": max((t["mcnemar"]["p"] for t in vs), default=None),
                "fault_kinds_fell": fell,
                "median_ttd_change_s": grew,
                "ttd_within_one_window": grew is not None and grew <= window,
            }
        )
    return out
