from __future__ import annotations

import csv
import random
import re
from collections import defaultdict

from anomalygen.logs.matcher import Matcher, bounded_tokens


def test_every_hdfs_2k_line_is_traced_to_a_statement(data_dir, hdfsmini):
    """HDFS_2k (loghub's sample over the whole HDFS_v1 log): each line matches one statement, and each loghub
    event maps to exactly one statement."""
    from anomalygen.core.formats import LogFormat
    from anomalygen.logs.parse import LogParser

    parser = LogParser(hdfsmini, LogFormat.parse("hdfs"))
    lines = list(parser.parse([data_dir / "hdfs" / "HDFS_2k.log"]))
    assert len(lines) == 2000
    assert all(ln.kind == "source" for ln in lines)
    with open(data_dir / "hdfs" / "HDFS_2k.log_structured.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    loghub_to_ours = defaultdict(set)
    for ln, row in zip(lines, rows, strict=True):
        loghub_to_ours[row["EventId"]].add(ln.event_id)
    assert all(len(v) == 1 for v in loghub_to_ours.values()), loghub_to_ours
    first = lines[0]
    assert first.template == "PacketResponder <*> for block <*> terminating"
    assert first.params == ("1", "blk_38865049064139660")
    by_tpl = {ln.template: ln for ln in lines}
    served = by_tpl["<*>:Got exception while serving <*> to <*>:\n<*>"]  # only its first line is in the log
    assert served.params[1].startswith("blk_")


def test_bounded_tokens():
    assert bounded_tokens("Receiving block <*> src: <*> dest: <*>") == ["Receiving", "block", "src:", "dest:"]
    assert bounded_tokens("<*>:DataXceiver: <*>") == []
    assert bounded_tokens("got <*>ms in total") == ["got", "in", "total"]


def _brute(statements, message):
    return sorted(i for i, s in enumerate(statements) if re.match(s.regex, message))


def test_decision_cache_is_exact(stmt):
    """Messages that differ only in digits share a cache key; statements with digits of their own
    (`got -1` / `got -2`, `0x<*>`) must still be told apart."""
    sts = [
        stmt("PacketResponder <*> got -1", r"(?s)^PacketResponder\ (-?\d+)\ got\ \-1$", sid="A"),
        stmt("PacketResponder <*> got -2", r"(?s)^PacketResponder\ (-?\d+)\ got\ \-2$", sid="B"),
        stmt("PacketResponder <*> got <*>", r"(?s)^PacketResponder\ (-?\d+)\ got\ (.*?)$", sid="C"),
        stmt("session 0x<*> closed", r"(?s)^session\ 0x(.*?)\ closed$", sid="D"),
        stmt("<*>1 thing", r"(?s)^(.*?)1\ thing$", sid="E"),
        stmt("size <*>", r"(?s)^size\ (-?\d+)$", sid="F"),
        stmt("size <*> of <*>", r"(?s)^size\ (.*?)\ of\ (.*?)$", sid="G"),
    ]
    m = Matcher(sts)
    rng = random.Random(7)
    bases = [
        "PacketResponder 3 got -1",
        "PacketResponder 3 got -2",
        "PacketResponder 3 got -9",
        "session 0x1f closed",
        "session 5x1f closed",
        "a 1 thing",
        "a 2 thing",
        "size 12",
        "size 1 of 2",
        "size x",
        "size 00",
    ]
    for _ in range(3000):
        msg = rng.choice(bases)
        msg = "".join(rng.choice("0123456789") if c.isdigit() else c for c in msg)
        got = [m.entries[k].index for k in m.candidates(msg)]
        assert got == _brute(sts, msg), msg
    assert m.stats.cache_hits > 2000  # the cache did the work


def test_ambiguity_rules(stmt):
    specific = stmt(
        "Received block <*> of size <*> from <*>",
        r"(?s)^Received\ block\ (.*?)\ of\ size\ (-?\d+)\ from\ (.*?)$",
        sid="spec",
        line=10,
    )
    loose = stmt("Received block <*>", r"(?s)^Received\ block\ (.*?)$", sid="loose", line=20)
    twin = stmt(
        "Received block <*> of size <*> from <*>",
        r"(?s)^Received\ block\ (.*?)\ of\ size\ (-?\d+)\ from\ (.*?)$",
        sid="twin",
        cls="com.x.Other",
        line=30,
        level="WARN",
    )
    m = Matcher([specific, loose, twin])
    msg = "Received block blk_1 of size 5 from /1.2.3.4"
    # most specific template first; between equal templates, the class/level the header names
    k, params, n = m.match(msg, "WARN", "x.Other", "")
    assert (m.entries[k].st.id, params, n) == ("twin", ("blk_1", "5", "/1.2.3.4"), 3)
    k, _, _ = m.match(msg, "INFO", "x.C", "")
    assert m.entries[k].st.id == "spec"
    # a header that names class and line (log4j %C@%L) picks that statement even over a more specific one
    k, _, _ = m.match(msg, "INFO", "C", "20")
    assert m.entries[k].st.id == "loose"
    assert m.stats.ambiguous == 3 and m.stats.ambiguous_templates == 3 and m.stats.decided_by_location == 1
    k, _, n = m.match("Received block blk_1", "INFO", "C", "")
    assert m.entries[k].st.id == "loose" and n == 1


def test_opaque_statements_are_left_out(stmt):
    sts = [
        stmt("<*>", r"(?s)^(.*?)$", sid="any"),
        stmt("<*>: <*>", r"(?s)^(.*?):\ (.*?)$"),
        stmt("done", r"(?s)^done$", sid="done"),
    ]
    m = Matcher(sts)
    assert [s.id for s in m.excluded] == ["any", sts[1].id]
    assert m.match("anything at all")[0] == -1
    assert m.entries[m.match("done")[0]].st.id == "done"


def test_location_with_zookeeper_thread_prefix(stmt):
    """ZooKeeper's `[<Node>:<Component>@<Id>]` split leaves thread-name text in front of the class: the twin at
    the named line still wins (`Cannot open channel ...` is logged at lines 364 and 368 of QuorumCnxManager)."""
    rx = r"(?s)^Cannot\ open\ channel\ to\ (-?\d+)\ at\ election\ address\ (.*?)$"
    tpl = "Cannot open channel to <*> at election address <*>"
    a = stmt(tpl, rx, sid="a", cls="org.apache.zookeeper.server.quorum.QuorumCnxManager", line=364, level="WARN")
    b = stmt(tpl, rx, sid="b", cls="org.apache.zookeeper.server.quorum.QuorumCnxManager", line=368, level="WARN")
    m = Matcher([a, b])
    msg = "Cannot open channel to 3 at election address /10.10.34.13:3888"
    k, _, n = m.match(msg, "WARN", "0:0:0:0:0:0:0:2181:QuorumCnxManager", "368")
    assert (m.entries[k].st.id, n) == ("b", 2)
    k, _, _ = m.match(msg, "WARN", "0:0:0:0:0:0:0:2181:QuorumCnxManager", "364")
    assert m.entries[k].st.id == "a"


def test_fast_decide_gives_the_regex_parameters_and_the_counts_of_match(stmt):
    """Parameters sliced at the places of the key's first message are the regex's groups for every message of
    that key (numbers of other values, other lengths, optional groups); the counts agree with `match`."""
    sts = [
        stmt(
            "Receiving block <*> src: <*> dest: <*>",
            r"(?s)^Receiving\ block\ (.*?)\ src:\ (.*?)\ dest:\ (.*?)$",
            sid="R",
        ),
        stmt("Deleting block <*>", r"(?s)^Deleting\ block\ (.*?)$", sid="D"),
        stmt("Served <*> bytes", r"(?s)^Served\ (-?\d+)\ bytes$", sid="S"),
        stmt("closed", r"(?s)^closed$", sid="C"),
        stmt("opt <*> end", r"(?s)^opt\ (?:x(\d+)|y(\d+))\ end$", sid="O"),
        stmt("Served <*> bytes", r"(?s)^Served\ (-?\d+)\ bytes$", sid="S2", cls="com.x.Other"),
    ]
    fast, slow = Matcher(sts), Matcher(sts)
    rng = random.Random(3)

    def num() -> str:
        return "".join(rng.choice("0123456789") for _ in range(rng.randrange(1, 4)))

    shapes = [
        lambda: f"Receiving block blk_{num()} src: /10.0.{num()}.1:{num()} dest: /10.0.0.{num()}:50010",
        lambda: f"Deleting block blk_-{num()}",
        lambda: f"Served {num()} bytes",
        lambda: "closed",
        lambda: f"opt x{num()} end",
        lambda: f"opt y{num()} end",
        lambda: f"nothing {num()}",
    ]
    for _ in range(3000):
        msg = rng.choice(shapes)()
        k, n, params = fast.fast_decide(msg, ())
        want = slow.match(msg)
        assert (k, params, n) == want, msg
        if k >= 0:
            assert params == fast.entries[k].regex.match(msg).groups()
    a, b = fast.stats, slow.stats
    assert a.to_dict() == b.to_dict() and a.per_statement == b.per_statement
    assert a.lines == 3000 and a.unmatched > 0 and a.ambiguous > 0 and a.cache_hits > 2000
    fast.reset_stats()
    fast.add_stats(b)
    assert fast.stats.to_dict() == b.to_dict()


def test_blocks_are_decided_as_fast_decide_decides_each_message(stmt):
    """The same winners and the same counts, a block at a time, whether the key decides (cached or not), the
    message's digits must be re-tested, or the header settles a tie."""
    sts = [
        stmt("Deleting block <*>", r"(?s)^Deleting\ block\ (.*?)$", sid="D"),
        stmt("Served <*> bytes", r"(?s)^Served\ (-?\d+)\ bytes$", sid="S"),
        stmt("Served <*> bytes", r"(?s)^Served\ (-?\d+)\ bytes$", sid="S2", cls="com.x.Other"),
        stmt("got -1", r"(?s)^got\ \-1$", sid="G"),
        stmt("got <*>", r"(?s)^got\ (.*?)$", sid="G2"),
        stmt("same <*>", r"(?s)^same\ (.*?)$", sid="A1"),
        stmt("same <*>", r"(?s)^same\ (.*?)$", sid="A2"),
    ]
    one, many, full = (Matcher(sts, header=(0, 1, -1)) for _ in range(3))
    rng = random.Random(5)
    msgs = [
        rng.choice(
            [
                f"Deleting block blk_{rng.randrange(99)}",
                f"Served {rng.randrange(9)} bytes",
                f"got -{rng.randrange(3)}",
                f"same {rng.randrange(5)}",
                "nothing",
            ]
        )
        for _ in range(2000)
    ]
    headers = [(rng.choice(["INFO", "WARN"]), rng.choice(["com.x.Other", "com.x.Thing", ""]), m) for m in msgs]
    decisions = [one.fast_decide(m, h) for m, h in zip(msgs, headers, strict=True)]
    want = [k for k, _, _ in decisions]
    got, triples, i = [], [], 0
    while i < len(msgs):
        j = i + rng.randrange(1, 300)
        got += many.fast_entries(msgs[i:j], headers[i:j])
        triples += zip(*full.fast_decisions(msgs[i:j], headers[i:j]), strict=True)
        i = j
    assert got == want and -1 in got and {many.entries[k].st.id for k in got if k >= 0} >= {"S", "S2", "G", "G2"}
    assert triples == decisions and any(p for _, _, p in triples)
    a, b = many.stats, one.stats
    assert a.to_dict() == b.to_dict() == full.stats.to_dict() and a.per_statement == b.per_statement
    assert a.ambiguous > 0
