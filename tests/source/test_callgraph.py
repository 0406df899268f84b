"""Call resolution: receiver static types, this/static/constructor calls, class-hierarchy dispatch, counts."""

from __future__ import annotations

from lcfg_helpers import analyse, java_class


def _callees(a, caller_suffix: str) -> set[str]:
    key = next(k for k in a.project.methods if k.endswith(caller_suffix))
    return a.callgraph.callees_of.get(key, set())


def test_receivers_resolved_by_static_type(tmp_path):
    a = analyse(
        tmp_path,
        {
            "Store": java_class(
                "Store",
                """
  void put(String k) { LOG.info("put"); }
  void put(String k, int v) { LOG.info("put2"); }
  static Store open() { LOG.info("open"); return new Store(); }""",
            ),
            "A": java_class(
                "A",
                """
  private Store field = new Store();
  Store make() { return new Store(); }
  void m(Store param) {
    Store local = Store.open();
    local.put("a");
    param.put("b", 1);
    field.put("c");
    this.field.put("d", 2);
    make().put("e");
  }""",
            ),
        },
    )
    assert _callees(a, "A#m(Store)") == {
        "t.Store#open()",
        "t.Store#put(String)",
        "t.Store#put(String,int)",
        "t.A#make()",
    }
    assert _callees(a, "A#make()") == set()  # Store declares no constructor: nothing to call


def test_virtual_dispatch_includes_overrides_in_subclasses(tmp_path):
    a = analyse(
        tmp_path,
        {
            "Base": java_class("Base", '  void step() { LOG.info("base"); }\n  void go() { step(); }'),
            "Sub": java_class("Sub", '  @Override void step() { LOG.info("sub"); }').replace(
                "public class Sub", "public class Sub extends Base"
            ),
            "Other": java_class("Other", '  void step() { LOG.info("unrelated"); }'),
        },
    )
    assert _callees(a, "Base#go()") == {"t.Base#step()", "t.Sub#step()"}
    assert a.callgraph.how["virtual"] == 1


def test_external_and_unresolved_calls_are_counted(tmp_path):
    a = analyse(
        tmp_path,
        {
            "A": java_class(
                "A",
                """
  void m(java.util.List<String> xs, Object o) {
    xs.add("x");            // JDK type: external
    Math.max(1, 2);         // class outside the tree: external
    mystery.frobnicate();   // receiver of unknown type: unresolved
    LOG.info("done");
  }""",
            )
        },
    )
    how = a.callgraph.how
    assert how["external"] >= 2 and how["unresolved"] == 1
    assert any("frobnicate" in ex for ex in a.callgraph.unresolved_examples)
    assert all(ex.startswith("t/A.java:") for ex in a.callgraph.unresolved_examples)


def test_logging_methods_are_the_transitive_callers_of_log_statements(tmp_path):
    a = analyse(
        tmp_path,
        {
            "A": java_class(
                "A",
                """
  void leaf() { LOG.info("leaf"); }
  void mid() { leaf(); }
  void top() { mid(); }
  void silent() { int x = 1; }
  void callsSilent() { silent(); }""",
            )
        },
    )
    logging = {k.split("#")[1] for k in a.callgraph.logging}
    assert {"leaf()", "mid()", "top()"} <= logging
    assert not {"silent()", "callsSilent()"} & logging
