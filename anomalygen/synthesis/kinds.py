"""What a `<*>` slot holds, from the argument expression, its declared type and the template text around it.

Kinds drive the generators (`values.py`) and session consistency: entity kinds (`block`, `ip_port`, `ip`, `host`,
`session_id`) are bound once per session and reused by every line that mentions them.
"""

from __future__ import annotations

import re

from anomalygen.core.session_spec import HDFS_BLOCK

KINDS = (
    "block",
    "ip_port",
    "ip",
    "host",
    "path",
    "size",
    "count",
    "duration",
    "timestamp",
    "thread",
    "session_id",
    "zxid",
    "id",
    "enum",
    "exception",
    "bool",
    "number",
    "text",
)
ENTITY_KINDS = {"block", "ip_port", "ip", "host", "session_id"}

_VALUE_PATTERNS = [  # kind from observed values (real logs), most specific first
    ("block", re.compile(f"^{HDFS_BLOCK}$")),
    ("ip_port", re.compile(r"^/?\d{1,3}(?:\.\d{1,3}){3}:\d+$")),
    ("ip", re.compile(r"^/?\d{1,3}(?:\.\d{1,3}){3}$")),
    ("session_id", re.compile(r"^0x[0-9a-f]{9,16}$")),
    ("zxid", re.compile(r"^0x[0-9a-f]{1,8}$")),
    ("path", re.compile(r"^/[\w./$-]+$")),
    ("bool", re.compile(r"^(?:true|false)$")),
    ("number", re.compile(r"^-?\d+$")),
]

_RULES: list[tuple[str, re.Pattern[str]]] = [  # kind from the expression and type text, first match wins
    (
        "exception",
        re.compile(
            r"(?i)(stringifyexception|getmessage|getlocalizedmessage|\bex?\b|exception|"
            r"\bthrowable\b|\berr\b|\bt\b$|\bioe\b|\bcause\b)"
        ),
    ),
    ("block", re.compile(r"(?i)\b(blk|block|blocks?id|b)\b|blockid|getblock|block\.|blocks\[")),
    (
        "ip_port",
        re.compile(
            r"(?i)(getname\(\)|socketaddress|remoteaddr|localaddr|inetsocket|addr\b|address|"
            r"dnaddr|targets?\[|mirror|datanode|\bdn\b|dninfo|nodes?\[|node\b)"
        ),
    ),
    ("host", re.compile(r"(?i)(hostname|\bhost\b|machine|server(name)?\b)")),
    ("session_id", re.compile(r"(?i)session_?id|sessionid")),
    ("zxid", re.compile(r"(?i)zxid")),
    ("path", re.compile(r"(?i)(path|\bsrc\b|\bdst\b|file|dir\b|directory|filename|\bname\b)")),
    ("size", re.compile(r"(?i)(size|len\b|length|bytes|numbytes|capacity|remaining|offset)")),
    ("duration", re.compile(r"(?i)(millis|\bms\b|elapsed|duration|timeout|delay|interval|latency|\btime\b)")),
    ("timestamp", re.compile(r"(?i)(timestamp|currenttime|now\b|date\b)")),
    ("thread", re.compile(r"(?i)thread")),
    (
        "count",
        re.compile(
            r"(?i)(count|\bnum|\bn\b|total|replication|replicas?|retries|attempt|\bi\b|index|"
            r"\bcnt\b|size\(\))"
        ),
    ),
    ("enum", re.compile(r"(?i)(state|status|mode|type|role|phase|op\b|cmd|action)")),
    ("id", re.compile(r"(?i)(\bid\b|id\(\)|uuid|myid|\bsid\b|xid|storageid)")),
]
_SIZE_CALL = re.compile(r"(?i)(getnumbytes\(\)|\.length\b|\.size\(\)|getlength\(\)|bytes\w*\(\))\s*$")
_NUMERIC_TYPES = {"int", "long", "short", "byte", "Integer", "Long", "Short", "float", "double", "Float", "Double"}


def kind_from_code(expr: str, typ: str | None, before: str = "") -> str:
    """A kind from the argument expression, its type and the literal text just before the slot."""
    expr_l = expr or ""
    base = (typ or "").rsplit(".", 1)[-1]
    ctx = before[-24:].lower()
    if "blk_" in ctx or ctx.rstrip().endswith("block"):
        return "block"
    if base in ("Block", "BlockInfo"):
        return "block"
    if base in ("DatanodeInfo", "DatanodeDescriptor", "DatanodeID", "InetSocketAddress", "SocketAddress"):
        return "ip_port"
    if base in ("boolean", "Boolean"):
        return "bool"
    if base.endswith(("Exception", "Error", "Throwable")):
        return "exception"
    if _SIZE_CALL.search(expr_l):
        return "size"  # block.getNumBytes(), buf.length: a size, whatever object it belongs to
    if ctx.endswith("0x"):
        return "session_id" if "session" in ctx or "session" in expr_l.lower() else "zxid"
    for kind, rx in _RULES:
        if rx.search(expr_l):
            if (
                kind in ("size", "count", "duration", "timestamp")
                and base
                and base not in _NUMERIC_TYPES
                and base != "String"
            ):
                continue
            return kind
    if base in _NUMERIC_TYPES:
        return "number"
    return "text"


def kind_from_values(values: list[str]) -> str | None:
    """The kind most observed values agree on (at least 80% of them), else None."""
    if not values:
        return None
    for kind, rx in _VALUE_PATTERNS:
        hits = sum(1 for v in values if rx.match(v))
        if hits >= 0.8 * len(values):
            return kind
    return None


def slot_contexts(template: str) -> list[str]:
    """For each `<*>`, the literal text before it."""
    parts = template.split("<*>")
    return parts[:-1]
