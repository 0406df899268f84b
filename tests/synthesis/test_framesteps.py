"""The trie of frame prefixes: steps looked up on a later path are the steps a fresh reading gives."""

from __future__ import annotations

from lcfg_helpers import key_of, one

from anomalygen.source.paths import PathConfig, PathFinder
from anomalygen.synthesis.feasibility import FeasibilityChecker

# a helper called from three places: its frames repeat with different prefixes, and its own assignments and
# branches (n reassigned between two tests of it) need the SSA versions replayed where a path leaves the trie
BODY = """
  int read() { return 7; }
  void h(int n) {
    if (n > 3) { LOG.info("big"); } else { LOG.info("small"); }
    n = read();
    if (n > 3) { LOG.info("again"); } else { if (n > 10) LOG.info("never"); }
  }
  void m(int n, Object x) {
    int k = n + 1;
    if (x == null) { h(k); } else { h(n); }
    if (k > 3) { if (n > 10) LOG.info("both"); } else { if (n > 10) LOG.info("impossible"); }
    if (x != null) { h(k); LOG.info("set"); } else { h(n); }
  }"""


def test_shared_trie_gives_the_verdicts_of_a_fresh_reading(tmp_path):
    a = one(tmp_path, BODY)
    paths = PathFinder(a, PathConfig(max_paths=10_000)).entry_paths(key_of(a, "A.m")).paths
    shared = FeasibilityChecker(max_cores=10**6)  # a reason for every unsat path
    got = [shared.check_record(p, a) for p in paths]
    fresh = [FeasibilityChecker().check_record(p, a) for p in paths]
    assert [(v.status, v.partial, v.reasons) for v in got] == [(v.status, v.partial, v.reasons) for v in fresh]
    assert {v.status for v in got} == {"sat", "unsat"}
    # the later paths were read through the trie: far fewer nodes than conditions
    nodes, todo = 0, [shared._root]
    while todo:
        n = todo.pop()
        nodes += len(n.kids)
        todo.extend(n.kids.values())
    assert nodes < sum(len(p.conditions) for p in paths) / 2


def test_versions_are_replayed_from_the_frame_prefix(tmp_path):
    a = one(tmp_path, BODY)
    paths = PathFinder(a, PathConfig(max_paths=10_000)).entry_paths(key_of(a, "A.m")).paths
    ch = FeasibilityChecker()
    for p in paths:
        ch.check_record(p, a)
    seen = 0
    todo = [ch._root]
    while todo:
        n = todo.pop()
        for cond, kid in n.kids.items():
            # replaying the prefix's bumps gives the versions its step was read under, plus its own bumps
            before = n.versions()
            after = kid.versions()
            for vk in kid.step.bumps:
                before[vk] = before.get(vk, 0) + 1
            assert before == after and all(k[0] == cond[0] for k in after)
            seen += bool(after)
            todo.append(kid)
    assert seen
