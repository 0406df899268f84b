from __future__ import annotations

from anomalygen.core.levels import LEVELS, enabled, guard_level, normalise, rank


def test_header_levels_map_onto_the_inventory_vocabulary():
    assert normalise(" warning ") == "WARN"
    assert normalise("fine") == "DEBUG" and normalise("SEVERE") == "ERROR"
    assert normalise("NOTICE") == "NOTICE"  # unknown names pass through upper-cased


def test_rank_orders_known_levels_first():
    assert [rank(lv) for lv in LEVELS] == list(range(len(LEVELS)))
    assert rank("FINEST") == rank("TRACE")
    assert rank("NOTICE") == len(LEVELS)


def test_guard_rule():
    assert guard_level("isDebugEnabled") == "DEBUG" and guard_level("isEnabled") is None
    assert enabled("WARN", "INFO") and enabled("INFO", "INFO") and not enabled("DEBUG", "INFO")
