"""A tree-sitter-free search for logging calls in Java source text (the yardstick of the inventory).

Independent of anomalygen's parser on purpose: comments and literals are blanked by a small lexer, logger
variables are found by regular expressions over the declarations (a logging type or a getLogger/getLog
initializer), and calls `<receiver>.<level method>(` on those names are counted, across line breaks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

LEVEL_METHODS = (
    "trace",
    "debug",
    "info",
    "warn",
    "error",
    "fatal",
    "finest",
    "finer",
    "fine",
    "config",
    "warning",
    "severe",
    "log",
    "logp",
)
_LOGGING_IMPORT = re.compile(
    r"^\s*import\s+(org\.slf4j|org\.apache\.commons\.logging|org\.apache\.log4j|org\.apache\.logging\.log4j"
    r"|java\.util\.logging)\.(\w+|\*)\s*;",
    re.M,
)
_ID = r"[A-Za-z_$][\w$]*"


def blank(src: str) -> str:
    """Comments, string and char literals replaced by spaces (newlines kept, so offsets and lines hold)."""
    out = list(src)
    i, n = 0, len(src)

    def wipe(a: int, b: int) -> None:
        for k in range(a, min(b, n)):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        c = src[i]
        if c == "/" and src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            wipe(i, j)
            i = j
        elif c == "/" and src.startswith("/*", i):
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
            wipe(i, j)
            i = j
        elif c == '"' or c == "'":
            if c == '"' and src.startswith('"""', i):
                j = src.find('"""', i + 3)
                j = n if j < 0 else j + 3
                wipe(i + 1, j - 1)
                i = j
                continue
            j = i + 1
            while j < n and src[j] != c and src[j] != "\n":
                j += 2 if src[j] == "\\" else 1
            wipe(i + 1, j)  # keep the quotes, so `"x".length()` stays an expression
            i = j + 1
        else:
            i += 1
    return "".join(out)


@dataclass(frozen=True)
class TextCall:
    file: str
    line: int
    receiver: str
    method: str


def logger_names(blanked: str, has_logging_import: bool) -> set[str]:
    """Names declared in this file as loggers: by a logging type or a getLogger/getLog initializer."""
    names: set[str] = set()
    if has_logging_import:
        for m in re.finditer(rf"\b(?:Logger|Log|Category)\s+({_ID})\s*[=;,)]", blanked):
            names.add(m.group(1))
    for m in re.finditer(
        rf"\b(?:java\.util\.logging\.|org\.apache\.log4j\.|org\.slf4j\.)Logger\s+({_ID})\s*[=;,)]", blanked
    ):
        names.add(m.group(1))
    for m in re.finditer(rf"\b({_ID})\s*=\s*(?:\([\w.]+\)\s*)?(?:[\w$.]+\.)?(?:getLogger|getLog)\s*\(", blanked):
        names.add(m.group(1))
    return names


def scan(root: Path) -> tuple[list[TextCall], dict[str, set[str]]]:
    """Every `<logger>.<level method>(` call in the tree, and the logger names each file declares."""
    files = sorted(p for p in Path(root).rglob("*.java") if p.is_file())
    texts: dict[str, str] = {}
    declared: dict[str, set[str]] = {}
    for p in files:
        rel = p.relative_to(root).as_posix()
        raw = p.read_bytes().decode("utf-8", "replace")
        b = blank(raw)
        texts[rel] = b
        declared[rel] = logger_names(b, bool(_LOGGING_IMPORT.search(raw)))
    everywhere = set().union(*declared.values()) if declared else set()
    call = re.compile(rf"((?:{_ID}\s*\.\s*)*)({_ID})\s*\.\s*({'|'.join(LEVEL_METHODS)})\s*\(")
    out: list[TextCall] = []
    for rel, b in texts.items():
        for m in call.finditer(b):
            qual, name, meth = m.group(1), m.group(2), m.group(3)
            if name not in everywhere:
                continue
            if not qual and name not in declared[rel] and name not in everywhere:
                continue
            start = m.start(1) if qual else m.start(2)
            line = b.count("\n", 0, start) + 1
            recv = re.sub(r"\s+", "", qual + name)
            out.append(TextCall(rel, line, recv, meth))
    return out, declared
