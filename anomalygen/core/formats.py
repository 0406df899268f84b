"""Log header formats: logparser-style format strings, compiled to a regex and (when possible) a fast splitter.

A format is written as in logparser/loghub: `<Field>` placeholders between literal text, e.g.
`<Date> <Time> <Pid> <Level> <Component>: <Content>`. Runs of spaces match any run of whitespace and every field
is `.*?`. When the format contains a backslash, the literal text is a regex fragment as in logparser (loghub's
formats write `\\[` for a bracket); without one it is plain text, so `[<Thread>]` means brackets. The field named
`Content` is the log message.

`json` (JSON lines, one object a line) is handled by `jsonfmt.py` behind the same interface (`split`, the
field indices, `timestamp`).

The regex is the reference semantics. For the common case (literal pieces made of plain characters and
whitespace runs) a second regex without backtracking gives the same fields about three times faster; it takes
the first choices the reference regex would and hands the line to the reference whenever those do not work out.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from anomalygen.core.errors import InputError
from anomalygen.core.jsonfmt import FIELDS, MISMATCH, JsonLines, JsonSpecError, is_json_spec, parse_keys
from anomalygen.core.jsonfmt import timestamp as json_timestamp

_PLACEHOLDER = re.compile(r"<([^<>]+)>")
_META = set(".^$*+?{}[]|()\\")


_LEVEL_BEFORE_BRACKET = re.compile(r" - ([A-Z]+) +\[")


def _pad_level(line: str) -> str:
    """log4j's `%-5p`: the level padded to five, then one space (ZooKeeper's ` - INFO  [`). A module-level
    function, so that a format travels to worker processes."""
    return _LEVEL_BEFORE_BRACKET.sub(lambda m: f" - {m.group(1):<5} [", line, count=1)


@dataclass(frozen=True)
class Preset:
    """A log format known by name: how its header is read and how synthetic lines are written in it."""

    name: str
    header: str  # logparser-style format string (see the module's docstring)
    time_format: str  # strptime/strftime format of `Date + " " + Time`
    component_depth: int | None = None  # trailing class-name segments a component shows (log4j %C{n}), when no
    # real line of the class or of its neighbours says
    finish: Callable[[str], str] | None = None  # what the logger's pattern does to a rendered line beyond its fields


# The one table of named formats: add a row here and `--format NAME` parses, windows by time, renders synthetic
# lines and is named in every command's help.
PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset("hdfs", "<Date> <Time> <Pid> <Level> <Component>: <Content>", "%y%m%d %H%M%S"),
        Preset(
            "zookeeper",
            r"<Date> <Time> - <Level>  \[<Node>:<Component>@<Id>\] - <Content>",
            "%Y-%m-%d %H:%M:%S,%f",
            component_depth=1,
            finish=_pad_level,
        ),
        Preset("hadoop", r"<Date> <Time> <Level> \[<Process>\] <Component>: <Content>", "%Y-%m-%d %H:%M:%S,%f"),
        Preset("spark", "<Date> <Time> <Level> <Component>: <Content>", "%y/%m/%d %H:%M:%S"),
    )
}


def help_text() -> str:
    """What `--format` takes, for every command's help."""
    return (
        f"header format: a preset ({', '.join(PRESETS)}), json (JSON lines: log4j2 JsonLayout / JsonTemplateLayout, "
        "ECS, logstash-logback-encoder; keys overridable as json:message=msg,thread=tid) or a logparser-style "
        "string such as '<Date> <Time> <Pid> <Level> <Component>: <Content>'"
    )


_GUESS_TIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S,%f",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M:%S",
    "%y%m%d %H%M%S",
    "%y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
)


class FormatError(InputError):
    """A header format string that cannot be used."""


# one element of a literal separator: a plain string, or None for a run of whitespace (`\s+`)
_Sep = tuple  # tuple[str | None, ...]


def _split_literal(fragment: str) -> _Sep | None:
    """A literal regex fragment as plain text and whitespace runs; None when it uses real regex syntax."""
    out: list[str | None] = []
    buf: list[str] = []
    i = 0
    while i < len(fragment):
        c = fragment[i]
        if c == " ":
            while i < len(fragment) and fragment[i] == " ":
                i += 1
            if buf:
                out.append("".join(buf))
                buf = []
            if out and out[-1] is None:
                return None
            out.append(None)
            continue
        if c == "\\":
            nxt = fragment[i + 1 : i + 2]
            if not nxt or nxt.isalnum():
                return None  # \s, \d, \1 ...: a real regex
            buf.append(nxt)
            i += 2
            continue
        if c in _META or c.isspace():
            return None
        buf.append(c)
        i += 1
    if buf:
        out.append("".join(buf))
    return tuple(out)


@dataclass
class LogFormat:
    spec: str
    name: str | None = None  # the preset name, when one was used
    fields: tuple[str, ...] = ()
    regex: re.Pattern[str] = field(default=None, repr=False)  # type: ignore[arg-type]  # LogFormat.parse compiles it
    content_index: int = -1
    level_index: int = -1
    component_index: int = -1
    line_index: int = -1  # a field that holds the source line number (ZooKeeper's `@<Id>`, log4j %L)
    time_format: str | None = None
    _fast: re.Pattern[str] | None = field(default=None, repr=False)
    json: JsonLines | None = field(default=None, repr=False)  # JSON lines: decoded, not matched by a regex
    mismatch_kind: str = "header_mismatch"  # how a line that does not fit is counted
    preset: Preset | None = field(default=None, repr=False)  # the named format this one is, if any

    @classmethod
    def parse(cls, spec: str, time_format: str | None = None) -> LogFormat:
        """A preset name (hdfs, zookeeper, hadoop, spark), `json[:option=key,...]` (JSON lines,
        `core/jsonfmt.py`) or a logparser-style format string."""
        name = None
        key = spec.strip().lower()
        if is_json_spec(spec):
            try:
                lines = JsonLines(parse_keys(spec))
            except JsonSpecError as e:
                raise FormatError(str(e)) from None
            fmt = cls(
                spec=spec.strip(),
                name="json",
                fields=FIELDS,
                regex=re.compile(r"(?!)"),
                json=lines,
                mismatch_kind=MISMATCH,
            )
            fmt.content_index = FIELDS.index("Content")
            fmt.level_index, fmt.component_index = FIELDS.index("Level"), FIELDS.index("Logger")
            fmt.line_index = FIELDS.index("Line")
            return fmt
        preset = PRESETS.get(key)
        if preset is not None:
            name, spec = key, preset.header
            time_format = time_format or preset.time_format
        pieces = _PLACEHOLDER.split(spec)  # literal, field, literal, field, ..., literal
        fields = tuple(p.strip() for p in pieces[1::2])
        literals = pieces[0::2]
        if not fields:
            if "<" not in spec:  # a word: most likely a misspelt preset
                raise FormatError(
                    f"unknown log format {spec!r}: give a preset ({', '.join(PRESETS)}) or a format "
                    "string with <Field> placeholders such as '<Date> <Time> <Level> <Content>'"
                )
            raise FormatError(f"format {spec!r} has no <Field> placeholders")
        if len(set(fields)) != len(fields):
            raise FormatError(f"format {spec!r} repeats a field name")
        if "Content" not in fields:
            raise FormatError(f"format {spec!r} has no <Content> field (the log message)")
        if "\\" not in spec:
            literals = [_escape_plain(lit) for lit in literals]
        parts = ["^"]
        for i, lit in enumerate(literals):
            parts.append(re.sub(" +", r"\\s+", lit))
            if i < len(fields):
                parts.append(f"(?P<{_group(fields[i])}>.*?)")
        parts.append("$")
        try:
            regex = re.compile("".join(parts))
        except re.error as err:
            raise FormatError(f"format {spec!r} does not compile: {err}") from None
        fmt = cls(spec=spec, name=name, fields=fields, regex=regex, time_format=time_format, preset=preset)
        fmt.content_index = fields.index("Content")
        fmt.level_index = _find(fields, ("Level", "Severity", "Type"))
        fmt.component_index = _find(fields, ("Component", "Class", "Logger"))
        fmt.line_index = _find(fields, ("Id", "Line", "LineNumber"))
        fmt._fast = _build_fast(literals)
        return fmt

    def line_matchers(self) -> tuple[Callable[[str], re.Match | None], Callable[[str], re.Match | None]]:
        """(first, reference) `match` functions for a line without line breaks, whose groups are its fields: the
        backtracking-free regex (or the reference one) first, the reference regex when the first finds nothing;
        the same object twice when there is no fast regex. What `split` does, for loops that want the match."""
        slow = self.regex.match
        return (self._fast.match if self._fast is not None else slow), slow

    def split(self, line: str) -> tuple[str, ...] | None:
        """The fields of `line` (without its newline), or None when it does not fit the format."""
        if self.json is not None:
            return self.json.split(line)
        fast = self._fast
        if fast is not None and "\n" not in line:
            m = fast.match(line)
            if m is not None:
                return m.groups()
        m = self.regex.match(line)
        return m.groups() if m else None

    def timestamp(self, values: tuple[str, ...]) -> float | None:
        """Seconds since the epoch from Date/Time (or Timestamp) fields; None when absent or unparsable."""
        if self.json is not None:
            return json_timestamp(values[0])
        names = self.fields
        parts = [values[names.index(f)] for f in ("Date", "Time") if f in names]
        if not parts and "Timestamp" in names:
            parts = [values[names.index("Timestamp")]]
        if not parts:
            return None
        text = " ".join(parts)
        fmts = (self.time_format,) if self.time_format else _GUESS_TIME_FORMATS
        for f in fmts:
            try:
                return datetime.strptime(text, f).timestamp()
            except ValueError:
                continue
        if not self.time_format and text.strip().lstrip("-").replace(".", "", 1).isdigit():
            return float(text.strip())
        return None


def _escape_plain(text: str) -> str:
    """Plain literal text as a logparser-style fragment (spaces stay spaces: they become `\\s+`)."""
    return "".join(c if c == " " else re.escape(c) for c in text)


def _group(name: str) -> str:
    g = re.sub(r"\W", "_", name)
    return g if g and not g[0].isdigit() else "_" + g


def _find(fields: tuple[str, ...], names: tuple[str, ...]) -> int:
    for n in names:
        if n in fields:
            return fields.index(n)
    return -1


def _build_fast(literals: list[str]) -> re.Pattern[str] | None:
    """The regex engine's first choices as a regex without backtracking, or None when a literal needs real regex
    syntax.

    Each field stops at the first place its separator can start (`\\S*+` before whitespace, `[^c\\n]*+` before a
    text starting with `c`); a line where that first choice does not complete the separator fails here and goes
    to the reference regex, which searches further. Where this one matches, the reference regex (lazy fields,
    greedy whitespace runs, depth-first) takes exactly these choices first, so both give the same fields.
    """
    seps = []
    for lit in literals:
        sp = _split_literal(lit)
        if sp is None:
            return None
        seps.append(sp)
    if seps[-1]:
        return None  # text after the last field
    out = ["^"]
    for i, sep in enumerate(seps):
        if 0 < i < len(seps) - 1 and not sep:
            return None  # two adjacent fields: the split between them is a search
        if i > 0:
            if i == len(seps) - 1:
                out.append("(.*)")
            elif sep[0] is None:
                out.append(r"(\S*+)")
            else:
                c = sep[0][0]
                if c.isspace():
                    return None
                out.append(f"([^{re.escape(c)}\\n]*+)")
        for el in sep:
            out.append(r"\s++" if el is None else re.escape(el))
    out.append("$")
    try:
        return re.compile("".join(out))
    except re.error:
        return None
