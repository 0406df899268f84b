"""Composing whole sessions from real ones: per-thread order, learned precedence, phases, determinism."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from anomalygen.synthesis.compose import ComposeConfig, SessionModel, _variation, load_session_model
from anomalygen.synthesis.order import Precedence, occurrences
from anomalygen.synthesis.segments import LOOP_CAP, ThreadModel

THREADS = ThreadModel(
    {
        "alloc": "NameNode.addBlock",
        "rcv": "DataXceiver.run",
        "term": "PacketResponder.run",
        "recv": "PacketResponder.run",
        "store": "NameNode.blockReceived",
        "del": "NameNode.delete",
        "ddn": "DataNode.offerService",
        "read": "DataXceiver.readBlock",
    },
    {"PacketResponder.run": [{"term": 1, "recv": 1}], "NameNode.delete": [{"del": LOOP_CAP}]},
)
BASES = [
    s.split()
    for s in (
        "alloc rcv rcv term recv term recv store store",
        "rcv alloc rcv term recv store term recv store del del ddn ddn",
        "alloc rcv rcv term recv term recv store store del del ddn ddn",
        "rcv rcv alloc term recv store term recv store read",
        "rcv alloc rcv term recv term recv store store read read",
        "alloc rcv rcv term recv term recv store store read del del ddn ddn",
    )
]


def model(**cfg) -> SessionModel:
    alts = {"PacketResponder.run": [["term", "recv"], ["term"]]}
    return SessionModel(THREADS, alts, ComposeConfig(**cfg))


def test_composition_keeps_each_threads_order_and_the_learned_precedence():
    prec = Precedence.learn(BASES)
    assert "alloc" in prec.events["term"] and "term" in prec.events["del"]  # allocation first, deletion last
    out = model(p_replace=0).explain(BASES, 400, seed=1)
    assert len(out) == 400
    for c in out:
        ev = c.events
        seen = Counter()
        for e in ev:  # one responder execution prints term before recv
            seen[e] += 1
            assert seen["recv"] <= seen["term"]
        assert ("del" in ev) == ("ddn" in ev)  # the deletion phase comes whole or not at all
        if not c.relaxed:
            labels = occurrences(ev)
            for i, need in enumerate(prec.predecessors(labels)):
                assert all(j < i for j in need), (ev, labels[i])
        assert set(ev) <= {e for b in BASES for e in b}
    new = {tuple(c.events) for c in out} - {tuple(b) for b in BASES}
    assert len(new) > 20  # most are sequences the bases never showed
    kinds = Counter(ch["change"] for c in out for ch in c.changes)
    assert kinds["add_phase"] and kinds["drop_phase"] and kinds["add"]


def test_composition_is_a_pure_function_of_bases_n_and_seed():
    m = model()
    a = m.compose(BASES, 50, seed=3)
    assert a == m.compose(BASES, 50, seed=3)
    assert a != m.compose(BASES, 50, seed=4)
    assert m.compose(BASES[:2], 50, seed=3) != a
    assert m.compose([], 5, 0) == [] and m.compose(BASES, 0, 0) == []


def test_replacement_uses_another_path_of_the_same_entry_and_records_it():
    out = model(p_add=0, p_drop=0, p_replace=1.0).explain(BASES, 100, seed=2)
    changed = [c for c in out if c.changes]
    assert changed and all(
        ch["change"] == "replace" and ch["role"] == "PacketResponder.run" and ch["path"] == ["term"]
        for c in changed
        for ch in c.changes
    )
    assert all(Counter(c.events)["recv"] == Counter(BASES[c.base])["recv"] - 1 for c in changed)


def test_variation_finds_optional_phases_and_free_counts():
    counts = [Counter(r for r in (THREADS.role_of(e) for e in b)) for b in BASES]
    phases, free = _variation(counts)
    assert frozenset({"NameNode.delete", "DataNode.offerService"}) in phases
    assert free == {"DataXceiver.readBlock": {1, 2}}  # bases 4 and 5 differ only in the number of reads


def test_session_model_round_trips_through_json_with_a_key_map(tmp_path):
    doc = model().to_dict()
    doc["keys"] = {e: e.upper() for e in THREADS.role}
    p = tmp_path / "session_model.json"
    p.write_text(json.dumps(doc))
    loaded = load_session_model(p)
    assert loaded.threads.role["TERM"] == "PacketResponder.run"
    assert loaded.alternatives["PacketResponder.run"] == [["TERM", "RECV"], ["TERM"]]
    upper = [[e.upper() for e in b] for b in BASES]
    assert loaded.compose(upper, 20, 0) == [[e.upper() for e in s] for s in model().compose(BASES, 20, 0)]
    p.write_text('{"format": "other"}')
    with pytest.raises(ValueError, match="not a session model"):
        load_session_model(p)
