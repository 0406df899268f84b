"""The one finished-session record every stage hands on, and its JSON row.

A `Session` is what the logs stage cuts from parsed lines, what a testbed window is, what the generator writes,
and what the loaders of `datasets.py` give the detectors. Its row (one line of a sessions JSONL) is, in order:
`session_id`, `label` (0/1, or null when unknown), `split` and `reason` when set, `events`, `templates`, `start`
when known, then the keys of `provenance` (a generated session's: how it was made), then those of `extra` (what a
producer adds: `lines`, a window's `end` and faults, ...). `from_dict` puts every key back where it came from, so
that `Session.from_dict(row).to_dict() == row` for the rows the stages write, key order included.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from anomalygen.core.errors import InputError

# the keys of a generated session's row that say how it was made, in the order the generator writes them: its
# entry and path, where the path ends, the value filled into each line's parameters, the real session it was
# spliced into and where, and a composed session's base and changes (`provenance`)
MADE = ("entry", "path", "exit", "params", "host", "inserted_at", "provenance")
_HEAD = ("session_id", "block_id", "id", "label", "split", "reason", "events", "templates", "start")
_LABELS = {"0": 0, "1": 1, "normal": 0, "anomaly": 1, "anomalous": 1, "abnormal": 1, "success": 0, "fail": 1}


class DataFormatError(InputError):
    """Bad input data; the message names the file and line."""


@dataclass
class Session:
    session_id: str
    label: int | None  # None: unlabelled (the logs stage without labels)
    events: list[str]
    templates: list[str] | None = None
    split: str | None = None
    order: int = 0  # position in the source file: the chronological order where no timestamps exist
    source: str = "real"  # real | synthetic: which side of an evaluation it is on
    reason: str | None = None  # why a generated session is labelled as it is
    extra: dict = field(default_factory=dict)
    # where it begins: `file:line` of its first line when cut from log files, the epoch second its window opens
    # for a testbed window
    start: str | float | None = None
    provenance: dict = field(default_factory=dict)  # a generated session's keys of `MADE`, in that order
    # `events` are event keys (statement or event ids), not the templates repeated for a row that had only
    # `templates`: what tells the evaluation which key field real and synthetic sessions share
    has_event_ids: bool = False

    def to_dict(self) -> dict:
        d: dict = {"session_id": self.session_id, "label": self.label}
        if self.split is not None:
            d["split"] = self.split
        if self.reason is not None:
            d["reason"] = self.reason
        d["events"] = self.events
        if self.templates is not None:
            d["templates"] = self.templates
        if self.start is not None:
            d["start"] = self.start
        d.update(self.provenance)
        d.update(self.extra)
        return d

    @classmethod
    def from_dict(
        cls,
        obj: dict,
        where: str = "",
        source: str = "real",
        order: int = 0,
        default_id: str | None = None,
        labelled: bool = False,
    ) -> Session:
        """A row back into a record; a malformed one raises `DataFormatError` naming `where` (file:line). The id
        may be `session_id`, `block_id` or `id`; a row may have `events`, `templates` or both; with `labelled`, a
        null label is an error rather than an unlabelled session."""
        sid = obj.get("session_id", obj.get("block_id", obj.get("id")))
        sid = default_id if sid is None else sid
        if sid is None:
            raise DataFormatError(f"{where}: missing 'session_id'")
        if "label" not in obj:
            raise DataFormatError(f"{where}: missing 'label'")
        events, templates = obj.get("events"), obj.get("templates")
        if events is None and templates is None:
            raise DataFormatError(f"{where}: needs 'events' or 'templates'")
        for name, seq in (("events", events), ("templates", templates)):
            if seq is not None and (not isinstance(seq, list) or not all(isinstance(e, str) for e in seq)):
                raise DataFormatError(f"{where}: '{name}' must be a list of strings")
        if events is not None and templates is not None and len(events) != len(templates):
            raise DataFormatError(f"{where}: 'events' and 'templates' differ in length")
        label = obj["label"]
        # only the generator writes an entry and parameter values: such a row's `MADE` keys are its provenance (a
        # testbed window's `host` is a server, not a session spliced into)
        made = "entry" in obj or "params" in obj
        return cls(
            session_id=str(sid),
            label=None if label is None and not labelled else parse_label(label, where),
            events=list(events if events is not None else templates or []),
            templates=list(templates) if templates is not None else None,
            split=obj.get("split"),
            order=order,
            source=source,
            reason=obj.get("reason"),
            extra={k: v for k, v in obj.items() if k not in _HEAD and not (made and k in MADE)},
            start=obj.get("start"),
            provenance={k: v for k, v in obj.items() if made and k in MADE},
            has_event_ids=events is not None,
        )


def parse_label(value, where: str) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int) and value in (0, 1):
        return value
    key = str(value).strip().lower()
    if key not in _LABELS:
        # synthesis may write finer labels (explicit/implicit/both): everything not normal is anomalous
        if key in {"explicit", "implicit", "both"}:
            return 1
        raise DataFormatError(f"{where}: label {value!r} is not 0/1 or Normal/Anomaly")
    return _LABELS[key]
