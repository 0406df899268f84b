"""Testbed evaluation: train on one testbed run's windows, test on other runs', judged as an operator would.

Every detector is unsupervised (a steady-state training run has no anomaly to learn from) and kept at its natural
threshold. Training arms, each on the same real training windows (those labelled normal), each adding as many
windows as there are real ones unless said otherwise:
  - baseline: the real windows alone;
  - synthetic: plus normal synthetic sessions (generator seed = detector seed): per-server windows the session
    model composed from the training run's own, half of them holding statements its steady state never showed
    (`synthesis/novel.py`); in the all-server form each is spliced into a real all-server training window;
  - real-duplicate: plus real training windows drawn again (more data, nothing new: the control that tells "more
    sessions" from "new behaviour");
  - naive: plus real training windows with code-free random edits (drop, duplicate, swap, insert a seen event);
  - inventory-random: plus real training windows with 1-3 inventory statements training never showed inserted
    at random (code knowledge at the inventory level only: no paths, no order);
  - startup: plus the windows of the servers' start-up (logs every operator has; the fair control, since a
    planned restart prints much of what a start-up prints; as many as there are);
  - oracle (a ceiling, not a control): plus windows of another run (other seeds) that held real planned
    operations, every window over an operation first, then its steady ones.

Session forms: `all-server` (a 10 s window over every server's lines together) and `per-server` (one stream per
server, each cut into the same 10 s windows: the unit a detector scores is server x window). An operator hears
one alarm per time slot whichever server raised it, so per-server predictions are merged per slot (a slot alarms
when any server's window does) before the operator metrics, the units and window F1: both forms are judged on
the same slots. Which form the verdict uses is chosen on a validation run alone (`choose_form`), never on a test
run.

Units: each fault and each planned operation of each test run, alarmed or not, paired across arms by (run,
index, seed, detector): McNemar's exact test over the discordant pairs, synthetic against each control, and a
paired t-test over runs x seeds of the share of planned restarts alarmed (`paired_tests`).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean, median
from typing import cast

import numpy as np

from anomalygen.core.sessions import DataFormatError, Session
from anomalygen.detect.registry import UNSUPERVISED
from anomalygen.evaluate import arms, metrics
from anomalygen.evaluate.alarms import fit_predict, sample_synthetic
from anomalygen.evaluate.metrics import anomaly_metrics
from anomalygen.evaluate.operator import Window, operator_metrics
from anomalygen.jsonl import read_jsonl
from anomalygen.testbed.labels import Interval, intervals, read_faults

STARTUP = "startup"
ARMS = (arms.BASELINE, arms.SYNTHETIC, arms.DUPLICATE, arms.NAIVE, arms.INVENTORY_RANDOM, STARTUP, arms.ORACLE)
CONTROLS = (arms.DUPLICATE, arms.NAIVE, arms.INVENTORY_RANDOM, STARTUP)  # what the synthetic arm must beat
ALL_SERVER, PER_SERVER = "all-server", "per-server"
FORMS = (ALL_SERVER, PER_SERVER)
# the windows files of each form in a windowed run's folder (`testbed/output.py` writes both)
FORM_FILES = {
    ALL_SERVER: ("sessions.jsonl", "sessions_startup.jsonl"),
    PER_SERVER: ("sessions_by_server.jsonl", "sessions_startup_by_server.jsonl"),
}
RESTARTS = ("graceful_restart", "leader_handover", "rolling_restart")  # the planned restarts the issue is about
SEQUENCE_MODELS = ("DeepLog", "LogAnomaly", "Transformer")
MEAN = "mean of all"  # the row that averages every detector


@dataclass
class TestbedEvalConfig:
    models: list[str] = field(default_factory=lambda: list(UNSUPERVISED))
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    epochs: int | None = None
    margin: float = 10.0


@dataclass
class TestbedWindows:
    """One run's windows (`sessions.jsonl` rows), start-up windows, fault and planned-operation intervals; its
    name in the evaluation (train, val, test1, ...)."""

    __test__ = False

    windows: list[Session]
    startup: list[Session]
    faults: list[Interval]
    operations: list[Interval]
    name: str = "test"


def read_windows(path: Path) -> list[Session]:
    rows = []
    for n, obj in read_jsonl(path, DataFormatError):
        for key in ("events", "label", "start", "end"):
            if key not in obj:
                raise DataFormatError(f"{path}:{n}: a window needs {key!r}")
        rows.append(Session.from_dict(obj, f"{path}:{n}", order=n, labelled=True))
    return rows


def opens(w: Session) -> float:
    """The epoch second a window opens (a window's `start`, which `read_windows` found there)."""
    return float(cast(float, w.start))


def span(w: Session) -> tuple[float, float]:
    return opens(w), float(w.extra["end"])


def load_run(
    windows_dir: Path, run_dir: Path, margin: float, form: str = ALL_SERVER, name: str = "test"
) -> TestbedWindows:
    """Windows built into `windows_dir` (see `runner.relabel`) in the given form, and the records of the testbed
    run `run_dir`."""
    if form not in FORM_FILES:
        raise ValueError(f"session form {form!r}: expected one of {', '.join(FORMS)}")
    main, start = FORM_FILES[form]
    ops = run_dir / "operations.jsonl"
    startup = windows_dir / start
    return TestbedWindows(
        read_windows(windows_dir / main),
        read_windows(startup) if startup.is_file() else [],
        intervals(read_faults(run_dir / "faults.jsonl"), margin),
        intervals(read_faults(ops), margin, planned=True) if ops.is_file() else [],
        name,
    )


def normal_events(run: TestbedWindows) -> list[list[str]]:
    return [list(w.events) for w in run.windows if w.label == 0]


def oracle_addition(oracle: TestbedWindows, n: int, seed: int) -> list[list[str]]:
    """`n` normal windows of the oracle run: every window over a planned operation first (they are what the arm
    is for; a seeded draw of `n` of them when there are more), then a seeded draw of its steady windows, with
    replacement only once they run out."""
    rng = np.random.default_rng(seed + 7919)
    normal = [w for w in oracle.windows if w.label == 0]
    over_ops = [list(w.events) for w in normal if w.extra.get("operations")]
    steady = [list(w.events) for w in normal if not w.extra.get("operations")]
    if len(over_ops) >= n:
        return [over_ops[i] for i in sorted(rng.choice(len(over_ops), n, replace=False))] if n > 0 else []
    rest = n - len(over_ops)
    if not steady:
        again = rng.choice(len(over_ops), rest, replace=True) if over_ops else np.zeros(0, dtype=np.int64)
        return over_ops + [over_ops[i] for i in again]
    pick = rng.choice(len(steady), rest, replace=rest > len(steady))
    return over_ops + [steady[i] for i in pick]


def slots(windows: Sequence[Session], pred: Sequence[int]) -> tuple[list[Window], np.ndarray, np.ndarray]:
    """Windows merged per time slot (start, end): a slot alarms when any of its windows does and is anomalous
    when any is (labels come from time, so a slot's windows agree). One window per slot in the all-server form;
    one per server that printed in the per-server form. Returns the slots, their labels, their alarms."""
    merged: dict[tuple[float, float], list[int]] = {}
    for w, p in zip(windows, pred, strict=True):
        got = merged.setdefault(span(w), [0, 0])
        got[0] = max(got[0], w.label or 0)
        got[1] = max(got[1], int(p))
    keys = sorted(merged)
    return (
        [Window(s, e, bool(merged[(s, e)][1])) for s, e in keys],
        np.array([merged[k][0] for k in keys], dtype=np.int64),
        np.array([merged[k][1] for k in keys], dtype=np.int64),
    )


def additions(
    train: TestbedWindows,
    synthetic: list[list[str]],
    seed: int,
    inventory: Sequence[str] | None = None,
    oracle: TestbedWindows | None = None,
) -> dict[str, list[list[str]]]:
    """What each arm adds to the real normal training windows for one seed (an arm left out adds nothing and is
    not run: inventory-random without an inventory, oracle without an oracle run, startup without start-up
    windows, synthetic without synthetic sessions)."""
    X_train = normal_events(train)
    y_train = np.zeros(len(X_train), dtype=np.int64)
    n = len(X_train)
    added = {
        arms.BASELINE: [],
        arms.SYNTHETIC: sample_synthetic(synthetic, n, seed),
        arms.DUPLICATE: arms.duplicate(X_train, y_train, n, 0, seed).X,
        arms.NAIVE: arms.naive(X_train, y_train, n, 0, seed).X,
        STARTUP: [list(w.events) for w in train.startup],
    }
    if inventory:
        seen = {e for x in X_train for e in x}
        unseen = sorted(k for k in set(inventory) if k not in seen)
        added[arms.INVENTORY_RANDOM] = arms.inventory_random(X_train, y_train, unseen, n, 0, seed).X
    if oracle is not None:
        added[arms.ORACLE] = oracle_addition(oracle, n, seed)
    return added


def evaluate_testbed(
    train: TestbedWindows,
    tests: TestbedWindows | Sequence[TestbedWindows],
    synthetic: dict[int, list[list[str]]],
    cfg: TestbedEvalConfig,
    *,
    val: TestbedWindows | None = None,
    oracle: TestbedWindows | None = None,
    inventory: Sequence[str] | None = None,
    form: str = ALL_SERVER,
) -> list[dict]:
    """One row per (detector, arm, seed, run): each detector is trained once per arm and seed, then scores the
    validation run (role `val`) and every test run (role `test`)."""
    tests = [tests] if isinstance(tests, TestbedWindows) else list(tests)
    judged = [(val, "val")] if val is not None else []
    judged += [(t, "test") for t in tests]
    X_train = normal_events(train)
    if not X_train or not tests or not all(t.windows for t, _ in judged):
        raise ValueError(
            f"{len(X_train)} normal training windows and test runs with "
            f"{', '.join(str(len(t.windows)) for t, _ in judged) or 'no'} windows: nothing to evaluate"
        )
    X_all = [list(w.events) for t, _ in judged for w in t.windows]
    bounds = np.cumsum([0] + [len(t.windows) for t, _ in judged])
    rows = []
    for seed in cfg.seeds:
        added = additions(train, synthetic.get(seed, []), seed, inventory, oracle)
        for model in cfg.models:
            for arm in ARMS:
                if arm not in added or (arm != arms.BASELINE and not added[arm]):
                    continue
                pred_all = fit_predict(model, seed, X_train + added[arm], X_all, cfg.epochs)
                for k, (run, role) in enumerate(judged):
                    pred = pred_all[bounds[k] : bounds[k + 1]]
                    rows.append(_row(run, role, form, model, arm, seed, len(X_train), len(added[arm]), pred))
    return rows


def _row(run: TestbedWindows, role: str, form: str, model: str, arm: str, seed: int, n_train, n_added, pred) -> dict:
    wins, y, alarms = slots(run.windows, pred)
    op = operator_metrics(wins, run.faults, run.operations)
    win = anomaly_metrics(y, alarms)
    ttd = [f["ttd_s"] for f in op["faults"] if f["detected"]]
    return {
        "form": form,
        "run": run.name,
        "role": role,
        "model": model,
        "arm": arm,
        "seed": seed,
        "n_train": n_train,
        "n_added": n_added,
        "n_test": len(wins),
        "n_test_anomalous": int(y.sum()),
        "faults_detected": len(ttd),
        "faults_total": len(op["faults"]),
        "median_ttd_s": round(median(ttd), 1) if ttd else None,
        "fa_per_hour": op["false_alarms"]["per_hour"],
        "fa_per_hour_steady": op["false_alarms_steady"]["per_hour"],
        "fa_per_hour_operations": op["false_alarms_during_operations"]["per_hour"],
        "operations_alarmed": op["operations_alarmed"],
        "operations_total": op["operations_total"],
        "restarts_alarmed": sum(o["alarms"] > 0 for o in op["operations"] if o["kind"] in RESTARTS),
        "restarts_total": sum(o["kind"] in RESTARTS for o in op["operations"]),
        "precision": round(win["precision"], 4),
        "recall": round(win["recall"], 4),
        "f1": round(win["f1"], 4),
        "per_fault": op["faults"],
        "per_operation": op["operations"],
    }


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


def _restart_units(us: list[dict], form: str) -> dict[tuple, int]:
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
    for (model, arm, run, seed, _i), alarmed in _restart_units(us, form).items():
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
    ru = _restart_units(us, form)
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


# -- coverage of operation statements by synthetic sessions -----------------------------------------------------


def coverage(
    train: TestbedWindows, tests: Sequence[TestbedWindows], synthetic: dict[int, list[list[str]]]
) -> list[dict]:
    """Per planned-operation kind: the statements the test runs' windows over that kind (and over no fault)
    print that the training run never printed, and how many of them at least one synthetic normal session of
    each seed holds."""
    seen = {e for w in train.windows for e in w.events}
    by_kind: dict[str, set[str]] = {}
    for t in tests:
        kind_of = {o.index: o.kind for o in t.operations}
        for w in t.windows:
            if w.label or not w.extra.get("operations"):
                continue
            for idx in w.extra["operations"]:
                if idx in kind_of:
                    by_kind.setdefault(kind_of[idx], set()).update(e for e in w.events if e not in seen)
    syn = {s: {e for x in xs for e in x} for s, xs in synthetic.items()}
    return [
        {
            "kind": kind,
            "unseen": len(st),
            "in_synthetic": {str(s): len(st & held) for s, held in sorted(syn.items())},
            "statements": sorted(st),
        }
        for kind, st in sorted(by_kind.items())
    ]


# -- summary ----------------------------------------------------------------------------------------------------


def _avg(rows: list[dict], key: str) -> str:
    vals = [r[key] for r in rows if r.get(key) is not None]
    return f"{mean(vals):.1f}" if vals else "-"


def _p(x: float | None) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3g}"


def summary_markdown(rows: list[dict], note: str = "") -> str:
    """The operator tables over the rows given (one form, test rows; rows without a role count as test rows)."""
    rows = [r for r in rows if r.get("role", "test") == "test"]
    models = list(dict.fromkeys(r["model"] for r in rows))
    arm_list = [a for a in ARMS if any(r["arm"] == a for r in rows)]
    seeds = sorted({r["seed"] for r in rows})
    runs = list(dict.fromkeys(r.get("run", "test") for r in rows))
    out = [
        "## Testbed: operator metrics (mean over test runs "
        + ", ".join(runs)
        + " and seeds "
        + ", ".join(map(str, seeds))
        + ")",
        "",
        note,
        "",
        "| detector | arm | faults detected | median time to detect (s) | false alarms/h, steady | false alarms/h, "
        "planned operations | operations alarmed | window F1 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for m in models:
        for a in arm_list:
            got = [r for r in rows if r["model"] == m and r["arm"] == a]
            if not got:
                continue
            out.append(
                f"| {m} | {a} | {_avg(got, 'faults_detected')} of {mean(r['faults_total'] for r in got):g} | "
                f"{_avg(got, 'median_ttd_s')} | {_avg(got, 'fa_per_hour_steady')} | "
                f"{_avg(got, 'fa_per_hour_operations')} | {_avg(got, 'operations_alarmed')} of "
                f"{mean(r['operations_total'] for r in got):g} | {mean(r['f1'] for r in got):.3f} |"
            )
    out += [
        "",
        "### Faults detected per kind (all detectors, runs and seeds together)",
        "",
        "| fault kind | " + " | ".join(arm_list) + " |",
        "|---|" + "---|" * len(arm_list),
    ]
    kinds = sorted({f["kind"] for r in rows for f in r["per_fault"]})
    for k in [*kinds, "all"]:
        cells = []
        for a in arm_list:
            fs = [f for r in rows if r["arm"] == a for f in r["per_fault"] if k in ("all", f["kind"])]
            ttd = [f["ttd_s"] for f in fs if f["detected"]]
            cells.append(f"{len(ttd)}/{len(fs)}" + (f", median {median(ttd):.0f} s" if ttd else ""))
        out.append(f"| {k} | " + " | ".join(cells) + " |")
    out += [
        "",
        "### Planned operations with at least one false alarm (all detectors, runs and seeds together)",
        "",
        "| operation kind | " + " | ".join(arm_list) + " |",
        "|---|" + "---|" * len(arm_list),
    ]
    for k in sorted({o["kind"] for r in rows for o in r["per_operation"]}):
        cells = []
        for a in arm_list:
            ops = [o for r in rows if r["arm"] == a for o in r["per_operation"] if o["kind"] == k]
            cells.append(f"{sum(o['alarms'] > 0 for o in ops)}/{len(ops)}")
        out.append(f"| {k} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def restart_table(us: list[dict], form: str) -> str:
    """Share of planned restarts (the three restart kinds together) with a false alarm, per arm, for the sequence
    models and the mean of every detector (other detectors below them)."""
    shares = restart_shares(us, form)
    arm_list = [a for a in ARMS if any(a == k[1] for k in shares)]
    models = sorted({m for m, _a in shares if m != MEAN})
    order = [m for m in SEQUENCE_MODELS if m in models] + [MEAN] + [m for m in models if m not in SEQUENCE_MODELS]
    ru = _restart_units(us, form)
    out = ["| detector | " + " | ".join(arm_list) + " |", "|---|" + "---|" * len(arm_list)]
    for m in order:
        cells = []
        for a in arm_list:
            vals = [v for (mm, aa, *_k), v in ru.items() if aa == a and (m == MEAN or mm == m)]
            cells.append(f"{mean(vals):.2f} ({sum(vals)}/{len(vals)})" if vals else "-")
        out.append(f"| {'**' + m + '**' if m == MEAN else m} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def tests_table(tests: list[dict]) -> str:
    out = [
        "| detector | synthetic vs | synthetic share | other share | McNemar: only synthetic / only other alarmed, "
        "p | paired t over runs x seeds: mean diff, t, p |",
        "|---|---|---|---|---|---|",
    ]
    for t in tests:
        mc, tt = t["mcnemar"], t["ttest"]
        out.append(
            f"| {t['model']} | {t['against']} | {t['synthetic_share']:.2f} | {t['other_share']:.2f} | "
            f"{mc['a_only']} / {mc['b_only']} of {mc['pairs']}, p {_p(mc['p'])} | "
            f"{_p(tt['mean_diff'])}, {_p(tt['t'])}, p {_p(tt['p'])} |"
        )
    return "\n".join(out) + "\n"


def coverage_table(cov: list[dict]) -> str:
    out = [
        "| operation kind | statements its windows print that training never did | of them in a synthetic normal "
        "session (per seed) |",
        "|---|---|---|",
    ]
    for c in cov:
        per = ", ".join(f"seed {s}: {n}" for s, n in c["in_synthetic"].items()) or "-"
        out.append(f"| {c['kind']} | {c['unseen']} | {per} |")
    return "\n".join(out) + "\n"


def acceptance(rows: list[dict], us: list[dict], tests: list[dict], form: str, window: float, alpha: float = 0.05):
    """The issue's acceptance figures for one form, per sequence model and for the mean of all detectors: the
    share of planned restarts alarmed (baseline, synthetic, oracle), whether synthetic at least halves the
    baseline's, whether it is below every control with McNemar p < alpha, whether faults detected fell for any
    fault kind, and how far the median time to detect moved (at most one window allowed)."""
    ru = _restart_units(us, form)
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


def acceptance_table(acc: list[dict]) -> str:
    def f(x):
        return "-" if x is None else f"{x:.2f}"

    out = [
        "| detector | restarts alarmed: baseline | synthetic | oracle | halved | below every control (McNemar "
        "p < 0.05; largest p) | fault kinds detected less | median time to detect, change (s) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for a in acc:
        out.append(
            f"| {a['model']} | {f(a['baseline'])} | {f(a['synthetic'])} | {f(a['oracle'])} | "
            f"{'yes' if a['halved'] else 'no'} | {'yes' if a['below_every_control'] else 'no'} "
            f"({_p(a['max_p_vs_controls'])}) | {', '.join(a['fault_kinds_fell']) or 'none'} | "
            f"{_p(a['median_ttd_change_s'])} ({'within' if a['ttd_within_one_window'] else 'not within'} one window) |"
        )
    return "\n".join(out) + "\n"


def write_results(rows: list[dict], out: Path, info: dict, cov: list[dict] | None = None) -> dict:
    """testbed.json (info, rows, form choice, tests, coverage), units.csv, tests.json and summary.md; returns
    what summary.md rests on (the chosen form, its scores, the tests)."""
    out.mkdir(parents=True, exist_ok=True)
    for r in rows:  # rows made before forms and roles existed read as one all-server test run
        r.setdefault("form", ALL_SERVER)
        r.setdefault("role", "test")
        r.setdefault("run", "test")
    form, scores = choose_form(rows)
    us = units(rows)
    write_units(us, out / "units.csv")
    forms = [f for f in FORMS if any(r["form"] == f for r in rows)]
    tests = {f: paired_tests(us, f) for f in forms}
    window = float(info.get("window") or 10.0)
    acc = acceptance(rows, us, tests.get(form, []), form, window)
    verdict = {"form": form, "validation_scores": scores, "acceptance": acc, "tests": tests}
    (out / "tests.json").write_text(json.dumps(verdict, indent=1) + "\n", encoding="utf-8")
    doc = {"info": info, "verdict": verdict, "coverage": cov or [], "rows": rows}
    (out / "testbed.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    note = (
        f"Train: {info.get('train')} ({info.get('n_train')} normal windows); test: {info.get('test')} "
        f"({info.get('n_test')} windows, {info.get('n_test_anomalous')} in fault intervals + "
        f"{info.get('margin')} s margin). Windows of {info.get('window')} s; in the per-server form a time slot "
        "alarms when any server's window does, so both forms are judged on the same slots. An alarm is raised "
        "when its window closes. Each detector at its natural threshold (no anomaly in training to tune one)."
    )
    if scores.get(form) is not None:
        why = (
            f"chosen on the validation run {info.get('val')} alone: mean over detectors, arms and seeds of (share "
            "of its faults detected - share of its planned operations with a false alarm): "
            + ", ".join(f"{f} {s}" for f, s in scores.items())
            + " (a tie keeps all-server). The test runs took no part in the choice."
        )
    else:
        why = "no validation run: today's form, all-server (give --val-testbed to choose on validation data)."
    parts = [
        f"## Session form used for the verdict: **{form}**",
        "",
        why,
        "",
        f"## Acceptance figures ({form}; test runs)",
        "",
        "Share of planned restarts alarmed (the three restart kinds together); whether synthetic at least halves "
        "the baseline's; whether it is below every control (real-duplicate, naive, inventory-random, startup) with "
        "McNemar p < 0.05; fault kinds the synthetic arm detects less often than the baseline; the change of the "
        "median time to detect over all faults detected (synthetic - baseline).",
        "",
        acceptance_table(acc),
        f"## Planned restarts with a false alarm ({', '.join(RESTARTS)} together; {form}; test runs)",
        "",
        "Share of (test run, restart, seed) units with at least one alarmed slot over the restart (alarmed/units).",
        "",
        restart_table(us, form),
        f"## Synthetic against each other arm over the planned restarts ({form})",
        "",
        "McNemar's exact test over the units (run x restart x seed; for the mean of all detectors, x detector: "
        "pairs that are not independent, read its p as a summary); paired t-test over runs x seeds of the share "
        "of restarts alarmed. A negative mean difference: synthetic alarms less.",
        "",
        tests_table(tests.get(form, [])),
        summary_markdown([r for r in rows if r["form"] == form], note),
    ]
    if cov:
        parts += ["## Coverage of operation statements by synthetic normal sessions", "", coverage_table(cov)]
    for other in forms:
        if other != form:
            parts += [
                f"## The other form, {other} (not used for the verdict)",
                "",
                restart_table(us, other),
                tests_table(tests.get(other, [])),
                summary_markdown(
                    [r for r in rows if r["form"] == other], f"The same runs and arms in the {other} form."
                ),
            ]
    (out / "summary.md").write_text("\n".join(parts), encoding="utf-8")
    return verdict


# -- synthetic sessions in both forms ---------------------------------------------------------------------------


def read_synthetic(path: Path) -> list[Session]:
    """The generator's normal sessions (label 0), whose provenance says, when a path was spliced into a host
    session, the host's index and where the path begins (`host`, `inserted_at`)."""
    out = []
    for n, obj in read_jsonl(Path(path), DataFormatError):
        if not isinstance(obj.get("events"), list):
            raise DataFormatError(f"{path}:{n}: needs an 'events' list")
        if str(obj.get("label")).lower() not in ("0", "normal"):
            continue
        out.append(Session.from_dict(obj, f"{path}:{n}", "synthetic", n))
    return out


def path_of(rec: Session, hosts: Sequence[Sequence[str]]) -> list[str] | None:
    """The code path inside a spliced session: its events less the host session it was spliced into, found from
    the host's index and the insertion point. None when the session does not read back as host[:at] + path +
    host[at:] (a line the generator could not fill was dropped, or the host list differs)."""
    h, at, ev = rec.provenance.get("host"), rec.provenance.get("inserted_at"), rec.events
    if h is None and at is None:  # generated without hosts: the session is the path
        return list(ev)
    if not isinstance(h, int) or not isinstance(at, int) or not 0 <= h < len(hosts):
        return None
    host = list(hosts[h])
    k = len(ev) - len(host)
    if k < 0 or at > len(host) or ev[:at] != host[:at] or ev[at + k :] != host[at:]:
        return None
    return ev[at : at + k]


def respliced(
    recs: list[Session], hosts: Sequence[Sequence[str]], targets: Sequence[Sequence[str]], seed: int
) -> tuple[list[list[str]], int]:
    """The same synthetic sessions in another form: each one's code path taken out of the host it was generated
    in and spliced into a window of `targets` (drawn, with the place, by a generator seeded with `seed`), so that
    both forms learn the same paths and generation runs once per seed. Sessions whose path cannot be read back
    are left out; returns the sessions and how many were left out."""
    rng = np.random.default_rng(seed + 15485863)
    out, lost = [], 0
    for rec in recs:
        p = path_of(rec, hosts)
        if p is None or not targets:
            lost += 1
            continue
        base = list(targets[int(rng.integers(len(targets)))])
        at = int(rng.integers(len(base) + 1))
        out.append(base[:at] + p + base[at:])
    return out, lost


def inventory_ids(path: Path) -> list[str]:
    return [str(obj["id"]) for _n, obj in read_jsonl(Path(path), DataFormatError) if "id" in obj]


# -- the whole evaluation over windowed runs (what `run --testbed` calls) ---------------------------------------


@dataclass
class TestbedInputs:
    """Where the run stage left what the evaluation reads."""

    windows: Path  # one folder per run name, as `runner.relabel` writes it
    runs: dict[str, Path]  # run name -> testbed run folder: train, val, oracle (optional), test1, test2, ...
    synthetic: dict[int, Path]  # seed -> the generator's output folder (its sessions.jsonl)
    # the per-server training windows the generator composed from; only a generate output that spliced paths
    # into them (`--hosts`) names a host per session, which `respliced` then takes out again
    hosts: Path | None = None
    host_fraction: float = 1.0
    inventory: Path | None = None
    window: float = 10.0

    def tests(self) -> list[str]:
        return [k for k in self.runs if k.startswith("test")]


def split_in_time(run: TestbedWindows, cut: float) -> tuple[TestbedWindows, TestbedWindows]:
    """Windows starting before `cut` train, the rest test (with the faults and operations still under way)."""
    return (
        TestbedWindows([w for w in run.windows if opens(w) < cut], run.startup, [], [], "train"),
        TestbedWindows(
            [w for w in run.windows if opens(w) >= cut],
            [],
            [f for f in run.faults if f.stop >= cut],
            [o for o in run.operations if o.stop >= cut],
            "test",
        ),
    )


def _host_list(inp: TestbedInputs, known: set[str]) -> list[list[str]]:
    """The host sessions exactly as the generator saw them (`synthesis.api._host_events`): the first fraction of
    the file's normal sessions, statements of the inventory only, empty ones dropped."""
    from anomalygen.synthesis.hosts import load_hosts

    if inp.hosts is None or not inp.hosts.is_file():
        return []
    hosts = load_hosts(inp.hosts, inp.host_fraction)
    return [h for h in ([e for e in hs if e in known] for hs in hosts) if h] if known else hosts


def evaluate_runs(inp: TestbedInputs, cfg: TestbedEvalConfig, out: Path) -> dict:
    """Both session forms over every run, the form chosen on validation, units, paired tests, coverage; writes
    OUT (see `write_results`) and returns the info it records."""
    inventory = inventory_ids(inp.inventory) if inp.inventory and inp.inventory.is_file() else None
    known = set(inventory or ())
    hosts = _host_list(inp, known)
    recs = {s: read_synthetic(p / "sessions.jsonl") for s, p in inp.synthetic.items()}
    rows: list[dict] = []
    info: dict = {
        "train": str(inp.runs["train"]),
        "val": str(inp.runs["val"]) if "val" in inp.runs else None,
        "oracle": str(inp.runs["oracle"]) if "oracle" in inp.runs else None,
        "test": ", ".join(f"{k} {inp.runs[k]}" for k in inp.tests()) or "second half of the training run",
        "window": inp.window,
        "margin": cfg.margin,
        "n_synthetic_normal": {str(s): len(r) for s, r in recs.items()},
        "config": cfg.__dict__,
        "forms": {},
    }
    cov: list[dict] = []
    cut = None
    for form in FORMS:

        def load(name: str, form: str = form) -> TestbedWindows:
            return load_run(inp.windows / name, inp.runs[name], cfg.margin, form, name)

        train = load("train")
        if inp.tests():
            tests = [load(k) for k in inp.tests()]
        else:
            if cut is None:  # one cut for both forms: the all-server middle window's start
                ws = sorted(opens(w) for w in train.windows)
                cut = ws[len(ws) // 2] if ws else 0.0
            train, test = split_in_time(train, cut)
            tests = [test]
        val = load("val") if "val" in inp.runs else None
        oracle = load("oracle") if "oracle" in inp.runs else None
        if form == PER_SERVER:
            synthetic = {s: [r.events for r in rs] for s, rs in recs.items()}
            lost = {str(s): 0 for s in recs}
            cov = coverage(train, tests, synthetic)
        else:
            synthetic, lost = {}, {}
            targets = normal_events(train)
            for s, rs in recs.items():
                synthetic[s], n_lost = respliced(rs, hosts, targets, s)
                lost[str(s)] = n_lost
        rows += evaluate_testbed(train, tests, synthetic, cfg, val=val, oracle=oracle, inventory=inventory, form=form)
        info["forms"][form] = {
            "n_train": len(normal_events(train)),
            "n_startup": len(train.startup),
            "n_oracle_normal": len(normal_events(oracle)) if oracle else 0,
            "n_val": len(val.windows) if val else 0,
            "n_test": sum(len(t.windows) for t in tests),
            "n_synthetic": {str(s): len(v) for s, v in synthetic.items()},
            "synthetic_not_respliced": lost,
        }
        if form == ALL_SERVER:
            info["n_train"] = len(normal_events(train))
            info["n_test"] = sum(len(t.windows) for t in tests)
            info["n_test_anomalous"] = sum(w.label or 0 for t in tests for w in t.windows)
    info["verdict"] = write_results(rows, out, info, cov)
    return info
