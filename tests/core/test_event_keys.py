"""Key spaces: real event ids mapped to source statements, synthetic statements to real events, and refusal
when the two sides share nothing."""

import pytest

from anomalygen.core.datasets import Session
from anomalygen.core.event_keys import auto_template_map, event_statement_map, plan_keys
from anomalygen.core.statements import LogStatement

TEMPLATES = {
    "E5": "<*>Receiving block<*>src:<*>dest:<*>",
    "E6": "<*>Received block<*>src:<*>dest:<*>of size<*>",
    "E9": "<*>Received block<*>of size<*>from<*>",
    "E99": "<*>Nothing in the code says this<*>",
}


def _st(sid, tpl, line, level="INFO"):
    return LogStatement(
        id=sid,
        file="dfs/DataNode.java",
        line=line,
        class_name="DataNode",
        method="m()",
        level=level,
        call="info",
        api="commons",
        logger="LOG",
        logger_name=None,
        recognised_by="type",
        template=tpl,
        regex="^.*$",
    )


STATEMENTS = [
    _st("L5", "Receiving block <*> src: <*> dest: <*>", 10),
    _st("L6", "Received block <*> src: <*> dest: <*> of size <*>", 20),
    _st("L9a", "Received block <*> of size <*> from <*>", 40),
    _st("L9b", "Received block <*> of size <*> from <*>", 30),
    _st("Lnew", "Block <*> was aligned", 50),
    _st("Lbare", "<*>", 60),
]


def test_event_statement_map_picks_the_most_specific_event_and_one_key_for_twins():
    em = event_statement_map(TEMPLATES, STATEMENTS)
    assert em.event_to_key == {"E5": "L5", "E6": "L6", "E9": "L9b"}  # twins keyed by the first in file order
    assert em.statement_to_key["L9a"] == "L9b" and em.statement_to_key["Lnew"] == "Lnew"
    assert em.unmapped_events == ["E99"]
    cov = em.coverage()
    assert cov["real_events_mapped"] == 3 and cov["map"]["E9"] == ["L9b", "L9a"]


def _real():
    return [
        Session("r1", 0, ["E5", "E9"], [TEMPLATES["E5"], TEMPLATES["E9"]], has_event_ids=True),
        Session("r2", 1, ["E99"], [TEMPLATES["E99"]], has_event_ids=True),
    ]


def _syn():
    return [
        Session(
            "s1",
            0,
            ["L9a", "Lnew"],
            ["Received block <*> of size <*> from <*>", "Block <*> was aligned"],
            source="synthetic",
            provenance={"params": [["blk_1", "5", "/10.0.0.1"], ["blk_1"]]},
            has_event_ids=True,
        )
    ]


def test_plan_keys_statement_mode_keys_both_sides_by_statement_ids():
    plan = plan_keys(_real(), _syn(), auto=True, statements=STATEMENTS)
    assert plan.mode == "statements"
    assert plan.real(_real()[0]) == ["L5", "L9b"] and plan.real(_real()[1]) == ["E99"]
    assert plan.synthetic(_syn()[0]) == ["L9b", "Lnew"]
    assert plan.info["shared_keys"] == 1


def test_plan_keys_real_event_mode_maps_synthetic_lines_to_real_event_ids():
    assert auto_template_map(_real(), _syn(), to="event") == {"L9a": "E9"}
    plan = plan_keys(_real(), _syn(), auto=True)
    assert plan.mode == "real-events"
    assert plan.synthetic(_syn()[0]) == ["E9", "Lnew"] and plan.real(_real()[0]) == ["E5", "E9"]


def test_plan_keys_refuses_when_nothing_is_shared():
    with pytest.raises(ValueError, match="share no event key"):
        plan_keys(_real(), _syn())  # no map asked for: statement ids never meet E-ids


def test_statement_sessions_rekeys_real_sessions():
    from anomalygen.core.event_keys import statement_sessions

    sessions, _em = statement_sessions(_real(), STATEMENTS)
    assert [s.events for s in sessions] == [["L5", "L9b"], ["E99"]]
    assert sessions[0].templates[0] == "Receiving block <*> src: <*> dest: <*>" and sessions[1].label == 1
