"""Fault spec parsing and the seeded schedule (no Java, no processes)."""

import itertools

import pytest

from anomalygen.testbed.schedule import KINDS, SpecError, choose, min_duration, parse_spec, plan


def test_spec_all_expands_to_every_kind_once():
    assert parse_spec("all") == {k: 1 for k in KINDS}
    assert parse_spec("all:2") == {k: 2 for k in KINDS}


def test_spec_counts_add_up_and_keep_kind_order():
    got = parse_spec("pause, leader_kill:2 ,pause,quorum-loss")
    assert got == {"leader_kill": 2, "pause": 2, "quorum_loss": 1}
    assert list(got) == ["leader_kill", "pause", "quorum_loss"]


@pytest.mark.parametrize("spec", ["", "none", "NONE", "leader_kill:0"])
def test_spec_without_faults(spec):
    assert parse_spec(spec) == {}


@pytest.mark.parametrize(
    "spec, words",
    [
        ("leader_kil", ["item 1", "unknown kind 'leader_kil'", "leader_kill"]),
        ("pause,,restart", ["item 2 is empty"]),
        ("pause:x", ["item 1", "'x' is not an integer"]),
        ("pause:-1", ["negative count"]),
    ],
)
def test_spec_errors_name_the_item(spec, words):
    with pytest.raises(SpecError) as err:
        parse_spec(spec)
    for w in words:
        assert w in str(err.value)


def test_plan_is_deterministic_per_seed_and_varies_across_seeds():
    counts = parse_spec("all")
    a, b = plan(counts, 600, seed=3), plan(counts, 600, seed=3)
    assert a == b
    orders = {tuple(p.kind for p in plan(counts, 600, seed=s)) for s in range(6)}
    assert len(orders) > 1


@pytest.mark.parametrize("seed", range(5))
def test_plan_faults_do_not_overlap_and_fit_the_run(seed):
    counts = parse_spec("all:2")
    duration, warmup, tail = 900, 20, 15
    sched = plan(counts, duration, seed, warmup, tail, extra_hold={"session_expiry": 6})
    assert sorted(p.kind for p in sched) == sorted(k for k in KINDS for _ in range(2))
    assert [p.index for p in sched] == list(range(len(sched)))
    assert sched[0].at >= warmup
    for prev, nxt in itertools.pairwise(sched):
        assert nxt.at >= prev.at + prev.hold + prev.settle - 1e-6
    last = sched[-1]
    assert last.at + last.hold + last.settle <= duration - tail + 1e-6
    for p in sched:
        lo, hi, settle, _ = KINDS[p.kind]
        extra = 6 if p.kind == "session_expiry" else 0
        assert lo + extra <= p.hold <= hi + extra
        assert p.settle == settle
        assert 0 <= p.pick < 1


def test_plan_too_short_says_how_long_it_needs():
    counts = parse_spec("all")
    with pytest.raises(SpecError) as err:
        plan(counts, 60, seed=0)
    msg = str(err.value)
    assert "--duration 60s is too short for 7 faults" in msg
    assert f"{min_duration(counts, 20, 15):.0f}s" in msg


def test_plan_at_min_duration_always_fits():
    counts = parse_spec("leader_kill:2,pause")
    for seed in range(20):
        plan(counts, min_duration(counts, 20, 15), seed)


def test_no_faults_plans_nothing():
    assert plan({}, 10, seed=0) == []


def test_choose_maps_pick_over_sorted_candidates():
    assert choose([3, 1, 2], 0.0) == 1
    assert choose([3, 1, 2], 0.5) == 2
    assert choose([3, 1, 2], 0.999) == 3
    with pytest.raises(ValueError):
        choose([], 0.5)


def test_operations_spec_and_a_mixed_schedule():
    from anomalygen.testbed.schedule import OPERATIONS

    assert parse_spec("all", OPERATIONS, "--operations") == {k: 1 for k in OPERATIONS}
    with pytest.raises(SpecError, match=r"--operations 'leader_kill': item 1: unknown kind"):
        parse_spec("leader_kill", OPERATIONS, "--operations")
    counts = {"leader_kill": 1, "graceful_restart": 2, "rolling_restart": 1}
    sched = plan(counts, 400, seed=5)
    assert sorted(p.kind for p in sched) == ["graceful_restart", "graceful_restart", "leader_kill", "rolling_restart"]
    assert [p.planned for p in sched] == [p.kind != "leader_kill" for p in sched]
    for a, b in itertools.pairwise(sched):  # faults and operations never overlap
        assert a.at + a.hold + a.settle <= b.at + 1e-6
    assert plan(counts, 400, seed=5) == sched
    assert min_duration(counts, 20, 15) == 20 + 15 + (15 + 20) + 2 * (3 + 20) + (2 + 60)
