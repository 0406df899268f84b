"""Small HTML builders for the run report. Every piece of text goes through `esc`; numbers are formatted here so
that all sections print them the same way. Nothing refers to an external resource."""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def num(value: Any, digits: int = 3) -> str:
    """A number for a table cell: thousands separators for integers, `digits` decimals for floats, scientific
    notation for huge path counts, the value itself (escaped) for anything else."""
    if isinstance(value, bool) or value is None:
        return esc("" if value is None else value)
    if isinstance(value, int):
        return f"{value:.3e}" if abs(value) >= 10**15 else f"{value:,}"
    if isinstance(value, float):
        if value != value:  # NaN
            return "n/a"
        if value.is_integer() and abs(value) < 10**15:
            return f"{int(value):,}"
        return f"{value:.{digits}f}"
    return esc(value)


def pct(part: float, whole: float, digits: int = 1) -> str:
    return f"{100.0 * part / whole:.{digits}f}%" if whole else "n/a"


def signed(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None or value != value else f"{value:+.{digits}f}"


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], cls: str = "", raw: bool = False) -> str:
    """A table; cells are escaped and numbers formatted, unless `raw` (cells are already HTML)."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    for r in rows:
        cells = (c if raw else (num(c) if isinstance(c, (int, float)) else esc(c)) for c in r)
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    attr = f' class="{esc(cls)}"' if cls else ""
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def kv_table(items: dict, cls: str = "kv") -> str:
    """Key/value table; nested values shown as compact JSON."""
    rows = []
    for k, v in items.items():
        if isinstance(v, (dict, list)):
            cell = f"<code>{esc(json.dumps(v, ensure_ascii=False, default=str))}</code>"
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            cell = num(v)
        else:
            cell = esc(v)
        rows.append(f"<tr><th>{esc(k)}</th><td>{cell}</td></tr>")
    return f'<table class="{esc(cls)}"><tbody>{"".join(rows)}</tbody></table>'


_BOLD = re.compile(r"\*\*(.+?)\*\*")


def inline(text: str) -> str:
    """Escaped text with markdown's `**bold**` as <strong>."""
    return _BOLD.sub(r"<strong>\1</strong>", esc(text))


def markdown(text: str, heading: int = 3) -> str:
    """The headings, paragraphs and pipe tables of a summary.md as HTML, every heading at level `heading`."""
    out: list[str] = []
    rows: list[list[str]] = []

    def flush() -> None:
        if rows:
            body = [r for r in rows[1:] if not set("".join(r)) <= set("-: ")]  # the |---| rule
            out.append(table(rows[0], ([inline(c) for c in r] for r in body), raw=True))
            rows.clear()

    for line in text.splitlines():
        s = line.strip()
        if s.startswith("|"):
            rows.append([c.strip() for c in s.strip("|").split("|")])
            continue
        flush()
        if s.startswith("#"):
            out.append(f"<h{heading}>{inline(s.lstrip('#').strip())}</h{heading}>")
        elif s:
            out.append(f"<p>{inline(s)}</p>")
    flush()
    return "".join(out)


def note(text: str, kind: str = "missing") -> str:
    return f'<p class="note {esc(kind)}">{esc(text)}</p>'


def h3(text: str) -> str:
    return f"<h3>{esc(text)}</h3>"


def pre(text: str) -> str:
    return f"<pre>{esc(text)}</pre>"


def details(summary: str, body_html: str, open_: bool = False) -> str:
    return f"<details{' open' if open_ else ''}><summary>{esc(summary)}</summary>{body_html}</details>"


def json_block(summary: str, data: Any) -> str:
    return details(summary, pre(json.dumps(data, indent=1, ensure_ascii=False, default=str, sort_keys=False)))


def png_data_uri(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def img(data: bytes, alt: str) -> str:
    return f'<figure><img src="{png_data_uri(data)}" alt="{esc(alt)}"><figcaption>{esc(alt)}</figcaption></figure>'


def img_file(path: Path, alt: str | None = None) -> str:
    return img(path.read_bytes(), alt or path.name)


def section(sid: str, title: str, body_html: str) -> str:
    return f'<section id="{esc(sid)}"><h2>{esc(title)}</h2>{body_html}</section>'


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1200px;padding:1em 2em;
color:#222;line-height:1.4}
h1{margin-bottom:.2em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
nav a{margin-right:1em}
table{border-collapse:collapse;margin:.5em 0 1em 0;font-size:.92em}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right;vertical-align:top}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}
table.kv th{text-align:left}table.kv td{text-align:left}
table.text td{text-align:left}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.88em}
pre{background:#f7f7f7;border:1px solid #e3e3e3;padding:.5em;overflow-x:auto;white-space:pre}
pre.log{max-height:24em}
.note{padding:.4em .8em;border-left:4px solid #999;background:#f5f5f5}
.note.missing{border-color:#c90;background:#fff8e6}.note.error{border-color:#c33;background:#fdecec}
.note.info{border-color:#36c;background:#eef3fc}
.ok{color:#070}.skip{color:#666}.fail{color:#b00;font-weight:bold}
.pos{color:#070}.neg{color:#b00}
p.answer{font-size:1.1em;padding:.5em .8em;border-left:5px solid #36c;background:#eef3fc}
.answer-fig{max-width:100%;height:auto}
.answer-row{display:flex;flex-wrap:wrap;gap:0 2em;align-items:flex-start}.answer-row figure{margin-top:.5em}table{max-width:100%}
.wide{overflow-x:auto}
.label-anomaly{color:#b00;font-weight:bold}.label-normal{color:#070}
figure{margin:1em 0}figure img{max-width:100%;border:1px solid #eee}figcaption{font-size:.85em;color:#555}
details{margin:.4em 0}summary{cursor:pointer;font-weight:600}
.example{border:1px solid #ddd;border-radius:4px;padding:.3em .8em;margin:.6em 0}
"""  # noqa: E501 - the report embeds this CSS byte for byte; one rule per line as it stands


def page(title: str, nav: list[tuple[str, str]], body_html: str) -> str:
    links = "".join(f'<a href="#{esc(sid)}">{esc(t)}</a>' for sid, t in nav)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{esc(title)}</title>'
        f"<style>{CSS}</style></head><body><h1>{esc(title)}</h1><nav>{links}</nav>{body_html}</body></html>\n"
    )
