"""The settings of `generate`, in one request dataclass that the command line (`synthesis/cli.py`), `anomalygen
run` and the Python API share; apart from `synthesis/api.py` so that the command line reads them without loading
the stage."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from anomalygen.options import format_setting, setting
from anomalygen.parallel import EXECUTOR_HELP, RAY_ADDRESS_HELP

if TYPE_CHECKING:
    from anomalygen.source.api import SourceTree


@dataclass
class GenerateRequest:
    """Every setting of `generate`, each declared once: a field with its type, default and help, which
    `synthesis/cli.py` makes an option of (`anomalygen/options.py`)."""

    out: Path = field(metadata=setting("output folder", "-o"))
    source: Path | None = field(  # `src` in the help, as the README's synopsis names it
        default=None,
        metadata=setting("Java source tree; default: the embedded example service", argument=True, metavar="src"),
    )
    tree: SourceTree | None = None  # an already read tree instead of `source`
    logs: list[Path] = field(
        default_factory=list,
        metadata=setting(
            "real logs of the same system (repeatable): parameter values, header fields, timing and the statements "
            "already seen",
            "-l",
        ),
    )
    format: str = field(default="hdfs", metadata=format_setting())
    n: int = field(default=1000, metadata=setting("sessions to generate", min=1))
    seed: int = field(default=0, metadata=setting("seed of every random choice"))
    sessions_by: str = field(
        default="auto",
        metadata=setting(
            "how the real lines form sessions (the rule train and run take), so that synthetic sessions group "
            "alike: id (HDFS blk_ ids: one block per session, lines without a block id left out) | regex:PATTERN | "
            "field:NAME | window:count:N | window:time:SECONDS (one session per path: the generator draws block ids "
            "only) | none (one session per path) | auto: id for the hdfs format, else none"
        ),
    )
    min_level: str | None = field(
        default=None, metadata=setting("lowest level printed (default: the lowest in the real logs, else INFO)")
    )
    max_paths: int = field(default=200, metadata=setting("paths per entry: enumerated up to this, sampled beyond"))
    loop_bound: int = field(default=2, metadata=setting("loop unrolling bound", "-k"))
    depth: int = field(default=4, metadata=setting("call depth inlined into a path"))
    entries: list[str] = field(
        default_factory=list, metadata=setting("only entries matching (repeatable)", "-e", flag="--entry")
    )
    rules: Path | None = field(default=None, metadata=setting("label rules YAML (default: the shipped rules)"))
    new_share: float = field(
        default=0.5,
        metadata=setting("share of sessions drawn from paths that print a statement the real logs never showed"),
    )
    anomalous_share: float | None = field(  # the API's None is the command line's negative value
        default=0.1, metadata=setting("share of anomalous sessions to draw (a negative value: as the paths fall)")
    )
    hosts: Path | None = field(
        default=None,
        metadata=setting(
            "real sessions (a sessions JSONL of the logs stage, events = statement ids): each synthetic path is "
            "spliced into one of its normal sessions, so a session reads like a real one plus a path the logs never "
            "showed"
        ),
    )
    host_fraction: float | None = field(
        default=None,
        metadata=setting(
            "use only the first share of --hosts (default 0.8) or --real-sessions (default 1): keep the rest out, "
            "e.g. the chronological test split of an evaluation"
        ),
    )
    real_sessions: str | None = field(
        default=None,
        metadata=setting(
            "real sessions to compose from (anything `evaluate --dataset` accepts: hdfs_deeplog, a sessions JSONL, "
            "...); its normal sessions are the bases, its labels teach anomaly markers. Default: the --logs' own "
            "sessions"
        ),
    )
    session_model: str = field(
        default="on",
        metadata=setting(
            "on: whole sessions composed from real ones and written with session_model.json; off: one path per session"
        ),
    )
    feasibility: bool = field(
        default=True,
        metadata=setting("keep paths without the z3 check (an ablation)", flag="--no-feasibility", negate=True),
    )
    cover: bool = field(
        default=True,
        metadata=setting(
            "sample paths uniformly only, without a path through each statement the sample missed (an ablation)",
            flag="--no-cover",
            negate=True,
        ),
    )
    prior: float = field(
        default=0.0,
        metadata=setting(
            "weight of code paths and entries that print statements the real normal sessions never showed, against "
            "1 for the others (0: composed normal sessions print only statements real normal sessions print)"
        ),
    )
    novel_share: float = field(  # composed normal sessions given statements the bases never showed (novel.py)
        default=0.5,
        metadata=setting(
            "share of composed normal sessions given statements the real normal sessions never showed, which the "
            "code prints for the key on normal lines, placed and counted as the code says (0: off)"
        ),
    )
    llm: str = field(
        default="none",
        metadata=setting(
            "none | openai | local: optional LLM check of paths z3 could only partly read, and value proposals for "
            "statements real logs never showed"
        ),
    )
    llm_max: int = field(default=200, metadata=setting("at most this many LLM path checks and value proposals"))
    jobs: int = field(
        default=0,
        metadata=setting(
            "processes for paths + feasibility, one entry point a task (0: every core of this machine); the output "
            "is the same for any number",
            "-j",
        ),
    )
    executor: str = field(default="process", metadata=setting(EXECUTOR_HELP))
    ray_address: str | None = field(default=None, metadata=setting(RAY_ADDRESS_HELP))
