"""LCFG construction, construct by construct: the log sequences each method can print, and how it exits."""

from __future__ import annotations

import pytest
from lcfg_helpers import analyse, count, java_class, normal, one, paths, seqs


def test_if_else_and_if_without_else(tmp_path):
    a = one(
        tmp_path,
        """
  void m(boolean x, boolean y) {
    if (x) { LOG.info("a"); } else { LOG.info("b"); }
    if (y) LOG.info("c");
    LOG.info("d");
  }""",
    )
    assert seqs(a, "A.m") == {
        (("a", "c", "d"), "normal"),
        (("a", "d"), "normal"),
        (("b", "c", "d"), "normal"),
        (("b", "d"), "normal"),
    }
    # conditions keep source text and polarity, in path order
    texts = {tuple((c[2], c[3]) for c in conds) for ev, _, conds in paths(a, "A.m") if ev == ("b", "c", "d")}
    assert texts == {(("c1", False), ("c2", True))}


def test_condition_text_and_parsed_expression(tmp_path):
    a = one(
        tmp_path,
        """
  boolean check(String s) { LOG.debug("checking"); return s.isEmpty(); }
  void m(int n, String s) {
    if (n > 3 && s != null) { LOG.info("big"); }
    if (n > 0 && check(s)) { LOG.info("checked"); }
  }""",
    )
    g = a.lcfg(next(k for k in a.project.methods if k.endswith("#m(int,String)")))
    conds = {c.text: c for c in g.conds.values()}
    # a condition without logging calls stays whole; one whose operand logs is split at the short-circuit
    assert set(conds) == {"n > 3 && s != null", "n > 0", "check(s)"}
    assert conds["n > 3 && s != null"].expr == {
        "k": "bin",
        "op": "&&",
        "l": {"k": "bin", "op": ">", "l": {"k": "var", "name": "n"}, "r": {"k": "lit", "v": 3}},
        "r": {"k": "bin", "op": "!=", "l": {"k": "var", "name": "s"}, "r": {"k": "lit", "v": None}},
    }
    assert conds["n > 0"].kind == conds["check(s)"].kind == "if"
    # "checking" is printed only when n > 0 holds
    for ev, _, cs in paths(a, "A.m"):
        taken = [(g.conds[c].text, p) for _, _, c, p in cs]
        assert ("checking" in ev) == (("n > 0", True) in taken)
    assert count(a, "A.m") == (6, 0, 0)


def test_ternary_guarding_logging_calls(tmp_path):
    a = one(
        tmp_path,
        """
  boolean ok() { LOG.info("ok path"); return true; }
  boolean bad() { LOG.warn("bad path"); return false; }
  void m(boolean x) {
    boolean r = x ? ok() : bad();
    LOG.info("done");
  }""",
    )
    assert normal(a, "A.m") == {("ok path", "done"), ("bad path", "done")}


def test_switch_with_fallthrough_and_default(tmp_path):
    a = one(
        tmp_path,
        """
  void m(int k) {
    switch (k) {
      case 1: LOG.info("one");
      case 2: LOG.info("two"); break;
      case 3: case 4: LOG.info("three or four"); break;
      default: LOG.info("other");
    }
    LOG.info("end");
  }""",
    )
    assert normal(a, "A.m") == {("one", "two", "end"), ("two", "end"), ("three or four", "end"), ("other", "end")}


def test_switch_without_default_and_arrow_rules(tmp_path):
    a = one(
        tmp_path,
        """
  void m(int k, String s) {
    switch (k) { case 1: LOG.info("one"); break; case 2: LOG.info("two"); }
    switch (s) {
      case "x" -> LOG.info("ex");
      case "y", "z" -> { LOG.info("why"); }
      default -> LOG.info("dflt");
    }
  }""",
    )
    firsts = {("one",), ("two",), ()}
    assert normal(a, "A.m") == {f + (s,) for f in firsts for s in ("ex", "why", "dflt")}


@pytest.mark.parametrize(
    "loop",
    [
        'while (more()) { LOG.info("it"); }',
        'for (int i = 0; i < n; i++) { LOG.info("it"); }',
        'for (String s : items) { LOG.info("it"); }',
    ],
)
def test_loops_unrolled_zero_to_k_and_cut_beyond(tmp_path, loop):
    a = one(
        tmp_path,
        f"""
  boolean more() {{ return false; }}
  void m(int n, List<String> items) {{
    {loop}
    LOG.info("after");
  }}""",
    )
    assert seqs(a, "A.m") == {
        (("after",), "normal"),
        (("it", "after"), "normal"),
        (("it", "it", "after"), "normal"),
        (("it", "it"), "cut"),
    }
    one_iter = one(
        tmp_path / "k1",
        f"""
  boolean more() {{ return false; }}
  void m(int n, List<String> items) {{ {loop} LOG.info("after"); }}""",
        loop_bound=1,
    )
    assert normal(one_iter, "A.m") == {("after",), ("it", "after")}


def test_loop_conditions_are_renamed_per_iteration(tmp_path):
    a = one(
        tmp_path,
        """
  void m(int n) { int i = 0; while (i < n) { LOG.info("it"); i++; } }""",
    )
    (conds,) = [c for ev, ex, c in paths(a, "A.m") if ev == ("it", "it") and ex == "normal"]
    g = a.lcfg(conds[0][1])
    branches = [(f, m, c, p) for f, m, c, p in conds if g.conds[c].kind not in ("assign", "havoc")]
    assert [(g.conds[c].text, g.conds[c].iteration, p) for _, _, c, p in branches] == [
        ("i < n", 0, True),
        ("i < n", 1, True),
        ("i < n", 2, False),
    ]
    assert len({c for _, _, c, _ in branches}) == 3
    # the loop counter's assignments sit between the conditions, in order, so the path reads in SSA form
    assert [g.conds[c].text for _, _, c, _ in conds] == ["i = 0", "i < n", "i++", "i < n", "i++", "i < n"]


def test_do_while_runs_at_least_once(tmp_path):
    a = one(
        tmp_path,
        """
  void m(boolean again) { do { LOG.info("body"); } while (again); }""",
    )
    assert seqs(a, "A.m") == {(("body",), "normal"), (("body", "body"), "normal"), (("body", "body"), "cut")}


def test_infinite_loop_exits_only_by_break_return_or_throw(tmp_path):
    a = one(
        tmp_path,
        """
  boolean ok() { return true; }
  void m() {
    while (true) {
      LOG.info("try");
      if (ok()) break;
      LOG.info("again");
    }
    LOG.info("out");
  }""",
    )
    assert seqs(a, "A.m") == {
        (("try", "out"), "normal"),
        (("try", "again", "try", "out"), "normal"),
        (("try", "again", "try", "again"), "cut"),
    }


def test_labelled_break_and_continue(tmp_path):
    a = one(
        tmp_path,
        """
  void m(int[][] rows, boolean p, boolean q) {
    outer:
    for (int[] row : rows) {
      for (int v : row) {
        if (p) break outer;
        if (q) continue outer;
        LOG.info("inner");
      }
      LOG.info("after inner");
    }
    LOG.info("done");
  }""",
        loop_bound=1,
    )
    ps = paths(a, "A.m")
    assert {ev for ev, ex, _ in ps if ex == "normal"} == {
        ("done",),
        ("after inner", "done"),
        ("inner", "after inner", "done"),
    }
    g = a.lcfg(ps[0][2][0][1]) if ps[0][2] else None
    for ev, ex, conds in ps:
        taken = {(g.conds[c].text, pol) for _, _, c, pol in conds}
        if ("p", True) in taken:  # break outer skips "after inner" and leaves both loops
            assert ev == ("done",) and ex == "normal"
        if ("q", True) in taken:  # continue outer skips "after inner"
            assert "after inner" not in ev


def test_return_and_early_exit(tmp_path):
    a = one(
        tmp_path,
        """
  void m(boolean x) {
    if (x) { LOG.info("early"); return; }
    LOG.info("late");
  }""",
    )
    assert normal(a, "A.m") == {("early",), ("late",)}


def test_throw_exits_exceptionally(tmp_path):
    a = one(
        tmp_path,
        """
  void m(boolean bad) {
    if (bad) { LOG.error("bad"); throw new IllegalStateException("bad"); }
    LOG.info("ok");
  }""",
    )
    assert seqs(a, "A.m") == {(("bad",), "exception"), (("ok",), "normal")}


def test_try_catch_finally(tmp_path):
    a = one(
        tmp_path,
        """
  void work() throws IOException { }
  void m() {
    try {
      LOG.info("t1");
      work();
      LOG.info("t2");
    } catch (IOException e) {
      LOG.warn("caught", e);
    } finally {
      LOG.info("fin");
    }
    LOG.info("after");
  }""",
    )
    got = seqs(a, "A.m")
    assert (("t1", "t2", "fin", "after"), "normal") in got
    assert (("t1", "caught", "fin", "after"), "normal") in got
    # work() might throw something the catch does not take: finally still runs, then the method throws
    assert (("t1", "fin"), "exception") in got
    assert all(ev[-1] == "fin" for ev, ex in got if ex == "exception")


def test_throw_inside_try_goes_to_the_matching_catch_only(tmp_path):
    a = one(
        tmp_path,
        """
  void m(boolean x) {
    try {
      if (x) throw new FileNotFoundException("gone");
      LOG.info("found");
    } catch (IOException e) {
      LOG.warn("io");
    } catch (RuntimeException e) {
      LOG.warn("never: a FileNotFoundException is no RuntimeException");
    }
  }
  void n(boolean x) {
    try { if (x) throw new IllegalArgumentException(); } catch (IOException e) { LOG.warn("never"); }
    LOG.info("n done");
  }""",
    )
    assert seqs(a, "A.m") == {(("found",), "normal"), (("io",), "normal")}
    assert seqs(a, "A.n") == {(("n done",), "normal"), ((), "exception")}


def test_return_inside_try_runs_finally(tmp_path):
    a = one(
        tmp_path,
        """
  void m(boolean x) {
    try {
      LOG.info("a");
      if (x) return;
      LOG.info("b");
    } finally {
      LOG.info("f");
    }
    LOG.info("c");
  }""",
    )
    assert normal(a, "A.m") == {("a", "f"), ("a", "b", "f", "c")}


def test_break_out_of_loop_through_finally(tmp_path):
    a = one(
        tmp_path,
        """
  void m(boolean x) {
    while (true) {
      try { if (x) break; LOG.info("body"); } finally { LOG.info("f"); }
    }
    LOG.info("out");
  }""",
        loop_bound=1,
    )
    assert normal(a, "A.m") == {("f", "out")}


def test_synchronized_block(tmp_path):
    a = one(
        tmp_path,
        """
  private final Object lock = new Object();
  void m(boolean x) { synchronized (lock) { if (x) LOG.info("locked"); } LOG.info("free"); }""",
    )
    assert normal(a, "A.m") == {("locked", "free"), ("free",)}


def test_constructors_are_methods_and_are_called(tmp_path):
    a = analyse(
        tmp_path,
        {
            "Worker": java_class(
                "Worker",
                """
  Worker(String name) { LOG.info("worker " + name + " created"); }
  Worker() { this("anon"); LOG.info("default worker"); }""",
            ),
            "A": java_class(
                "A",
                """
  void m() { Worker w = new Worker(); LOG.info("got worker"); }""",
            ),
        },
    )
    assert normal(a, "A.m") == {("worker <*> created", "default worker", "got worker")}
    assert any(k.endswith("Worker#<init>(String)") for k in a.callgraph.logging)


def test_lambdas_and_anonymous_classes_are_their_own_methods(tmp_path):
    a = one(
        tmp_path,
        """
  void m() {
    Runnable r = () -> LOG.info("in lambda");
    Thread t = new Thread() { public void run() { LOG.info("in anonymous"); } };
    LOG.info("outer");
  }
  class Inner { void go() { LOG.info("in inner"); } }
  void n() { new Inner().go(); }""",
    )
    assert normal(a, "A.m") == {("outer",)}  # bodies of lambdas and anonymous classes run elsewhere
    keys = set(a.callgraph.logging)
    assert "t.A#lambda$m$0()" in keys
    assert "t.A$1#run()" in keys
    assert normal(a, "A$1#run()") == {("in anonymous",)}
    assert normal(a, "A.n") == {("in inner",)}


def test_exceptions_all_mode_lets_any_call_throw(tmp_path):
    body = """
  void helper() { LOG.info("helper"); }
  void m() { LOG.info("start"); helper(); LOG.info("end"); }"""
    only_try = one(tmp_path / "try", body, exceptions="try")
    every = one(tmp_path / "all", body, exceptions="all")
    assert seqs(only_try, "A.m") == {(("start", "helper", "end"), "normal")}
    # the inlined helper has no throw point of its own: its opaque-free body cannot throw
    assert seqs(every, "A.m") == {(("start", "helper", "end"), "normal")}
    ext = one(
        tmp_path / "ext",
        """
  void m(java.io.File f) { LOG.info("start"); f.delete(); LOG.info("end"); }""",
        exceptions="all",
    )
    assert seqs(ext, "A.m") == {(("start", "end"), "normal"), (("start",), "exception")}


def test_lcfg_is_a_dag_in_topological_order_and_serialises(tmp_path):
    a = one(
        tmp_path,
        """
  void m(int n) { for (int i = 0; i < n; i++) { try { if (i > 2) continue; LOG.info("x"); } finally { LOG.info("f"); } } }""",  # noqa: E501 - the Java method stays on one line: the test reads its line numbers
    )
    for g in a.build_all_lcfgs().values():
        # node ids are a topological order; the exits (ids 1-3) are fixed sinks
        assert all(e.src < e.dst or e.dst in (1, 2, 3) for e in g.edges)
        assert all(e.src not in (1, 2, 3) for e in g.edges)
        d = g.to_dict()
        assert d["method"] == g.method and {n["kind"] for n in d["nodes"]} >= {"entry", "exit"}
