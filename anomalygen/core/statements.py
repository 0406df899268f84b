"""The statement model: what the source stage finds (a logging call, its template and slots) and every later stage
reads back (parse, synthesis, deploy). JSON-friendly; tree-sitter nodes stay out of it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class LogArg:
    expr: str
    type: str | None
    role: str  # "message" | "param" | "throwable" | "level" | "marker"


@dataclass
class Slot:
    """One `<*>` of a template: the runtime expression that fills it."""

    expr: str
    type: str | None


@dataclass
class LogStatement:
    id: str
    file: str
    line: int
    class_name: str
    method: str  # signature, e.g. "write(long,byte[])"
    level: str  # one of core.levels.LEVELS
    call: str  # the logging method as written: info, warn, log, severe, ...
    api: str  # slf4j | log4j | log4j2 | commons | jul | unknown
    logger: str  # receiver expression, e.g. "LOG", "NameNode.stateChangeLog"
    logger_name: str | None  # what getLogger/getLog was given: a category string or a class name
    recognised_by: str  # "type" | "initializer" | "name"
    template: str
    regex: str
    args: list[LogArg] = field(default_factory=list)
    slots: list[Slot] = field(default_factory=list)
    throwable: str | None = None
    guard: str | None = None
    in_catch: str | None = None  # the caught type when the statement sits in a catch block
    in_loop: bool = False
    ordinal: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LogStatement:
        d = dict(d)
        d["args"] = [LogArg(**a) for a in d.get("args", [])]
        d["slots"] = [Slot(**s) for s in d.get("slots", [])]
        return cls(**d)
