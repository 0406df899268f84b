"""The testbed evaluation's markdown tables on constructed rows."""

from __future__ import annotations

from testbed_helpers import acceptance_rows

from anomalygen.evaluate import testbed_units as tu
from anomalygen.evaluate.testbed_report import acceptance_table


def test_acceptance_table_on_a_constructed_case():
    rows = acceptance_rows()
    us = tu.units(rows)
    acc = {a["model"]: a for a in tu.acceptance(rows, us, tu.paired_tests(us, "all-server"), "all-server", 10.0)}
    assert "| DeepLog | 1.00 | 0.00 | 0.00 | yes | yes (3.05e-05) | leader_kill | 8.5 (within one window) |" in (
        acceptance_table(list(acc.values()))
    )
