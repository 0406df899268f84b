"""Labels for synthetic lines and sessions, each with its reason, from rules in a YAML file (defaults shipped).

Recovery-aware: a failure inside a retry loop that is followed by a normal line of the same method is a retry
that went through, so the session stays normal; ERROR/FATAL lines and paths that leave their entry by an
uncaught exception are anomalous whatever follows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from anomalygen.core.errors import InputError
from anomalygen.core.levels import rank as level_rank
from anomalygen.core.statements import LogStatement


class RulesError(InputError):
    pass


def default_rules() -> dict[str, Any]:
    return yaml.safe_load(resources.files("anomalygen.synthesis").joinpath("rules.yaml").read_text("utf-8"))


def load_rules(path: str | Path | None) -> dict[str, Any]:
    rules = default_rules()
    if path is None:
        return rules
    p = Path(path)
    try:
        user = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise RulesError(f"{p}: no such rules file") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{p}:{mark.line + 1}" if mark is not None else str(p)
        raise RulesError(f"{where}: not valid YAML ({getattr(err, 'problem', err)})") from None
    if not isinstance(user, dict):
        raise RulesError(f"{p}: expected a mapping with 'line' and/or 'session'")
    for section, values in user.items():
        if section not in rules or not isinstance(values, dict):
            raise RulesError(f"{p}: unknown section {section!r} (expected 'line' or 'session')")
        for key in values:
            if key not in rules[section]:
                raise RulesError(f"{p}: unknown key {section}.{key}")
        rules[section].update(values)
    return rules


_FLAG = re.compile(r"^[A-Za-z_][\w.]*(\(\))?$")


def _words(name: str) -> str:
    """`reportBadBlocks` -> "report Bad Blocks": camel case as words, for whole-word matching."""
    return " ".join(re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", name))


@dataclass
class LineLabel:
    state: str  # "normal" | "suspicious" | "anomalous"
    reasons: list[str] = field(default_factory=list)


class Labeler:
    def __init__(self, rules: dict[str, Any] | None = None):
        self.rules = rules or default_rules()
        line = self.rules["line"]
        words = sorted(line.get("keywords") or [], key=len, reverse=True)
        self._kw = re.compile(r"(?i)\b(" + "|".join(re.escape(w) for w in words) + r")") if words else None
        # whole words only: a new line's "invalidSet" or "errorCount" names a thing, it reports no failure
        new = sorted({*words, *(line.get("novel_words") or [])}, key=len, reverse=True)
        self._new = (
            re.compile(r"(?i)(?<![\w'])(" + "|".join(re.escape(w) for w in new) + r")(?![\w'])") if new else None
        )
        rec = line.get("recovery_words") or []
        self._recovery = re.compile(r"(?i)\b(" + "|".join(re.escape(w) for w in rec) + r")\b") if rec else None
        self._cache: dict[str, LineLabel] = {}

    def line(self, st: LogStatement) -> LineLabel:
        hit = self._cache.get(st.id)
        if hit is not None:
            return hit
        r = self.rules["line"]
        reasons: list[str] = []
        state = "normal"
        if st.level in r.get("levels", ()):
            state = "anomalous"
            reasons.append(f"{st.level} line")
        if r.get("throwable") and st.throwable:
            reasons.append(f"logs a Throwable ({st.throwable})")
        if r.get("catch_block") and st.in_catch:
            reasons.append(f"in a catch of {st.in_catch}")
        if self._kw is not None and st.level in r.get("keyword_levels", ()):
            m = self._kw.search(st.template.replace("<*>", " "))
            if m:
                reasons.append(f"failure keyword '{m.group(1).lower()}'")
        if state == "normal" and reasons:
            state = "suspicious"
        out = self._cache[st.id] = LineLabel(state, reasons)
        return out

    def objection(self, st: LogStatement) -> str | None:
        """Why a line cannot stand for valid behaviour no real label covered, or None: a level of WARN or
        above, a catch block, a Throwable, or a failure or negation word (`novel_words`) at any level (stricter
        than `line`, which lets an INFO line say "exception": a real label may have covered that one, a new line
        has only the code)."""
        if level_rank(st.level) >= level_rank("WARN"):
            return f"{st.level} line"
        lab = self.line(st)
        if lab.state != "normal":
            return ", ".join(lab.reasons)
        m = self._new.search(st.template.replace("<*>", " ")) if self._new is not None else None
        return f"failure keyword '{m.group(1).lower()}'" if m else None

    def recovery_branch(self, text: str, polarity: bool) -> str | None:
        """The flag a branch finds set, when the flag is named for recovery (`!isRecovery` taken false,
        `retrying` taken true), or None. Only a plain flag, field or no-argument call counts: a compound
        condition does not say which of its parts held."""
        t = text.strip()
        while t.startswith("(") and t.endswith(")"):
            t = t[1:-1].strip()
        negated = t.startswith("!")
        atom = t[1:].strip() if negated else t
        if not _FLAG.match(atom) or polarity == negated or self._recovery is None:
            return None
        name = atom.rstrip("()").rpartition(".")[2]
        return atom if self._recovery.search(_words(name)) else None

    def name_objection(self, entry: str) -> str | None:
        """Why an entry's method name says it handles a failure (`reportBadBlocks`, `handleError`), or None:
        what only such an entry prints is a response to something that went wrong."""
        method = entry.rpartition("#")[2].partition("(")[0] or entry
        m = self._new.search(_words(method)) if self._new is not None else None
        return f"entry {method} names a failure ('{m.group(1).lower()}')" if m else None

    def session(self, stmts: list[LogStatement], exit_kind: str) -> tuple[int, list[str]]:
        """(label 0/1, reasons) of a session printing `stmts` along a path that ended by `exit_kind`."""
        rules = self.rules["session"]
        reasons: list[str] = []
        labels = [self.line(st) for st in stmts]
        for st, lab in zip(stmts, labels, strict=True):
            if lab.state == "anomalous":
                reasons.append(f"{st.id}: {', '.join(lab.reasons)}")
        if rules.get("uncaught_exception") and exit_kind == "exception":
            reasons.append("the path leaves its entry by an uncaught exception")
        for i, (st, lab) in enumerate(zip(stmts, labels, strict=True)):
            if lab.state != "suspicious":
                continue
            if (
                rules.get("recovery")
                and exit_kind == "normal"
                and st.in_loop
                and any(
                    labels[j].state == "normal"
                    and stmts[j].class_name == st.class_name
                    and stmts[j].method == st.method
                    for j in range(i + 1, len(stmts))
                )
            ):
                continue
            reasons.append(f"{st.id}: {', '.join(lab.reasons)}, not recovered")
        return (1 if reasons else 0), reasons
