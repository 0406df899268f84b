"""Operator metrics on a hand-made fault and operation schedule."""

from anomalygen.evaluate.operator import Window, by_kind, operator_metrics
from anomalygen.testbed.labels import Interval, intervals


def _grid(alarms: set[int], n: int = 36, size: float = 10.0) -> list[Window]:
    """Windows [10k, 10k + 10) for k < n; those in `alarms` raised an alarm."""
    return [Window(k * size, (k + 1) * size, k in alarms) for k in range(n)]


def test_detection_time_to_detect_and_false_alarms():
    faults = [
        Interval(52.0, 79.0, 0, "leader_kill"),  # windows 5..7 overlap it
        Interval(200.0, 215.0, 1, "pause"),  # windows 20, 21
        Interval(300.0, 305.0, 2, "leader_kill"),
    ]  # window 30: no alarm there
    ops = [Interval(120.0, 135.0, 0, "graceful_restart")]  # windows 12, 13
    wins = _grid({6, 7, 21, 13, 2, 33})
    m = operator_metrics(wins, faults, ops)
    assert [(f["index"], f["detected"], f["ttd_s"]) for f in m["faults"]] == [
        (0, True, 18.0),
        (1, True, 20.0),
        (2, False, None),
    ]
    assert m["by_kind"] == {
        "leader_kill": {"detected": 1, "total": 2, "median_ttd_s": 18.0},
        "pause": {"detected": 1, "total": 1, "median_ttd_s": 20.0},
    }
    # normal windows: 36 - 3 (fault 0) - 2 (fault 1) - 1 (fault 2) = 30, 300 s; alarms 2, 13, 33
    assert m["false_alarms"] == {"false_alarms": 3, "hours": round(300 / 3600, 4), "per_hour": 36.0}
    assert m["false_alarms_during_operations"]["false_alarms"] == 1
    assert m["false_alarms_during_operations"]["per_hour"] == 180.0  # 1 alarm in 20 s
    assert m["false_alarms_steady"]["false_alarms"] == 2
    assert m["operations"] == [{"index": 0, "kind": "graceful_restart", "windows": 2, "alarms": 1}]
    assert (m["operations_alarmed"], m["operations_total"]) == (1, 1)


def test_an_alarm_in_a_window_that_starts_before_the_fault_counts_at_its_end():
    m = operator_metrics(_grid({4}, n=8), [Interval(45.0, 47.0, 0, "pause")])
    assert m["faults"][0] == {"index": 0, "kind": "pause", "detected": True, "ttd_s": 5.0}
    assert m["false_alarms"]["false_alarms"] == 0


def test_no_alarm_at_all():
    m = operator_metrics(_grid(set(), n=6), [Interval(10.0, 20.0, 0, "pause")])
    assert not m["faults"][0]["detected"] and m["false_alarms"]["per_hour"] == 0.0
    assert m["false_alarms_during_operations"] == {"false_alarms": 0, "hours": 0.0, "per_hour": None}
    assert by_kind([]) == {}


def test_intervals_of_records_keep_faults_and_operations_apart():
    recs = [
        {"index": 0, "kind": "leader_kill", "start": 10.0, "end": 20.0, "recovered": 25.0},
        {"index": 1, "kind": "graceful_restart", "start": 40.0, "end": 43.0, "recovered": None, "planned": True},
        {"index": 2, "kind": "pause", "start": None},
    ]
    assert intervals(recs, 5.0) == [Interval(10.0, 30.0, 0, "leader_kill")]
    assert intervals(recs, 5.0, planned=True) == [Interval(40.0, 48.0, 1, "graceful_restart")]
