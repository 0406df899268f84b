"""The settings of `train` and `detect`, each declared once: a request field with its type, default and help, which
the command line (`deploy/cli.py`) makes an option of (`anomalygen/options.py`) and the Python API takes as is.
Apart from `trainer.py` and `detector.py` so that the command line reads them without loading torch."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from anomalygen.options import LABELS_CONFLICT_HELP, format_setting, setting

if TYPE_CHECKING:
    from anomalygen.deploy.metrics import Monitor
    from anomalygen.source.api import SourceTree


@dataclass
class TrainRequest:
    model: str = field(default="DeepLog", metadata=setting("detector to train (any of the 14)", "-m"))
    source: Path | None = field(  # None: the embedded example service (with its logs and labels)
        default=None, metadata=setting("Java source tree (default: the example)", "-s")
    )
    logs: list[Path] = field(
        default_factory=list, metadata=setting("raw log file, repeatable (default: the example's)", "-l")
    )
    labels: Path | None = field(
        default=None,
        metadata=setting(
            "session labels: anomaly_label.csv or a labelled sessions JSONL (without them every real session counts "
            "as normal)"
        ),
    )
    format: str | None = field(default=None, metadata=format_setting("zookeeper for the example, else hdfs"))
    sessions_by: str = field(default="id", metadata=setting("id | regex:PATTERN | field:NAME | window:count:N"))
    augment: Path | None = field(  # a `generate` output folder
        default=None, metadata=setting("synthetic sessions from `anomalygen generate`")
    )
    synthesize: int = field(default=0, metadata=setting("or generate this many synthetic sessions now"))
    out: Path = field(default=Path("anomalygen_model"), metadata=setting("model folder to write", "-o"))
    params: dict = field(default_factory=dict)  # detector parameters, e.g. {"epochs": 5}: `--param`, `--epochs`
    val_fraction: float = field(
        default=0.2, metadata=setting("share of real sessions that choose the threshold (stratified)")
    )
    idle_lines: int = field(  # recorded in the manifest
        default=100_000,
        metadata=setting("detect's default: a session closes after this many lines without one of its events"),
    )
    holdout: float = field(
        default=0.0,
        metadata=setting(
            "keep the last share of real sessions (log order) out of training and validation; their keys go to the "
            "manifest, to test on"
        ),
    )
    seed: int = field(default=0, metadata=setting("seed of every random choice"))
    labels_conflict: str = field(default="error", metadata=setting(LABELS_CONFLICT_HELP))
    force: bool = field(
        default=False,
        metadata=setting(
            "write into an --out folder that holds something else than a model (its other files stay); a model "
            "folder is always replaced whole"
        ),
    )
    tree: SourceTree | None = None  # the source already read (as `run` passes it), instead of reading `source`


@dataclass
class DetectRequest:
    model: Path = field(metadata=setting("model folder written by `anomalygen train`", argument=True))
    logs: list = field(  # paths; "-" is stdin
        default_factory=list,
        metadata=setting(
            "log files (plain or .gz) in order, or - for stdin", argument=True, required=True, type=list[str]
        ),
    )
    follow: bool = field(  # like `tail -F`
        default=False, metadata=setting("follow the last file as it grows, across rotation", "-F")
    )
    format: str | None = field(default=None, metadata=format_setting("the model's"))
    sessions_by: str | None = field(default=None, metadata=setting("session rule (default: the model's)"))
    json_out: Path | None = field(  # written as they happen
        default=None, metadata=setting("write each alarm as a JSON line here", flag="--json")
    )
    labels: Path | None = field(
        default=None,
        metadata=setting(
            "session labels: the summary then counts true and false alarms (separately on the sessions training "
            "held out)"
        ),
    )
    source: Path | None = field(  # the model's inventory is compared with this tree's
        default=None, metadata=setting("check the model against this source tree")
    )
    allow_other_source: bool = field(
        default=False,
        metadata=setting("use a model trained on another inventory (lines are parsed against --source's)"),
    )
    idle_lines: int | None = field(
        default=None,
        metadata=setting("close a session after this many lines without one of its events (default: the model's)"),
    )
    idle_seconds: float | None = field(  # wall time, so only while following a file
        default=30.0, metadata=setting("with --follow: also after this many seconds")
    )
    max_open: int = field(
        default=100_000,
        metadata=setting("open sessions kept; beyond, the least recent is scored early (counted as evicted)"),
    )
    exit_idle: float | None = field(
        default=None, metadata=setting("with --follow: stop after this many seconds without a new line")
    )
    jobs: int = field(  # stdin and --follow: one
        default=0,
        metadata=setting(
            "processes that parse big plain files (0: the machine's cores); sessions and scores are the same for any "
            "number",
            "-j",
        ),
    )
    labels_conflict: str = field(default="error", metadata=setting(LABELS_CONFLICT_HELP))
    poll: float = 0.2
    batch: int = 64
    threads: int = 1  # torch threads while streaming: small batches run fastest on one, and leave cores free
    monitor: Monitor | None = None  # reads the stream's counters, times the scoring
