"""Labelled session datasets (real and synthetic): the loaders of the one `Session` record (`core/sessions.py`,
re-exported here with `DataFormatError` and `parse_label`), and the short names of the shared data sets.

Formats accepted:
- sessions JSONL: one object a line with `events` (event keys, e.g. source statement ids) and/or `templates`,
  a `label` (0/1 or "Normal"/"Anomaly"), an id (`session_id` or `block_id`), optional `split` and `reason`.
  This is both the synthesis stage's output (`DIR/sessions.jsonl`) and the shared `HDFS_100k.sessions.jsonl`.
- loghub structured CSV (`EventId`, `EventTemplate`, a session column or HDFS block ids in `Content`)
  plus a label CSV (`BlockId,Label` with Normal/Anomaly or 0/1).
- DeepLog/LogRobust HDFS event-number files (`hdfs_train`, `hdfs_test_abnormal`, `robust_log_*.csv`).
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from anomalygen.core.session_spec import HDFS_BLOCK_RE
from anomalygen.core.sessions import DataFormatError, Session, parse_label
from anomalygen.jsonl import Skipped, note_or_raise, read_jsonl, require_some

# short names for the shared data sets, which `evaluate` and `generate --real-sessions` accept and the command line
# names in its help
ALIASES = {"hdfs_100k": "hdfs/HDFS_100k.sessions.jsonl", "hdfs_deeplog": "hdfs/deeplog"}


def load_sessions_jsonl(path: str | Path, source: str = "real", skipped: Skipped | None = None) -> list[Session]:
    """Read a sessions JSONL file; a malformed line raises `DataFormatError` naming file and line, or with
    `skipped` is counted there and left out."""
    path = Path(path)
    sessions: list[Session] = []
    for lineno, obj in read_jsonl(path, DataFormatError, skipped):
        try:
            sessions.append(_session(obj, path, lineno, source))
        except DataFormatError as err:
            note_or_raise(skipped, err)
    require_some(len(sessions), skipped, path, DataFormatError)
    return sessions


def _session(obj: dict, path: Path, lineno: int, source: str) -> Session:
    return Session.from_dict(obj, f"{path}:{lineno}", source, lineno, f"{path.stem}:{lineno}", labelled=True)


CONFLICTS = ("error", "first", "last")  # what a session id labelled twice, differently, gets


class LabelTable:
    """Labels as rows come: the same id twice with different labels is an error naming both lines, or with
    `conflict` first/last, the first or the last row's label (an exported table with duplicates)."""

    def __init__(self, path: Path, conflict: str = "error"):
        if conflict not in CONFLICTS:
            raise DataFormatError(f"--labels-conflict {conflict!r}: choose from {', '.join(CONFLICTS)}")
        self.path, self.conflict = path, conflict
        self.labels: dict[str, int] = {}
        self.line: dict[str, int] = {}  # where each id's label came from

    def add(self, sid: str, label: int, lineno: int) -> None:
        old = self.labels.get(sid)
        if old is not None and old != label:
            if self.conflict == "error":
                raise DataFormatError(
                    f"{self.path}:{lineno}: {sid!r} labelled {label} here and {old} at line {self.line[sid]}; "
                    "pass --labels-conflict first|last to keep one"
                )
            if self.conflict == "first":
                return
        if old is None or old != label:
            self.line[sid] = lineno
        self.labels[sid] = label


def load_label_csv(path: str | Path, skipped: Skipped | None = None, conflict: str = "error") -> dict[str, int]:
    """`BlockId,Label` rows; a bad row raises, or with `skipped` is counted there and left out."""
    path = Path(path)
    table = LabelTable(path, conflict)
    labels = table.labels
    # surrogateescape: a non-UTF-8 byte costs its row, not the file; utf-8-sig: a BOM is not part of the header
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as fh:
        reader = csv.DictReader(fh)
        try:
            names = reader.fieldnames
        except csv.Error as err:
            raise DataFormatError(f"{path}:1: not a CSV header ({err})") from None
        if not names or "Label" not in names or not _utf8(",".join(names)):
            raise DataFormatError(f"{path}:1: expected a header with 'Label' (and 'BlockId')")
        id_col = "BlockId" if "BlockId" in names else names[0]
        lineno = 1
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as err:
                note_or_raise(skipped, DataFormatError(f"{path}:{reader.line_num}: not a CSV row ({err})"))
                continue
            lineno = reader.line_num
            try:
                sid, label = row.get(id_col), row.get("Label")
                if sid is None or label is None or not _utf8(sid + label):
                    raise DataFormatError(f"{path}:{lineno}: expected {id_col},Label as UTF-8 text")
                value = parse_label(label, f"{path}:{lineno}")
            except DataFormatError as err:
                note_or_raise(skipped, err)
                continue
            table.add(sid, value, lineno)
    require_some(len(labels), skipped, path, DataFormatError)
    return labels


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def load_loghub_structured(
    structured_csv: str | Path, label_csv: str | Path, session_column: str | None = None, source: str = "real"
) -> list[Session]:
    """Group a loghub `*_structured.csv` into sessions by `session_column` (or HDFS block ids in `Content`).

    Event keys are `EventId`s; templates come along. Sessions without a label are skipped (they cannot be scored).
    """
    structured_csv = Path(structured_csv)
    labels = load_label_csv(label_csv)
    groups: dict[str, Session] = {}
    with structured_csv.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        cols = reader.fieldnames or []
        for need in ("EventId", "EventTemplate"):
            if need not in cols:
                raise DataFormatError(f"{structured_csv}:1: missing column {need!r}")
        col = session_column or ("BlockId" if "BlockId" in cols else None)
        if col is None and "Content" not in cols:
            raise DataFormatError(f"{structured_csv}:1: no session column and no 'Content' to find block ids in")
        for lineno, row in enumerate(reader, 2):
            ids = [row[col]] if col else sorted(set(HDFS_BLOCK_RE.findall(row["Content"])))
            for sid in ids:
                s = groups.get(sid)
                if s is None:
                    s = groups[sid] = Session(sid, -1, [], [], order=lineno, source=source, has_event_ids=True)
                s.events.append(row["EventId"])
                s.templates.append(row["EventTemplate"])  # type: ignore[union-attr]  # made with a list just above
    out = []
    for sid, s in groups.items():
        if sid in labels:
            s.label = labels[sid]
            out.append(s)
    if not out:
        raise DataFormatError(f"{structured_csv}: no session id matches a label in {label_csv}")
    return out


def load_hdfs_templates(path: str | Path) -> dict[str, str]:
    with Path(path).open(encoding="utf-8", newline="") as fh:
        return {row["EventId"]: row["EventTemplate"] for row in csv.DictReader(fh)}


def _number_line(line: str, where: str) -> list[str]:
    try:
        return [f"E{int(tok)}" for tok in line.split()]
    except ValueError:
        raise DataFormatError(f"{where}: expected space-separated event numbers") from None


def load_hdfs_deeplog(directory: str | Path, templates_csv: str | Path | None = None) -> list[Session]:
    """Full-HDFS event sequences: `hdfs_train` (normal), `hdfs_test_abnormal` and the LogRobust CSVs.

    Event number N is keyed `EN`, loghub's id in `HDFS_templates.csv` (read from the parent folder by default).
    Sessions are kept in file order (train file first); there are no timestamps, so `order` is that position.
    """
    directory = Path(directory)
    templates_csv = Path(templates_csv) if templates_csv else directory.parent / "HDFS_templates.csv"
    tmap = load_hdfs_templates(templates_csv) if templates_csv.exists() else {}
    sessions: list[Session] = []

    def add(events: list[str], label: int, sid: str) -> None:
        tpl = [tmap.get(e, e) for e in events] if tmap else None
        sessions.append(Session(sid, label, events, tpl, order=len(sessions), has_event_ids=True))

    for name, label in (("hdfs_train", 0), ("hdfs_test_abnormal", 1)):
        p = directory / name
        if p.exists():
            with p.open(encoding="utf-8") as fh:
                for lineno, line in enumerate(fh, 1):
                    add(_number_line(line, f"{p}:{lineno}"), label, f"{name}:{lineno}")
    for name in ("robust_log_train.csv", "robust_log_valid.csv"):
        p = directory / name
        if p.exists():
            with p.open(encoding="utf-8", newline="") as fh:
                for lineno, row in enumerate(csv.DictReader(fh), 2):
                    where = f"{p}:{lineno}"
                    add(_number_line(row["Sequence"], where), parse_label(row["label"], where), f"{name}:{lineno}")
    if not sessions:
        raise DataFormatError(f"{directory}: none of hdfs_train, hdfs_test_abnormal, robust_log_*.csv found")
    return sessions


def load_augment_dir(path: str | Path, skipped: Skipped | None = None) -> list[Session]:
    """Synthetic sessions: `DIR/sessions.jsonl`, or a loghub structured CSV + `anomaly_label.csv` in DIR."""
    path = Path(path)
    if path.is_file():
        return load_sessions_jsonl(path, source="synthetic", skipped=skipped)
    jsonl = path / "sessions.jsonl"
    if jsonl.exists():
        return load_sessions_jsonl(jsonl, source="synthetic", skipped=skipped)
    structured = sorted(path.glob("*structured*.csv")) or sorted(path.glob("*parsed*.csv"))
    labels = [p for p in (path / "anomaly_label.csv", *sorted(path.glob("*label*.csv"))) if p.exists()]
    if structured and labels:
        return load_loghub_structured(structured[0], labels[0], source="synthetic")
    raise DataFormatError(
        f"{path}: expected sessions.jsonl, or a loghub structured CSV and anomaly_label.csv, in this directory"
    )


def load_dataset(spec: str | Path, skipped: Skipped | None = None) -> list[Session]:
    """A dataset by path: a sessions JSONL file, a DeepLog HDFS folder, or a folder with a loghub structured CSV."""
    p = Path(spec)
    if p.is_file() and p.suffix in {".jsonl", ".json"}:
        return load_sessions_jsonl(p, skipped=skipped)
    if p.is_dir():
        if (p / "hdfs_train").exists() or (p / "robust_log_train.csv").exists():
            return load_hdfs_deeplog(p)
        if (p / "deeplog").is_dir():
            return load_hdfs_deeplog(p / "deeplog")
        return _real(load_augment_dir(p))
    raise DataFormatError(f"{spec}: not a sessions .jsonl file or a dataset folder")


def _real(sessions: list[Session]) -> list[Session]:
    for s in sessions:
        s.source = "real"
    return sessions


def shared_data_dir() -> Path:
    env = os.environ.get("ANOMALYGEN_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2].parent / "shared" / "data"


def resolve_dataset(spec: str | Path) -> Path:
    if str(spec) in ALIASES:
        return shared_data_dir() / ALIASES[str(spec)]
    return Path(spec)
