"""Structured CSV rows (`anomalygen/logs/output.py`): the same bytes as `csv.writer` and `json.dumps` give."""

from __future__ import annotations

import csv
import io
import json
import random
from itertools import groupby

from anomalygen.core.formats import LogFormat
from anomalygen.logs.output import CsvRows, columns, header_row, number, plain_text
from anomalygen.logs.parse import FALLBACK, SOURCE, ParsedColumns, ParsedLine

FMT = LogFormat.parse("<Date> <Level> <Content>")
PIECES = [
    "a",
    "blk_-12",
    "9",
    " ",
    ",",
    '"',
    "\\",
    "\t",
    "\r",
    "\n",
    "\x00",
    "\x7f",
    "é",
    "\u2028",
    "\xa0",
    "ü,x",
    "/10.0.0.1:50010",
    "<*>",
    "",
]


def reference(ln: ParsedLine, line_id: int) -> str:
    buf = io.StringIO()
    csv.writer(buf).writerow(
        [
            line_id,
            *ln.fields,
            ln.event_id,
            ln.template,
            json.dumps(list(ln.params), ensure_ascii=False),
            ln.kind,
            ln.candidates,
            ln.file,
            ln.lineno,
        ]
    )
    return buf.getvalue()


def text(rng: random.Random, plain: bool) -> str:
    pool = PIECES[:1] + ["x", "y1", ".", ":"] if plain else PIECES
    return "".join(rng.choice(pool) for _ in range(rng.randrange(0, 5)))


def lines(n: int, seed: int) -> list[ParsedLine]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        plain = rng.random() < 0.5  # half the lines take the fast path, half need quotes or escapes somewhere
        params = tuple(text(rng, plain) for _ in range(rng.randrange(0, 4)))
        content = " ".join(params) + text(rng, plain)
        out.append(
            ParsedLine(
                rng.choice(["a.log", "dir,x/b.log", 'q"c.log']),
                i + 1,
                (text(rng, plain), rng.choice(["INFO", "WARN"]), content),
                rng.choice(["E1", "D2", 'E,"3']),
                rng.choice(["t <*>", 't, "<*>"', "t\r\n<*>"]),
                params,
                rng.choice([SOURCE, FALLBACK]),
                rng.randrange(0, 3),
            )
        )
    return out


def test_rows_are_what_csv_writer_writes():
    got = lines(3000, 1)
    rows = CsvRows(FMT)
    numbered = "".join("".join(b) for b in rows.render(got, line_id=5))
    assert numbered == "".join(reference(ln, i) for i, ln in enumerate(got, 5))
    unnumbered = [r for b in CsvRows(FMT).render(got) for r in b]
    assert number(unnumbered, 5) == numbered
    assert rows.counts == {e: sum(ln.event_id == e for ln in got) for e in rows.counts}
    assert sum(rows.counts.values()) == len(got)
    assert rows.first == {e: next(ln.template for ln in got if ln.event_id == e) for e in rows.first}


def test_fallback_lines_come_back_between_batches_in_order():
    got = lines(500, 2)
    out = list(CsvRows(FMT).render(got, keep_fallback=True))
    kept = [x for x in out if isinstance(x, ParsedLine)]
    assert kept == [ln for ln in got if ln.kind == FALLBACK]
    rows = iter(r for x in out if isinstance(x, list) for r in x)
    for x, ln in zip([x for seg in out for x in ([seg] if isinstance(seg, ParsedLine) else seg)], got, strict=True):
        if isinstance(x, ParsedLine):
            assert x is ln
        else:
            assert "1" + next(rows) == reference(ln, 1)


def test_a_header_row_is_the_columns():
    assert columns(FMT)[:4] == ["LineId", "Date", "Level", "Content"]
    buf = io.StringIO()
    csv.writer(buf).writerow(columns(FMT))
    assert header_row(FMT) == buf.getvalue() == "LineId,Date,Level,Content," + ",".join(columns(FMT)[4:]) + "\r\n"


def test_plain_text_is_printable_ascii_without_quotes_or_backslashes():
    assert plain_text(b"081109 203615 INFO a, b: blk_-1 /10.0.0.1:50010 <*> [x] {y} ~!@#$%^&*()\n\n")
    assert plain_text(b"")
    for bad in ('"', "\\", "\t", "\r", "\x00", "\x1f", "\x7f", "é", "\u2028", "\xa0"):
        assert not plain_text(f"ok line\nbad {bad} line\n".encode()), repr(bad)
    assert not plain_text(b"bad \xff byte\n")  # not UTF-8: the reader replaces it


def test_rows_of_plain_text_are_the_same_without_the_row_check():
    rng = random.Random(3)
    pool = ["a", "x", "y1", ".", ":", " ", ",", "<*>", "blk_-12"]  # plain text; commas must still be quoted
    got = []
    for i in range(2000):
        params = tuple("".join(rng.choice(pool) for _ in range(rng.randrange(0, 4))) for _ in range(rng.randrange(4)))
        fields = ("".join(rng.choice(pool) for _ in range(3)), rng.choice(["INFO", "WARN"]), " ".join(params))
        got.append(ParsedLine("a.log", i + 1, fields, rng.choice(["E1", "E2"]), 't, "<*>"', params, SOURCE, 1))
    assert any("," in ln.fields[2] for ln in got) and any("," not in "".join(ln.fields) for ln in got)
    plain = "".join("".join(b) for b in CsvRows(FMT).render(got, line_id=1, plain=True))
    assert plain == "".join(reference(ln, i) for i, ln in enumerate(got, 1))
    table = [("E1", 't, "<*>"'), ("E2", 't, "<*>"')]
    blocks = [
        CsvRows(FMT).render_columns(c, ["E1", "E2"], ['t, "<*>"'] * 2, plain=True) for c in as_columns(got, table)
    ]
    assert number([r for b in blocks for rows in b for r in rows], 1) == plain


def as_columns(got: list[ParsedLine], table: list[tuple[str, str]]) -> list[ParsedColumns]:
    """The lines as `LogParser.parse_columns` would give them: a block per run of one file, statement lines by
    their entry in `table` (event id, template), the others as fallback lines."""
    out = []
    for file, run in groupby(got, lambda ln: ln.file):
        run = list(run)
        fallback = [(i, ln.event_id, ln.template, ln.params) for i, ln in enumerate(run) if ln.kind == FALLBACK]
        out.append(
            ParsedColumns(
                file,
                [ln.lineno for ln in run],
                [ln.fields for ln in run],
                [table.index((ln.event_id, ln.template)) if ln.kind == SOURCE else -1 for ln in run],
                [ln.candidates for ln in run],
                [ln.params for ln in run],
                fallback,
            )
        )
    return out


def test_rows_of_columns_are_those_of_lines():
    got = lines(3000, 4)
    got[7] = got[7]._replace(params=("x", None), kind=SOURCE, candidates=2)  # an optional group that took no part
    got = [
        ln._replace(candidates=max(ln.candidates, 1)) if ln.kind == SOURCE else ln._replace(candidates=0) for ln in got
    ]
    table = sorted({(ln.event_id, ln.template) for ln in got if ln.kind == SOURCE})
    ids, tpls = [e for e, _ in table], [t for _, t in table]
    rows = CsvRows(FMT)
    out = [x for c in as_columns(got, table) for x in rows.render_columns(c, ids, tpls)]
    assert number([r for b in out for r in b], 1) == "".join(reference(ln, i) for i, ln in enumerate(got, 1))
    one = CsvRows(FMT)
    for _ in one.render(got):
        pass
    assert (rows.counts, rows.first) == (one.counts, one.first)
    kept = [x for c in as_columns(got, table) for x in CsvRows(FMT).render_columns(c, ids, tpls, keep_fallback=True)]
    assert [x for x in kept if isinstance(x, ParsedLine)] == [ln for ln in got if ln.kind == FALLBACK]
    assert [r for x in kept if isinstance(x, list) for r in x] == [
        r for x in CsvRows(FMT).render(got, keep_fallback=True) if isinstance(x, list) for r in x
    ]
