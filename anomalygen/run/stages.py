"""The stages of `anomalygen run` as sub-command argument lists over one run folder."""

from __future__ import annotations

from pathlib import Path

from anomalygen.evaluate.harness import default_jobs
from anomalygen.run.pipeline import Stage


def plan(cfg: dict) -> list[Stage]:
    r: Path = cfg["out"]
    src = str(cfg["source"])
    logs = [str(p) for p in cfg["logs"]]
    fmt = cfg["format"]
    log_paths = list(cfg["logs"])
    stages = [
        Stage("inventory", ["inventory", src, "--out", str(r / "inventory" / "statements.jsonl")],
              [cfg["source"]], [r / "inventory"]),
        Stage("parse", ["parse", *logs, "--source", src, "--format", fmt, "--out", str(r / "logs")],
              [cfg["source"], *log_paths],
              [r / "logs" / f for f in ("structured.csv", "templates.csv", "summary.json")]),
        Stage("sessions", ["sessions", *logs, "--source", src, "--format", fmt, "--by", cfg["sessions_by"],
                           *(["--labels", str(cfg["labels"])] if cfg["labels"] else []),
                           "--out", str(r / "logs" / "sessions.jsonl")],
              [cfg["source"], *log_paths, *([cfg["labels"]] if cfg["labels"] else [])],
              [r / "logs" / "sessions.jsonl"]),
        Stage("coverage", ["coverage", "--source", src, *[x for p in logs for x in ("--logs", p)], "--format", fmt,
                           "--out", str(r / "coverage")],
              [cfg["source"], *log_paths], [r / "coverage"]),
        Stage("generate", ["generate", src, "--out", str(r / "synthetic"), *[x for p in logs for x in ("--logs", p)],
                           "--format", fmt, "--n", str(cfg["n"]), "--seed", str(cfg["seed"]),
                           "--max-paths", str(cfg["max_paths"]), "--anomalous-share", str(cfg["anomalous_share"]),
                           "--session-key", "block" if cfg["sessions_by"] == "id" else "none",
                           # whole sessions composed from the run's own labelled sessions; with a chronological
                           # split only from the first 80%, so no test session reaches sessions.jsonl
                           *(["--real-sessions", str(r / "logs" / "sessions.jsonl")] if cfg["labels"] else []),
                           *(["--host-fraction", "0.8"] if cfg["labels"] and cfg["split"] == "chronological"
                             else []),
                           "--llm", cfg["llm"]],
              [cfg["source"], *log_paths], [r / "synthetic"], after=["sessions"]),
    ]
    if cfg["labels"] is not None:
        stages.append(Stage(
            "evaluate", ["evaluate", "--dataset", str(r / "logs" / "sessions.jsonl"), "--augment", str(r / "synthetic"),
                         "--ratios", str(cfg["ratios"]), "--models", str(cfg["models"]),
                         "--split", str(cfg["split"]), "--test-fraction", "0.2",
                         "--train-fractions", str(cfg["train_fractions"]), "--seeds", str(cfg["seeds"]),
                         "--epochs", str(cfg["epochs"]), "--jobs", str(default_jobs()),
                         "--out", str(r / "evaluate"), "--quiet"],
            [], [r / "evaluate"], after=["sessions", "generate"]))
    stages.append(Stage("report", ["report"], [], [r / "report.html"],
                        after=[s.name for s in stages], call=lambda: _report(r), always=True))
    return stages


def _report(run_dir: Path) -> None:
    from anomalygen.report import build_report

    build_report(run_dir)
