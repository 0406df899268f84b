"""The testbed evaluation's files: units.csv, tests.json, testbed.json and summary.md with its markdown tables
(operator metrics, planned restarts alarmed, paired tests, coverage, acceptance figures)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from statistics import mean, median

from anomalygen.evaluate.testbed_units import (
    ARMS,
    MEAN,
    RESTARTS,
    SEQUENCE_MODELS,
    acceptance,
    choose_form,
    paired_tests,
    restart_shares,
    restart_units,
    units,
    write_units,
)
from anomalygen.evaluate.testbed_windows import ALL_SERVER, FORMS


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
    ru = restart_units(us, form)
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
