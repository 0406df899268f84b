"""The template-coverage study: how many of a system's log statements ever show up in its public logs.

Two methods, side by side:

* **exact**: real log lines are parsed with the statement regexes (`anomalygen.logs.parse`); a statement is
  covered when it is the chosen statement of at least one line.
* **token** (the AnomalyGen paper's method): a statement is covered when the words of its template's literal text
  (`[A-Za-z0-9_]+` runs outside the `<*>` slots, except words glued to a slot such as the `0x` of `0x<*>`) appear
  in the same order in some loghub template (whose `<*>` are ignored). Looser: a short template such as
  `Exception <*>` is covered by any template that says "Exception"; a template whose words all touch slots
  (`<*>ms`) has no words and is not covered.

Statements whose template has no letter or digit outside its slots (`<*>`, `<*><*>`: the message is a variable,
e.g. a parameter or an exception) can be covered by neither method; they stay in the totals (they are log
statements of the code) and are also reported on their own as `opaque`.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from anomalygen import atomic
from anomalygen.core.levels import LEVELS
from anomalygen.core.statements import LogStatement
from anomalygen.core.templates import WILDCARD, is_opaque

_WORD = re.compile(r"[A-Za-z0-9_]+")


def literal_words(template: str) -> list[str]:
    """Words of the literal text, leaving out those glued to a slot (`0x<*>`): a log parser replaces the whole
    token there (`<*>`), so such a word is not evidence either way."""
    parts = template.split(WILDCARD)
    last = len(parts) - 1
    out = []
    for i, part in enumerate(parts):
        for m in _WORD.finditer(part):
            if (m.start() == 0 and i > 0) or (m.end() == len(part) and i < last):
                continue
            out.append(m.group())
    return out


def words_in_order(needle: Sequence[str], hay: Sequence[str]) -> bool:
    it = iter(hay)
    return all(any(w == h for h in it) for w in needle)


def load_template_csv(path: str | Path) -> list[tuple[str, str, int]]:
    """(EventId, EventTemplate, Occurrences or 0) rows of a loghub templates CSV."""
    out = []
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        cols = reader.fieldnames or []
        if "EventTemplate" not in cols:
            raise ValueError(f"{path}:1: no EventTemplate column (got {cols})")
        for n, row in enumerate(reader, 2):
            occ = row.get("Occurrences") or "0"
            out.append((row.get("EventId") or f"row{n}", row["EventTemplate"], int(occ) if occ.isdigit() else 0))
    return out


def token_coverage(
    statements: Sequence[LogStatement], templates: Iterable[tuple[str, str, int]]
) -> dict[str, list[str]]:
    """Statement id -> ids of the loghub templates that cover it by the token method (opaque ones: none)."""
    tpls = [(eid, _WORD.findall(t.replace(WILDCARD, " "))) for eid, t, _ in templates]
    out: dict[str, list[str]] = {}
    for st in statements:
        words = literal_words(st.template)
        if not words:
            continue
        hits = [eid for eid, hay in tpls if words_in_order(words, hay)]
        if hits:
            out[st.id] = hits
    return out


def package_of(class_name: str) -> str:
    outer = class_name.split("$", 1)[0]
    return outer.rsplit(".", 1)[0] if "." in outer else "(default)"


def top_class(class_name: str) -> str:
    return class_name.split("$", 1)[0]


@dataclass
class CoverageReport:
    statements: list[LogStatement]
    methods: dict[str, set[str]] = field(default_factory=dict)  # method -> covered statement ids
    line_counts: Counter = field(default_factory=Counter)  # exact: statement id -> lines
    template_hits: dict[str, list[str]] = field(default_factory=dict)  # token: statement id -> loghub ids
    inputs: dict = field(default_factory=dict)  # what was read (files, line and template counts)
    unmatched: list[tuple[str, int]] = field(default_factory=list)  # fallback templates of unmatched lines

    def _breakdown(self, key) -> dict[str, dict]:
        groups: dict[str, list[LogStatement]] = defaultdict(list)
        for st in self.statements:
            groups[key(st)].append(st)
        out = {}
        for g, sts in groups.items():
            row: dict[str, float] = {"statements": len(sts)}
            for m, ids in self.methods.items():
                c = sum(1 for s in sts if s.id in ids)
                row[m] = c
                row[m + "_pct"] = _pct(c, len(sts))
            out[g] = row
        return out

    def to_dict(self, top: int = 20) -> dict:
        total = len(self.statements)
        opaque = [s for s in self.statements if is_opaque(s.template)]
        summary: dict = {"statements": total, "opaque": len(opaque)}
        for m, ids in self.methods.items():
            summary[m] = {
                "covered": len(ids),
                "pct": _pct(len(ids), total),
                "pct_of_non_opaque": _pct(len(ids), total - len(opaque)),
            }
        if len(self.methods) > 1:
            sets = list(self.methods.values())
            summary["both"] = len(set.intersection(*sets))
            summary["either"] = len(set.union(*sets))
        by_level = self._breakdown(lambda s: s.level)
        by_level = {lv: by_level[lv] for lv in sorted(by_level, key=_level_order)}
        by_package = dict(sorted(self._breakdown(lambda s: package_of(s.class_name)).items()))
        by_class = dict(sorted(self._breakdown(lambda s: top_class(s.class_name)).items()))
        covered_any = set().union(*self.methods.values()) if self.methods else set()
        unseen = [s for s in self.statements if s.id not in covered_any and not is_opaque(s.template)]
        sites = Counter(s.template for s in unseen)
        never = sorted(unseen, key=lambda s: (-sites[s.template], _level_order(s.level), s.file, s.line))
        seen_tpl: set[str] = set()
        never_rows = []
        for s in never:
            if s.template in seen_tpl:
                continue
            seen_tpl.add(s.template)
            never_rows.append(
                {
                    "template": s.template,
                    "call_sites": sites[s.template],
                    "level": s.level,
                    "class": s.class_name,
                    "where": f"{s.file}:{s.line}",
                }
            )
            if len(never_rows) >= top:
                break
        unseen_by_class = Counter(top_class(s.class_name) for s in unseen).most_common(top)
        by_id = {s.id: s for s in self.statements}
        frequent = [
            {"id": i, "lines": c, "level": by_id[i].level, "template": by_id[i].template}
            for i, c in self.line_counts.most_common(top)
        ]
        return {
            "summary": summary,
            "inputs": self.inputs,
            "by_level": by_level,
            "by_package": by_package,
            "by_class": by_class,
            "most_frequent_seen": frequent,
            "never_seen": never_rows,
            "never_seen_by_class": [{"class": c, "statements": n} for c, n in unseen_by_class],
            "unmatched_log_templates": [{"template": t, "lines": n} for t, n in self.unmatched[:top]],
            "covered": {m: sorted(ids) for m, ids in self.methods.items()},
        }


def _pct(a: int, b: int) -> float:
    return round(100.0 * a / b, 2) if b else 0.0


def _level_order(level: str) -> int:
    return LEVELS.index(level) if level in LEVELS else len(LEVELS)


def measure(
    statements: Sequence[LogStatement], logs: Sequence[str | Path] = (), fmt=None, templates: Sequence[str | Path] = ()
) -> CoverageReport:
    """Run the methods that have inputs: exact when `logs` (with `fmt`), token when `templates`."""
    rep = CoverageReport(list(statements))
    if logs:
        from anomalygen.logs.parse import LogParser

        parser = LogParser(statements, fmt)
        for _ in parser.parse(logs):
            pass
        rep.line_counts = parser.summary.statement_counts
        rep.methods["exact"] = set(rep.line_counts)
        unmatched: Counter = Counter()
        if parser.drain is not None:
            final = parser.drain.templates()
            for cid, n in parser.drain.counts.items():
                unmatched[final.get(f"D{cid}", "")] += n
        rep.unmatched = unmatched.most_common()
        rep.inputs["logs"] = [str(p) for p in logs]
        rep.inputs["parse"] = parser.summary.to_dict(parser.matcher)
    if templates:
        rows = []
        for p in templates:
            rows.extend(load_template_csv(p))
        rep.template_hits = token_coverage(statements, rows)
        rep.methods["token"] = set(rep.template_hits)
        rep.inputs["templates"] = [str(p) for p in templates]
        rep.inputs["loghub_templates"] = len(rows)
    return rep


# -- presentation ---------------------------------------------------------------------------------------------


def render_table(report: dict) -> str:
    """A plain-text summary (what `anomalygen coverage` prints)."""
    s = report["summary"]
    methods = [m for m in ("exact", "token") if m in s]
    lines = [f"log statements in the source: {s['statements']} (opaque, no literal text: {s['opaque']})"]
    for m in methods:
        lines.append(
            f"  {m:6} covered {s[m]['covered']:5}  = {s[m]['pct']:6.2f}%  "
            f"({s[m]['pct_of_non_opaque']:.2f}% of the non-opaque ones)"
        )
    if "both" in s:
        lines.append(f"  covered by both methods: {s['both']}, by either: {s['either']}")
    p = report["inputs"].get("parse")
    if p:
        r = p["read"]
        lines.append(
            f"  log lines: read {r['lines_read']}, parsed {r['parsed']}, rejected {r['rejected']}; "
            f"matched to a statement {p['matched']}, fallback {p['fallback']}"
        )
    head = "  ".join(f"{m:>14}" for m in methods)
    lines.append("")
    lines.append(f"{'level':<10}{'statements':>11}  {head}")
    for lv, row in report["by_level"].items():
        cells = "  ".join(f"{row[m]:>6} {row[m + '_pct']:6.2f}%" for m in methods)
        lines.append(f"{lv:<10}{row['statements']:>11}  {cells}")
    lines.append("")
    lines.append(f"{'package':<40}{'statements':>11}  {head}")
    for pk, row in report["by_package"].items():
        cells = "  ".join(f"{row[m]:>6} {row[m + '_pct']:6.2f}%" for m in methods)
        lines.append(f"{pk[-40:]:<40}{row['statements']:>11}  {cells}")
    if report["never_seen"]:
        lines.append("")
        lines.append("statements never seen (most call sites first):")
        for r in report["never_seen"][:10]:
            lines.append(f"  {r['call_sites']:>3}x {r['level']:<5} {r['template'][:90]!r}  ({r['where']})")
    if report["unmatched_log_templates"]:
        lines.append("")
        lines.append("log lines no statement explains (Drain3 templates):")
        for r in report["unmatched_log_templates"][:10]:
            lines.append(f"  {r['lines']:>6} {r['template'][:100]!r}")
    return "\n".join(lines)


def plot(report: dict, path: str | Path, title: str = "") -> None:
    """Bar plot of coverage % per level and per package, one bar per method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    methods = [m for m in ("exact", "token") if m in report["summary"]]
    panels = [("level", report["by_level"]), ("package", report["by_package"])]
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5), gridspec_kw={"width_ratios": [1, 2]})
    for ax, (name, rows) in zip(axes, panels, strict=False):
        keys = list(rows)
        labels = [f"{k.rsplit('.', 1)[-1] if name == 'package' else k}\n(n={rows[k]['statements']})" for k in keys]
        width = 0.8 / max(len(methods), 1)
        for i, m in enumerate(methods):
            xs = [j + (i - (len(methods) - 1) / 2) * width for j in range(len(keys))]
            ax.bar(xs, [rows[k][m + "_pct"] for k in keys], width, label=m)
        ax.set_xticks(range(len(keys)))
        ax.set_xticklabels(
            labels, fontsize=7, rotation=30 if name == "package" else 0, ha="right" if name == "package" else "center"
        )
        ax.set_ylabel("statements covered (%)")
        ax.set_ylim(0, 100)
        ax.set_title(f"coverage by {name}")
        ax.legend(fontsize=8)
    s = report["summary"]
    sub = ", ".join(f"{m} {s[m]['pct']:.1f}%" for m in methods)
    fig.suptitle(f"{title}  {s['statements']} statements: {sub}".strip(), fontsize=10)
    fig.tight_layout()
    atomic.savefig(fig, path, dpi=110)
    plt.close(fig)


def write_outputs(report: dict, out_dir: str | Path, title: str = "") -> dict[str, str]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = {"json": str(out / "coverage.json"), "table": str(out / "coverage.txt"), "plot": str(out / "coverage.png")}
    atomic.write_text(files["json"], json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    atomic.write_text(files["table"], render_table(report) + "\n")
    plot(report, files["plot"], title)
    return files
