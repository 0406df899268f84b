from __future__ import annotations

import re

import pytest

from anomalygen.core.session_spec import HDFS_BLOCK, HDFS_BLOCK_RE, SessionSpec, synthetic_key


def test_block_ids_are_found_with_their_sign():
    msg = "Deleting block blk_-1608999687919862906 file /x/blk_38865049064139660"
    assert HDFS_BLOCK_RE.findall(msg) == ["blk_-1608999687919862906", "blk_38865049064139660"]


@pytest.mark.parametrize(
    "text,kind,pattern,field",
    [
        ("id", "id", HDFS_BLOCK, None),
        (" blk ", "id", HDFS_BLOCK, None),
        ("regex:req-(\\d+)", "id", "req-(\\d+)", None),
        ("field:Pid", "field", None, "Pid"),
    ],
)
def test_identifier_and_field_rules(text, kind, pattern, field):
    spec = SessionSpec.parse(text)
    assert (spec.kind, spec.pattern, spec.field) == (kind, pattern, field)


def test_window_rules_default_their_step_to_the_size():
    assert SessionSpec.parse("window:count:50") == SessionSpec("window-count", size=50, step=50)
    assert SessionSpec.parse("window:time:60:30") == SessionSpec("window-time", size=60, step=30)


@pytest.mark.parametrize("text", ["window:count:0", "window:lines:5", "regex:(", "auto-ish"])
def test_unusable_rules_are_refused_naming_the_text(text):
    with pytest.raises(ValueError, match=re.escape(repr(text))):
        SessionSpec.parse(text)


@pytest.mark.parametrize(
    "text,key",
    [
        ("id", "block"),
        ("block", "block"),
        ("regex:blk_-?\\d+", "block"),
        ("regex:req-(\\d+)", "none"),
        ("field:Pid", "none"),
        ("window:count:50", "none"),
    ],
)
def test_synthetic_sessions_are_keyed_by_block_when_real_ones_group_by_block_ids(text, key):
    assert SessionSpec.parse(text).generator_key() == key


@pytest.mark.parametrize(
    "text,fmt,key",
    [
        ("auto", "hdfs", "block"),  # HDFS logs carry a block id per session
        ("auto", "zookeeper", None),
        ("auto", None, None),
        ("none", "hdfs", None),
        ("id", "zookeeper", "block"),
        (" blk ", None, "block"),
        ("regex:blk_-?\\d+", None, "block"),
        ("window:count:50", "hdfs", None),
        ("window:time:60", "hdfs", None),
    ],
)
def test_generate_s_session_key_for_each_rule(text, fmt, key):
    assert synthetic_key(text, fmt) == (key, None)


@pytest.mark.parametrize("text", ["regex:req-(\\d+)", "field:Pid"])
def test_a_key_the_generator_cannot_draw_gives_a_note_not_a_silent_none(text):
    key, note = synthetic_key(text, "hdfs")
    assert key is None and note is not None
    assert note.startswith(f"--sessions-by {text}: synthetic sessions cannot be keyed by this rule")


@pytest.mark.parametrize("text", ["nonsense", "window:count:0", "regex:("])
def test_generate_s_rule_errors_name_its_flag(text):
    with pytest.raises(ValueError, match=re.escape(f"--sessions-by {text!r}")):
        synthetic_key(text, "hdfs")
