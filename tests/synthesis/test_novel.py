"""Statements the bases never showed: which the code offers as normal, and how composition places them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from anomalygen.synthesis.compose import ComposeConfig, SessionModel, load_session_model
from anomalygen.synthesis.labels import Labeler
from anomalygen.synthesis.novel import REQUEST, THREAD, NovelStatement, novel_statements, remap_novel, trigger_of
from anomalygen.synthesis.segments import ThreadModel


@dataclass
class St:
    id: str
    template: str
    level: str = "INFO"
    in_loop: bool = False
    in_catch: str | None = None
    throwable: str | None = None
    class_name: str = "C"
    method: str = "m()"


@dataclass
class Rec:
    events: list[str]


@dataclass
class Cand:
    entry: str
    events: tuple
    record: Rec = field(default_factory=lambda: Rec([]))


STMTS = {
    s.id: s
    for s in [
        St("alloc", "allocate block <*>"),
        St("del", "delete: <*> is added to invalidSet of <*>", in_loop=True),
        St("gone", "Deleting block <*> file <*>", in_loop=True),
        St("verify", "Verification succeeded for block <*>", in_loop=True),
        St("warn", "Slow transfer of <*>", level="WARN"),
        St("caught", "retrying <*>", in_catch="IOException"),
        St("exc", "<*>:Exception writing block <*>"),
        St("bad", "Reporting bad block <*>"),
        St("fail", "Verification failed for <*>", level="WARN", in_catch="IOException"),
        St("reopen", "Reopen Block <*>"),
        St("orphan", "Removing block <*> as it does not belong to any file"),
        St("inval", "invalidateBlock: <*> on <*>"),
    ]
}
REASONS = {
    "Rpc#delete": ["rpc:Protocol"],
    "Daemon#run": ["thread", "no-callers"],
    "Scanner#run": ["thread"],
    "Rpc#add": ["rpc:Protocol"],
    "Rpc#reportBadBlocks(Block[])": ["rpc:Protocol"],
    "Xceiver#run": ["thread"],
}


def cand(entry, *events, path=None):
    return Cand(entry, tuple(events), Rec(list(path or events)))


def test_only_plain_normal_lines_reached_before_any_failure_are_offered():
    lab = Labeler()
    cands = [
        cand("Rpc#add", "alloc"),
        cand("Rpc#add", "alloc", "warn", "caught", "exc"),
        cand("Rpc#delete", "del"),
        cand("Daemon#run", "gone"),
        # a loop: the failure after it is another iteration's, another key's
        cand("Scanner#run", "fail", "bad", "verify", path=["verify", "fail", "bad"]),
    ]
    out = novel_statements(
        cands, STMTS, lab.objection, lambda st: lab.line(st).state != "normal", REASONS, {}, lab.name_objection
    )
    # WARN, catch block, a failure word at INFO, and a line only ever printed after a failure are all left out
    assert set(out) == {"alloc", "del", "gone", "verify"}
    assert out["del"].trigger == REQUEST and out["gone"].trigger == THREAD and out["verify"].trigger == THREAD
    assert out["del"].in_loop and not out["alloc"].in_loop
    assert out["del"].follow == "gone"  # "delete" and "Deleting": the thread that carries the request out
    assert out["alloc"].follow is None
    assert "reached before any failing line" in out["verify"].why_normal
    assert "on a path of plain lines" in out["alloc"].why_normal


def test_a_line_printed_only_beside_a_failure_by_a_failure_handler_or_saying_not_is_not_offered():
    lab = Labeler()
    cands = [
        # printed before a failing line, but only ever on the path that fails: part of that failure
        cand("Xceiver#run", "reopen", "exc"),
        cand("Daemon#run", "orphan"),  # "does not belong": a state the code cannot call routine
        cand("Rpc#reportBadBlocks(Block[])", "inval"),  # only an entry named for a failure prints it
        cand("Rpc#delete", "del"),
    ]
    out = novel_statements(
        cands, STMTS, lab.objection, lambda st: lab.line(st).state != "normal", REASONS, {}, lab.name_objection
    )
    assert set(out) == {"del"}
    # the same lines, printed by a clean execution of a plainly named entry, are offered
    clean = [cand("Xceiver#run", "reopen"), cand("Rpc#invalidate", "inval")]
    out = novel_statements(
        clean, STMTS, lab.objection, lambda st: lab.line(st).state != "normal", REASONS, {}, lab.name_objection
    )
    assert set(out) == {"reopen", "inval"}
    # without a session key a path is a whole thread's run: only what comes before its failure counts
    out = novel_statements(
        cands,
        STMTS,
        lab.objection,
        lambda st: lab.line(st).state != "normal",
        REASONS,
        {},
        lab.name_objection,
        keyed=False,
    )
    assert set(out) == {"reopen", "del"}
    assert lab.objection(STMTS["orphan"]) == "failure keyword 'not'"
    assert "bad" in lab.name_objection("org.x.NameNode#reportBadBlocks(LocatedBlock[])")
    assert lab.name_objection("org.x.DataNode#run()") is None


def test_invalidset_is_a_name_not_a_failure_word_but_exception_is():
    lab = Labeler()
    assert lab.objection(STMTS["del"]) is None
    assert "exception" in lab.objection(STMTS["exc"])
    assert lab.objection(STMTS["warn"]) == "WARN line"


def test_trigger_and_remap():
    assert trigger_of(["thread", "no-callers"]) == THREAD and trigger_of(["no-callers"]) == REQUEST
    n = {
        "del": NovelStatement("del", "R", REQUEST, True, "why", "gone"),
        "gone": NovelStatement("gone", "D", THREAD, True, "why"),
    }
    m = remap_novel(n, {"del": "E23", "gone": "E21"})
    assert m["E23"].follow == "E21" and set(m) == {"E23", "E21"}
    assert remap_novel(n, {"del": "E23"})["E23"].follow is None


THREADS = ThreadModel(
    {
        "alloc": "NameNode.addBlock",
        "rcv": "DataXceiver.run",
        "store": "NameNode.blockReceived",
        "read": "DataXceiver.run",
    },
    {},
)
BASES = [
    s.split()
    for s in (
        "alloc rcv rcv rcv store store store",
        "rcv alloc rcv rcv store store store",
        "alloc rcv rcv rcv store store store read",
    )
]
NOVEL = {
    "del": NovelStatement("del", "NameNode.delete", REQUEST, True, "why", "gone"),
    "gone": NovelStatement("gone", "DataNode.run", THREAD, True, "why"),
    "verify": NovelStatement("verify", "Scanner.run", THREAD, True, "why"),
    "reopen": NovelStatement("reopen", "DataXceiver.run", THREAD, False, "why"),
    "read": NovelStatement("read", "DataXceiver.run", THREAD, False, "why"),
}


def model(**cfg) -> SessionModel:
    return SessionModel(THREADS, {}, ComposeConfig(**cfg), {}, dict(NOVEL))


def test_new_statements_follow_the_settled_lifecycle_in_the_codes_order_and_count():
    out = model(novel_share=1.0, novel_max=3, p_shuffle=1.0).explain(BASES, 600, seed=2)
    settled = {"alloc", "rcv", "store"}  # in every base
    with_del = 0
    for c in out:
        ev = c.events
        assert "read" not in [ch.get("statement") for ch in c.changes]  # a base already showed it
        last_settled = max(i for i, e in enumerate(ev) if e in settled)
        for name in ("del", "gone", "verify"):
            assert all(i > last_settled for i, e in enumerate(ev) if e == name), ev
        if "del" in ev:
            with_del += 1
            assert ev.count("del") == 3  # a request's loop over the key's three holders
            picked = [ch["statement"] for ch in c.changes if ch["change"] == "add_novel"]
            assert picked[picked.index("del") + 1] == "gone"  # a request always comes with its follower
            assert ev.count("gone") == 3  # carried out by each holder the request named
            # a background thread's lines after the request's
            assert max(i for i, e in enumerate(ev) if e == "del") < min(i for i, e in enumerate(ev) if e == "gone")
        else:
            assert "gone" not in ev  # the follower has no work to carry out without its request
        if "verify" in ev:
            assert 1 <= ev.count("verify") <= 3
        # a request and its follower are one new behaviour: at most `novel_max` of them
        assert len({e for e in ev if e in NOVEL} - {"gone", "read"}) <= 3
        if "reopen" in ev:  # a thread kind the base runs: inside one of its segments, once
            assert ev.count("reopen") == 1 and any(ch["change"] == "insert_novel" for ch in c.changes)
    assert with_del > 50
    kinds = Counter(ch["change"] for c in out for ch in c.changes)
    assert kinds["add_novel"] and kinds["insert_novel"]


def test_no_new_statement_without_a_novel_share_and_the_model_round_trips(tmp_path):
    assert not any(e in NOVEL and e != "read" for c in model().compose(BASES, 200, seed=0) for e in c)
    m = model(novel_share=0.5)
    p = tmp_path / "m.json"
    import json

    p.write_text(json.dumps(m.to_dict()))
    back = load_session_model(p)
    assert back.novel == m.novel and back.config.novel_share == 0.5
    assert back.compose(BASES, 100, seed=4) == m.compose(BASES, 100, seed=4)
    share = sum(1 for c in m.compose(BASES, 400, seed=1) if set(c) & {"del", "gone", "verify", "reopen"}) / 400
    assert 0.35 < share < 0.65


def test_a_model_at_another_novel_share_leaves_the_original_as_it_was():
    m = model(novel_share=0.5)
    none, every = m.at_novel_share(0.0), m.at_novel_share(1.0)
    assert m.novel_share == 0.5 and none.novel_share == 0.0 and every.config.novel_max == m.config.novel_max
    new = {"del", "gone", "verify", "reopen"}
    assert not any(set(c) & new for c in none.compose(BASES, 200, seed=1))
    assert all(set(c) & new for c in every.compose(BASES, 200, seed=1))
    assert m.compose(BASES, 50, seed=1) == model(novel_share=0.5).compose(BASES, 50, seed=1)


def test_each_new_behaviour_on_its_own_share():
    # new behaviours here: del (with its follower gone), verify, reopen; read is in a base
    per = model().at_novel_share(0.3, each=True)
    assert per.config.novel_each and per.novel_share == 0.3 and not model().config.novel_each
    out = per.compose(BASES, 3000, seed=3)
    for key in ("del", "verify", "reopen"):
        assert 0.25 < np.mean([key in c for c in out]) < 0.35  # each in its share, whatever the others do
    # one-of (the default): the same share spreads over the three, so each is rarer
    spread = model().at_novel_share(0.3).compose(BASES, 3000, seed=3)
    assert np.mean(["verify" in c for c in spread]) < 0.2
    assert all(
        {"del", "verify", "reopen"} <= set(c) for c in model().at_novel_share(1.0, each=True).compose(BASES, 50, 4)
    )
    # written only when set, read back
    assert "novel_each" not in model().to_dict()["config"]
    assert SessionModel.from_dict(per.to_dict()).config.novel_each is True


def test_keys_the_labels_tie_to_failures_are_never_added():
    out = model(novel_share=1.0).compose(BASES, 300, seed=5, avoid={"del", "verify"})
    assert not any({"del", "verify"} & set(c) for c in out)
    assert any("gone" in c for c in out)  # a request's follower may still come on its own


def test_a_thread_kind_seen_only_in_anomalies_adds_nothing():
    threads = ThreadModel({**THREADS.role, "retry": "DataNode.run"}, {})
    m = SessionModel(threads, {}, ComposeConfig(novel_share=1.0), {}, dict(NOVEL))
    out = m.compose(BASES, 300, seed=6, avoid={"retry"})  # DataNode.run printed "retry", only in anomalies
    assert not any("gone" in c for c in out)
    assert any("verify" in c for c in out)


def test_a_line_printed_only_in_a_recovery_run_is_not_offered():
    lab = Labeler()

    @dataclass
    class RecRun:
        events: list[str]
        conditions: list[tuple[str, str, str, bool]]

    def run(*events, flag=None):
        return Cand("Xceiver#run", tuple(events), RecRun(list(events), [("f", "M", flag or "c0", True)]))

    text = {"rec": "!isRecovery", "c0": "len != 0"}

    def why(record):
        return next((t for _, _, c, p in record.conditions for t in [lab.recovery_branch(text[c], not p)] if t), None)

    # `!isRecovery` taken false: the flag is set, this execution resumes one that failed
    out = novel_statements(
        [run("reopen", flag="rec")], STMTS, lab.objection, lambda st: False, REASONS, {}, path_objection=why
    )
    assert out == {}
    out = novel_statements([run("reopen")], STMTS, lab.objection, lambda st: False, REASONS, {}, path_objection=why)
    assert set(out) == {"reopen"}
    assert lab.recovery_branch("!isRecovery", False) == "isRecovery"
    assert lab.recovery_branch("!isRecovery", True) is None
    assert lab.recovery_branch("(retrying)", True) == "retrying"
    assert lab.recovery_branch("x > recoveryCount", True) is None  # compound: which part held is unknown
    assert lab.recovery_branch("isValidBlock(b)", True) is None


def test_a_request_and_a_thread_line_sharing_only_a_function_word_are_not_linked():
    from anomalygen.synthesis.novel import _follows

    novel = {
        "cow": NovelStatement("cow", "FSDataset.detachBlock", REQUEST, False, "why"),
        "verify": NovelStatement("verify", "Scanner.run", THREAD, True, "why"),
        "del": NovelStatement("del", "NameNode.delete", REQUEST, True, "why"),
        "gone": NovelStatement("gone", "DataNode.run", THREAD, True, "why"),
        "resp": NovelStatement("resp", "Responder.run", THREAD, True, "why"),
    }
    templates = {
        "cow": "CopyOnWrite for block <*>",
        "verify": "Verification succeeded for <*>",
        "del": "delete: <*> is added to invalidSet of <*>",
        "gone": "Deleting block <*> file <*>",
        "resp": "Responder <*> for block <*> terminating",
    }
    for i, word in enumerate(["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf"]):
        novel[word] = NovelStatement(word, f"T{i}.run", THREAD, False, "why")
        templates[word] = f"{word.title()}ing block <*>"  # the key's noun, in nearly all: links nothing
    # "for" is in three of the twelve, rare enough by count, yet it names no work the thread carries out
    assert _follows(novel, templates) == {"del": "gone"}
