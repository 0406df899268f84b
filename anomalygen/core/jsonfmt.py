"""JSON-lines logs (`--format json`): one JSON object a line, as Java services write them with log4j2's
JsonTemplateLayout (its ECS template) or EcsLayout, log4j2's JsonLayout, or logstash-logback-encoder.

A line becomes the same header fields a text format yields (`Timestamp`, `Level`, `Logger`, `Thread`, `Line`,
`Content`), so everything downstream (statement matching on the message, the level and logger that break ties,
sessions keyed by `field:Thread`, time windows) works unchanged. Each field is read from the first of its
candidate keys that the object has; a key is a flat name (ECS writes `"log.level"` literally) or, failing that,
a dotted path into nested objects (JsonLayout's `"source": {"line": 12}`). The defaults cover the three layouts;
`json:message=msg,thread=tid|thread_name` overrides them (`|` separates candidates). A line that is not a JSON
object, or has no message, is rejected and counted (`bad_json`) like a text line that does not fit its header.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

FIELDS = ("Timestamp", "Level", "Logger", "Thread", "Line", "Content")
# option name in the format string -> the header field it fills
OPTIONS = {
    "time": "Timestamp",
    "level": "Level",
    "logger": "Logger",
    "thread": "Thread",
    "line": "Line",
    "message": "Content",
}
DEFAULT_KEYS: dict[str, tuple[str, ...]] = {
    # JsonTemplateLayout (EcsLayout.json) / EcsLayout, logstash-logback-encoder, JsonLayout (instant / timeMillis)
    "time": ("@timestamp", "timestamp", "instant", "timeMillis", "time"),
    "level": ("log.level", "level", "severity"),
    "logger": ("log.logger", "logger_name", "loggerName", "logger"),
    "thread": ("process.thread.name", "thread_name", "thread", "threadName"),
    "line": ("log.origin.file.line", "caller_line_number", "source.line"),
    "message": ("message", "msg"),
}
MISMATCH = "bad_json"


class JsonSpecError(ValueError):
    pass


def is_json_spec(spec: str) -> bool:
    s = spec.strip().lower()
    return s == "json" or s.startswith("json:")


def parse_keys(spec: str) -> dict[str, tuple[str, ...]]:
    """The candidate keys of each field from `json` or `json:opt=key|key,...`."""
    keys = dict(DEFAULT_KEYS)
    _, _, rest = spec.strip().partition(":")
    for item in filter(None, (x.strip() for x in rest.split(","))):
        name, eq, value = item.partition("=")
        name = name.strip().lower()
        cands = tuple(filter(None, (v.strip() for v in value.split("|"))))
        if not eq or name not in OPTIONS or not cands:
            raise JsonSpecError(
                f"format {spec!r}: {item!r} is not OPTION=KEY with OPTION one of "
                f"{', '.join(OPTIONS)} (e.g. json:message=msg,thread=thread_name)"
            )
        keys[name] = cands
    return keys


def _get(rec: dict, key: str) -> Any:
    if key in rec:
        return rec[key]
    node: Any = rec
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    return json.dumps(v, ensure_ascii=False, sort_keys=True)


def _time_text(v: Any) -> str:
    """ISO-8601 as written; JsonLayout's {"epochSecond", "nanoOfSecond"} and epoch milliseconds made ISO (UTC)."""
    if isinstance(v, dict) and "epochSecond" in v:
        try:
            ts = float(v["epochSecond"]) + float(v.get("nanoOfSecond", 0)) / 1e9
        except (TypeError, ValueError):
            return _text(v)
        return iso(ts)
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return iso(v / 1000.0 if v > 1e11 else float(v))
    return _text(v)


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def timestamp(text: str) -> float | None:
    """Seconds since the epoch of a Timestamp field (ISO-8601, or epoch seconds)."""
    t = text.strip()
    if not t:
        return None
    try:
        return datetime.fromisoformat(t).timestamp()
    except ValueError:
        pass
    try:
        return float(t)
    except ValueError:
        return None


class JsonLines:
    """`split(line)`: the header fields (`FIELDS` order) of one JSON-lines record, or None."""

    def __init__(self, keys: dict[str, tuple[str, ...]]):
        self.keys = keys
        self._order = [keys[name] for name in OPTIONS]  # OPTIONS is in FIELDS order

    def split(self, line: str) -> tuple[str, ...] | None:
        s = line.strip()
        if not s.startswith("{"):
            return None
        try:
            rec = json.loads(s)
        except ValueError:
            return None
        if not isinstance(rec, dict):
            return None
        out = []
        for _i, cands in enumerate(self._order):
            v = None
            for k in cands:
                v = _get(rec, k)
                if v is not None:
                    break
            out.append(v)
        if out[-1] is None:
            return None  # no message: nothing to match
        return (_time_text(out[0]), *map(_text, out[1:]))

    def render(self, values: dict[str, str]) -> str:
        """One line from header field values (the synthetic logs' lines), under each field's first key."""
        rec = {}
        for name, field in OPTIONS.items():
            v = values.get(field)
            if v is not None and v != "":
                rec[self.keys[name][0]] = int(v) if field == "Line" and v.isdigit() else v
        return json.dumps(rec, ensure_ascii=False)
