"""Slot kinds, slot shapes, value models and label rules on their own."""

from __future__ import annotations

import random

import pytest

from anomalygen.core.statements import LogStatement, Slot
from anomalygen.logs.parse import ParsedLine
from anomalygen.synthesis.kinds import kind_from_code, kind_from_values
from anomalygen.synthesis.labels import Labeler, RulesError, load_rules
from anomalygen.synthesis.slots import SlotShapes, alternatives, slot_groups
from anomalygen.synthesis.values import ValueModel, draw, generate


def st(id="S1", template="x <*>", regex=r"(?s)^x\ (.*?)$", level="INFO", **kw) -> LogStatement:
    base = dict(
        id=id,
        file="A.java",
        line=3,
        class_name="p.A",
        method="m()",
        level=level,
        call="info",
        api="slf4j",
        logger="LOG",
        logger_name=None,
        recognised_by="type",
        template=template,
        regex=regex,
    )
    base.update(kw)
    return LogStatement(**base)


@pytest.mark.parametrize(
    "expr,typ,before,kind",
    [
        ("b", "Block", "Receiving block ", "block"),
        ("block.getNumBytes()", "long", "of size ", "size"),
        ("s.getRemoteSocketAddress()", "SocketAddress", "src: ", "ip_port"),
        ("e.getMessage()", "String", "failed: ", "exception"),
        ("Long.toHexString(sessionId)", "String", "session 0x", "session_id"),
        ("retries", "int", "after ", "count"),
        ("path", "String", "file ", "path"),
        ("flag", "boolean", "is ", "bool"),
    ],
)
def test_kind_from_code(expr, typ, before, kind):
    assert kind_from_code(expr, typ, before) == kind


def test_kind_from_values_needs_agreement():
    assert kind_from_values(["blk_1", "blk_-2", "blk_3"]) == "block"
    assert kind_from_values(["/10.0.0.1:50010", "10.0.0.2:1"]) == "ip_port"
    assert kind_from_values(["a", "b", "blk_1"]) is None


def test_slot_shapes_repair_typed_slots():
    rx = r"(?s)^(Offline\ |)Block\ (-?\d+)\ at\ (.*?)$"
    assert slot_groups(rx) == [r"Offline\ |", r"-?\d+", ".*?"]
    assert alternatives(r"Offline\ |") == ["Offline ", ""]
    sh = SlotShapes(rx)
    rng = random.Random(0)
    assert sh.repair(0, "v1", rng) in ("Offline ", "")
    assert sh.repair(1, "blk_-42", rng) == "-42"
    assert sh.repair(2, "anything at all", rng) == "anything at all"


def test_value_model_learns_per_slot_and_pools():
    s = st(
        template="Received <*> from <*>",
        regex=r"(?s)^Received\ (.*?)\ from\ (.*?)$",
        slots=[Slot("b", "Block"), Slot("src", "InetSocketAddress")],
    )
    lines = [
        ParsedLine(
            "f",
            i,
            ("081109", "203518", "1", "INFO", "dfs.A", "c"),
            "S1",
            s.template,
            (f"blk_{i}", f"/10.0.0.{i}"),
            "source",
            1,
        )
        for i in range(1, 6)
    ]
    m = ValueModel.fit(lines, ("Date", "Time", "Pid", "Level", "Component", "Content"), {"S1": s})
    assert m.kind(s, 0) == "block" and m.kind(s, 1) == "ip"
    assert set(m.observed(s, 0)) == {f"blk_{i}" for i in range(1, 6)}
    assert "10.0.0.3" in m.pools["ip"]  # the pool keeps one spelling, without the slash
    assert m.headers["p.A"]["Component"] == {"dfs.A": 5}
    rng = random.Random(1)
    assert {draw({"a": 1, "b": 0}, rng) for _ in range(50)} == {"a"}


def test_generators_use_no_fixed_example_strings():
    rng = random.Random(5)
    values = {generate(k, rng) for k in ("path", "host", "ip_port") for _ in range(30)}
    assert len(values) > 80 and not any(v in ("/user/test", "namenode01") for v in values)


def test_labeler_rules_and_recovery():
    lab = Labeler()
    err = st("E", "Giving up", r"^Giving\ up$", level="ERROR")
    retry = st(
        "W", "Retrying after <*>", r"^Retrying\ after\ (.*?)$", level="WARN", in_catch="IOException", in_loop=True
    )
    ok = st("I", "Received", r"^Received$")
    assert lab.line(err).state == "anomalous" and lab.line(retry).state == "suspicious"
    assert lab.session([retry, ok], "normal") == (0, [])  # the retry went through
    label, reasons = lab.session([retry], "normal")
    assert label == 1 and "not recovered" in reasons[0]
    assert lab.session([ok], "exception")[0] == 1
    assert lab.session([ok, err], "normal")[0] == 1


def test_rules_file_overrides_and_errors(tmp_path):
    p = tmp_path / "r.yaml"
    p.write_text("session:\n  recovery: false\n")
    rules = load_rules(p)
    assert rules["session"]["recovery"] is False and rules["line"]["levels"] == ["ERROR", "FATAL"]
    p.write_text("session:\n  nonsense: 1\n")
    with pytest.raises(RulesError, match=r"r\.yaml: unknown key session\.nonsense"):
        load_rules(p)
    p.write_text("line: [\n")
    with pytest.raises(RulesError, match=r"r.yaml:\d+"):
        load_rules(p)
