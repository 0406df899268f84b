"""Units, paired tests, the choice of session form on validation and the acceptance figures, on constructed
rows."""

from __future__ import annotations

from testbed_helpers import acceptance_rows

from anomalygen.evaluate import testbed_units as tu


def test_units_and_mcnemar_on_a_constructed_case():
    from scipy.stats import binomtest

    rows = []
    # 2 runs x 2 seeds x 4 restarts: synthetic alarms on restart 0 only, the duplicate control on all four
    for run in ("test1", "test2"):
        for seed in (0, 1):
            for arm, alarmed in (("synthetic", {0}), ("real-duplicate", {0, 1, 2, 3})):
                ops = [
                    {"index": i, "kind": "graceful_restart", "windows": 2, "alarms": int(i in alarmed)}
                    for i in range(4)
                ]
                ops.append({"index": 9, "kind": "snapshot", "windows": 1, "alarms": 1})
                rows.append(
                    {
                        "form": "per-server",
                        "run": run,
                        "role": "test",
                        "model": "DeepLog",
                        "arm": arm,
                        "seed": seed,
                        "per_fault": [{"index": 5, "kind": "pause", "detected": True, "ttd_s": 4.0}],
                        "per_operation": ops,
                    }
                )
    us = tu.units(rows)
    assert len(us) == 2 * 2 * 2 * 6
    assert {(u["unit"], u["kind"]) for u in us} == {
        ("fault", "pause"),
        ("operation", "graceful_restart"),
        ("operation", "snapshot"),
    }
    (t,) = [t for t in tu.paired_tests(us, "per-server") if t["model"] == "DeepLog"]
    # 16 paired restart units; discordant: 12 where only the control alarmed, none the other way
    assert t["against"] == "real-duplicate" and t["mcnemar"]["pairs"] == 16
    assert (t["mcnemar"]["a_only"], t["mcnemar"]["b_only"]) == (0, 12)
    assert t["mcnemar"]["p"] == binomtest(0, 12, 0.5).pvalue < 0.001
    assert (t["synthetic_share"], t["other_share"]) == (0.25, 1.0)
    # every (run, seed) differs by the same -0.75: the t-test is undefined, said so rather than faked
    assert t["ttest"] == {"pairs": 4, "mean_diff": -0.75, "t": None, "p": None}
    assert tu.paired_tests(us, "all-server") == []


def test_form_is_chosen_on_validation_rows_only():
    def row(form, role, detected, alarmed):
        return {
            "form": form,
            "role": role,
            "faults_detected": detected,
            "faults_total": 2,
            "operations_alarmed": alarmed,
            "operations_total": 4,
        }

    val = [row("all-server", "val", 2, 2), row("per-server", "val", 2, 1)]
    best, scores = tu.choose_form(val + [row("all-server", "test", 2, 0), row("per-server", "test", 0, 4)])
    assert best == "per-server" and scores == {"all-server": 0.5, "per-server": 0.75}
    # whatever the test rows say, the choice does not move
    assert tu.choose_form(val + [row("all-server", "test", 2, 4), row("per-server", "test", 2, 0)])[0] == best
    assert tu.choose_form([row("all-server", "val", 2, 2), row("per-server", "val", 2, 2)])[0] == "all-server"
    assert tu.choose_form([row("per-server", "test", 2, 0), row("all-server", "test", 0, 0)])[0] == "all-server"


def test_acceptance_figures_on_a_constructed_case():
    rows = acceptance_rows()
    us = tu.units(rows)
    tests = tu.paired_tests(us, "all-server")
    acc = {a["model"]: a for a in tu.acceptance(rows, us, tests, "all-server", 10.0)}
    assert set(acc) == {"DeepLog", "mean of all"}
    a = acc["DeepLog"]
    assert (a["baseline"], a["synthetic"], a["oracle"]) == (1.0, 0.0, 0.0)
    assert a["halved"] and a["below_every_control"] and a["max_p_vs_controls"] == 2 * 0.5**16
    assert a["fault_kinds_fell"] == ["leader_kill"]
    # baseline: pause at 4 s and leader_kill at 3 s (median 3.5); synthetic: pause at 12 s only
    assert a["median_ttd_change_s"] == 8.5 and a["ttd_within_one_window"]
