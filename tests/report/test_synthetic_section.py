"""The synthetic section shows a composed session beside the real session it started from."""

from __future__ import annotations

from anomalygen.report.sections.synthetic import _made_from


def test_composed_session_is_shown_beside_its_base_with_the_changes():
    s = {
        "templates": ["alloc", "recv", "term"],
        "provenance": {"base": "blk_1", "changes": [{"change": "add_phase", "roles": ["Reader.run"]}]},
    }
    html = _made_from(s, {"blk_1": {"templates": ["recv", "alloc"]}})
    assert "blk_1" in html and "add_phase Reader.run" in html
    assert html.index("<td>recv</td><td>alloc</td>") < html.index("<td></td><td>term</td>")
    assert "re-interleaved only" in _made_from({"provenance": {"base": "x", "changes": []}}, {})
    assert _made_from({"templates": ["a"]}, {}) == ""
