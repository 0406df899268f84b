"""Inventory, construct by construct, on the fixture tree `fixtures/constructs`: for every template the exact
text, the statement's facts, and that its regex accepts a plausible printed line and rejects a wrong one."""

from __future__ import annotations

import pytest
from inventory_helpers import CONSTRUCTS, EDGE, by_template, inventory, matches

# (template, file suffix, class, method, level, api, a line the statement prints, a line it cannot print)
CASES = [
    # SLF4J: {} anchors, escaped \{}, varargs, Object[] args, throwable last
    (
        "Created pump <*> with limit 64",
        "Pump.java",
        "org.demo.slf4j.Pump",
        "<init>(String)",
        "INFO",
        "slf4j",
        "Created pump p1 with limit 64",
        "Created pump p1 with limit 65",
    ),
    (
        "Moving <*> of <*> before <*>",
        "Pump.java",
        "org.demo.slf4j.Pump",
        "move(List,long)",
        "DEBUG",
        "slf4j",
        "Moving item7 of 12 before 1700000000000",
        "Moving item7 of twelve before 17",
    ),
    (
        "literal {} then <*>",
        "Pump.java",
        "org.demo.slf4j.Pump",
        "move(List,long)",
        "INFO",
        "slf4j",
        "literal {} then 3",
        "literal 3 then 3",
    ),
    (
        "moved=<*> name=<*> deadline=<*>",
        "Pump.java",
        "org.demo.slf4j.Pump",
        "move(List,long)",
        "INFO",
        "slf4j",
        "moved=3 name=p1 deadline=-1",
        "moved=3 name=p1",
    ),
    (
        "legacy <*> and <*>",
        "Pump.java",
        "org.demo.slf4j.Pump",
        "legacy(String,Object)",
        "WARN",
        "slf4j",
        "legacy x and [1, 2]",
        "legacy x or y",
    ),
    (
        "Cannot open <*>",
        "Pump.java",
        "org.demo.slf4j.Pump",
        "open(String)",
        "WARN",
        "slf4j",
        "Cannot open /tmp/a b",
        "Can not open /tmp/a",
    ),
    (
        "Unexpected failure",
        "Pump.java",
        "org.demo.slf4j.Pump",
        "open(String)",
        "ERROR",
        "slf4j",
        "Unexpected failure",
        "Unexpected failure: boom",
    ),
    # static final String constants, same class (chained) and cross-class; int constant
    (
        "pump-main limit 64 owner ops",
        "Pump.java",
        "org.demo.slf4j.Pump",
        "constants()",
        "INFO",
        "slf4j",
        "pump-main limit 64 owner ops",
        "pump-main limit 65 owner ops",
    ),
    (
        "pump-<*> has moved <*> items",
        "Pump.java",
        "org.demo.slf4j.Pump",
        "constants()",
        "INFO",
        "slf4j",
        "pump-alpha has moved 0 items",
        "pump-alpha has moved no items",
    ),
    # String.format (%s %d %.2f %%) and MessageFormat
    (
        "Connected to <*>:<*> (load <*>, 100%)",
        "Pump.java",
        "org.demo.slf4j.Pump",
        "formats(String,int,double)",
        "INFO",
        "slf4j",
        "Connected to db1:5432 (load 0.25, 100%)",
        "Connected to db1:port (load 0.25, 100%)",
    ),
    (
        "<*> served <*> requests",
        "Pump.java",
        "org.demo.slf4j.Pump",
        "formats(String,int,double)",
        "INFO",
        "slf4j",
        "db1 served 12,345 requests",
        "db1 served many requests",
    ),
    # ternary of constants: an alternation
    (
        "Mode is <*> now",
        "Pump.java",
        "org.demo.slf4j.Pump",
        "ternary(boolean)",
        "INFO",
        "slf4j",
        "Mode is read-only now",
        "Mode is write-only now",
    ),
    ("Depth <*>", "Pump.java", "org.demo.slf4j.Pump", "guarded(int)", "DEBUG", "slf4j", "Depth -2", "Depth two"),
    (
        "trace depth <*>",
        "Pump.java",
        "org.demo.slf4j.Pump",
        "guarded(int)",
        "TRACE",
        "slf4j",
        "trace depth 9",
        "trace depth",
    ),
    (
        "from a local logger",
        "Pump.java",
        "org.demo.slf4j.Pump",
        "locals()",
        "INFO",
        "slf4j",
        "from a local logger",
        "from a field logger",
    ),
    (
        "from a var logger",
        "Pump.java",
        "org.demo.slf4j.Pump",
        "locals()",
        "WARN",
        "slf4j",
        "from a var logger",
        "from a var logger!",
    ),
    # anonymous class, lambda, inner class
    (
        "anonymous run of <*>",
        "Pump.java",
        "org.demo.slf4j.Pump$1",
        "run()",
        "INFO",
        "slf4j",
        "anonymous run of p1",
        "lambda run",
    ),
    (
        "lambda run",
        "Pump.java",
        "org.demo.slf4j.Pump",
        "lambda$task$0()",
        "INFO",
        "slf4j",
        "lambda run",
        "anonymous run of p1",
    ),
    (
        "Worker failed",
        "Pump.java",
        "org.demo.slf4j.Pump$Worker",
        "work(Throwable)",
        "ERROR",
        "slf4j",
        "Worker failed",
        "Worker  failed",
    ),
    (
        "qualified by class",
        "Pump.java",
        "org.demo.slf4j.Pump$Worker",
        "work(Throwable)",
        "INFO",
        "slf4j",
        "qualified by class",
        "qualified",
    ),
    # commons-logging, a category logger used cross-class (NameNode.stateChangeLog style)
    (
        "BLOCK* NameSystem.registerNode: node <*> capacity <*>",
        "NameServer.java",
        "org.demo.legacy.NameServer",
        "register(String,long)",
        "INFO",
        "commons",
        "BLOCK* NameSystem.registerNode: node 10.0.0.1:50010 capacity 1024",
        "BLOCK* NameSystem.registerNode: node 10.0.0.1:50010 capacity 1 KB",
    ),
    (
        "Negative capacity for <*>",
        "NameServer.java",
        "org.demo.legacy.NameServer",
        "register(String,long)",
        "FATAL",
        "commons",
        "Negative capacity for dn1",
        "Negative capacity of dn1",
    ),
    (
        "Removing blk_<*>",
        "BlockStore.java",
        "org.demo.legacy.BlockStore",
        "remove(long,int)",
        "INFO",
        "commons",
        "Removing blk_-42",
        "Removing blk_x42",
    ),
    (
        "BLOCK* remove: blk_<*> after <*> retries",
        "BlockStore.java",
        "org.demo.legacy.BlockStore",
        "remove(long,int)",
        "WARN",
        "commons",
        "BLOCK* remove: blk_7 after 3 retries",
        "BLOCK* remove: blk_7",
    ),
    # log4j 1
    (
        "retry <*>",
        "BlockStore.java",
        "org.demo.legacy.BlockStore",
        "remove(long,int)",
        "DEBUG",
        "log4j",
        "retry 2",
        "retry two",
    ),
    (
        "retry failed: <*>",
        "BlockStore.java",
        "org.demo.legacy.BlockStore",
        "remove(long,int)",
        "ERROR",
        "log4j",
        "retry failed: null",
        "retry failure: null",
    ),
    # log4j 2 ({} anchors as in SLF4J)
    (
        "Appending <*> (<*> bytes)",
        "Journal.java",
        "org.demo.legacy.Journal",
        "append(String,int)",
        "INFO",
        "log4j2",
        "Appending e1 (12 bytes)",
        "Appending e1 ({} bytes)",
    ),
    (
        "Journal full",
        "Journal.java",
        "org.demo.legacy.Journal",
        "append(String,int)",
        "FATAL",
        "log4j2",
        "Journal full",
        "Journal is full",
    ),
    # java.util.logging: severe/warning/info/fine/log(Level, ..)/logp
    (
        "Gateway down for <*>",
        "Gateway.java",
        "org.demo.jul.Gateway",
        "serve(String,int,Exception)",
        "ERROR",
        "jul",
        "Gateway down for c1",
        "Gateway up for c1",
    ),
    (
        "Slow client <*>",
        "Gateway.java",
        "org.demo.jul.Gateway",
        "serve(String,int,Exception)",
        "WARN",
        "jul",
        "Slow client c1",
        "Fast client c1",
    ),
    (
        "Serving <*>",
        "Gateway.java",
        "org.demo.jul.Gateway",
        "serve(String,int,Exception)",
        "INFO",
        "jul",
        "Serving c1",
        "Served c1",
    ),
    (
        "Code <*>",
        "Gateway.java",
        "org.demo.jul.Gateway",
        "serve(String,int,Exception)",
        "DEBUG",
        "jul",
        "Code 404",
        "Code E404",
    ),
    (
        "Client <*> got code <*>",
        "Gateway.java",
        "org.demo.jul.Gateway",
        "serve(String,int,Exception)",
        "WARN",
        "jul",
        "Client c1 got code 1,404",
        "Client c1 got code {1}",
    ),
    (
        "Client <*> done",
        "Gateway.java",
        "org.demo.jul.Gateway",
        "serve(String,int,Exception)",
        "INFO",
        "jul",
        "Client c1 done",
        "Client {0} done!",
    ),
    (
        "Client failed",
        "Gateway.java",
        "org.demo.jul.Gateway",
        "serve(String,int,Exception)",
        "ERROR",
        "jul",
        "Client failed",
        "Client failed java.io.IOException",
    ),
    (
        "entering serve",
        "Gateway.java",
        "org.demo.jul.Gateway",
        "serve(String,int,Exception)",
        "DEBUG",
        "jul",
        "entering serve",
        "Gateway serve entering serve",
    ),
]


@pytest.mark.parametrize("template,fname,cls,method,level,api,good,bad", CASES, ids=[c[0] for c in CASES])
def test_statement(template, fname, cls, method, level, api, good, bad):
    s = by_template(inventory(CONSTRUCTS), template)
    assert s.file.endswith("/" + fname)
    assert (s.class_name, s.method, s.level, s.api) == (cls, method, level, api)
    assert matches(s, good), f"{s.regex!r} should match {good!r}"
    assert not matches(s, bad), f"{s.regex!r} should reject {bad!r}"


def test_every_logging_call_and_nothing_else():
    inv = inventory(CONSTRUCTS)
    assert inv.diagnostics == []
    assert inv.files == 8
    assert sorted(s.template for s in inv.statements) == sorted(c[0] for c in CASES)
    # calls on the project's own `Logger` and `Display` classes (info/warn methods) are not log statements
    assert not [s for s in inv.statements if "not a log statement" in s.template or "title" in s.template]
    assert not [s for s in inv.statements if s.file.endswith(("Display.java", "Logger.java"))]


def test_logger_recognition_by_type_and_by_initializer():
    inv = inventory(CONSTRUCTS)
    audit = by_template(inv, "moved=<*> name=<*> deadline=<*>")
    assert (audit.logger, audit.logger_name, audit.recognised_by) == ("audit", "demo.audit", "type")
    local = by_template(inv, "from a local logger")
    assert (local.logger, local.recognised_by, local.logger_name) == ("scratch", "type", "org.demo.slf4j.Pump")
    var = by_template(inv, "from a var logger")
    assert (var.logger, var.recognised_by, var.logger_name) == ("other", "initializer", "other")
    jul = by_template(inv, "Serving <*>")
    assert (jul.logger, jul.logger_name) == ("logger", "org.demo.jul.Gateway")  # Gateway.class.getName()
    j2 = by_template(inv, "Journal full")
    assert (j2.logger, j2.call) == ("JOURNAL_LOGGER", "fatal")


def test_cross_class_loggers_keep_their_category():
    inv = inventory(CONSTRUCTS)
    own = by_template(inv, "BLOCK* NameSystem.registerNode: node <*> capacity <*>")
    other = by_template(inv, "BLOCK* remove: blk_<*> after <*> retries")
    assert own.logger == "stateChangeLog" and other.logger == "NameServer.stateChangeLog"
    assert own.logger_name == other.logger_name == "org.demo.StateChange"
    removing = by_template(inv, "Removing blk_<*>")
    assert (removing.logger, removing.logger_name, removing.api) == (
        "NameServer.LOG",
        "org.demo.legacy.NameServer",
        "commons",
    )
    assert by_template(inv, "qualified by class").logger == "Pump.LOG"


def test_arguments_slots_and_static_types():
    inv = inventory(CONSTRUCTS)
    s = by_template(inv, "Moving <*> of <*> before <*>")
    assert [(a.expr, a.type, a.role) for a in s.args] == [
        ('"Moving {} of {} before {}"', "String", "message"),
        ("item", "String", "param"),
        ("items.size()", "int", "param"),
        ("deadline", "long", "param"),
    ]
    assert [(x.expr, x.type) for x in s.slots] == [("item", "String"), ("items.size()", "int"), ("deadline", "long")]
    legacy = by_template(inv, "legacy <*> and <*>")  # new Object[] {a, b} spreads into its elements
    assert [(x.expr, x.type) for x in legacy.slots] == [("a", "String"), ("b", "Object")]
    concat = by_template(inv, "pump-<*> has moved <*> items")
    assert [(x.expr, x.type) for x in concat.slots] == [("name", "String"), ("moved", "int")]
    assert concat.args[0].role == "message" and concat.args[0].type == "String"
    fmt = by_template(inv, "Connected to <*>:<*> (load <*>, 100%)")
    assert [(x.expr, x.type) for x in fmt.slots] == [("host", "String"), ("port", "int"), ("load", "double")]
    jul = by_template(inv, "Client <*> got code <*>")
    assert [(a.expr, a.role) for a in jul.args] == [
        ("Level.WARNING", "level"),
        ('"Client {0} got code {1}"', "message"),
        ("client", "param"),
        ("code", "param"),
    ]
    logp = by_template(inv, "entering serve")
    assert [a.role for a in logp.args] == ["level", "param", "param", "message"]
    tern = by_template(inv, "Mode is <*> now")
    assert tern.slots[0].expr == 'readOnly ? "read-only" : "read-write"'


def test_throwable_recorded_not_templated():
    inv = inventory(CONSTRUCTS)
    cases = {
        "Cannot open <*>": ("e", "IOException"),
        "Unexpected failure": ("e", "IOException"),
        "Worker failed": ("cause", "Throwable"),
        "retry failed: <*>": ("ex", "RuntimeException"),
        "Client failed": ("problem", "Exception"),
    }
    for tpl, (name, typ) in cases.items():
        s = by_template(inv, tpl)
        assert s.throwable == name, tpl
        assert [(a.expr, a.type) for a in s.args if a.role == "throwable"] == [(name, typ)], tpl
        assert name not in [x.expr for x in s.slots], tpl
    assert by_template(inv, "Created pump <*> with limit 64").throwable is None


def test_guards_catch_and_loop_context():
    inv = inventory(CONSTRUCTS)
    assert by_template(inv, "Depth <*>").guard == "LOG.isDebugEnabled()"
    assert by_template(inv, "trace depth <*>").guard == "LOG.isTraceEnabled()"  # if without braces
    assert by_template(inv, "Created pump <*> with limit 64").guard is None
    assert by_template(inv, "Cannot open <*>").in_catch == "IOException"
    assert by_template(inv, "retry failed: <*>").in_catch == "RuntimeException"
    assert by_template(inv, "retry failed: <*>").in_loop and by_template(inv, "retry <*>").in_loop
    assert by_template(inv, "retry <*>").in_catch is None
    assert by_template(inv, "Moving <*> of <*> before <*>").in_loop
    assert not by_template(inv, "literal {} then <*>").in_loop  # after the loop, not in it


def test_regex_alternation_for_constant_ternary():
    s = by_template(inventory(CONSTRUCTS), "Mode is <*> now")
    for good in ("Mode is read-only now", "Mode is read-write now"):
        assert __import__("re").match(s.regex, good)


# ---- the edge fixture: inheritance, initializers, escapes, constant folding, format indices ----------------

EDGE_CASES = {
    "base class loaded": ("org.edge.Base", "<clinit>()"),
    "child class loaded": ("org.edge.Child", "<clinit>()"),
    "state idle -> busy": ("org.edge.Child", "step()"),  # inherited FMT constant with constant {} arguments
    "mutable <*>": ("org.edge.Child", "step()"),  # a non-final static is a runtime value
    "via this": ("org.edge.Child", "step()"),
    "inline factory": ("org.edge.Child", "step()"),
    'escapes\ttab "quoted" \u00e9 back\\slash': ("org.edge.Child", "step()"),
    "host:8080": ("org.edge.Child", "step()"),  # char constant and int literal concatenated
    "sum 3 then 12": ("org.edge.Child", "step()"),  # (1 + 2) is arithmetic, the rest concatenation
    "b before a\n": ("org.edge.Child", "step()"),  # %2$s / %1$s / %n
    "failed with <*>": ("org.edge.Child", "failures(IOException,int)"),
    "code <*> failed": ("org.edge.Child", "failures(IOException,int)"),
    "<*>": ("org.edge.Child", "failures(IOException,int)"),
    "surplus <*> {}": ("org.edge.Child", "failures(IOException,int)"),  # SLF4J leaves a surplus {} as is
    "session 0x<*> port <*>": ("org.edge.Child", "failures(IOException,int)"),
    "local class": ("org.edge.Child$1Local", "go()"),
    "inner lambda": ("org.edge.Child", "lambda$nested$1()"),
    "anonymous in nested": ("org.edge.Child$Nested$1", "run()"),  # javac numbers per enclosing class
    "remote <*>": ("org.edge.External", "use(String)"),
    "registry <*>": ("org.edge.External", "use(String)"),
}


def test_edge_fixture_statements():
    inv = inventory(EDGE)
    assert inv.diagnostics == []
    got = {s.template: (s.class_name, s.method) for s in inv.statements}
    assert got == EDGE_CASES
    assert len(inv.statements) == len(EDGE_CASES)


def test_edge_loggers_and_non_loggers():
    inv = inventory(EDGE)
    # `log` is an AuditLog field (declared, not a logger type): no name-based guess overrides a declaration
    assert not [s for s in inv.statements if s.logger == "log"]
    assert not [s for s in inv.statements if "not a logger name" in s.template]
    ext = by_template(inv, "remote <*>")
    assert (ext.recognised_by, ext.api, ext.logger) == ("name", "unknown", "org.other.Remote.LOG")
    inherited = by_template(inv, "child class loaded")
    assert (inherited.logger_name, inherited.recognised_by) == ("org.edge.Base", "type")
    assert by_template(inv, "via this").logger == "this.logr"


def test_edge_throwables():
    inv = inventory(EDGE)
    code = by_template(inv, "code <*> failed")
    assert code.throwable == "ioe" and [x.expr for x in code.slots] == ["code"]
    msg = by_template(inv, "<*>")
    assert msg.throwable == "ioe" and msg.slots[0].expr == "ioe.getMessage()"
    # SLF4J 1.x fills a {} with the exception's toString when it is the only argument
    consumed = by_template(inv, "failed with <*>")
    assert [x.expr for x in consumed.slots] == ["ioe"]


def test_edge_static_types_of_library_calls():
    s = by_template(inventory(EDGE), "session 0x<*> port <*>")
    assert [x.type for x in s.slots] == ["String", "int"]
    assert matches(s, "session 0x1f port 2181") and not matches(s, "session 0x1f port none")


def test_edge_regexes():
    inv = inventory(EDGE)
    esc = by_template(inv, 'escapes\ttab "quoted" \u00e9 back\\slash')
    assert matches(esc, 'escapes\ttab "quoted" \u00e9 back\\slash')
    assert not matches(esc, 'escapes tab "quoted" \u00e9 back\\slash')
    fmt = by_template(inv, "b before a\n")
    assert matches(fmt, "b before a\n") and not matches(fmt, "a before b\n")
    assert matches(by_template(inv, "surplus <*> {}"), "surplus 1 {}")
