"""Raw log lines in the dataset's own header format (the `LogFormat` the real logs were parsed with)."""

from __future__ import annotations

import random
import re
from datetime import datetime

from anomalygen.core.formats import LogFormat
from anomalygen.core.jsonfmt import iso
from anomalygen.core.statements import LogStatement
from anomalygen.synthesis.values import ValueModel

_PLACEHOLDER = re.compile(r"<([^<>]+)>")
_UNESCAPE = re.compile(r"\\(.)")
_DEFAULT_TIME = "%Y-%m-%d %H:%M:%S,%f"


class HeaderRenderer:
    """Fills every header field: time from the session clock, level and line from the statement, the rest
    (component, thread, pid, ...) from what real lines of the same class carried, else a rule."""

    def __init__(self, fmt: LogFormat, model: ValueModel, rng: random.Random):
        self.fmt = fmt
        self.model = model
        self.rng = rng
        spec = fmt.spec
        pieces = _PLACEHOLDER.split(spec)
        literals = pieces[0::2]
        if "\\" in spec:  # logparser-style regex literals: `\[` -> `[`, `\s+` -> one space
            literals = [
                _UNESCAPE.sub(lambda m: " " if m.group(1) == "s" else m.group(1), lit.replace("\\s+", " "))
                for lit in literals
            ]
        self.literals = literals
        self.fields = [p.strip() for p in pieces[1::2]]
        self.time_format = fmt.time_format or _DEFAULT_TIME
        preset = fmt.preset
        self._component_depth = self._learn_component_depth() or (preset.component_depth if preset else None)
        self._finish = preset.finish if preset else None
        self._sticky: dict[tuple, str] = {}
        self._components: dict[str, str] = {}
        self._stamps: dict[int, tuple[str, str]] = {}

    def _learn_component_depth(self) -> int | None:
        """How many trailing segments of the class name the component shows (log4j %c{n} / %C{n})."""
        votes: dict[int, int] = {}
        for cls, fields in self.model.headers.items():
            for comp, n in fields.get("Component", {}).items():
                segs = cls.split(".")
                for d in range(1, len(segs) + 1):
                    if ".".join(segs[-d:]) == comp:
                        votes[d] = votes.get(d, 0) + n
        return max(votes, key=votes.__getitem__) if votes else None

    def component(self, st: LogStatement) -> str:
        """The component real lines of this class showed most, else the class name cut as they cut others."""
        hit = self._components.get(st.class_name)
        if hit is not None:
            return hit
        seen = self.model.headers.get(st.class_name, {}).get("Component")
        segs = st.class_name.split(".")
        if seen:
            comp = max(seen, key=seen.__getitem__)
        elif self._component_depth:
            comp = ".".join(segs[-self._component_depth :])
        else:
            comp = st.class_name
        self._components[st.class_name] = comp
        return comp

    def field(self, name: str, st: LogStatement, session: str) -> str:
        key = (session, st.class_name, name)
        hit = self._sticky.get(key)
        if hit is not None:
            return hit
        self._sticky[key] = v = self._new_field(name, st, session)
        if len(self._sticky) > 100_000:  # sessions are written one after the other: old ones are done
            self._sticky.clear()
            self._sticky[key] = v
        return v

    def _new_field(self, name: str, st: LogStatement, session: str) -> str:
        """One thread/pid per class within a session, as one request is served by one thread."""
        seen = self.model.header_value(st.class_name, name, self.rng)
        if seen is not None:
            return seen
        anyv = self.model.any_header_value(name, self.rng)
        if anyv is not None:
            return anyv
        if name in ("Pid", "Process"):
            return str(self.rng.randint(10, 999))
        if name in ("Node", "Thread"):
            return f"{st.class_name.rsplit('.', 1)[-1]}-{self.rng.randint(1, 9)}"
        return "-"

    def stamp(self, ts: float) -> tuple[str, str]:
        if "%f" not in self.time_format:  # second resolution: one strftime per second
            sec = int(ts)
            hit = self._stamps.get(sec)
            if hit is None:
                if len(self._stamps) > 4096:
                    self._stamps.clear()
                date, _, time = datetime.fromtimestamp(sec).strftime(self.time_format).partition(" ")
                hit = self._stamps[sec] = (date, time)
            return hit
        dt = datetime.fromtimestamp(ts)
        fmt = self.time_format
        text = dt.strftime(fmt.replace("%f", "@@MS@@"))  # log4j's ISO8601 shows milliseconds, not micro
        text = text.replace("@@MS@@", f"{dt.microsecond // 1000:03d}")
        date, _, time = text.partition(" ")
        return date, time

    def line(self, st: LogStatement, content: str, ts: float, session: str) -> str:
        if self.fmt.json is not None:  # JSON lines: the same fields, as one object
            return self.fmt.json.render(
                {
                    "Timestamp": iso(ts),
                    "Level": st.level,
                    "Logger": self.component(st),
                    "Thread": self.field("Thread", st, session),
                    "Line": str(st.line),
                    "Content": content,
                }
            )
        date, time = self.stamp(ts)
        out = [self.literals[0]]
        for i, name in enumerate(self.fields):
            if name == "Content":
                v = content
            elif name == "Date":
                v = date
            elif name == "Time":
                v = time
            elif name in ("Level", "Severity", "Type"):
                v = st.level
            elif name in ("Component", "Class", "Logger"):
                v = self.component(st)
            elif name in ("Id", "Line", "LineNumber"):
                v = str(st.line)
            else:
                v = self.field(name, st, session)
            out.append(v)
            out.append(self.literals[i + 1])
        text = "".join(out)
        return self._finish(text) if self._finish is not None else text
