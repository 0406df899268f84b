"""Covering paths: a path through each statement a uniform sample missed, real, and clear of avoided lines where
such a path exists."""

from __future__ import annotations

from lcfg_helpers import key_of, one, templates

from anomalygen.source.paths import PathConfig, PathFinder

# one branch holds two paths, the other 2^10: a uniform sample of a few paths never takes the first
BODY = (
    """
  void m(int kind, int c, """
    + ", ".join(f"int x{i}" for i in range(10))
    + """) {
    if (kind == 7) {
      LOG.info("deleted");
      if (c > 3) LOG.warn("slow delete");
      return;
    }
"""
    + "".join(f'    if (x{i} > 0) LOG.info("step {i}");\n' for i in range(10))
    + "  }"
)


def test_the_rare_branch_is_covered_on_real_paths_and_the_avoided_line_left_out(tmp_path):
    a = one(tmp_path, BODY)
    key, names = key_of(a, "A.m"), templates(a)
    everything = PathFinder(a, PathConfig(max_paths=10**4)).entry_paths(key)
    assert everything.mode == "enumerated"
    real = {(tuple(p.events), p.exit) for p in everything.paths}
    uniform = PathFinder(a, PathConfig(sample=3, seed=1, cover=False)).entry_paths(key)
    assert "deleted" not in {names[e] for p in uniform.paths for e in p.events}
    covered = PathFinder(a, PathConfig(sample=3, seed=1)).entry_paths(key)
    assert covered.paths[:3] == uniform.paths and covered.covering == len(covered.paths) - 3
    assert {(tuple(p.events), p.exit) for p in covered.paths} <= real
    assert {names[e] for p in covered.paths for e in p.events} == set(names.values())
    warn = next(i for i, t in names.items() if t == "slow delete")
    deleted = next(i for i, t in names.items() if t == "deleted")
    pf = PathFinder(a, PathConfig(sample=3, seed=1))
    printed = set(names) - {deleted}
    (path,) = pf.covering_paths(key, printed, seed=5, avoid=frozenset([warn]))
    assert [names[e] for e in path.events] == ["deleted"]
    # without the avoided set both continuations are open; the same seed gives the same path
    again = pf.covering_paths(key, printed, seed=5, avoid=frozenset([warn]))
    assert again == [path]
    # a statement only reachable through an avoided line is still covered, through it
    (through,) = pf.covering_paths(key, set(names) - {warn}, seed=5, avoid=frozenset([deleted]))
    assert [names[e] for e in through.events] == ["deleted", "slow delete"]
