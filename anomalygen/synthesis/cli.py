"""`anomalygen generate`: synthetic labelled log sessions from a Java tree (and, optionally, its real logs)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from anomalygen.options import format_option
from anomalygen.parallel import EXECUTOR_HELP, RAY_ADDRESS_HELP

console = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 160)


def generate(
    src: Path | None = typer.Argument(None, help="Java source tree; default: the embedded example service"),
    out: Path = typer.Option(..., "--out", "-o", help="output folder"),
    logs: list[Path] = typer.Option(
        [],
        "--logs",
        "-l",
        help="real logs of the same system (repeatable): "
        "parameter values, header fields, timing and the statements already seen",
    ),
    fmt: str = format_option("hdfs"),
    n: int = typer.Option(1000, "--n", min=1, help="sessions to generate"),
    seed: int = typer.Option(0, "--seed", help="seed of every random choice"),
    session_key: str = typer.Option(
        "auto",
        "--session-key",
        help="block: one HDFS block per session, lines "
        "without a block id left out; none: one session per path; auto: block "
        "for the hdfs format",
    ),
    min_level: str | None = typer.Option(
        None, "--min-level", help="lowest level printed (default: the lowest in the real logs, else INFO)"
    ),
    max_paths: int = typer.Option(200, "--max-paths", help="paths per entry: enumerated up to this, sampled beyond"),
    loop_bound: int = typer.Option(2, "--loop-bound", "-k", help="loop unrolling bound"),
    depth: int = typer.Option(4, "--depth", help="call depth inlined into a path"),
    entries: list[str] = typer.Option([], "--entry", "-e", help="only entries matching (repeatable)"),
    rules: Path | None = typer.Option(None, "--rules", help="label rules YAML (default: the shipped rules)"),
    new_share: float = typer.Option(
        0.5, "--new-share", help="share of sessions drawn from paths that print a statement the real logs never showed"
    ),
    anomalous_share: float | None = typer.Option(
        0.1, "--anomalous-share", help="share of anomalous sessions to draw (a negative value: as the paths fall)"
    ),
    hosts: Path | None = typer.Option(
        None,
        "--hosts",
        help="real sessions (a sessions JSONL of the logs "
        "stage, events = statement ids): each synthetic path is spliced into one "
        "of its normal sessions, so a session reads like a real one plus a path "
        "the logs never showed",
    ),
    host_fraction: float | None = typer.Option(
        None,
        "--host-fraction",
        help="use only the first share of "
        "--hosts (default 0.8) or --real-sessions (default 1): keep the "
        "rest out, e.g. the chronological test split of an evaluation",
    ),
    real_sessions: str | None = typer.Option(
        None,
        "--real-sessions",
        help="real sessions to compose from "
        "(anything `evaluate --dataset` accepts: hdfs_deeplog, a sessions "
        "JSONL, ...); its normal sessions are the bases, its labels teach "
        "anomaly markers. Default: the --logs' own sessions",
    ),
    session_model: str = typer.Option(
        "on",
        "--session-model",
        help="on: whole sessions composed from real "
        "ones and written with session_model.json; off: one path per session",
    ),
    no_feasibility: bool = typer.Option(
        False, "--no-feasibility", help="keep paths without the z3 check (an ablation)"
    ),
    prior: float = typer.Option(
        0.0,
        "--prior",
        help="weight of code paths and entries that print statements "
        "the real normal sessions never showed, against 1 for the others (0: composed "
        "normal sessions print only statements real normal sessions print)",
    ),
    novel_share: float = typer.Option(
        0.5,
        "--novel-share",
        help="share of composed normal sessions given "
        "statements the real normal sessions never showed, which the code prints "
        "for the key on normal lines, placed and counted as the code says (0: off)",
    ),
    llm: str = typer.Option(
        "none",
        "--llm",
        help="none | openai | local: optional LLM check of paths z3 could "
        "only partly read, and value proposals for statements real logs never showed",
    ),
    llm_max: int = typer.Option(200, "--llm-max", help="at most this many LLM path checks and value proposals"),
    jobs: int = typer.Option(
        0,
        "--jobs",
        "-j",
        help="processes for paths + feasibility, one entry point a task "
        "(0: every core of this machine); the output is the same for any number",
    ),
    executor: str = typer.Option("process", "--executor", help=EXECUTOR_HELP),
    ray_address: str | None = typer.Option(None, "--ray-address", help=RAY_ADDRESS_HELP),
) -> None:
    """Feasible paths -> realistic, consistent, labelled sessions in loghub format (offline by default)."""
    from anomalygen.synthesis.api import GenerateRequest
    from anomalygen.synthesis.api import generate as run

    res = run(
        GenerateRequest(
            out,
            src,
            logs=list(logs),
            format=fmt,
            n=n,
            seed=seed,
            session_key=session_key,
            min_level=min_level,
            max_paths=max_paths,
            loop_bound=loop_bound,
            depth=depth,
            entries=list(entries),
            rules=rules,
            new_share=new_share,
            anomalous_share=anomalous_share,
            hosts=hosts,
            host_fraction=host_fraction,
            real_sessions=real_sessions,
            session_model=session_model,
            feasibility=not no_feasibility,
            prior=prior,
            novel_share=novel_share,
            llm=llm,
            llm_max=llm_max,
            jobs=jobs,
            executor=executor,
            ray_address=ray_address,
        )
    )
    if res.learned:
        console.print(res.learned)
    table = Table(title=f"paths of {res.entries} entries (feasibility by z3)")
    columns = ("paths", "infeasible", "unknown", "kept", "sequences", "new")
    for c in columns:
        table.add_column(c, justify="right")
    table.add_row(*(f"{res.totals[c]:,}" for c in columns))
    console.print(table)
    console.print(res.describe()[-1])
    for w in res.warnings:
        err.print(f"[yellow]warning[/]: {w}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("generate")(generate)
