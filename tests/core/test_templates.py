from __future__ import annotations

from types import SimpleNamespace

from anomalygen.core.templates import effective_template, first_line_regex, is_opaque, literal_parts


def test_cut_at_newline():
    rx = r"(?s)^(.*?):Got\ exception\ (\d+)\ to\ (.*?):\
(.*?)$"
    assert first_line_regex(rx) == r"(?s)^(.*?):Got\ exception\ (\d+)\ to\ (.*?):$"
    assert (
        first_line_regex(
            r"(?s)^a\ (x\
y)\ b$"
        )
        is None
    )  # a newline inside a group is not cut


def test_effective_template_cuts_at_the_first_line_and_loosens_leading_spaces():
    st = SimpleNamespace(template="Got <*>\n<*>", regex="(?s)^Got\\ (.*?)\\\n(.*?)$")
    assert effective_template(st) == ("Got <*>", "(?s)^Got\\ (.*?)$", True)
    spaced = SimpleNamespace(template="  at <*>", regex="(?s)^\\ \\ at\\ (.*?)$")
    assert effective_template(spaced) == ("  at <*>", "(?s)^\\s*at\\ (.*?)$", False)


def test_opaque_templates_have_no_letter_or_digit_outside_slots():
    assert is_opaque("<*>: <*>") and is_opaque("<*><*>")
    assert not is_opaque("<*> x") and not is_opaque("0x<*>")
    assert literal_parts("a <*> b <*>") == ["a ", " b ", ""]
