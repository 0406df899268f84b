"""The one markdown renderer: headings, paragraphs and pipe tables of a summary.md, escaped, `**bold**` kept."""

from __future__ import annotations

from anomalygen.report.markup import inline, markdown

SUMMARY = """## Verdict <1>

| model | F1 |
|---|---|
| **mean of models** | 0.5 |
| a<b | 0.25 |

Settings where **synthetic** wins: 1 of 2.
### Per kind
| kind | n |
|:--|--:|
| x & y | 3 |
"""


def test_headings_paragraphs_and_tables_in_order(parse_html):
    out = markdown(SUMMARY)
    c = parse_html(out)
    assert c.errors == [] and c.stack == []
    assert c.counts["h3"] == 2 and c.counts["table"] == 2 and c.counts["p"] == 1
    assert out.index("Verdict") < out.index("<table>") < out.index("Settings") < out.index("Per kind")
    assert out.count("<tr>") == 5  # two header rows and three body rows: the |---| rules are gone
    assert "---" not in out and "--:" not in out


def test_heading_level_is_the_callers():
    assert markdown("# A\n## B", heading=2) == "<h2>A</h2><h2>B</h2>"


def test_text_is_escaped_and_bold_becomes_strong():
    out = markdown(SUMMARY)
    assert "<h3>Verdict &lt;1&gt;</h3>" in out
    assert "<td><strong>mean of models</strong></td>" in out
    assert "<td>a&lt;b</td>" in out and "<td>x &amp; y</td>" in out
    assert "<p>Settings where <strong>synthetic</strong> wins: 1 of 2.</p>" in out
    assert "**" not in out


def test_inline_leaves_single_stars_alone():
    assert inline("a * b ** c") == "a * b ** c"
    assert inline("**<x>**") == "<strong>&lt;x&gt;</strong>"
