"""`anomalygen run`: from a source tree and its logs to "how much did synthetic data help my detectors"."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console

from anomalygen.core import layout
from anomalygen.errors import INTERRUPTED, InputError
from anomalygen.run.config import load_config, resolve

err = Console(stderr=True, width=None if sys.stderr.isatty() else 160)

HELP = """Run every stage on a Java source tree and its logs, and write one HTML report.

With no arguments it runs on the embedded example service (its own Java code and logs recorded from it with
injected faults), so a fresh install shows the whole pipeline in about two minutes:

  anomalygen run

On your system: point it at the source that printed the logs, the logs, and (for scores) session labels:

  anomalygen run --source hadoop/src/java/org/apache/hadoop/dfs --logs HDFS.log --labels anomaly_label.csv \\
      --format hdfs --out hdfs_run

Stages: inventory (log statements) -> parse (real logs against them) -> sessions (+ labels) -> coverage ->
generate (paths, z3 feasibility, synthetic labelled sessions) -> evaluate (detectors trained without and with
the synthetic sessions, same splits) -> report.html. A re-run skips every stage whose inputs and settings did not
change (run.json in the output folder records them); --force redoes all. Settings can come from a TOML or YAML
file (--config) whose keys are the long flags (e.g. `max-paths = 500`); flags win over the file.
"""


def run(
    source: Optional[Path] = typer.Option(None, "--source", "-s", help="Java source tree (default: the example)"),
    logs: List[Path] = typer.Option([], "--logs", "-l", help="raw log file, repeatable (default: the example's)"),
    labels: Optional[Path] = typer.Option(None, "--labels", help="session labels: anomaly_label.csv (BlockId,Label) "
                                          "or a labelled sessions JSONL; without them nothing can be scored"),
    fmt: Optional[str] = typer.Option(None, "--format", "-f", help="hdfs | zookeeper | hadoop | spark | a "
                                      "logparser format string (default: zookeeper for the example, else hdfs)"),
    sessions_by: Optional[str] = typer.Option(None, "--sessions-by", help="how lines form sessions: auto (default: "
                                              "an identifier most lines carry, else time windows per server, "
                                              "chosen from the logs) | id (blk_ ids) | regex:PATTERN | field:NAME | "
                                              "window:count:N | window:time:SECONDS"),
    weak_labels: Optional[str] = typer.Option(None, "--weak-labels", help="without labels: 'error' marks a "
                                              "session with an ERROR line anomalous (weak labels, marked as such); "
                                              "without either, detectors are compared by their alarm rates"),
    testbed: Optional[Path] = typer.Option(None, "--testbed", help="a testbed run folder (`anomalygen testbed "
                                           "zookeeper --out`) to train on, instead of --logs; --source is then "
                                           "the ZooKeeper 3.8 source"),
    test_testbed: Optional[Path] = typer.Option(None, "--test-testbed", help="a testbed run to test on (default: "
                                                "the second half of --testbed)"),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="run folder (default: anomalygen_run)"),
    n: Optional[int] = typer.Option(None, "--n", help="synthetic sessions to generate (default 1000)"),
    seed: Optional[int] = typer.Option(None, "--seed", help="seed of every random choice (default 0)"),
    max_paths: Optional[int] = typer.Option(None, "--max-paths", help="paths per entry point (default 200)"),
    anomalous_share: Optional[float] = typer.Option(None, "--anomalous-share", help="anomalous share of the "
                                                    "synthetic sessions (default 0.1)"),
    models: Optional[str] = typer.Option(None, "--models", help="detectors, comma-separated, or 'all' "
                                         "(default: all 14)"),
    ratios: Optional[str] = typer.Option(None, "--ratios", help="sessions each augmentation arm adds per real training session (default 1)"),
    train_fractions: Optional[str] = typer.Option(None, "--train-fractions", help="share of the real training "
                                                  "pool used, the sparse regime of a young system (default 0.05)"),
    split: Optional[str] = typer.Option(None, "--split", help="chronological (default: the first 80% of sessions "
                                        "train, the rest test; synthetic paths are spliced into training sessions "
                                        "only) | random (80/20 per seed; then synthetic sessions are whole paths, "
                                        "since any real session may be a test one)"),
    seeds: Optional[int] = typer.Option(None, "--seeds", help="seeds per setting (default 5)"),
    epochs: Optional[int] = typer.Option(None, "--epochs", help="epochs of the deep detectors (default 3)"),
    llm: Optional[str] = typer.Option(None, "--llm", help="none | openai | local (default none: fully offline)"),
    config: Optional[Path] = typer.Option(None, "--config", "-c", help="TOML/YAML file with these settings"),
    force: bool = typer.Option(False, "--force", help="redo every stage"),
    report_on_interrupt: bool = typer.Option(False, help="on Ctrl-C, still write report.html from what is done "
                                             "(by default an interrupted run ends with exit code 130 and no report)"),
) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from anomalygen.checks import readable, writable
    from anomalygen.cli import app
    from anomalygen.examples import example_logs, example_tree
    from anomalygen.logs.formats import LogFormat
    from anomalygen.report import build_report
    from anomalygen.run.pipeline import Interrupted, Pipeline

    cfg = resolve({"source": source, "logs": list(logs), "labels": labels, "format": fmt,
                   "sessions_by": sessions_by, "weak_labels": weak_labels, "testbed": testbed,
                   "test_testbed": test_testbed, "out": out, "n": n, "seed": seed, "max_paths": max_paths,
                   "anomalous_share": anomalous_share, "models": models, "ratios": ratios,
                   "train_fractions": train_fractions, "split": split, "seeds": seeds, "epochs": epochs, "llm": llm},
                  load_config(config), config)
    if cfg["split"] not in ("chronological", "random"):
        raise InputError(f"--split must be chronological or random, not {cfg['split']!r}")
    example = cfg["source"] is None
    if example:
        cfg["source"] = example_tree()
        if not cfg["logs"]:
            cfg["logs"] = [example_logs() / "minisvc.log"]
            cfg["labels"] = cfg["labels"] or example_logs() / "anomaly_label.csv"
        cfg["format"] = cfg["format"] or "zookeeper"
    cfg["format"] = cfg["format"] or "hdfs"
    cfg["source"] = Path(cfg["source"])
    cfg["logs"] = [Path(p) for p in cfg["logs"]]
    cfg["labels"] = Path(cfg["labels"]) if cfg["labels"] else None
    cfg["out"] = Path(cfg["out"])
    for key in ("testbed", "test_testbed"):
        cfg[key] = Path(cfg[key]) if cfg[key] else None
    readable([cfg["source"]], "source file or folder", folder_ok=True)
    readable(cfg["logs"], "log file")
    readable([cfg["labels"]] if cfg["labels"] else [], "labels file")
    readable([p for p in (cfg["testbed"], cfg["test_testbed"]) if p is not None], "testbed run", folder_ok=True)
    writable(cfg["out"], folder=True)
    LogFormat.parse(cfg["format"])  # an unknown preset fails here, not in the third stage
    try:
        stages = _plan(cfg, example)
    except ValueError as e:
        raise InputError(str(e)) from None

    def invoke(args: list[str]) -> None:
        code = app(args, standalone_mode=False)
        if code == INTERRUPTED:  # typer turns Ctrl-C inside a command into exit code 130
            raise KeyboardInterrupt
        if code not in (0, None):
            raise RuntimeError(f"`anomalygen {args[0]}` exited with {code}")

    params = {k: (str(v) if isinstance(v, Path) else [str(x) for x in v] if isinstance(v, list) else v)
              for k, v in cfg.items()}
    inputs = {"source": str(cfg["source"]), "logs": [str(p) for p in cfg["logs"]],
              "labels": str(cfg["labels"]) if cfg["labels"] else None, "example": example}
    with Progress(TextColumn("{task.description:<32}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err) as progress:
        task = progress.add_task("anomalygen run", total=len(stages))

        def on_event(stage: str, what: str, info: dict) -> None:
            if what == "start":
                progress.update(task, description=f"{stage} ...")
                return
            status = info.get("status", "")
            colour = "green" if status in ("done", "skipped") else "red"
            secs = f" {info['seconds']:.1f} s" if "seconds" in info and what == "end" else ""
            extra = f" ({info.get('note')})" if what == "skipped" and info.get("note") else ""
            why = f" ({info['why']})" if what == "end" and info.get("why") not in (None, "not run before") else ""
            progress.console.print(f"[{colour}]{stage:<10}[/] {status}{secs}{extra}{why}")
            if colour == "red":
                progress.console.print(f"  see {info.get('log')}")
            progress.advance(task)

        try:
            state = Pipeline(cfg["out"], stages, params, inputs, force, on_event).run(invoke)
        except Interrupted:
            if report_on_interrupt:
                build_report(cfg["out"])
            raise
    failed = [k for k, v in state.get("stages", {}).items() if not str(v.get("status", "")).startswith(("done", "skipped"))]
    report = cfg["out"] / layout.REPORT
    summary = cfg["out"] / layout.EVALUATE_SUMMARY
    if summary.exists() and "evaluate" not in failed:
        typer.echo(summary.read_text(encoding="utf-8"))
    if report.exists():
        err.print(f"report: {report}")
    if failed:
        raise typer.Exit(1)


def _plan(cfg: dict, example: bool) -> list:
    """The stages: over testbed runs, or over logs with the session rule chosen from them unless given."""
    from anomalygen.run.stages import plan

    if cfg["test_testbed"] and not cfg["testbed"]:
        raise ValueError("--test-testbed needs --testbed (the run to train on)")
    if cfg["testbed"]:
        from anomalygen.run.testbed import plan_testbed

        if example:
            raise ValueError("--testbed needs --source: the ZooKeeper 3.8 source (scripts/zk38_source.sh)")
        return plan_testbed(cfg)
    if not cfg["logs"]:
        raise ValueError("--logs is needed with --source (the logs that source printed)")
    if cfg["weak_labels"] not in (None, "error"):
        raise ValueError(f"--weak-labels {cfg['weak_labels']!r}: the one rule is 'error'")
    if cfg["weak_labels"] and cfg["labels"]:
        raise ValueError("--weak-labels and --labels exclude each other")
    if cfg["sessions_by"] == "auto":
        from anomalygen.logs.formats import LogFormat
        from anomalygen.logs.session_rule import infer_rule
        from anomalygen.jsonl import Skipped
        from anomalygen.logs.sessions import load_labels

        # only which identifier the labels name matters here; the sessions stage reports bad label rows
        label_ids = load_labels(cfg["labels"], Skipped()) if cfg["labels"] else ()
        rule = infer_rule(cfg["logs"], LogFormat.parse(cfg["format"]), label_ids)
        cfg["sessions_by"] = rule.by
        cfg["session_rule"] = rule.reason  # recorded in run.json with the other settings
        err.print(f"sessions by {rule.by}: {rule.reason} (--sessions-by overrides)")
    return plan(cfg)


def register(app: typer.Typer) -> None:
    app.command("run", help=HELP)(run)
